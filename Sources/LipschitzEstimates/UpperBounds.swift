import FoundationEssentials
import Glibc
import LipschitzModel

/// Sound upper bounds: the product of layer norms, and interval Jacobians.
enum UpperBounds {
    /// ∏_k ‖W_k‖_{p→p}. ReLU is 1-Lipschitz in every ℓp (it acts coordinate-wise and
    /// |ReLU(a) − ReLU(b)| ≤ |a − b|), so Lip_p(Φ) ≤ ∏ Lip_p(layer k) = ∏ ‖W_k‖_{p→p}.
    ///
    /// For p ∉ {1, 2, ∞} (scalar output only) the last layer is a row w and ‖w‖_{p→p} = ‖w‖_q
    /// exactly; every other layer is bounded by `interpolatedNorm`.
    static func layerProduct(_ network: ReLUNetwork, p: LipschitzNorm) throws -> Double {
        var product = 1.0
        for (k, layer) in network.layers.enumerated() {
            let w = layer.weights
            let factor: Double
            switch p {
            case .two: factor = try SpectralNorm.upperBound(w)
            case .one, .infinity: factor = try operatorNorm(w, p: p)
            case .p(let e):
                if k == network.layers.count - 1 && w.rows == 1 {
                    factor = vectorNorm(w.storage, p: p.dual)
                } else {
                    factor = try interpolatedNorm(w, exponent: e)
                }
            }
            product *= factor
            if product == 0 { return 0 }
        }
        return product
    }

    /// A sound bound on ‖W‖_{p→p} for 1 < p < ∞ by the Riesz–Thorin interpolation theorem:
    /// ‖W‖_p ≤ ‖W‖_{p0}^{1−θ} ‖W‖_{p1}^θ when 1/p = (1−θ)/p0 + θ/p1. (Riesz–Thorin is a
    /// theorem about complex spaces; for a real matrix the real ℓp norm is at most the complex
    /// one, and for p0, p1 ∈ {1, 2, ∞} the two coincide, so the bound holds as stated.)
    /// The minimum of three interpolations: between 1 and ∞ (θ = 1 − 1/p), and between 2 and
    /// the endpoint on p's side (θ = 2 − 2/p between 1 and 2; θ = 1 − 2/p between 2 and ∞).
    static func interpolatedNorm(_ w: Matrix, exponent p: Double) throws -> Double {
        let n1 = try operatorNorm(w, p: .one)
        let nInf = try operatorNorm(w, p: .infinity)
        let n2 = try SpectralNorm.upperBound(w)
        var best = pow(n1, 1 / p) * pow(nInf, 1 - 1 / p)
        if p <= 2 {
            best = min(best, pow(n1, 2 / p - 1) * pow(n2, 2 - 2 / p))
        } else {
            best = min(best, pow(n2, 2 / p) * pow(nInf, 1 - 2 / p))
        }
        return best
    }

    /// Relative widening of each propagated interval (see `intervalStates`).
    static let roundingMargin = EstimateTolerances.intervalRounding

    /// Interval bound propagation of pre-activations over the box (over all of R^d when nil):
    /// a neuron is `.active` when its pre-activation is > 0 on the whole domain, `.inactive`
    /// when it is ≤ 0 there (its output is then identically 0), `.unknown` otherwise.
    ///
    /// Globally, bounds are infinite except for neurons fed only by constant quantities; a
    /// deeper neuron whose weights from [0, ∞) inputs are all ≤ 0 and whose bias is ≤ 0 is
    /// still found inactive. Zero weights are skipped, so 0·∞ never arises; lower sums only
    /// meet finite values and −∞, upper sums finite values and +∞, so ∞ − ∞ never arises.
    static func intervalStates(_ network: ReLUNetwork, box: InputBox?) -> [[NeuronState]] {
        let d = network.inputDimension
        var lo = box?.lower ?? Array(repeating: -Double.infinity, count: d)
        var hi = box?.upper ?? Array(repeating: Double.infinity, count: d)
        var states: [[NeuronState]] = []
        for layer in network.layers.dropLast() {
            let w = layer.weights
            var zLo = layer.biases, zHi = layer.biases
            // Σ|finite terms| of each sum: its rounding error is far below `roundingMargin`
            // times this (an infinite sum needs no margin).
            var magnitudeLo = layer.biases.map(abs), magnitudeHi = magnitudeLo
            for i in 0..<w.rows {
                for j in 0..<w.columns {
                    let a = w[i, j]
                    if a == 0 { continue }
                    let toLo = a > 0 ? a * lo[j] : a * hi[j]
                    let toHi = a > 0 ? a * hi[j] : a * lo[j]
                    zLo[i] += toLo
                    zHi[i] += toHi
                    if toLo.isFinite { magnitudeLo[i] += abs(toLo) }
                    if toHi.isFinite { magnitudeHi[i] += abs(toHi) }
                }
            }
            // Decided only with a margin, so that rounding cannot fix a neuron whose exact
            // bound is on the other side of 0 (widening an interval is always sound).
            for i in 0..<w.rows {
                zLo[i] -= roundingMargin * magnitudeLo[i]
                zHi[i] += roundingMargin * magnitudeHi[i]
            }
            states.append((0..<w.rows).map { i in
                zLo[i] > 0 ? .active : (zHi[i] <= 0 ? .inactive : .unknown)
            })
            lo = zLo.map { max(0, $0) }
            hi = zHi.map { max(0, $0) }
        }
        return states
    }

    /// max ‖J‖ over every Jacobian whose diagonals agree with `intervalStates`, bounded
    /// through the entrywise magnitude M of interval bounds on J (sound: each admissible J has
    /// |J| ≤ M entrywise, and these operator norms are monotone in absolute entries).
    ///
    /// Interval products depend on the order of multiplication, so two enclosures are formed
    /// and intersected entrywise (J lies in both): `IntervalJacobian` (from the input side,
    /// cost Σ N_k N_{k−1} d, used when that is at most `forwardWorkLimit`) and
    /// `backwardIntervalJacobian` (from the output side, cost m · weights, always).
    static func intervalJacobian(_ network: ReLUNetwork, p: LipschitzNorm, box: InputBox?) throws -> (value: Double, fixed: Int) {
        let states = intervalStates(network, box: box)
        let fixed = states.reduce(0) { $0 + $1.filter { $0 != .unknown }.count }
        var (lo, hi) = backwardIntervalJacobian(network, states: states)
        let d = Double(network.inputDimension)
        let forwardWork = network.layers.dropFirst().reduce(0.0) { $0 + Double($1.weights.rows * $1.weights.columns) * d }
        if forwardWork <= forwardWorkLimit {
            let forward = IntervalJacobian(network: network, states: states)
            for t in lo.indices {
                lo[t] = max(lo[t], forward.lower.storage[t])
                hi[t] = min(hi[t], forward.upper.storage[t])
            }
        }
        let magnitude = Matrix(rows: network.outputDimension, columns: network.inputDimension,
                               storage: zip(lo, hi).map { max(abs($0), abs($1)) })
        return (try operatorNorm(magnitude, p: p), fixed)
    }

    /// Multiply-adds above which the input-side interval product is skipped (≈ 0.5 s).
    static let forwardWorkLimit = 5e7

    /// Entrywise bounds on J = W_L D_{L−1} ⋯ D_0 W_0 multiplied from the output side: an
    /// m × N_k interval matrix [lo, hi] times D_k (unknown neurons widen each entry to include
    /// 0) times the point matrix W_k, whose exact range is taken entry by entry. Row-major m × d.
    static func backwardIntervalJacobian(_ network: ReLUNetwork, states: [[NeuronState]]) -> (lower: [Double], upper: [Double]) {
        JacobianBound.backwardInterval(network.layers.map(\.weights), states: states)
    }
}
