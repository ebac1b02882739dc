import LipschitzModel

/// The network's weights as flat row-major arrays, for fast passes over batches of points.
///
/// Jacobians come from back-propagating output rows through the activation masks
/// (`∇Φ = W_0ᵀ D_0 W_1ᵀ ⋯ D_{L-1} W_Lᵀ`), which costs O(m · weights) per point, instead of
/// multiplying full matrices: the difference between seconds and minutes at width 1000.
struct FlatNetwork {
    /// `[d, N_0, …, N_{L-1}, m]`.
    let widths: [Int]
    /// Layer k is `widths[k+1] × widths[k]`, row-major.
    let weights: [[Double]]
    let biases: [[Double]]
    /// Σ_j |W_ij| per row: bounds the rounding error of a pre-activation (see `tieTolerance`).
    let rowAbsSums: [[Double]]

    var inputs: Int { widths[0] }
    var outputs: Int { widths[widths.count - 1] }
    var layerCount: Int { weights.count }
    var hiddenCount: Int { weights.count - 1 }
    /// Number of weights: the cost unit of one forward or backward pass.
    var weightCount: Int { weights.reduce(0) { $0 + $1.count } }

    /// A pre-activation within this relative margin of zero counts as a tie (the point may lie
    /// on the neuron's hyperplane, where the pattern need not belong to a full-dimensional
    /// region). Far above the rounding error n·ε·Σ|W_ij h_j| of a dot product of length n ≤ 10^6.
    static let tieTolerance = 1e-9

    init(_ network: ReLUNetwork) {
        widths = network.architecture
        weights = network.layers.map(\.weights.storage)
        biases = network.layers.map(\.biases)
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
        for k in 0..<hiddenCount {
            let rows = widths[k + 1], cols = widths[k]
            var z = [Double](repeating: 0, count: rows * count)
            var hmax = [Double](repeating: 0, count: count)
            h.withUnsafeBufferPointer { hb in
                for j in 0..<cols { for b in 0..<count { hmax[b] = max(hmax[b], abs(hb[j * count + b])) } }
            }
            weights[k].withUnsafeBufferPointer { w in
                h.withUnsafeBufferPointer { hb in
                    z.withUnsafeMutableBufferPointer { zb in
                        for i in 0..<rows {
                            let zRow = zb.baseAddress! + i * count
                            let bias = biases[k][i]
                            for b in 0..<count { zRow[b] = bias }
                            let wRow = w.baseAddress! + i * cols
                            let hBase = hb.baseAddress!
                            // Four inputs at a time: a quarter of the loads and stores of z.
                            var j = 0
                            while j + 4 <= cols {
                                let w0 = wRow[j], w1 = wRow[j + 1], w2 = wRow[j + 2], w3 = wRow[j + 3]
                                let h0 = hBase + j * count, h1 = h0 + count, h2 = h1 + count, h3 = h2 + count
                                for b in 0..<count { zRow[b] += w0 * h0[b] + w1 * h1[b] + w2 * h2[b] + w3 * h3[b] }
                                j += 4
                            }
                            while j < cols {
                                let wij = wRow[j], hRow = hBase + j * count
                                for b in 0..<count { zRow[b] += wij * hRow[b] }
                                j += 1
                            }
                        }
                    }
                }
            }
            var mask = [UInt8](repeating: 0, count: rows * count)
            for i in 0..<rows {
                let scale = rowAbsSums[k][i], bias = abs(biases[k][i])
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
        let cols = widths[k]
        for j in 0..<cols where weights[k][i * cols + j] != 0 {
            guard let previousMask else { return false }
            if previousMask[j * count + b] != 0 { return false }
        }
        return true
    }

    /// Jacobians of a batch from its masks: `result[j * (count·m) + b·m + r]` is ∂Φ_r/∂x_j at point b.
    func backward(masks: [[UInt8]], count: Int) -> [Double] {
        let m = outputs, c = count * m
        if hiddenCount == 0 {
            // An affine network: the same Jacobian W_0 everywhere.
            var out = [Double](repeating: 0, count: inputs * c)
            for j in 0..<inputs { for b in 0..<count { for r in 0..<m { out[j * c + b * m + r] = weights[0][r * inputs + j] } } }
            return out
        }
        // g[i * c + b·m + r] = ∂Φ_r/∂z_i at point b for the current layer's pre-activations z.
        let last = hiddenCount - 1
        let lastWidth = widths[last + 1]
        var g = [Double](repeating: 0, count: lastWidth * c)
        for i in 0..<lastWidth {
            for b in 0..<count where masks[last][i * count + b] != 0 {
                for r in 0..<m { g[i * c + b * m + r] = weights[hiddenCount][r * lastWidth + i] }
            }
        }
        var k = last
        while true {
            let rows = widths[k + 1], cols = widths[k]
            var previous = [Double](repeating: 0, count: cols * c)
            // Rows of g that are not all zero (a neuron inactive at every point of the batch
            // passes nothing back).
            let live = (0..<rows).filter { i in (0..<c).contains { g[i * c + $0] != 0 } }
            weights[k].withUnsafeBufferPointer { w in
                g.withUnsafeBufferPointer { gb in
                    previous.withUnsafeMutableBufferPointer { pb in
                        let wBase = w.baseAddress!, gBase = gb.baseAddress!, pBase = pb.baseAddress!
                        // Four rows of W at a time: a quarter of the loads and stores of `previous`.
                        var n = 0
                        while n + 4 <= live.count {
                            let i0 = live[n], i1 = live[n + 1], i2 = live[n + 2], i3 = live[n + 3]
                            let g0 = gBase + i0 * c, g1 = gBase + i1 * c, g2 = gBase + i2 * c, g3 = gBase + i3 * c
                            for j in 0..<cols {
                                let w0 = wBase[i0 * cols + j], w1 = wBase[i1 * cols + j]
                                let w2 = wBase[i2 * cols + j], w3 = wBase[i3 * cols + j]
                                let pRow = pBase + j * c
                                for t in 0..<c { pRow[t] += w0 * g0[t] + w1 * g1[t] + w2 * g2[t] + w3 * g3[t] }
                            }
                            n += 4
                        }
                        while n < live.count {
                            let i = live[n], gRow = gBase + i * c
                            for j in 0..<cols {
                                let wij = wBase[i * cols + j]
                                if wij == 0 { continue }
                                let pRow = pBase + j * c
                                for t in 0..<c { pRow[t] += wij * gRow[t] }
                            }
                            n += 1
                        }
                    }
                }
            }
            if k == 0 { return previous }
            let mask = masks[k - 1]
            for j in 0..<cols {
                for b in 0..<count where mask[j * count + b] == 0 {
                    for r in 0..<m { previous[j * c + b * m + r] = 0 }
                }
            }
            g = previous
            k -= 1
        }
    }

    /// The Jacobian (m × d) at each point, or nil where the point is a tie (see `forward`).
    func jacobians(at points: [[Double]]) -> [Matrix?] {
        var result: [Matrix?] = []
        result.reserveCapacity(points.count)
        let batch = 64
        var start = 0
        while start < points.count {
            let count = min(batch, points.count - start)
            var x = [Double](repeating: 0, count: inputs * count)
            for b in 0..<count {
                let p = points[start + b]
                for j in 0..<inputs { x[j * count + b] = p[j] }
            }
            let (masks, valid) = forward(x, count: count)
            let grads = backward(masks: masks, count: count)
            let m = outputs, c = count * m
            for b in 0..<count {
                guard valid[b] else { result.append(nil); continue }
                var storage = [Double](repeating: 0, count: m * inputs)
                for r in 0..<m { for j in 0..<inputs { storage[r * inputs + j] = grads[j * c + b * m + r] } }
                result.append(Matrix(rows: m, columns: inputs, storage: storage))
            }
            start += count
        }
        return result
    }
}

/// ‖J‖_{p→p} of a Jacobian already known to fit the norm (scalar output for general p).
func jacobianNorm(_ j: Matrix, p: LipschitzNorm) throws -> Double {
    try operatorNorm(j, p: p)
}
