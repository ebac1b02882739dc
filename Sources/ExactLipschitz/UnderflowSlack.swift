import Foundation
import LipschitzModel

/// What gradual underflow can take off a floating-point bound on ‖J‖ built from products of
/// weights (interval products, completions, the pruning bound's relaxation; `RegionEnumerator`'s
/// `boundRounding` covers their relative rounding, this their absolute underflow).
///
/// The argument. A product or sum whose exact value lies below 2⁻¹⁰²² is rounded to a multiple
/// of 2⁻¹⁰⁷⁴, so each multiply-add of a dot product of n_k terms at layer k loses at most
/// 2⁻¹⁰⁷⁴ absolutely (n_k + 2 of them per entry, with the bias). Computed from the input side,
/// such a loss is then multiplied by the later layers' weights (at most the norm of
/// |W_L|⋯|W_{k+1}|, and indicators in [0, 1] only shrink it); from the output side by the
/// earlier ones (|W_{k−1}|⋯|W_0|). Both are bounded by products of max(‖|W_j|‖₁, ‖|W_j|‖_∞),
/// which bounds every ℓp operator norm of |W_j| (Riesz–Thorin), and an operator norm of an
/// m × d error matrix is at most m·d times its largest entry. Summed over the layers, with every
/// factor at least 1 and the constant rounded up generously (its value is ~1e-300 for ordinary
/// networks, far below any bound it is added to), this bounds the total loss.
///
/// Without it, Φ(x) = 1e300·relu(1e-200·relu(1e-200·x + 1)) (constant 1e-100) had every product
/// |W₁||W₀| = 1e-400 round to 0: its only non-zero region was pruned against the value 0 of the
/// other one, and 0 was reported as exact.
enum UnderflowSlack {
    static func bound(_ network: ReLUNetwork) -> Double {
        let layers = network.layers
        // log2 of an upper bound on each layer's ℓp operator norm of |W| (any p ≥ 1).
        let logNorms = layers.map { layer -> Double in
            var rows = Array(repeating: 0.0, count: layer.weights.rows), columns = Array(repeating: 0.0, count: layer.weights.columns)
            for r in 0..<layer.weights.rows {
                for c in 0..<layer.weights.columns {
                    let a = abs(layer.weights[r, c])
                    rows[r] += a
                    columns[c] += a
                }
            }
            let norm = max(rows.max() ?? 0, columns.max() ?? 0) * (1 + 1e-10)
            return norm > 0 ? max(0, log2(norm)) : 0
        }
        let total = logNorms.reduce(0, +)
        let size = Double(network.inputDimension + network.outputDimension + network.hiddenNeuronCount + 2)
        var slack = 0.0
        for (k, layer) in layers.enumerated() {
            // Loss per entry at layer k, times both sides' amplification (each factor ≥ 1).
            let exponent = -1074 + log2(Double(layer.inputDimension + 2)) + total - logNorms[k] + 2 * log2(size) + 1
            slack += exponent >= 1023 ? .infinity : pow(2, exponent)
        }
        return slack
    }
}
