import FoundationEssentials
import LipschitzModel

/// A running sum with a proven bound on its error.
///
/// Each term p is added to `hi` by TwoSum (Knuth), whose error e is exact, so the exact sum of
/// the terms is hi + L with L the exact sum of the e's; `lo` accumulates them with
/// |fl(lo + e) − (lo + e)| ≤ u|fl(lo + e)|, hence |lo − L| ≤ u·Σ|lo| (Higham, *Accuracy and
/// Stability*, (2.4)). The terms are rounded products p = fl(v·|w|), each within u|p| of the
/// exact one (plus 2⁻¹⁰⁷⁵ if it underflows): `size` = Σ|p|. Both sums are computed in floating
/// point, within a factor 1 + γ_k of the exact ones: `error(terms:)` covers that. The value
/// fl(hi + lo) adds u|value|.
///
/// Another sum B joins (`add(_:)`) as two terms hi_B and lo_B (exact TwoSums again), which
/// leaves out L_B − lo_B, at most u·bound_B: the bounds add, and so do the sizes (B's products'
/// roundings), so the joined sum keeps the invariant. `terms` counts every addition, joined ones
/// included (the γ factor of the bound's own floating-point sums; any order of n non-negative
/// terms is within γ_n).
struct CompensatedSum {
    var hi = 0.0, lo = 0.0, bound = 0.0, size = 0.0
    var terms = 0

    @inline(__always)
    mutating func add(_ p: Double) {
        let s = hi + p, bp = s - hi
        lo += (hi - (s - bp)) + (p - bp)
        hi = s
        bound += abs(lo)
        size += abs(p)
        terms += 1
    }

    /// Adds another sum's terms (see above).
    mutating func add(_ other: CompensatedSum) {
        add(other.hi)
        add(other.lo)
        bound += other.bound
        size += other.size
        terms += other.terms
    }

    @inline(__always) var value: Double { hi + lo }

    /// A bound on |value − S| − u|value|, S the exact sum of the exact products.
    func error() -> Double {
        let u = Tolerances.unitRoundoff, n = Double(terms + 2)
        return u * (bound + size) * (1 + 2 * n * u) + Double(terms + 1) * 0x1p-1073
    }
}

/// What the walk found: per norm the best score, the best among the other intervals, the
/// interval, and the scores' proven error.
struct OneInputOutcome {
    var complete = true
    /// `--max-regions` ended the walk.
    var limited = false
    var regions = 0
    /// One output: the intervals each part of the walk scored (`OneInputWalkPlan`).
    var parts = (0, 0)
    var best: [Double], second: [Double], interval: [Int]
    /// Per norm: a score is within relative·score + absolute of the exact norm of its interval.
    var relative = 0.0
    var absolute: [Double]

    init(norms: Int) {
        best = Array(repeating: -1, count: norms)
        second = Array(repeating: -1, count: norms)
        interval = Array(repeating: -1, count: norms)
        absolute = Array(repeating: 0, count: norms)
    }

    /// Records interval j's score for norm n (`ScoreRecord.offer`).
    @inline(__always)
    mutating func offer(_ score: Double, interval j: Int, norm n: Int, latestOnTie: Bool = false) {
        var record = ScoreRecord(best: best[n], second: second[n], interval: interval[n])
        record.offer(score, interval: j, latestOnTie: latestOnTie)
        (best[n], second[n], interval[n]) = (record.best, record.second, record.interval)
    }
}

/// One norm's best score, the best among the other intervals, and the best one's interval: the
/// scalar walk keeps it in registers (no arrays in its loop).
struct ScoreRecord {
    var best = -1.0, second = -1.0, interval = -1

    /// Records interval j's score (the first of equal scores stays, or the latest with
    /// `latestOnTie`: a walk from the right, whose latest is the leftmost).
    @inline(__always)
    mutating func offer(_ score: Double, interval j: Int, latestOnTie: Bool) {
        if score > best || (latestOnTie && score == best) {
            second = best; best = score; interval = j
        } else if score > second {
            second = score
        }
    }
}

extension OneInputOutcome {
    /// The outcome of two walks of one output: the left part's (lower intervals) and the right
    /// part's; the left one's best wins ties. Copied to every norm.
    mutating func join(_ left: OneInputOutcome, _ right: OneInputOutcome, norms: Int) {
        regions = left.regions + right.regions
        let leftWins = left.best[0] >= right.best[0]
        let winner = leftWins ? left : right, other = leftWins ? right : left
        for n in 0..<norms {
            best[n] = winner.best[0]
            interval[n] = winner.interval[0]
            second[n] = max(winner.second[0], other.best[0])
        }
    }
}

extension OneInputSweep {
    /// The starting gradient (several outputs): every neuron with w < 0 is active left of all
    /// breakpoints, and the breakpoints left of the box are crossed (each adds v·|w|). One
    /// accumulator per output.
    func startingSums() -> [CompensatedSum] {
        (0..<outputs).map { r in
            var sum = CompensatedSum()
            weights.withUnsafeBufferPointer { w in
                outputWeights.withUnsafeBufferPointer { all in
                    let v = all.baseAddress! + r * neurons
                    // min(w, 0): no branch on the sign (adding ±0 changes nothing but the bound).
                    for i in 0..<neurons { sum.add(v[i] * min(w[i], 0)) }
                    for i in crossed { sum.add(v[i] * abs(w[i])) }
                }
            }
            return sum
        }
    }

    /// Walks the intervals (at most `limit`), scoring each for every norm.
    func walk(limit: Int?) -> OneInputOutcome {
        var outcome = OneInputOutcome(norms: norms.count)
        let total = breakpoints.vertices + 1
        let intervals = min(total, limit ?? total)
        outcome.limited = intervals < total
        if outputs == 1 {
            // |g| is every ℓp norm of a 1 × 1 Jacobian: one score serves every norm.
            let plan = OneInputWalkPlan(self, intervals: intervals)
            var parts = [OneInputOutcome(norms: 1), OneInputOutcome(norms: 1)]
            var sums = [startSum, endSum]
            parts.withUnsafeMutableBufferPointer { parts in
                sums.withUnsafeMutableBufferPointer { sums in
                    inHalves(parallel: isLarge) { part in
                        let forward = part == 0
                        gatherSteps(plan, forward: forward)
                        var record = ScoreRecord()
                        parts[part].regions = scalarWalk(plan, forward: forward, &sums[part]) { j, value in
                            record.offer(abs(value), interval: j, latestOnTie: !forward)
                        }
                        (parts[part].best[0], parts[part].second[0], parts[part].interval[0]) = (record.best, record.second, record.interval)
                    }
                }
            }
            outcome.join(parts[0], parts[1], norms: norms.count)
            outcome.parts = (parts[0].regions, parts[1].regions)
            if outcome.regions < intervals { stopped = true }
            outcome.complete = outcome.regions == total && !stopped
            setErrors(&outcome, absolute: max(sums[0].error(), sums[1].error()))
        } else {
            var vector = startingSums()
            outcome.regions = forEachInterval(intervals, &vector) { j, values in
                for (n, norm) in norms.enumerated() { outcome.offer(vectorNorm(UnsafeBufferPointer(start: values, count: outputs), p: norm), interval: j, norm: n) }
            }
            outcome.complete = outcome.regions == total && !stopped
            setErrors(&outcome, absolute: vector.reduce(0) { $0 + $1.error() })
        }
        return outcome
    }

    /// Scores are norms of the computed gradient ĝ: |‖ĝ‖ − ‖g‖| ≤ ‖ĝ − g‖₁ ≤ u‖ĝ‖₁ + Σ E_r ≤
    /// m·u·‖ĝ‖_p + Σ E_r, and the norm's own rounding (scaled sums of m terms) adds at most
    /// (2m + 8)u relative: the relative part is generous, the absolute part is the sums' bound
    /// (`absolute`: their sum over the outputs, or the larger of the two walks' for one output).
    private func setErrors(_ outcome: inout OneInputOutcome, absolute: Double) {
        let u = Tolerances.unitRoundoff, m = Double(outputs)
        outcome.relative = (3 * m + 8) * u * 2
        for n in norms.indices { outcome.absolute[n] = absolute * (1 + 4 * m * u) }
    }
}

extension OneInputSweep {
    /// Calls `body(j, values)` (several outputs: the m running values) for the first
    /// `intervals` intervals, left to right; each vertex adds its neurons' v·|w|. Returns the
    /// number walked (fewer after a stop, polled every 65,536 vertices unless `poll` is false).
    func forEachInterval(_ intervals: Int, _ sums: inout [CompensatedSum], poll: Bool = true,
                         _ body: (Int, UnsafePointer<Double>) -> Void) -> Int {
        guard intervals > 0 else { return 0 }
        let m = outputs, values = UnsafeMutablePointer<Double>.allocate(capacity: m)
        defer { values.deallocate() }
        func emit(_ j: Int) {
            for r in 0..<m { values[r] = sums[r].value }
            body(j, values)
        }
        emit(0)
        let n = breakpoints.count, joined = breakpoints.joined
        var p = 0, j = 1, nextJoin = 0
        while p < n && j < intervals {
            var end = p + 1
            while nextJoin < joined.count && joined[nextJoin] == end { end += 1; nextJoin += 1 }
            for q in p..<end {
                let i = breakpoints.index(q), size = abs(weights[i])
                for r in 0..<m { sums[r].add(outputWeights[r * neurons + i] * size) }
            }
            p = end
            emit(j)
            j += 1
            if poll && j & 0xFFFF == 0 { recordProgress(j, best: 0); if checkStop() { return j } }
        }
        return j
    }
}
