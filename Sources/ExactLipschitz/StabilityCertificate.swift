/// A proof, checked in floating point with bounded rounding, that an affine function of y is
/// negative on every point of a region: the certificate behind `RegionEnumerator.stabilise`'s
/// "neuron stable" verdicts when a box around the region is known.
///
/// The region lies in a box |y_j| ≤ reach_j and satisfies every row g_i(y) = a_i·y + β_i ≥ −δ_i,
/// where a_i·y + β_i is the floating-point row the LP sees and δ_i bounds its distance from the
/// exact (scaled) pre-activation over the box (`Row.slack`). For any multipliers μ_i ≥ 0 — here
/// GLPK's row duals of max c·y over the rows, but the argument does not depend on where they come
/// from or how accurate they are — put ρ = c + Σ μ_i a_i. Then on the region
///
///     c·y = ρ·y − Σ μ_i (a_i·y + β_i) + Σ μ_i β_i ≤ Σ_j |ρ_j|·reach_j + Σ μ_i (β_i + δ_i),
///
/// so f(y) = c·y + c₀ (within `constantError` of the exact function, over the box) is at most
/// U = c₀ + constantError + Σ μ_i (β_i + δ_i) + Σ_j |ρ_j|·reach_j. `bound` evaluates U rounded
/// up: every sum of k terms computed in doubles is off by at most γ_k·(sum of magnitudes), with
/// γ_k = k·u/(1 − k·u) (Higham §3.1); no quantity here takes more than 3n + 2d + 8 operations
/// (n rows, d coordinates), and γ is taken as twice that times u; underflow adds at most one least
/// normal number per operation. U < 0 proves f < 0 on the region: the far side is empty. A wrong
/// or inaccurate μ only makes U large (the verdict then falls back to the LP test), never wrong.
struct StabilityCertificate {
    struct Row {
        let normal: [Double]
        let offset: Double
        /// Bound on |a_i·y + β_i − exact row| over the box.
        let slack: Double
    }

    let rows: [Row]
    /// Per coordinate, a bound on |y_j| over the region (finite).
    let reach: [Double]
    /// ‖reach‖₂: a bound on ‖y‖₂ over the region.
    private let radius: Double

    /// The rows a_i·y + β_i with relative errors e_i in the sense of `RegionEnumerator.plane`
    /// (normal within e_i, offset within e_i·(1 + |β_i|) of the exact unit row): over the box the
    /// distance is at most e_i·(‖reach‖₂ + 1 + |β_i|), doubled for the rounding of the
    /// normalisation.
    init(rows: [(normal: [Double], offset: Double, relativeError: Double)], reach: [Double]) {
        self.reach = reach
        let radius = reach.reduce(0) { $0 + $1 * $1 }.squareRoot()
        self.radius = radius
        self.rows = rows.map { row in
            Row(normal: row.normal, offset: row.offset, slack: Self.slack(relativeError: row.relativeError, offset: row.offset, radius: radius))
        }
    }

    /// The largest reach: the scale of y on the region, for decision bands.
    var scale: Double { 1 + reach.reduce(0) { max($0, $1) } }

    /// `init`'s bound on a row's distance from the exact one over the box.
    func slack(relativeError: Double, offset: Double) -> Double {
        Self.slack(relativeError: relativeError, offset: offset, radius: radius)
    }

    private static func slack(relativeError: Double, offset: Double, radius: Double) -> Double {
        relativeError == 0 ? 0 : 2 * relativeError * (radius + 1 + abs(offset)) * (1 + 1e-12) + Double.leastNormalMagnitude
    }

    /// A certified upper bound on c·y + c₀ over the region, from the LP's row duals (maximisation:
    /// μ_i = max(0, −dual_i), GLPK's sign for a row at its lower bound); +∞ when a number is not
    /// finite or the duals are not one per row.
    func bound(objective c: [Double], constant c0: Double, constantError: Double, duals: [Double]) -> Double {
        // Multipliers that do not match the rows prove nothing: no bound (the LP test decides).
        guard duals.count == rows.count && c.count == reach.count else { return .infinity }
        var rho = c, rhoMagnitude = c.map(abs)
        var constant = c0 + constantError, constantMagnitude = abs(c0) + constantError
        for (i, row) in rows.enumerated() {
            let mu = max(0, -duals[i])
            guard mu > 0 else { continue }
            guard mu.isFinite else { return .infinity }
            for j in 0..<c.count {
                rho[j] += mu * row.normal[j]
                rhoMagnitude[j] += mu * abs(row.normal[j])
            }
            constant += mu * (row.offset + row.slack)
            constantMagnitude += mu * (abs(row.offset) + row.slack)
        }
        let gamma = 2 * Double(3 * rows.count + 2 * c.count + 8) * Tolerances.unitRoundoff
        var residual = 0.0
        for j in 0..<c.count { residual += (abs(rho[j]) + gamma * rhoMagnitude[j]) * reach[j] }
        let operations = Double(4 * (rows.count + 1) * (c.count + 1))
        let upper = constant + residual + gamma * (constantMagnitude + residual) + operations * Double.leastNormalMagnitude
        return upper.isFinite ? upper : .infinity
    }

    /// Whether `point` (inside the reach) satisfies every exact row: each floating-point row value
    /// exceeds its slack plus the rounding of its evaluation (γ of d + 2 terms, doubled).
    func holds(at point: [Double]) -> Bool {
        let gamma = 2 * Double(point.count + 4) * Tolerances.unitRoundoff
        for row in rows {
            var value = row.offset, magnitude = abs(row.offset)
            for j in 0..<point.count {
                value += row.normal[j] * point[j]
                magnitude += abs(row.normal[j] * point[j])
            }
            let error = gamma * magnitude + Double(2 * point.count + 4) * Double.leastNormalMagnitude
            guard value - error > row.slack, value.isFinite else { return false }
        }
        return true
    }
}
