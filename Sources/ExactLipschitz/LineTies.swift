/// Near-ties of the line sweep, decided exactly.
///
/// The sweep decides every order and side from the network's own doubles with proven error
/// bounds (`CertifiedLine`, `LineSweeper.crossings`). When a bound does not separate a decision
/// from zero — two crossings whose intervals τ̂ ± ρ overlap (d + 1 planes *nearly* concurrent),
/// a plane parallel to the line nearly containing it, a coefficient of the lowest-vertex rule
/// nearly zero — the same quantity is a determinant of those doubles, and its sign is computed
/// exactly (`ExactDeterminant`). Only an exact zero (truly concurrent planes, or the generic
/// functional truly in a face's span: a degenerate arrangement) still sends the network to the
/// LP search. These paths run only where the certified test failed, so the floating-point fast
/// path is unchanged.
///
/// The algebra (notation of `CertifiedLine`: planes ã = (w, β), M the (d − 1) × (d + 1) rows of
/// the line's planes, F(x, y) = det[M; x; y], X = F(ã, e_s), R = F(ã, e_h), D_c = F(e_c, e_h)).
/// F restricted to the 2-dimensional quotient of R^{d+1} by M's row space is c·det₂, so the
/// Plücker relation det₂(a, s)det₂(b, h) − det₂(b, s)det₂(a, h) = det₂(a, b)det₂(s, h) gives
///
///   X_k R_j − X_j R_k = F(ã_k, ã_j)·D_s,  hence  τ_k − τ_j = F(ã_k, ã_j)·D_s / (R_k R_j):
///
/// sign(τ_k − τ_j) = sign F(ã_k, ã_j) · sign D_s · sign R_k · sign R_j, one (d + 1) × (d + 1)
/// determinant; the other three signs are already certified (the line's orientation, and each
/// plane's rate, whose sign is that of R times the orientation). Likewise a plane exactly
/// parallel to the line has the side of −X/D_s with X = det[M; ã; e_s], the functional's
/// coefficient λ_k R_k = c·D = det[M; (c, 0); e_h], and λ_j R_k = det_d[W_L with row j replaced
/// by c; w_k] (`CertifiedLine.loadCoefficients`).
extension LineSweeper {
    /// Puts the sorted crossings in exact order where their intervals overlap (`orderIsCertain`
    /// failed): the crossings split into clusters at every position where all earlier intervals
    /// end below all later ones start (so the clusters' order is certain), and each cluster of
    /// more than one crossing is sorted with `crossingPrecedes`, which is the exact order (a
    /// strict total order on distinct crossings), so any comparison sort gives it. False when two
    /// crossings coincide exactly (a degenerate arrangement) or an entry is not finite.
    func resolveOrder(_ line: [Int], _ n: Int) -> Bool {
        guard n > 1 else { return true }
        // scratch[i]: the smallest interval start among crossings i..<n (bit patterns; the
        // sort's scratch is free again). The comparisons of τ̂ ± ρ are covered by ρ's own
        // allowance for them, as in `orderIsCertain`.
        scratch[n - 1] = (position[plane(n - 1)] - radius[plane(n - 1)]).bitPattern
        for i in stride(from: n - 2, through: 0, by: -1) {
            let k = plane(i)
            scratch[i] = min(position[k] - radius[k], Double(bitPattern: scratch[i + 1])).bitPattern
        }
        loadLineRows(line)
        var reach = -Double.infinity, start = 0
        for i in 0...n {
            if i == n || (i > start && reach < Double(bitPattern: scratch[i])) {
                if i - start > 1 { guard sortCluster(start..<i) else { return false } }
                start = i
            }
            if i < n { let k = plane(i); reach = max(reach, position[k] + radius[k]) }
        }
        return true
    }

    private struct ExactTie: Error {}

    /// Sorts entries[range] into exact order; false on an exact tie.
    private func sortCluster(_ range: Range<Int>) -> Bool {
        var cluster = range.map { entries[$0] }
        do {
            try cluster.sort { a, b in
                guard let before = crossingPrecedes(CrossingSort.index(a), CrossingSort.index(b)) else { throw ExactTie() }
                return before
            }
        } catch { return false }
        for (offset, entry) in cluster.enumerated() { entries[range.lowerBound + offset] = entry }
        return true
    }

    /// Whether plane k crosses the current line before plane j: by their intervals when these
    /// are disjoint, else exactly; nil when the crossings coincide (or a value is not finite).
    /// Needs `loadLineRows`.
    func crossingPrecedes(_ k: Int, _ j: Int) -> Bool? {
        let tk = position[k], rk = radius[k], tj = position[j], rj = radius[j]
        if tk + rk < tj - rj { return true }
        if tj + rj < tk - rk { return false }
        exactStatistics.orders += 1
        setRow(d - 1, plane: k)
        setRow(d, plane: j)
        guard let f = exact.sign(exactRows, d + 1), f != 0 else { return nil }
        // sign(τ_k − τ_j) = sign F · sign D_s · sign R_k · sign R_j, and sign R = sign(rate)·orientation.
        let s = Double(f) * certified.orientation * (rate[k] > 0 ? 1 : -1) * (rate[j] > 0 ? 1 : -1)
        return s < 0
    }

    /// The side (±1) of plane k, exactly parallel to the line, where its certified value −X/D_s
    /// was too close to zero: the exact sign of X = det[M; ã_k; e_s]; nil when X = 0 (the plane
    /// contains the line: d planes through it, degenerate).
    @inline(never)
    func exactParallelSide(_ line: [Int], plane k: Int) -> Bool? {
        exactStatistics.sides += 1
        loadLineRows(line)
        setRow(d - 1, plane: k)
        setUnitRow(d, column: certified.axis)
        guard let x = exact.sign(exactRows, d + 1), x != 0 else { return nil }
        return (x > 0) != (certified.orientation > 0)
    }

    /// Whether R = det[M; ã_k; e_h] is exactly zero (plane k parallel to the line).
    @inline(never)
    func exactRateIsZero(_ line: [Int], plane k: Int) -> Bool {
        loadLineRows(line)
        setRow(d - 1, plane: k)
        setUnitRow(d, column: d)
        return exact.sign(exactRows, d + 1) == 0
    }

    /// The sign of c·D = det[M; (c, 0); e_h] exactly (0: c lies in the span of the line's
    /// normals — degenerate for the lowest-vertex rule, as before).
    @inline(never)
    func exactFunctionalSign(_ line: [Int]) -> Double {
        exactStatistics.coefficients += 1
        loadLineRows(line)
        let w = d + 1
        for c in 0..<d { exactRows[(d - 1) * w + c] = functional[c] }
        exactRows[(d - 1) * w + d] = 0
        setUnitRow(d, column: d)
        return Double(exact.sign(exactRows, w) ?? 0)
    }

    /// The sign of w_k·g_j = det_d[W_L with row j replaced by c; w_k] exactly, for the line in
    /// `members` (0: degenerate).
    @inline(never)
    func exactCoefficientSign(member j: Int, plane k: Int) -> Double {
        exactStatistics.coefficients += 1
        for r in 0..<(d - 1) {
            for c in 0..<d { exactRows[r * d + c] = r == j ? functional[c] : rawA[members[r] * d + c] }
        }
        for c in 0..<d { exactRows[(d - 1) * d + c] = rawA[k * d + c] }
        return Double(exact.sign(exactRows, d) ?? 0)
    }

    /// Rows 0..<d − 1 of the exact (d + 1)-wide matrix: the line's planes (w, β), the network's
    /// own numbers.
    func loadLineRows(_ line: [Int]) {
        for (r, p) in line.enumerated() { setRow(r, plane: p) }
    }

    @inline(__always)
    private func setRow(_ r: Int, plane p: Int) {
        let w = d + 1
        for c in 0..<d { exactRows[r * w + c] = rawA[p * d + c] }
        exactRows[r * w + d] = rawB[p]
    }

    private func setUnitRow(_ r: Int, column: Int) {
        let w = d + 1
        for c in 0...d { exactRows[r * w + c] = c == column ? 1 : 0 }
    }
}

/// How often a worker fell back to exact arithmetic (tests and diagnostics).
struct ExactTieStatistics {
    var orders = 0, sides = 0, coefficients = 0
}
