/// How the intervals of one output are walked: in two parts, the left one forward from the
/// gradient left of every breakpoint (`startSum`) and the right one backward from the gradient
/// right of every breakpoint (`endSum`), so that the two need nothing from each other and run
/// on two threads. The split is a fixed position (the middle, moved past coincident
/// breakpoints), whatever the thread count. With `--max-regions` below the count the forward
/// walk alone visits the first intervals.
///
/// Interval j lies between vertex j − 1 and vertex j. The left part adds the vertices at
/// positions 0..<split and scores intervals 0...V (V = its vertices); the right part scores
/// the last interval, subtracts the vertices from the right and scores down to interval V + 1
/// (it never subtracts the vertex at `split`: interval V is the left part's).
struct OneInputWalkPlan {
    let split: Int
    /// Intervals each part scores.
    let forward: Int, backward: Int
    /// The last interval (the right part's first).
    let last: Int

    init(_ sweep: OneInputSweep, intervals: Int) {
        let points = sweep.breakpoints, total = points.vertices + 1
        last = total - 1
        guard intervals == total else {
            split = points.count; forward = intervals; backward = 0
            return
        }
        var split = points.count / 2
        var k = points.firstJoin(atOrAfter: split)
        while k < points.joined.count && points.joined[k] == split { split += 1; k += 1 }
        let leftVertices = split - points.firstJoin(atOrAfter: split)
        self.split = split
        forward = leftVertices + 1
        backward = total - forward
    }
}

extension OneInputSweep {
    /// The sorted breakpoints' steps (one output), as bit patterns: the spare buffer, free
    /// once the sort has moved the entries out of it.
    var steps: UnsafeMutablePointer<UInt64> { breakpoints.spare }

    /// Fills `steps` at the part's positions: the step of each sorted breakpoint's neuron (a
    /// pass of independent loads, before the walk's dependent chain of sums).
    func gatherSteps(_ plan: OneInputWalkPlan, forward: Bool) {
        let positions = forward ? 0..<plan.split : plan.split..<breakpoints.count
        let steps = self.steps, entries = breakpoints.entries, mask = breakpoints.mask, neuronSteps = self.neuronSteps
        for p in positions { steps[p] = neuronSteps[Int(truncatingIfNeeded: entries[p] & mask)].bitPattern }
    }

    /// One part of the plan: calls `body(j, value)` for its intervals with the running gradient
    /// `sum` (which starts as `startSum` forward, `endSum` backward). Returns the intervals
    /// scored (fewer after a stop, polled every 65,536 vertices unless `poll` is false).
    @inline(__always)
    func scalarWalk(_ plan: OneInputWalkPlan, forward: Bool, poll: Bool = true, _ sum: inout CompensatedSum,
                    _ body: (Int, Double) -> Void) -> Int {
        forward ? walkForward(plan, poll, &sum, body) : walkBackward(plan, poll, &sum, body)
    }

    @inline(__always)
    private func walkForward(_ plan: OneInputWalkPlan, _ poll: Bool, _ sum: inout CompensatedSum, _ body: (Int, Double) -> Void) -> Int {
        guard plan.forward > 0 else { return 0 }
        body(0, sum.value)
        let steps = self.steps
        return breakpoints.joined.withUnsafeBufferPointer { joined in
            var p = 0, j = 1, nextJoin = 0
            while p < plan.split && j < plan.forward {
                // Up to the next coincidence, the limit or the next poll, each vertex is one
                // breakpoint: one term per interval, without the look for joined positions.
                let coincident = nextJoin < joined.count ? joined[nextJoin] : Int.max
                let simple = min(coincident - 1 - p, plan.split - p, plan.forward - j, 0x10000 - (j & 0xFFFF))
                if simple > 1 {
                    for _ in 0..<simple - 1 {
                        sum.add(Double(bitPattern: steps[p]))
                        p += 1
                        body(j, sum.value)
                        j += 1
                    }
                    continue
                }
                var end = p + 1
                while nextJoin < joined.count && joined[nextJoin] == end { end += 1; nextJoin += 1 }
                for q in p..<end { sum.add(Double(bitPattern: steps[q])) }
                p = end
                body(j, sum.value)
                j += 1
                if poll && j & 0xFFFF == 0 && monitor.shouldStop() { return j }
            }
            return j
        }
    }

    @inline(__always)
    private func walkBackward(_ plan: OneInputWalkPlan, _ poll: Bool, _ sum: inout CompensatedSum, _ body: (Int, Double) -> Void) -> Int {
        guard plan.backward > 0 else { return 0 }
        var j = plan.last
        body(j, sum.value)
        let steps = self.steps
        return breakpoints.joined.withUnsafeBufferPointer { joined in
            var q = breakpoints.count - 1, nextJoin = joined.count - 1, scored = 1
            while scored < plan.backward {
                // Down to the next coincidence, the limit or the next poll, each vertex is one
                // breakpoint (as forward).
                let coincident = nextJoin >= 0 ? joined[nextJoin] : -1
                let simple = min(q - coincident, plan.backward - scored, 0x10000 - (scored & 0xFFFF))
                if simple > 1 {
                    for _ in 0..<simple - 1 {
                        sum.add(-Double(bitPattern: steps[q]))
                        q -= 1
                        j -= 1
                        body(j, sum.value)
                        scored += 1
                    }
                    continue
                }
                // The vertex ending at q: back over positions joined to their predecessor.
                var first = q
                while nextJoin >= 0 && joined[nextJoin] == first { first -= 1; nextJoin -= 1 }
                for r in stride(from: q, through: first, by: -1) { sum.add(-Double(bitPattern: steps[r])) }
                q = first - 1
                j -= 1
                body(j, sum.value)
                scored += 1
                if poll && scored & 0xFFFF == 0 && monitor.shouldStop() { return scored }
            }
            return scored
        }
    }
}
