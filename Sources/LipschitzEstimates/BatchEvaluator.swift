import LipschitzModel

/// The estimates' view of a network: `DenseNetwork`'s batched kernels (forward recurrence and
/// Jacobian, shared with the rest of the package) plus the tie test that decides whether a
/// sampled point's pattern can be trusted. Every property of `DenseNetwork` reads through.
@dynamicMemberLookup
struct FlatNetwork {
    let dense: DenseNetwork
    /// Σ_j |W_ij| per row: bounds the rounding error of a pre-activation (see `tieTolerance`).
    let rowAbsSums: [[Double]]

    subscript<T>(dynamicMember path: KeyPath<DenseNetwork, T>) -> T { dense[keyPath: path] }

    /// A pre-activation within this relative margin of zero counts as a tie (the reason for
    /// the value is with `EstimateTolerances.tie`).
    static let tieTolerance = EstimateTolerances.tie

    init(_ network: ReLUNetwork) {
        dense = DenseNetwork(network)
        rowAbsSums = network.layers.map { layer in
            (0..<layer.weights.rows).map { i in
                var s = 0.0
                for j in 0..<layer.weights.columns { s += abs(layer.weights[i, j]) }
                return s
            }
        }
    }

    /// Activation masks of a batch of `count` points (input `x` is d × count, row-major:
    /// `x[j * count + b]` is coordinate j of point b). `masks[k][i * count + b]` is 1 when
    /// neuron i of hidden layer k is active at point b. `valid[b]` is false when some
    /// non-constant neuron has a pre-activation within the tie tolerance of zero at point b,
    /// or a pre-activation is not finite.
    func forward(_ x: [Double], count: Int) -> (masks: [[UInt8]], valid: [Bool]) {
        var valid = [Bool](repeating: true, count: count)
        var masks: [[UInt8]] = []
        var h = x
        for k in 0..<dense.hiddenCount {
            let rows = dense.widths[k + 1], cols = dense.widths[k]
            var hmax = [Double](repeating: 0, count: count)
            h.withUnsafeBufferPointer { hb in
                for j in 0..<cols { for b in 0..<count { hmax[b] = max(hmax[b], abs(hb[j * count + b])) } }
            }
            var z = dense.preActivations(layer: k, of: h, count: count)
            var mask = [UInt8](repeating: 0, count: rows * count)
            let biases = dense.biases[k], sums = rowAbsSums[k]
            for i in 0..<rows {
                let scale = sums[i], bias = abs(biases[i])
                for b in 0..<count {
                    let v = z[i * count + b]
                    if v > 0 { mask[i * count + b] = 1 }
                    // A non-finite pre-activation (overflow, or a non-finite input) proves nothing.
                    if !v.isFinite { valid[b] = false }
                    if valid[b], abs(v) <= Self.tieTolerance * (1 + bias + scale * hmax[b]),
                       !isLocallyConstant(layer: k, neuron: i, point: b, count: count, previousMask: masks.last) {
                        valid[b] = false
                    }
                }
            }
            for idx in z.indices where mask[idx] == 0 { z[idx] = 0 }
            masks.append(mask)
            h = z
        }
        return (masks, valid)
    }

    /// Whether neuron i of hidden layer k has zero gradient near point b: no nonzero weight
    /// reaches it from an input (layer 0) or from an active neuron. Such a neuron's tie is
    /// harmless: its output is locally constant, whichever side is chosen.
    private func isLocallyConstant(layer k: Int, neuron i: Int, point b: Int, count: Int, previousMask: [UInt8]?) -> Bool {
        let cols = dense.widths[k]
        for j in 0..<cols where dense.weights[k][i * cols + j] != 0 {
            guard let previousMask else { return false }
            if previousMask[j * count + b] != 0 { return false }
        }
        return true
    }

    /// The Jacobian (m × d) at each point, or nil where the point is a tie (see `forward`).
    func jacobians(at points: [[Double]]) -> [Matrix?] {
        var result: [Matrix?] = []
        result.reserveCapacity(points.count)
        let batch = 64
        var start = 0
        while start < points.count {
            let count = min(batch, points.count - start)
            var x = [Double](repeating: 0, count: dense.inputs * count)
            for b in 0..<count {
                let p = points[start + b]
                for j in 0..<dense.inputs { x[j * count + b] = p[j] }
            }
            let (masks, valid) = forward(x, count: count)
            let grads = dense.backward(masks: masks, count: count)
            for b in 0..<count {
                result.append(valid[b] ? dense.jacobian(fromBatch: grads, point: b, count: count) : nil)
            }
            start += count
        }
        return result
    }
}

/// Kept only while `RegionWalk` (moving to another module on the deep-search branch) still
/// calls it: the package's norm is `operatorNorm`.
@available(*, deprecated, message: "use operatorNorm(_:p:)")
func jacobianNorm(_ j: Matrix, p: LipschitzNorm) throws -> Double {
    try operatorNorm(j, p: p)
}
