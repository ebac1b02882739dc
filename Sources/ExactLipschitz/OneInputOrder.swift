import Foundation
import LipschitzModel

extension OneInputSweep {
    /// Sorts each half's packed breakpoints by their truncated keys (radix sort, the halves on
    /// two threads when there are two), merges the halves (`mergeHalves`, which also finds the
    /// runs of equal truncated keys), then settles those runs by the full
    /// values and, where those are equal, exactly (`BreakpointOrder`); counts the distinct
    /// vertices. False when a comparison is undecided or after a stop.
    func order() -> Bool {
        let (c0, c1) = counts, h = halfNeurons
        let entries = breakpoints.entries, spare = breakpoints.spare, low = breakpoints.sortShift
        inHalves(parallel: isLarge) { part in
            let start = part == 0 ? 0 : h
            CrossingSort.sortHighBits(entries + start, part == 0 ? c0 : c1, from: low, scratch: spare + start)
        }
        if checkStop() { return false }
        let ties = mergeHalves()
        guard settleTies(ties) else { return false }
        breakpoints.vertices = breakpoints.count - breakpoints.joined.count
        return !checkStop()
    }

    /// Merges the sorted halves (entries 0..<c0 and h..<h + c1) by their sorted bits into the
    /// spare buffer, which then becomes the entries (a's entries after b's on equal bits, in
    /// both parts, so that the two parts split one merge). One part writes the smaller half of the output from the
    /// front, the other the rest from the back (on two threads when there are two). Each notes
    /// the positions p whose entry shares its truncated key with entry p − 1, returned in
    /// ascending order.
    private func mergeHalves() -> [Int] {
        let (c0, c1) = counts, n = c0 + c1, front = n / 2
        let a = breakpoints.entries, b = breakpoints.entries + halfNeurons, out = breakpoints.spare
        var flagged: [[Int]] = [[], []]
        flagged.withUnsafeMutableBufferPointer { flagged in
            inHalves(parallel: isLarge) { part in
                flagged[part] = part == 0 ? mergeFront(a, c0, b, c1, into: out, count: front) : mergeBack(a, c0, b, c1, into: out, from: front)
            }
        }
        breakpoints.swapBuffers()
        var ties = flagged[0]
        if front > 0 && front < n && breakpoints.sameSortedBits(front) { ties.append(front) }
        return ties + flagged[1].reversed()
    }

    /// The first `count` outputs of the merge of a[0..<ca] and b[0..<cb].
    private func mergeFront(_ a: UnsafeMutablePointer<UInt64>, _ ca: Int, _ b: UnsafeMutablePointer<UInt64>, _ cb: Int,
                            into out: UnsafeMutablePointer<UInt64>, count: Int) -> [Int] {
        var ties: [Int] = []
        var i = 0, j = 0
        let shift = UInt64(breakpoints.sortShift)
        for k in 0..<count {
            // Loads clamped into the halves and a select (random keys mispredict a branch).
            // Equal sorted bits: b's first (the back part agrees), settled afterwards.
            let x = a[min(i, max(ca - 1, 0))], y = b[min(j, max(cb - 1, 0))]
            let takeA = j >= cb || (i < ca && x >> shift < y >> shift)
            let e = takeA ? x : y
            i += takeA ? 1 : 0
            j += takeA ? 0 : 1
            out[k] = e
            if k > 0 && (out[k - 1] ^ e) >> shift == 0 { ties.append(k) }
        }
        return ties
    }

    /// Outputs from..<ca + cb of the same merge, written from the back; the flagged positions
    /// come in descending order.
    private func mergeBack(_ a: UnsafeMutablePointer<UInt64>, _ ca: Int, _ b: UnsafeMutablePointer<UInt64>, _ cb: Int,
                           into out: UnsafeMutablePointer<UInt64>, from first: Int) -> [Int] {
        var ties: [Int] = []
        var i = ca - 1, j = cb - 1
        let shift = UInt64(breakpoints.sortShift), n = ca + cb
        var k = n - 1
        while k >= first {
            let x = a[max(i, 0)], y = b[max(j, 0)]
            let takeB = i < 0 || (j >= 0 && y >> shift > x >> shift)
            let e = takeB ? y : x
            j -= takeB ? 1 : 0
            i -= takeB ? 0 : 1
            out[k] = e
            if k < n - 1 && (out[k + 1] ^ e) >> shift == 0 { ties.append(k + 1) }
            k -= 1
        }
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
