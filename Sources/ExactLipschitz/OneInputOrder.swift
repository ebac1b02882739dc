import FoundationEssentials
import LipschitzModel

extension OneInputSweep {
    /// Sorts the breakpoints by their truncated keys (radix sort): the negative ones and the
    /// others apart (on two threads when there are two), each gathered from both halves of the
    /// neurons (`collect`) into its part of the spare buffer, which then becomes the entries:
    /// the negative part, then the other, is the whole order, with no merge. Then settles the runs
    /// of equal truncated keys by the full values and, where those are equal, exactly
    /// (`BreakpointOrder`); counts the distinct vertices. False when a comparison is undecided
    /// or after a stop.
    func order() -> Bool {
        let (n0, o0, n1, o1) = counts, h = halfNeurons, n = neurons
        let entries = breakpoints.entries, spare = breakpoints.spare, negatives = n0 + n1
        var sorts = [HighBitsSort(from: breakpoints.sortShift), HighBitsSort(from: breakpoints.sortShift)]
        defer { for sort in sorts { sort.deallocate() } }
        var flagged: [[Int]] = [[], []]
        sorts.withUnsafeMutableBufferPointer { sorts in
            // Step one reads `entries` and writes `spare`; step two writes `entries` as scratch,
            // so it starts only when both sorts have finished reading.
            inHalves(parallel: isLarge) { part in
                let segments = part == 0
                    ? [(UnsafePointer(entries), n0), (UnsafePointer(entries + h), n1)]
                    : [(UnsafePointer(entries + h - o0), o0), (UnsafePointer(entries + n - o1), o1)]
                sorts[part].gather(segments, into: spare + (part == 0 ? 0 : negatives))
            }
            flagged.withUnsafeMutableBufferPointer { flagged in
                inHalves(parallel: isLarge) { part in
                    let start = part == 0 ? 0 : negatives, end = part == 0 ? negatives : breakpoints.count
                    sorts[part].finish(spare + start, scratch: entries + start)
                    flagged[part] = sharedSortedBits(spare, start..<end)
                }
            }
        }
        breakpoints.swapBuffers()
        if checkStop() { return false }
        // A negative key and another never share their top bit: no run crosses the parts.
        guard settleTies(flagged[0] + flagged[1]) else { return false }
        breakpoints.vertices = breakpoints.count - breakpoints.joined.count
        return !checkStop()
    }

    /// The positions p of `range` (after its first) whose entry shares its sorted bits with
    /// entry p − 1, ascending.
    private func sharedSortedBits(_ sorted: UnsafeMutablePointer<UInt64>, _ range: Range<Int>) -> [Int] {
        var ties: [Int] = []
        let shift = UInt64(breakpoints.sortShift)
        for p in range.dropFirst() where (sorted[p] ^ sorted[p - 1]) >> shift == 0 { ties.append(p) }
        return ties
    }

    /// The runs of equal sorted bits (around the `flagged` positions, ascending) put in order
    /// by their whole entries (the rest of the key, then the index: an insertion sort, the runs
    /// are short); where whole truncated keys are equal too, by (t̂, exact order, index), with
    /// their exact coincidences recorded in `joined`. False when a comparison is undecided.
    private func settleTies(_ flagged: [Int]) -> Bool {
        var joined: [Int] = []
        var r = 0
        let entries = breakpoints.entries
        while r < flagged.count {
            var last = r
            while last + 1 < flagged.count && flagged[last + 1] == flagged[last] + 1 { last += 1 }
            let start = flagged[r] - 1, end = flagged[last] + 1
            for p in (start + 1)..<end {
                let e = entries[p]
                var q = p
                while q > start && entries[q - 1] > e { entries[q] = entries[q - 1]; q -= 1 }
                entries[q] = e
            }
            var p = start + 1
            while p < end {
                guard breakpoints.sameHighBits(p) else { p += 1; continue }
                var stop = p + 1
                while stop < end && breakpoints.sameHighBits(stop) { stop += 1 }
                guard settleRun(p - 1, stop, into: &joined) else { return false }
                p = stop + 1
            }
            r = last + 1
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
