/// The line where d − 1 of the arrangement's planes meet, in the network's own numbers, with
/// proven error bounds: the order of the crossings along it and the side of every plane are
/// decided from these, never from the normalised, rounded frame (`LineFrame`).
///
/// The algebra (exact). Write a plane as ã = (w, β) ∈ R^{d+1} (w·x + β = 0), let M be the
/// (d − 1) × (d + 1) matrix of the line's planes and F(x, y) = det[M; x; y], an alternating
/// bilinear form that vanishes when x or y lies in M's row space. The line's homogeneous points
/// Y = (y, 1) span M's 2-dimensional null space, on which F is a non-zero multiple of the
/// determinant, so (checking it on two planes x_s = τ, x_s = τ′):
///
///   plane ã at the point of the line with x_s = τ has the value  (τ·R − X) / D_s,
///   with X = F(ã, e_s), R = F(ã, e_h) = w·D, D_c = F(e_c, e_h) (c < d) and D_s = F(e_s, e_h),
///
/// e_h being the offset coordinate. D is the line's direction (the generalised cross product of
/// its normals). So a plane with R ≠ 0 crosses the line at x_s = τ = X/R, and along increasing
/// x_s it goes from negative to positive iff R/D_s > 0; a plane with R = 0 (exactly parallel to
/// the line) has the constant value −X/D_s. The axis s is the one with the largest |D_s|. Both
/// X and R are inner products of ã with fixed vectors u = (F(e_c, e_s))_c and v = (D, 0), whose
/// entries are ± the (d − 1) × (d − 1) minors of M: F(e_c, e_c′) = (−1)^(c + c″) det M[∖{c, c′}]
/// with c″ = c′ − [c′ > c] (Laplace along the last two rows).
///
/// The rounding (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., Lemma 3.1
/// and (3.5); γ_n = nu/(1 − nu)). Every minor is computed by expansion along its last row from
/// the minors one size smaller (`load`), so a j × j minor is a signed sum of products of j
/// entries, each carrying at most c_j = j(j + 1)/2 rounding factors (c_j = c_{j−1} + 1 product +
/// (j − 1) sums): |fl(det) − det| ≤ γ_{c_j}·per|M_S|. The permanent of the absolute values,
/// computed the same way, satisfies per ≤ p̂er/(1 − γ_{c_j}). An inner product of n terms errs by
/// at most γ_n Σ|x_i y_i|, so, with ‖w‖₁ ≤ s_k (`weightSize`),
///
///   |X̂ − X| ≤ s_k·α_u + |β|·α′_u,  α_u = max_{c<d} (γ_{d+1}|û_c| + E(u_c)),  α′_u = γ_{d+1}|û_d| + E(u_d),
///   |R̂ − R| ≤ s_k·α_v,  α_v = max_{c<d} (γ_{d+1}|v̂_c| + E(v_c))
///
/// (the offset kept apart: a box face far out has a large β but its R involves only w).
///
/// Underflow adds at most 2⁻¹⁰⁷⁴ per operation: `Tolerances.sweepUnderflowAllowance` is added
/// to every bound; overflow shows as a non-finite value and fails the line.
final class CertifiedLine {
    let d: Int
    /// Column subsets (bit masks over the d + 1 columns) of size 1…d − 1, by size, flat:
    /// level j's are `masks[levelStart[j]..<levelStart[j + 1]]`, those without the offset column
    /// first (the first `withoutOffset[j]` of them), so that each expansion runs over its own
    /// masks only and touches no array.
    private let masks: UnsafeMutablePointer<Int>, levelStart: UnsafeMutablePointer<Int>, withoutOffset: UnsafeMutablePointer<Int>
    /// Minors and permanents by column mask (pointers: no exclusivity checks in the hot loop).
    private let minor: UnsafeMutablePointer<Double>, permanent: UnsafeMutablePointer<Double>
    /// The matrix whose minors `computeMinors` takes: d − 1 rows of d + 1 entries.
    private let matrix: UnsafeMutablePointer<Double>
    /// The generic functional c of the lowest-vertex rule (`LineSweeper.functional`).
    private let functional: [Double]
    /// Per line member j: the vector g_j with det(W_L with row j replaced by c; w) = w·g_j, and
    /// the error of ŵ·ĝ_j per unit of ‖w‖₁ (`loadCoefficients`).
    let coefficientVectors: UnsafeMutablePointer<Double>, coefficientErrors: UnsafeMutablePointer<Double>
    /// Per column: the error bounds of u_c and v_c.
    private let uErrors: UnsafeMutablePointer<Double>, vErrors: UnsafeMutablePointer<Double>
    /// X_k = ã_k·u and R_k = ã_k·v for plane k (d + 1 entries each; v_d = 0).
    let u: UnsafeMutablePointer<Double>, v: UnsafeMutablePointer<Double>
    /// The error of X̂ per unit of ‖w‖₁ and of |β|, and of R̂ per unit of ‖w‖₁, inflated to
    /// cover their own rounding.
    private(set) var uError = 0.0, uOffsetError = 0.0, vError = 0.0
    /// The axis s the line is walked along (increasing x_s), and the sign of D_s.
    private(set) var axis = 0
    private(set) var orientation = 1.0
    /// ‖D̂‖₂: the unit direction of increasing x_s is orientation·D̂/‖D̂‖.
    private(set) var directionLength = 1.0

    init(dimension: Int, functional: [Double]) {
        d = dimension
        self.functional = functional
        matrix = .allocate(capacity: max(1, (d - 1) * (d + 1)))
        coefficientVectors = .allocate(capacity: max(1, (d - 1) * d))
        coefficientErrors = .allocate(capacity: max(1, d - 1))
        let columns = d + 1
        var levels = [[Int]](repeating: [], count: max(1, d))
        for mask in 1..<(1 << columns) where mask.nonzeroBitCount < d { levels[mask.nonzeroBitCount].append(mask) }
        let offsetBit = 1 << d
        let ordered = levels.map { level in level.filter { $0 & offsetBit == 0 } + level.filter { $0 & offsetBit != 0 } }
        masks = .allocate(capacity: max(1, ordered.reduce(0) { $0 + $1.count }))
        masks.initialize(from: ordered.flatMap { $0 }, count: ordered.reduce(0) { $0 + $1.count })
        (levelStart, withoutOffset) = (.allocate(capacity: ordered.count + 1), .allocate(capacity: ordered.count))
        var start = 0
        for (j, level) in ordered.enumerated() {
            levelStart[j] = start
            withoutOffset[j] = level.filter { $0 & offsetBit == 0 }.count
            start += level.count
        }
        levelStart[ordered.count] = start
        (minor, permanent) = (.allocate(capacity: 1 << columns), .allocate(capacity: 1 << columns))
        minor.initialize(repeating: 0, count: 1 << columns)
        permanent.initialize(repeating: 0, count: 1 << columns)
        minor[0] = 1; permanent[0] = 1
        (uErrors, vErrors) = (.allocate(capacity: columns), .allocate(capacity: columns))
        uErrors.initialize(repeating: 0, count: columns)
        vErrors.initialize(repeating: 0, count: columns)
        u = .allocate(capacity: columns)
        v = .allocate(capacity: columns)
        u.initialize(repeating: 0, count: columns)
        v.initialize(repeating: 0, count: columns)
    }

    deinit {
        for p in [u, v, minor, permanent, uErrors, vErrors, matrix, coefficientVectors, coefficientErrors] { p.deallocate() }
        masks.deallocate(); levelStart.deallocate(); withoutOffset.deallocate()
    }

    static func gamma(_ n: Int) -> Double {
        let nu = Double(n) * Tolerances.unitRoundoff
        return nu / (1 - nu)
    }

    /// Computes u, v and their bounds for the line of planes `line` (rows of `normals`, d each,
    /// and `offsets`, the network's own numbers). False when the line's direction is not
    /// certified (every |D_s| within its bound: its planes nearly dependent) or a value overflows.
    func load(_ line: [Int], normals: UnsafePointer<Double>, offsets: UnsafePointer<Double>) -> Bool {
        for j in 0..<(d - 1) {
            for c in 0..<d { matrix[j * (d + 1) + c] = normals[line[j] * d + c] }
            matrix[j * (d + 1) + d] = offsets[line[j]]
        }
        computeMinors(withOffsets: true)
        let full = (1 << (d + 1)) - 1, h = d
        let level = d - 1
        let g = Self.gamma(level * (level + 1) / 2), tiny = Tolerances.sweepUnderflowAllowance
        // F(e_c, e_c′) and its error bound.
        func form(_ c: Int, _ c2: Int) -> (Double, Double) {
            let mask = full & ~(1 << c) & ~(1 << c2)
            let c3 = c2 - (c2 > c ? 1 : 0)
            let sign: Double = (c + c3) % 2 == 0 ? 1 : -1
            return (sign * minor[mask], g / (1 - g) * permanent[mask] + tiny)
        }
        var best = -1.0
        for c in 0..<d {
            (v[c], vErrors[c]) = form(c, h)
            if abs(v[c]) > best { best = abs(v[c]); axis = c }
        }
        v[h] = 0
        guard best.isFinite, best > vErrors[axis] else { return false }
        orientation = v[axis] > 0 ? 1 : -1
        uErrors[axis] = 0
        for c in 0...d where c != axis { (u[c], uErrors[c]) = form(c, axis) }
        u[axis] = 0
        let inner = Self.gamma(d + 1), inflate = 1 + 16 * Tolerances.unitRoundoff
        uError = 0; vError = 0
        for c in 0..<d {
            uError = max(uError, inner * abs(u[c]) + uErrors[c])
            vError = max(vError, inner * abs(v[c]) + vErrors[c])
        }
        uError *= inflate; vError *= inflate
        uOffsetError = (inner * abs(u[d]) + uErrors[d]) * inflate
        var squares = 0.0
        for c in 0..<d { squares += (v[c] / best) * (v[c] / best) }
        directionLength = best * squares.squareRoot()
        return uError.isFinite && uOffsetError.isFinite && vError.isFinite && directionLength.isFinite
    }

    /// Every minor of rows 0..<j of `matrix` on a j-column subset (without the offset column
    /// unless `withOffsets`), and its absolute permanent, by expansion along row j − 1:
    /// (−1)^(j−1+i)·m_{j−1, c_i}·det(S ∖ c_i), terms summed in order.
    private func computeMinors(withOffsets: Bool) {
        for j in stride(from: 1, to: d, by: 1) {
            let row = matrix + (j - 1) * (d + 1)
            let first = levelStart[j], end = withOffsets ? levelStart[j + 1] : first + withoutOffset[j]
            for index in first..<end {
                let mask = masks[index]
                var value = 0.0, size = 0.0, i = 0, rest = mask
                while rest != 0 {
                    let c = rest.trailingZeroBitCount
                    rest &= rest - 1
                    let sub = mask & ~(1 << c)
                    let term = row[c] * minor[sub]
                    value += (j - 1 + i) % 2 == 0 ? term : -term
                    size += abs(row[c]) * permanent[sub]
                    i += 1
                }
                minor[mask] = value
                permanent[mask] = size
            }
        }
    }

    /// The signs of the functional's coefficients at the line's vertices (the lowest-vertex
    /// rule), by Cramer's rule on the network's rows: at the vertex of plane k, with
    /// c = Σ_j λ_j w_j + λ_k w_k, λ_k R_k = det[W_L; c] = c·D and λ_j R_k = det[W_L with row j
    /// replaced by c; w_k] = w_k·g_j, g_j the cross product of those rows (each entry ± a minor,
    /// bounded as in `load`). Returns the sign of c·D (0 when within its bound); the caller
    /// multiplies by the sign of R_k. Call after `load`.
    func loadCoefficients(_ line: [Int], normals: UnsafePointer<Double>) -> Double {
        let level = d - 1, g = Self.gamma(level * (level + 1) / 2), tiny = Tolerances.sweepUnderflowAllowance
        let inner = Self.gamma(d + 1), inflate = 1 + 16 * Tolerances.unitRoundoff
        var dot = 0.0, dotError = 0.0
        for c in 0..<d {
            dot += functional[c] * v[c]
            dotError += abs(functional[c]) * (inner * abs(v[c]) + vErrors[c])
        }
        let full = (1 << d) - 1
        for j in 0..<level {
            for r in 0..<level {
                for c in 0..<d { matrix[r * (d + 1) + c] = r == j ? functional[c] : normals[line[r] * d + c] }
                matrix[r * (d + 1) + d] = 0
            }
            computeMinors(withOffsets: false)
            var error = 0.0
            for c in 0..<d {
                let mask = full & ~(1 << c)
                let value = (level + c) % 2 == 0 ? minor[mask] : -minor[mask]
                coefficientVectors[j * d + c] = value
                error = max(error, inner * abs(value) + g / (1 - g) * permanent[mask] + tiny)
            }
            coefficientErrors[j] = error.isFinite ? error * inflate : .infinity
        }
        guard abs(dot) > dotError * inflate + tiny else { return 0 }
        return dot > 0 ? 1 : -1
    }
}
