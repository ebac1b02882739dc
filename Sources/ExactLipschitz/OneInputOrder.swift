import Foundation
import LipschitzModel

extension OneInputSweep {
    /// Sorts the packed breakpoints by their truncated keys (radix sort; both threads when there
    /// are many), then settles the runs of equal truncated keys by the full values and, where
    /// those are equal, exactly (`BreakpointOrder`); counts the distinct vertices. False when a
    /// comparison is undecided or after a stop.
    func order() -> Bool {
        let n = breakpoints.count
        let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, n))
        defer { scratch.deallocate() }
        if threads > 1 && n >= 1 << 16 {
            sortInTwoHalves(scratch)
        } else {
            CrossingSort.sortHighBits(breakpoints.entries, n, from: breakpoints.indexBits, scratch: scratch)
        }
        if checkStop() { return false }
        guard settleTies() else { return false }
        breakpoints.vertices = n - breakpoints.joined.count
        return !checkStop()
    }

    /// Each thread sorts one half; the halves are then merged (stably: the first half first on
    /// equal entries, so the order is the one-thread order).
    private func sortInTwoHalves(_ scratch: UnsafeMutablePointer<UInt64>) {
        let n = breakpoints.count, half = n / 2
        let entries = breakpoints.entries, low = breakpoints.indexBits
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            let start = part == 0 ? 0 : half, count = part == 0 ? half : n - half
            CrossingSort.sortHighBits(entries + start, count, from: low, scratch: scratch + start)
        }
        // Merge into scratch, then copy back. Whole entries compare as (truncated key, index):
        // the one-thread order, since the index bits make every entry distinct. One thread
        // merges the smaller half of the output from the front, the other the rest from the back.
        let front = n / 2
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            if part == 0 {
                var i = 0, j = half
                for k in 0..<front {
                    if j >= n || (i < half && entries[i] < entries[j]) { scratch[k] = entries[i]; i += 1 } else { scratch[k] = entries[j]; j += 1 }
                }
            } else {
                var i = half - 1, j = n - 1
                for k in stride(from: n - 1, through: front, by: -1) {
                    if i < 0 || (j >= half && entries[j] > entries[i]) { scratch[k] = entries[j]; j -= 1 } else { scratch[k] = entries[i]; i -= 1 }
                }
            }
        }
        entries.update(from: scratch, count: n)
    }

    /// Runs of equal truncated keys are sorted by (t̂, exact order, index) and their exact
    /// coincidences recorded in `joined`. False when an exact comparison is undecided.
    private func settleTies() -> Bool {
        let n = breakpoints.count
        var joined: [Int] = []
        var p = 1
        while p < n {
            guard breakpoints.sameHighBits(p) else { p += 1; continue }
            var end = p + 1
            while end < n && breakpoints.sameHighBits(end) { end += 1 }
            guard settleRun(p - 1, end, into: &joined) else { return false }
            p = end + 1
        }
        breakpoints.joined = joined
        return true
    }

    /// Sorts entries start..<end exactly and records which of them coincide with their predecessor.
    private func settleRun(_ start: Int, _ end: Int, into joined: inout [Int]) -> Bool {
        var undecided = false
        var run = (start..<end).map { breakpoints.index($0) }
        let compare = { (i: Int, j: Int) -> Int in
            let ti = BreakpointOrder.breakpoint(self.biases[i], self.weights[i]), tj = BreakpointOrder.breakpoint(self.biases[j], self.weights[j])
            if ti != tj { return ti < tj ? -1 : 1 }
            guard let s = BreakpointOrder.compare(self.biases[i], self.weights[i], self.biases[j], self.weights[j]) else { undecided = true; return 0 }
            return s
        }
        run.sort { a, b in
            let s = compare(a, b)
            return s != 0 ? s < 0 : a < b
        }
        for (offset, i) in run.enumerated() {
            breakpoints.entries[start + offset] = breakpoints.pack(BreakpointOrder.breakpoint(biases[i], weights[i]), i)
            if offset > 0 && compare(run[offset - 1], i) == 0 { joined.append(start + offset) }
        }
        return !undecided
    }
}
