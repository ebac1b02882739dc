import LipschitzModel

extension OneInputSweep {
    /// Each norm's maximising interval, decided soundly: the intervals whose score could reach
    /// the best within the walk's proven error are the candidates (usually the best alone); up
    /// to `Tolerances.oneInputCandidateLimit` of them are recomputed with accurate Jacobians
    /// (`RegionJacobian`) and the largest (the first of equal ones) wins, which is then the value
    /// every other method reports for the maximum. With more candidates than that, their exact
    /// values all lie within 2(E + ρM) of one another; when that is at most
    /// `Tolerances.oneInputTieFraction`·M the first best score is taken (its value is the maximum
    /// to that relative accuracy, far inside the package's 1e-9), otherwise nil: undecided.
    func choose(_ outcome: inout OneInputOutcome) throws -> (cells: [OneInputCell], index: [Int?])? {
        var cells: [OneInputCell] = [], cellOf: [Int: Int] = [:], index: [Int?] = []
        var candidatesOf: [Int: [Int]] = [:]
        for n in norms.indices {
            guard outcome.interval[n] >= 0 else { index.append(nil); continue }
            let threshold = self.threshold(outcome, n)
            var winner = outcome.interval[n]
            if outcome.second[n] >= threshold {
                let key = outputs == 1 ? 0 : n  // one score serves every norm of a scalar output
                let candidates = candidatesOf[key] ?? collect(norm: n, threshold: threshold, outcome: outcome)
                candidatesOf[key] = candidates
                if candidates.count <= Tolerances.oneInputCandidateLimit {
                    winner = try largestByKernel(candidates, norm: norms[n])
                } else {
                    let spread = 2 * (outcome.absolute[n] + outcome.relative * outcome.best[n])
                    guard spread <= Tolerances.oneInputTieFraction * outcome.best[n] else { return nil }
                }
            }
            if cellOf[winner] == nil { cellOf[winner] = cells.count; cells.append(cell(winner)) }
            index.append(cellOf[winner])
        }
        return (cells, index)
    }

    /// Scores below this cannot belong to an interval whose exact norm reaches the best one's:
    /// s(1 + ρ) + E < M(1 − ρ) − E; the factor 1 − 4u covers the rounding of the expression.
    private func threshold(_ outcome: OneInputOutcome, _ n: Int) -> Double {
        let rho = outcome.relative, e = outcome.absolute[n], best = outcome.best[n]
        return (best * (1 - rho) - 2 * e) / (1 + rho) * (1 - 4 * Tolerances.unitRoundoff)
    }

    /// The intervals (among those walked) whose score for norm n reaches `threshold`, in order,
    /// up to one more than the limit: the walk again, with the same arithmetic.
    private func collect(norm n: Int, threshold: Double, outcome: OneInputOutcome) -> [Int] {
        let limit = Tolerances.oneInputCandidateLimit + 1
        guard outputs == 1 else {
            var found: [Int] = [], sums = startingSums()
            _ = forEachInterval(outcome.regions, &sums, poll: false) { j, values in
                if found.count < limit && vectorNorm(UnsafeBufferPointer(start: values, count: outputs), p: norms[n]) >= threshold { found.append(j) }
            }
            return found
        }
        let plan = OneInputWalkPlan(self, intervals: outcome.limited ? outcome.regions : breakpoints.vertices + 1)
        var left: [Int] = [], right: [Int] = [], sum = startSum
        _ = scalarWalk(plan, forward: true, poll: false, &sum) { j, value in
            if j < outcome.parts.0 && left.count < limit && abs(value) >= threshold { left.append(j) }
        }
        guard left.count < limit else { return left }
        // From the right: the last `limit` found are the leftmost.
        sum = endSum
        _ = scalarWalk(plan, forward: false, poll: false, &sum) { j, value in
            guard plan.last - j < outcome.parts.1, abs(value) >= threshold else { return }
            right.append(j)
            if right.count > limit { right.removeFirst() }
        }
        return Array((left + right.reversed()).prefix(limit))
    }

    /// The candidate with the largest norm of its accurate Jacobian (`RegionJacobian`; the first
    /// of equal ones).
    private func largestByKernel(_ candidates: [Int], norm: LipschitzNorm) throws -> Int {
        var best = -1.0, winner = candidates[0]
        for j in candidates {
            let value = try operatorNorm(RegionJacobian.accurate(network, ActivationPattern(layers: [cell(j).bits]), norms: [norm]), p: norm)
            if value > best { best = value; winner = j }
        }
        return winner
    }

    /// Interval j's pattern, its ends (computed breakpoints or the box's ends, infinite when
    /// unbounded) and a point inside it (its midpoint; one unit, or |end|, beyond the last
    /// breakpoint on an unbounded side). The point is certified by the caller.
    ///
    /// When t̂_left < x < t̂_right, each neuron's sign at x follows from its own t̂ (x > t̂ ⇒
    /// x > t, see `OneInputWitness`): active iff (w > 0) == (t̂ < x), no t̂ equal to x. That
    /// is one pass over the neurons in their order, in halves on two threads; otherwise
    /// (no double inside, which the witness then declines) the pattern of the sorted order.
    func cell(_ j: Int) -> OneInputCell {
        let (left, right) = ends(j)
        let point: Double
        switch (left.isFinite, right.isFinite) {
        case (true, true): point = left / 2 + right / 2
        case (false, true): point = right - max(1, abs(right))
        case (true, false): point = left + max(1, abs(left))
        case (false, false): point = 0
        }
        guard left < point && point < right else { return OneInputCell(bits: sortedPattern(j), point: point, left: left, right: right) }
        var bits = [Bool](repeating: false, count: neurons)
        let h = halfNeurons
        weights.withUnsafeBufferPointer { w in
            biases.withUnsafeBufferPointer { b in
                bits.withUnsafeMutableBufferPointer { bits in
                    inHalves(parallel: isLarge) { part in
                        for i in part == 0 ? 0..<h : h..<neurons {
                            let wi = w[i]
                            bits[i] = wi == 0 ? b[i] > 0 : (wi > 0) == (BreakpointOrder.breakpoint(b[i], wi) < point)
                        }
                    }
                }
            }
        }
        return OneInputCell(bits: bits, point: point, left: left, right: right)
    }

    /// Interval j's ends: the computed breakpoints of the vertices on either side, or the
    /// domain's ends. Vertex k's first position is k plus the joined positions up to it.
    private func ends(_ j: Int) -> (Double, Double) {
        func firstPosition(_ k: Int) -> Int {
            var p = k
            for q in breakpoints.joined { if q <= p { p += 1 } else { break } }
            return p
        }
        func t(_ p: Int) -> Double { let i = breakpoints.index(p); return BreakpointOrder.breakpoint(biases[i], weights[i]) }
        let vertices = breakpoints.vertices
        let left = j >= 1 ? t(j < vertices ? firstPosition(j) - 1 : breakpoints.count - 1) : box?.lower[0] ?? -.infinity
        let right = j < vertices ? t(firstPosition(j)) : box?.upper[0] ?? .infinity
        return (left, right)
    }

    /// Interval j's pattern from the sorted order: every neuron's state left of all
    /// breakpoints, toggled by those crossed before the box and before interval j.
    func sortedPattern(_ j: Int) -> [Bool] {
        // Active: w = 0 and b > 0, or w ≠ 0 and (breakpoint crossed before interval j) == (w > 0).
        var bits = [Bool](repeating: false, count: neurons)
        let n = breakpoints.count, entries = breakpoints.entries, mask = breakpoints.mask
        weights.withUnsafeBufferPointer { w in
            biases.withUnsafeBufferPointer { b in
                bits.withUnsafeMutableBufferPointer { bits in
                    for i in 0..<neurons { bits[i] = w[i] == 0 ? b[i] > 0 : w[i] < 0 }
                    for i in crossed { bits[i].toggle() }
                    breakpoints.joined.withUnsafeBufferPointer { joined in
                        var vertex = -1, nextJoin = 0
                        for p in 0..<n {
                            if nextJoin < joined.count && joined[nextJoin] == p { nextJoin += 1 } else { vertex += 1 }
                            if vertex >= j { break }
                            bits[Int(truncatingIfNeeded: entries[p] & mask)].toggle()
                        }
                    }
                }
            }
        }
        return bits
    }
}
