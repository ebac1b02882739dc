/// A certified upper bound on the largest eigenvalue of a symmetric positive semidefinite d × d
/// matrix G, with no iteration: λ_max ≤ ‖G⁴‖_F^{1/4}.
///
/// Why: the eigenvalues λ_i of G are ≥ 0, so λ_max⁸ ≤ Σ λ_i⁸ = tr(G⁸) = ‖G⁴‖_F², hence
/// λ_max ≤ ‖G⁴‖_F^{1/4} ≤ d^{1/8}·λ_max (at most 1.35 λ_max for d = 11, equal for rank one).
/// It costs two d × d products (2d³ multiply-adds, 2,662 for d = 11) and no LAPACK call; the
/// relaxation uses it once per top-level backward bound (`Relaxation.zonotopeBound`).
///
/// Scale: G is divided by its trace t first (H = G/t has eigenvalues in [0, 1] summing to 1, so
/// λ = λ_max(H) ≥ 1/d and ‖H⁴‖_F ≥ λ⁴ ≥ d⁻⁴: nothing underflows to a false 0, nothing
/// overflows), and λ_max(G) = t·λ_max(H).
///
/// Rounding (u = 2⁻⁵³, γ_d = du/(1 − du)): a row of a positive semidefinite matrix has ℓ2 norm
/// at most its largest eigenvalue, so each entry of the computed H² is off by at most
/// γ_d Σ_k |H_ik||H_kj| ≤ γ_d‖H_i‖‖H_j‖ ≤ γ_d λ², and ‖ΔH²‖_F ≤ dγ_d λ²; the same for the second
/// product, with the first one's error carried through, gives ‖ΔH⁴‖_F ≤ 3dγ_d λ⁴ ≤ 3dγ_d‖H⁴‖_F.
/// So ‖H⁴‖_F is found to within a relative 3d²u + O(u) (3.4e-13 for d = 32), its fourth root to
/// a quarter of that; forming G and H adds O(du). The result is raised by a relative `margin` of
/// 1e-12, above all of it (d ≤ `largestDimension`). A trace that is 0 gives 0 (G = 0 then); a
/// trace that is not finite or positive, or d above the limit, gives +∞ (no bound).
enum GramEigenvalueBound {
    /// Larger matrices are not bounded this way (the callers fall back to other bounds).
    static let largestDimension = 32
    static let margin = 1e-12

    /// `g`: d × d row-major, symmetric positive semidefinite up to rounding; `scratch`: 2d² doubles.
    /// `g` is overwritten.
    static func largestEigenvalue(_ g: UnsafeMutablePointer<Double>, d: Int, scratch: UnsafeMutablePointer<Double>) -> Double {
        var trace = 0.0
        for i in 0..<d { trace += g[i * d + i] }
        if trace == 0 { return 0 }
        guard trace > 0, trace.isFinite, d <= largestDimension else { return .infinity }
        for t in 0..<(d * d) { g[t] /= trace }
        let square = scratch, fourth = scratch + d * d
        multiply(g, g, into: square, d: d)
        multiply(square, square, into: fourth, d: d)
        var sum = 0.0
        for t in 0..<(d * d) { sum += fourth[t] * fourth[t] }
        guard sum.isFinite else { return .infinity }
        return trace * sum.squareRoot().squareRoot().squareRoot() * (1 + margin)
    }

    /// c = a·b for d × d row-major matrices.
    private static func multiply(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, into c: UnsafeMutablePointer<Double>, d: Int) {
        for i in 0..<d {
            for j in 0..<d { c[i * d + j] = 0 }
            for k in 0..<d {
                let x = a[i * d + k]
                if x == 0 { continue }
                for j in 0..<d { c[i * d + j] += x * b[k * d + j] }
            }
        }
    }
}
