import Foundation
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
struct CompensatedSum {
    var hi = 0.0, lo = 0.0, bound = 0.0, size = 0.0

    @inline(__always)
    mutating func add(_ p: Double) {
        let s = hi + p, bp = s - hi
        lo += (hi - (s - bp)) + (p - bp)
        hi = s
        bound += abs(lo)
        size += abs(p)
    }

    @inline(__always) var value: Double { hi + lo }

    /// A bound on |value − S| − u|value| after `terms` additions, S the exact sum of the exact products.
    func error(terms: Int) -> Double {
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

    /// Records interval j's score for norm n (the first of equal scores stays).
    @inline(__always)
    mutating func offer(_ score: Double, interval j: Int, norm n: Int) {
        if score > best[n] {
            second[n] = best[n]; best[n] = score; interval[n] = j
        } else if score > second[n] {
            second[n] = score
        }
    }
}

extension OneInputSweep {
    /// The starting gradient: every neuron with w < 0 is active left of all breakpoints, and
    /// the breakpoints left of the box are crossed (each adds v·|w|). One accumulator per output.
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

    /// Walks the intervals in order (at most `limit`), scoring each for every norm.
    func walk(limit: Int?) -> OneInputOutcome {
        var outcome = OneInputOutcome(norms: norms.count)
        let total = breakpoints.vertices + 1
        let intervals = min(total, limit ?? total)
        outcome.limited = intervals < total
        let sums: [CompensatedSum]
        if outputs == 1 {
            var scalar = CompensatedSum()
            // Two independent O(N) passes: on two threads when there are two.
            DispatchQueue.concurrentPerform(iterations: threads > 1 ? 2 : 1) { part in
                if part == 0 && threads > 1 { gatherSteps() } else { scalar = startingSums()[0]; if threads == 1 { gatherSteps() } }
            }
            // |g| is every ℓp norm of a 1 × 1 Jacobian: one score serves every norm.
            outcome.regions = forEachInterval(intervals, &scalar) { j, value in outcome.offer(abs(value), interval: j, norm: 0) }
            for n in 1..<max(1, norms.count) {
                (outcome.best[n], outcome.second[n], outcome.interval[n]) = (outcome.best[0], outcome.second[0], outcome.interval[0])
            }
            sums = [scalar]
        } else {
            var vector = startingSums()
            let scores = UnsafeMutablePointer<Double>.allocate(capacity: outputs)
            defer { scores.deallocate() }
            outcome.regions = forEachInterval(intervals, &vector) { j, values in
                for (n, norm) in norms.enumerated() { outcome.offer(vectorNorm(UnsafeBufferPointer(start: values, count: outputs), p: norm), interval: j, norm: n) }
            }
            sums = vector
        }
        outcome.complete = outcome.regions == total && !stopped
        setErrors(&outcome, sums: sums, terms: neurons + crossed.count)
        return outcome
    }

    /// Scores are norms of the computed gradient ĝ: |‖ĝ‖ − ‖g‖| ≤ ‖ĝ − g‖₁ ≤ u‖ĝ‖₁ + Σ E_r ≤
    /// m·u·‖ĝ‖_p + Σ E_r, and the norm's own rounding (scaled sums of m terms) adds at most
    /// (2m + 8)u relative: the relative part is generous, the absolute part is the sums' bound.
    private func setErrors(_ outcome: inout OneInputOutcome, sums: [CompensatedSum], terms: Int) {
        let u = Tolerances.unitRoundoff, m = Double(outputs)
        outcome.relative = (3 * m + 8) * u * 2
        let absolute = sums.reduce(0) { $0 + $1.error(terms: terms) } * (1 + 4 * m * u)
        for n in norms.indices { outcome.absolute[n] = absolute }
    }
}

extension OneInputSweep {
    /// Calls `body(j, value)` for the first `intervals` intervals, left to right, with the
    /// running gradient `sum` (one output); each vertex adds its neurons' v·|w| (`steps`, in
    /// sorted order). Returns the number of intervals walked (fewer after a stop, polled every
    /// 65,536 vertices).
    @inline(__always)
    func forEachInterval(_ intervals: Int, _ sum: inout CompensatedSum, _ body: (Int, Double) -> Void) -> Int {
        guard intervals > 0 else { return 0 }
        body(0, sum.value)
        let n = breakpoints.count, steps = self.steps
        return breakpoints.joined.withUnsafeBufferPointer { joined in
            var p = 0, j = 1, nextJoin = 0
            while p < n && j < intervals {
                var end = p + 1
                while nextJoin < joined.count && joined[nextJoin] == end { end += 1; nextJoin += 1 }
                for q in p..<end { sum.add(steps[q]) }
                p = end
                body(j, sum.value)
                j += 1
                if j & 0xFFFF == 0 { recordProgress(j, best: 0); if checkStop() { return j } }
            }
            return j
        }
    }

    /// Fills `steps` (one output): v·|w| of each sorted breakpoint's neuron.
    func gatherSteps() {
        let n = breakpoints.count, steps = self.steps, entries = breakpoints.entries
        let mask: UInt64 = (1 << UInt64(breakpoints.indexBits)) - 1
        weights.withUnsafeBufferPointer { w in
            outputWeights.withUnsafeBufferPointer { v in
                for p in 0..<n {
                    let i = Int(truncatingIfNeeded: entries[p] & mask)
                    steps[p] = v[i] * abs(w[i])
                }
            }
        }
    }

    /// The same for several outputs: `body(j, values)` with the m running values.
    func forEachInterval(_ intervals: Int, _ sums: inout [CompensatedSum], _ body: (Int, UnsafePointer<Double>) -> Void) -> Int {
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
            if j & 0xFFFF == 0 { recordProgress(j, best: 0); if checkStop() { return j } }
        }
        return j
    }
}
