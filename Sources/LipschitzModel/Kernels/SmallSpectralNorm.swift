/// σ_max(J) for a Jacobian with two or three rows or columns (networks with two or three
/// outputs, or inputs): the largest eigenvalue of the k × k Gram matrix G (J Jᵀ or JᵀJ, k the
/// shorter side), found by cyclic Jacobi rotations. `dgesvd` costs about 14,000 instructions on
/// a 3 × 4 matrix, most of it set-up; this costs a few hundred, and the searches take such norms
/// by the thousand (a tenth of a whole `exact` run on the iris network).
///
/// Accuracy (u = 2⁻⁵³, ℓ the longer side, at most `longestSide`):
/// - Forming G rounds each entry by at most γ_ℓ·Σ_c|a_ic||a_jc| ≤ γ_ℓ·‖a_i‖‖a_j‖ ≤ γ_ℓ·σ_max²
///   (Cauchy–Schwarz; γ_ℓ = ℓu/(1 − ℓu)), so ‖ΔG‖₂ ≤ ‖ΔG‖_F ≤ k·γ_ℓ·σ_max², and λ_max moves by
///   at most that much (Weyl).
/// - Each rotation is backward stable: it changes G by O(u)·‖G‖₂ (Golub & Van Loan §8.5.2);
///   the loop makes at most k(k−1)/2 per sweep and stops after `maximumSweeps`.
/// - It stops when the off-diagonal sum is at most 2⁻⁶⁰·trace G ≤ 3·2⁻⁶⁰·λ_max: then the
///   largest diagonal entry is within √2 times that of λ_max (Weyl again: the off-diagonal
///   part's ℓ2 norm is at most its Frobenius norm, √2 times the sum).
/// All told λ_max is found to within about (3·256 + 100)·u ≈ 1e-13 relative, σ_max to half of
/// that: the same order as `dgesvd`'s own error, and four orders below 1e-9.
///
/// Squares must neither overflow nor lose the matrix to underflow: entries of magnitude
/// 1e-140...1e150 only (an entry whose square underflows next to such a largest one moves G by
/// less than 2⁻¹⁰²² ≪ u·σ_max²). Anything else, a NaN, a longer side or no convergence returns
/// nil, and the caller asks `dgesvd`.
enum SmallSpectralNorm {
    static let longestSide = 256
    static let maximumSweeps = 30

    static func value(_ j: Matrix) -> Double? {
        let k = min(j.rows, j.columns), long = max(j.rows, j.columns)
        guard k == 2 || k == 3, long <= longestSide else { return nil }
        let largest = j.storage.withUnsafeBufferPointer { largestMagnitude($0) }
        guard largest > 1e-140, largest < 1e150, !j.storage.contains(where: \.isNaN) else { return nil }
        var g = gram(j, k: k)
        guard diagonalise(&g, k: k) else { return nil }
        let lambda = (0..<k).map { g[$0 * k + $0] }.max()!
        return max(0, lambda).squareRoot()
    }

    /// G = J Jᵀ when J has k rows, JᵀJ when it has k columns (row-major k × k).
    private static func gram(_ j: Matrix, k: Int) -> [Double] {
        var g = [Double](repeating: 0, count: k * k)
        let byRows = j.rows == k, long = byRows ? j.columns : j.rows
        j.storage.withUnsafeBufferPointer { a in
            // Entry t of vector i: row i of J, or column i.
            func entry(_ i: Int, _ t: Int) -> Double { byRows ? a[i * j.columns + t] : a[t * j.columns + i] }
            for p in 0..<k {
                for q in p..<k {
                    var s = 0.0
                    for t in 0..<long { s += entry(p, t) * entry(q, t) }
                    g[p * k + q] = s
                    g[q * k + p] = s
                }
            }
        }
        return g
    }

    /// Cyclic Jacobi on the symmetric k × k matrix `g` until its off-diagonal sum is negligible
    /// (above); false if it is not after `maximumSweeps` sweeps.
    private static func diagonalise(_ g: inout [Double], k: Int) -> Bool {
        for _ in 0..<maximumSweeps {
            var off = 0.0, trace = 0.0
            for p in 0..<k {
                trace += abs(g[p * k + p])
                for q in (p + 1)..<k { off += abs(g[p * k + q]) }
            }
            if off <= 0x1p-60 * trace { return true }
            for p in 0..<(k - 1) {
                for q in (p + 1)..<k where g[p * k + q] != 0 { rotate(&g, k: k, p: p, q: q) }
            }
        }
        return false
    }

    /// One Jacobi rotation zeroing g[p][q] (Numerical Recipes §11.1, Golub & Van Loan's
    /// `sym.schur2`): t = tan of the angle, the smaller root of t² + 2τt − 1 = 0.
    private static func rotate(_ g: inout [Double], k: Int, p: Int, q: Int) {
        let gpq = g[p * k + q]
        let tau = (g[q * k + q] - g[p * k + p]) / (2 * gpq)
        // For |τ| beyond 1e150, τ² would overflow; t = 1/(2τ) to within u there.
        let t = abs(tau) > 1e150 ? 1 / (2 * tau) : (tau >= 0 ? 1 : -1) / (abs(tau) + (1 + tau * tau).squareRoot())
        let c = 1 / (1 + t * t).squareRoot(), s = t * c
        g[p * k + p] -= t * gpq
        g[q * k + q] += t * gpq
        g[p * k + q] = 0
        g[q * k + p] = 0
        for r in 0..<k where r != p && r != q {
            let grp = g[r * k + p], grq = g[r * k + q]
            g[r * k + p] = c * grp - s * grq
            g[p * k + r] = g[r * k + p]
            g[r * k + q] = s * grp + c * grq
            g[q * k + r] = g[r * k + q]
        }
    }
}
