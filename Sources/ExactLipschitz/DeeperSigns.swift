import FoundationEssentials
import LipschitzModel

/// Certified signs of the neurons of layer k and deeper on a node's region, from a certified
/// box around that region and interval arithmetic with outward margins (`RegionEnumerator`'s
/// `stabiliseDeeper`).
///
/// Setting: the search works in y-space, where layer k's pre-activations are the affine map
/// `z = A·y + c` of the current path (`preMatrix[k]`, `preOffset[k]`), known up to the rounding
/// bounds `rowError` (Euclidean, per row) and `offsetError`; deeper layers' pre-activations are
/// `W_{j} relu(z_{j−1}) + b_j / unit` (a positive multiple of the network's own, so signs agree).
/// Given a box B ⊇ region (certified by the caller), every exact pre-activation over the region
/// lies in the intervals computed here:
/// - Layer k: the computed row's range over B, widened by |A − Â|·|y| ≤ rowError·max‖y‖₂ + offsetError
///   (Cauchy–Schwarz) and by the rounding of the range itself (below).
/// - A neuron whose sign is known on the region (`states`: decided on the path or certified
///   earlier) has its interval clipped to that side; an active neuron passes z, an inactive one 0,
///   an unknown one relu([l, u]) = [max(l, 0), max(u, 0)].
/// - Each interval dot product `b + Σ w·[l, u]` is computed in round-to-nearest and widened by
///   2·γ·(|b| + Σ|w|·max(|l|, |u|)) + n·2⁻¹⁰²² with γ = 2(n + 2)u: every product and partial
///   sum errs by at most u relative (Higham §3.1: |fl(Σ) − Σ| ≤ γ_n Σ|terms|, doubled here), and
///   subnormal underflow by at most 2⁻¹⁰⁷⁴ per operation. Infinite ends stay infinite (only
///   non-zero weights are used, so no 0·∞).
/// A neuron is certified active when its lower end is > 0 and inactive when its upper end is < 0:
/// then its other side holds no point of the region.
struct DeeperSigns {
    let network: ReLUNetwork
    /// 1 / `ScaledDomain.unit`: the y-space scale of the biases.
    let biasScale: Double

    /// Per hidden layer from `layer` on, per neuron: true (active), false (inactive) or nil.
    /// `known[j][i]` is the sign already known on the region (clipping), `box` a certified box
    /// around it (ends may be infinite).
    func signs(layer: Int, matrix: Matrix, offset: [Double], rowError: [Double], offsetError: [Double],
               box: (lower: [Double], upper: [Double]), known: [[Bool?]]) -> [[Bool?]] {
        let hidden = network.hiddenWidths.count
        var result: [[Bool?]] = []
        var reach = 0.0  // max ‖y‖₂ over the box
        let extent = (0..<box.lower.count).map { max(abs(box.lower[$0]), abs(box.upper[$0])) }  // max |y_c|
        for m in extent { reach += m * m }
        reach = reach.squareRoot()
        var lo: [Double] = [], hi: [Double] = []
        for i in 0..<matrix.rows {
            var (l, u) = Self.dot(row: matrix.storage[(i * matrix.columns)..<((i + 1) * matrix.columns)], bias: offset[i],
                                  lower: box.lower, upper: box.upper)
            let drift = rowError[i] == 0 ? offsetError[i] : rowError[i] * reach + offsetError[i]
            (l, u) = (l - drift, u + drift)
            lo.append(l); hi.append(u)
        }
        var current = layer
        while true {
            let signs = (0..<lo.count).map { i -> Bool? in lo[i] > 0 ? true : (hi[i] < 0 ? false : nil) }
            result.append(signs)
            if current + 1 >= hidden { return result }
            // Post-activations, clipped by what is known.
            var postLo = lo, postHi = hi
            for i in 0..<lo.count {
                switch known[current][i] ?? signs[i] {
                case true?: postLo[i] = max(lo[i], 0); postHi[i] = max(hi[i], 0)
                case false?: postLo[i] = 0; postHi[i] = 0
                case nil: postLo[i] = max(lo[i], 0); postHi[i] = max(hi[i], 0)
                }
            }
            current += 1
            let w = network.layers[current].weights, b = network.layers[current].biases
            let affine = current == layer + 1 ? Affine(matrix: matrix, offset: offset, rowError: rowError, offsetError: offsetError,
                                                       box: box, extent: extent, reach: reach, lower: lo, upper: hi,
                                                       known: known[layer]) : nil
            lo = []; hi = []
            for i in 0..<w.rows {
                let row = w.storage[(i * w.columns)..<((i + 1) * w.columns)]
                var (l, u) = Self.dot(row: row, bias: b[i] * biasScale, lower: postLo, upper: postHi)
                if let affine {
                    l = max(l, affine.bound(row: row, bias: b[i] * biasScale, upper: false))
                    u = min(u, affine.bound(row: row, bias: b[i] * biasScale, upper: true))
                }
                lo.append(l); hi.append(u)
            }
        }
    }

    /// The layer after the box's: its pre-activations `Σ_j w_j relu(z_j(y)) + b` bounded through
    /// the affine map z(y) itself rather than intervals of z, which keeps what the z_j have in
    /// common (one back-substitution step, CROWN-style). For a lower bound, each term w_j relu(z_j)
    /// is replaced by a linear minorant α_j z_j + β_j valid on z_j's certified interval [l, u]:
    /// an inactive neuron gives 0, an active one w_j z_j, an unknown one (l < 0 < u) w_j λ z_j with
    /// λ ∈ {0, 1} when w_j > 0 (relu(z) ≥ λz everywhere) and w_j s (z − l) when w_j < 0, with the
    /// chord slope s ≥ u/(u − l) (relu(z) ≤ s(z − l) on [l, u]; s rounded up keeps it valid). Upper
    /// bounds likewise with the roles of the signs of w_j swapped. The minorant is then the affine
    /// function (Σ α_j a_j)·y + Σ α_j c_j + Σ β_j + b, whose minimum over the box is a dot product;
    /// its rounding, and the rows' own errors |α_j|·(rowError_j·max‖y‖ + offsetError_j), are added
    /// outward with the same γ as `dot` over every term's magnitude.
    struct Affine {
        let matrix: Matrix, offset: [Double], rowError: [Double], offsetError: [Double]
        let box: (lower: [Double], upper: [Double])
        /// max(|lower_c|, |upper_c|) per coordinate of the box, and max ‖y‖₂ over it.
        let extent: [Double]
        let reach: Double
        let lower: [Double], upper: [Double]
        let known: [Bool?]

        func bound(row w: ArraySlice<Double>, bias: Double, upper wantUpper: Bool) -> Double {
            let d = matrix.columns
            var g = Array(repeating: 0.0, count: d), constant = bias, magnitude = abs(bias), drift = 0.0
            for (j, weight) in w.enumerated() where weight != 0 {
                let l = lower[j], u = upper[j]
                let state: Bool? = known[j] ?? (l > 0 ? true : (u < 0 ? false : nil))
                var slope = 0.0, shift = 0.0  // weight·relu(z) ≥ (or ≤) slope·z + shift on [l, u]
                switch state {
                case false?: continue
                case true?: slope = weight
                case nil:
                    // The side of the weight's sign that needs the chord.
                    if (weight > 0) == wantUpper {
                        guard l.isFinite, u.isFinite, u > l else { return wantUpper ? .infinity : -.infinity }
                        // The exact ratio is ≤ 1 (l < 0); 1e-12 covers its rounding and the product's.
                        let s = min(1, u / (u - l) * (1 + 1e-12))
                        slope = weight * s
                        shift = -slope * l
                        magnitude += abs(shift)
                    } else {
                        // λ z with λ ∈ {0, 1}, whichever is closer to relu on [l, u].
                        slope = u > -l ? weight : 0
                    }
                }
                guard slope != 0 else { constant += shift; continue }
                matrix.storage.withUnsafeBufferPointer { a in
                    for c in 0..<d where a[j * d + c] != 0 {
                        g[c] += slope * a[j * d + c]
                        magnitude += abs(slope * a[j * d + c]) * extent[c]
                    }
                }
                constant += slope * offset[j] + shift
                magnitude += abs(slope * offset[j])
                drift += abs(slope) * (rowError[j] == 0 ? offsetError[j] : rowError[j] * reach + offsetError[j])
            }
            var value = constant
            for c in 0..<d where g[c] != 0 {
                value += (g[c] > 0) == wantUpper ? g[c] * box.upper[c] : g[c] * box.lower[c]
                magnitude += abs(g[c]) * extent[c]
            }
            let gamma = 4 * Double(w.count + 2 * d + 4) * Tolerances.unitRoundoff
            let margin = gamma * magnitude + drift * (1 + gamma) + Double(w.count * (d + 2) + 4) * Double.leastNormalMagnitude
            return wantUpper ? value + margin : value - margin
        }
    }

    /// The range of `bias + row·x` over the box [lower, upper], widened outward by its rounding
    /// (see the type's documentation); the bias's own scaling (one product) is inside γ's margin.
    static func dot(row: ArraySlice<Double>, bias: Double, lower: [Double], upper: [Double]) -> (Double, Double) {
        var l = bias, u = bias, magnitude = abs(bias)
        for (j, w) in row.enumerated() where w != 0 {
            if w > 0 { l += w * lower[j]; u += w * upper[j] } else { l += w * upper[j]; u += w * lower[j] }
            magnitude += abs(w) * max(abs(lower[j]), abs(upper[j]))
        }
        let gamma = 4 * Double(row.count + 3) * Tolerances.unitRoundoff
        let margin = gamma * magnitude + Double(row.count + 3) * Double.leastNormalMagnitude
        return (l - margin, u + margin)
    }
}
