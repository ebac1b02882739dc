import LipschitzModel

extension OneInputSweep {
    /// Each norm's maximising interval, decided soundly: the intervals whose score could reach
    /// the best within the walk's proven error are the candidates (usually the best alone); up
    /// to `Tolerances.oneInputCandidateLimit` of them are recomputed with the model's Jacobian
    /// and norm kernels and the largest (the first of equal ones) wins, which is then the value
    /// every other method reports for the maximum. With more candidates than that, their exact
    /// values all lie within 2(E + ρM) of one another; when that is at most
    /// `Tolerances.oneInputTieFraction`·M the first best score is taken (its value is the maximum
    /// to that relative accuracy, far inside the package's 1e-9), otherwise nil: undecided.
    func choose(_ outcome: inout OneInputOutcome) throws -> (cells: [SweepCell], index: [Int?])? {
        var cells: [SweepCell] = [], cellOf: [Int: Int] = [:], index: [Int?] = []
        var candidatesOf: [Int: [Int]] = [:]
        for n in norms.indices {
            guard outcome.interval[n] >= 0 else { index.append(nil); continue }
            let threshold = self.threshold(outcome, n)
            var winner = outcome.interval[n]
            if outcome.second[n] >= threshold {
                let key = outputs == 1 ? 0 : n  // one score serves every norm of a scalar output
                let candidates = candidatesOf[key] ?? collect(norm: n, threshold: threshold, walked: outcome.regions)
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

    /// The intervals (among the first `walked`) whose score for norm n reaches `threshold`, in
    /// order, up to one more than the limit: the walk again, with the same arithmetic.
    private func collect(norm n: Int, threshold: Double, walked: Int) -> [Int] {
        var found: [Int] = []
        let limit = Tolerances.oneInputCandidateLimit + 1
        if outputs == 1 {
            var sum = startingSums()[0]
            _ = forEachInterval(walked, &sum) { j, value in if abs(value) >= threshold && found.count < limit { found.append(j) } }
        } else {
            var sums = startingSums()
            _ = forEachInterval(walked, &sums) { j, values in
                if found.count < limit && vectorNorm(UnsafeBufferPointer(start: values, count: outputs), p: norms[n]) >= threshold { found.append(j) }
            }
        }
        return found
    }

    /// The candidate with the largest norm by the model's kernels (the first of equal ones).
    private func largestByKernel(_ candidates: [Int], norm: LipschitzNorm) throws -> Int {
        var best = -1.0, winner = candidates[0]
        for j in candidates {
            let value = try operatorNorm(network.jacobian(for: ActivationPattern(layers: [cell(j).pattern])), p: norm)
            if value > best { best = value; winner = j }
        }
        return winner
    }

    /// Interval j's pattern and a point inside it (its midpoint; one unit, or |end|, beyond
    /// the last breakpoint on an unbounded side). The point is certified by the caller.
    func cell(_ j: Int) -> SweepCell {
        // Active: w = 0 and b > 0, or w ≠ 0 and (breakpoint crossed before interval j) == (w > 0).
        var bits = [Bool](repeating: false, count: neurons)
        var left = box?.lower[0] ?? -.infinity, right = box?.upper[0] ?? .infinity
        var last = -1, next = -1
        let n = breakpoints.count, entries = breakpoints.entries
        let mask: UInt64 = (1 << UInt64(breakpoints.indexBits)) - 1
        weights.withUnsafeBufferPointer { w in
            biases.withUnsafeBufferPointer { b in
                bits.withUnsafeMutableBufferPointer { bits in
                    for i in 0..<neurons { bits[i] = w[i] == 0 ? b[i] > 0 : w[i] < 0 }
                    for i in crossed { bits[i].toggle() }
                    breakpoints.joined.withUnsafeBufferPointer { joined in
                        var vertex = -1, nextJoin = 0
                        for p in 0..<n {
                            if nextJoin < joined.count && joined[nextJoin] == p { nextJoin += 1 } else { vertex += 1 }
                            let i = Int(truncatingIfNeeded: entries[p] & mask)
                            if vertex >= j { next = i; break }
                            bits[i].toggle()
                            last = i
                        }
                    }
                }
            }
        }
        if last >= 0 { left = BreakpointOrder.breakpoint(biases[last], weights[last]) }
        if next >= 0 { right = BreakpointOrder.breakpoint(biases[next], weights[next]) }
        let point: Double
        switch (left.isFinite, right.isFinite) {
        case (true, true): point = left / 2 + right / 2
        case (false, true): point = right - max(1, abs(right))
        case (true, false): point = left + max(1, abs(left))
        case (false, false): point = 0
        }
        return (bits, [point])
    }
}
