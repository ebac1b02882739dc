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

    /// Sorts entries start..<end exactly and records which of them coincide with their
    /// predecessor: by t̂ (then index), and within equal t̂ = c by the exact side of c
    /// (below, at, above); all "at c" coincide, and only the others (distinct rationals that
    /// round alike, rare) are compared pairwise. A zero-bias layer (every t = 0) costs O(k log k).
    private func settleRun(_ start: Int, _ end: Int, into joined: inout [Int]) -> Bool {
        var members: [(t: Double, i: Int)] = []
        for p in start..<end {
            let i = breakpoints.index(p)
            members.append((BreakpointOrder.breakpoint(biases[i], weights[i]), i))
        }
        members.sort { a, b in a.t != b.t ? a.t < b.t : a.i < b.i }
        var position = start, first = 0
        while first < members.count {
            var last = first + 1
            while last < members.count && members[last].t == members[first].t { last += 1 }
            let neurons: [Int] = members[first..<last].map { $0.i }
            guard let sides = exactSides(neurons, at: members[first].t) else { return false }
            let groups: [([Int], Bool)] = [(sides.below, false), (sides.at, true), (sides.above, false)]
            for (group, coincide) in groups {
                guard let ordered = exactlyOrdered(group) else { return false }
                for (k, i) in ordered.enumerated() {
                    breakpoints.entries[position] = breakpoints.pack(members[first].t, i)
                    if k > 0 && (coincide || sameBreakpoint(ordered[k - 1], i)) { joined.append(position) }
                    position += 1
                }
            }
            first = last
        }
        return true
    }

    private func sameBreakpoint(_ a: Int, _ b: Int) -> Bool {
        BreakpointOrder.compare(biases[a], weights[a], biases[b], weights[b]) == 0
    }

    /// The neurons whose exact breakpoint lies below, at and above the double c (nil: undecided).
    private func exactSides(_ neurons: [Int], at c: Double) -> (below: [Int], at: [Int], above: [Int])? {
        var below: [Int] = [], at: [Int] = [], above: [Int] = []
        for i in neurons {
            guard let s = BreakpointOrder.compare(biases[i], weights[i], with: c) else { return nil }
            if s < 0 { below.append(i) } else if s == 0 { at.append(i) } else { above.append(i) }
        }
        return (below, at, above)
    }

    /// The neurons in exact order of their breakpoints (ties by index); nil when undecided.
    private func exactlyOrdered(_ neurons: [Int]) -> [Int]? {
        var undecided = false
        let ordered = neurons.sorted { a, b in
            guard let s = BreakpointOrder.compare(biases[a], weights[a], biases[b], weights[b]) else { undecided = true; return a < b }
            return s != 0 ? s < 0 : a < b
        }
        return undecided ? nil : ordered
    }
}
