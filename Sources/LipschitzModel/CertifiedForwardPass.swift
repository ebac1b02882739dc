/// A forward pass that also bounds its own rounding error, so that the sign of a computed
/// pre-activation can be trusted: if |ĥ| > E then h has the sign of ĥ in exact arithmetic.
///
/// The numerics (Higham, *Accuracy and Stability of Numerical Algorithms*, §3.1): for
/// ĥ = fl(W ẑ + b) with n terms per row, |ĥ − (W ẑ + b)| ≤ γ_{n+1} (|W||ẑ| + |b|), where
/// γ_k = k·u/(1 − k·u) and u = 2⁻⁵³. If ẑ itself is within E_z of the exact z, the exact
/// pre-activation W z + b differs from W ẑ + b by at most |W| E_z. ReLU is 1-Lipschitz, so
/// E passes through it unchanged, and a neuron whose sign is certified negative has z = 0
/// exactly (error 0). The bound is itself computed in floating point, a sum of non-negative
/// terms whose relative rounding is at most γ: the new rounding term is doubled and the
/// propagated one multiplied by 1 + 2γ (not doubled, which would compound over layers).
/// Infinite or NaN values certify nothing.
public struct CertifiedForwardPass: Sendable {
    /// Computed pre-activations of every hidden layer.
    public private(set) var values: [[Double]] = []
    /// Bounds on |computed − exact| for each of them.
    public private(set) var errors: [[Double]] = []

    /// Runs the hidden layers at `x` (taken as exact: it is a vector of doubles).
    public init(network: ReLUNetwork, at x: [Double]) {
        var z = x
        var zError = Array(repeating: 0.0, count: x.count)
        let hidden = network.layers.count - 1
        for (k, layer) in network.layers.dropLast().enumerated() {
            let n = Double(layer.inputDimension + 1)
            let u = ModelTolerances.unitRoundoff
            let gamma = 2 * n * u / (1 - n * u)
            var h = Array(repeating: 0.0, count: layer.outputDimension)
            var e = h
            let columns = layer.inputDimension
            // Raw buffers (wide layers): the same operations in the same order as indexing would do.
            layer.weights.storage.withUnsafeBufferPointer { weights in
                h.withUnsafeMutableBufferPointer { h in
                    e.withUnsafeMutableBufferPointer { e in
                        for i in 0..<layer.outputDimension {
                            var sum = layer.biases[i], magnitude = abs(layer.biases[i]), propagated = 0.0
                            let row = weights.baseAddress! + i * columns
                            for j in 0..<columns {
                                let w = row[j]
                                sum += w * z[j]
                                magnitude += abs(w * z[j])
                                propagated += abs(w) * zError[j]
                            }
                            h[i] = sum
                            // The last term covers underflow (each product may lose up to the smallest subnormal).
                            e[i] = 2 * gamma * magnitude + (1 + 2 * gamma) * propagated + 4 * n * Double.leastNonzeroMagnitude
                        }
                    }
                }
            }
            values.append(h)
            errors.append(e)
            if k == hidden - 1 { break }  // no later hidden layer reads the outputs
            // A certified-negative neuron is exactly 0 after ReLU; the others keep their error.
            z = h.indices.map { h[$0] < -e[$0] ? 0 : max(0, h[$0]) }
            zError = h.indices.map { h[$0] < -e[$0] ? 0 : e[$0] }
        }
    }

    /// True when every hidden neuron not listed in `skip` has a certified sign equal to
    /// `pattern` (active ⇔ pre-activation > 0): then x lies in the open region of `pattern`
    /// relative to those neurons (a neighbourhood of x shares their signs).
    public func certifies(_ pattern: [[Bool]], skip: Set<Int> = []) -> Bool {
        var flat = 0
        for k in values.indices {
            let certain = values[k].withUnsafeBufferPointer { h in
                errors[k].withUnsafeBufferPointer { errors in
                    pattern[k].withUnsafeBufferPointer { active in
                        for i in 0..<h.count {
                            // Hashing costs more than the emptiness check on wide layers.
                            if !skip.isEmpty && skip.contains(flat + i) { continue }
                            // h > E (active) or −h > E (inactive); the sign flip is exact and
                            // avoids a branch on the pattern, which random patterns mispredict.
                            let signed = active[i] ? h[i] : -h[i]
                            if !(signed > errors[i]) { return false }
                        }
                        return true
                    }
                }
            }
            guard certain else { return false }
            flat += values[k].count
        }
        return true
    }

    /// The certified margin |ĥ| − E of one neuron (negative when its sign is not certified).
    public func margin(layer k: Int, neuron i: Int) -> Double { abs(values[k][i]) - errors[k][i] }
}
