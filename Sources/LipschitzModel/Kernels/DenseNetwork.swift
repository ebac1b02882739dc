/// The network's weights as flat row-major arrays (each layer's `Matrix.storage`, shared, not
/// copied), with the package's one forward pre-activation recurrence and its one Jacobian
/// kernel. Both work on a batch of points at once, point index fastest (`x[j * count + b]` is
/// coordinate j of point b), so the inner loops run over contiguous memory and vectorise; a
/// single point is a batch of one (`ReLUNetwork.preActivations(at:)`, `jacobian(for:)`).
///
/// Jacobians come from back-propagating the output rows through the activation masks
/// (`∇Φ = W_0ᵀ D_0 W_1ᵀ ⋯ D_{L-1} W_Lᵀ`), which costs O(m · weights) per point instead of the
/// O(d · weights) of multiplying from the input side: the difference between seconds and
/// minutes at width 1000 with one output.
public struct DenseNetwork: Sendable {
    /// `[d, N_0, …, N_{L-1}, m]`.
    public let widths: [Int]
    /// Layer k is `widths[k+1] × widths[k]`, row-major.
    public let weights: [[Double]]
    public let biases: [[Double]]

    public var inputs: Int { widths[0] }
    public var outputs: Int { widths[widths.count - 1] }
    public var layerCount: Int { weights.count }
    public var hiddenCount: Int { weights.count - 1 }
    /// Number of weights: the cost unit of one forward or backward pass.
    public var weightCount: Int { weights.reduce(0) { $0 + $1.count } }

    public init(_ network: ReLUNetwork) {
        widths = network.architecture
        weights = network.layers.map(\.weights.storage)
        biases = network.layers.map(\.biases)
    }

    /// Layer k's pre-activations `z = W_k h + b_k` for a batch of `count` inputs `h`
    /// (`widths[k] × count`); the result is `widths[k+1] × count`.
    public func preActivations(layer k: Int, of h: [Double], count: Int) -> [Double] {
        let rows = widths[k + 1], cols = widths[k]
        precondition(h.count == cols * count, "the batch does not fit layer \(k)")
        var z = [Double](repeating: 0, count: rows * count)
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
        return z
    }

    /// Jacobians of a batch from its activation masks (`masks[k][i * count + b]` ≠ 0 when
    /// neuron i of hidden layer k is active at point b): `result[j * (count·m) + b·m + r]` is
    /// ∂Φ_r/∂x_j at point b.
    public func backward(masks: [[UInt8]], count: Int) -> [Double] {
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
        g.withUnsafeMutableBufferPointer { g in
            masks[last].withUnsafeBufferPointer { mask in
                weights[hiddenCount].withUnsafeBufferPointer { w in
                    // Inactive entries stay 0; a select instead of a branch (random masks mispredict).
                    if c == 1 {
                        // One point and one output (the one-input sweep's witness at 10^6 neurons):
                        // the same entries without the loops over points and outputs, the select
                        // written as a bit mask (all ones or +0), which the compiler does not
                        // turn into a branch.
                        for i in 0..<lastWidth { g[i] = Self.kept(w[i], if: mask[i] != 0) }
                        return
                    }
                    for i in 0..<lastWidth {
                        for b in 0..<count {
                            let on = mask[i * count + b] != 0
                            for r in 0..<m { g[i * c + b * m + r] = on ? w[r * lastWidth + i] : 0 }
                        }
                    }
                }
            }
        }
        var k = last
        while true {
            var previous = pullBack(g, through: k, width: c)
            if k == 0 { return previous }
            let cols = widths[k], mask = masks[k - 1]
            for j in 0..<cols {
                for b in 0..<count where mask[j * count + b] == 0 {
                    for r in 0..<m { previous[j * c + b * m + r] = 0 }
                }
            }
            g = previous
            k -= 1
        }
    }

    /// `W_kᵀ g` for `g` of `widths[k+1]` rows of `width` entries: one step of back-propagation.
    private func pullBack(_ g: [Double], through k: Int, width c: Int) -> [Double] {
        let rows = widths[k + 1], cols = widths[k]
        var previous = [Double](repeating: 0, count: cols * c)
        weights[k].withUnsafeBufferPointer { w in
            g.withUnsafeBufferPointer { gb in
                previous.withUnsafeMutableBufferPointer { pb in
                    let (wBase, gBase, pBase) = (w.baseAddress!, gb.baseAddress!, pb.baseAddress!)
                    if cols * c <= Self.shortRow {
                        // Short rows (one input, one point and one output: the one-input sweep's
                        // witness at 10^6 neurons): a zero row of g adds exact zeros (weights are
                        // finite), which costs less than finding it.
                        accumulate(rows: rows, row: { $0 }, cols: cols, c: c, wBase, gBase, pBase)
                    } else {
                        let live = Self.liveRows(gBase, rows: rows, width: c)
                        live.withUnsafeBufferPointer { live in
                            accumulate(rows: live.count, row: { live[$0] }, cols: cols, c: c, wBase, gBase, pBase)
                        }
                    }
                }
            }
        }
        return previous
    }

    /// Below this many entries per row of the result (`cols · width`), `pullBack` multiplies
    /// every row instead of listing the non-zero ones first.
    static let shortRow = 4

    /// Rows of g that are not all zero (a neuron inactive at every point of the batch passes
    /// nothing back), compacted without a branch per row (random patterns mispredict): row i is
    /// written at the end and kept (the count advances) only when it is live.
    private static func liveRows(_ g: UnsafePointer<Double>, rows: Int, width c: Int) -> [Int] {
        var live = [Int](repeating: 0, count: rows + 1)
        var liveCount = 0
        live.withUnsafeMutableBufferPointer { live in
            for i in 0..<rows {
                var nonzero = false
                for t in 0..<c { nonzero = nonzero || g[i * c + t] != 0 }
                live[liveCount] = i
                liveCount += nonzero ? 1 : 0
            }
        }
        live.removeLast(live.count - liveCount)
        return live
    }

    /// `previous[j·c + t] += Σ_n W[row(n), j] · g[row(n)·c + t]` over n < rows.
    @inline(__always)
    private func accumulate(rows: Int, row: (Int) -> Int, cols: Int, c: Int, _ wBase: UnsafePointer<Double>,
                            _ gBase: UnsafePointer<Double>, _ pBase: UnsafeMutablePointer<Double>) {
        // Four rows of W at a time: a quarter of the loads and stores of `previous`.
        var n = 0
        if cols == 1 && c == 1 {
            pBase[0] = Self.singleEntry(rows: rows, row: row, wBase, start: pBase[0]) { gBase[$0] }
            return
        }
        while n + 4 <= rows {
            let i0 = row(n), i1 = row(n + 1), i2 = row(n + 2), i3 = row(n + 3)
            let g0 = gBase + i0 * c, g1 = gBase + i1 * c, g2 = gBase + i2 * c, g3 = gBase + i3 * c
            for j in 0..<cols {
                let w0 = wBase[i0 * cols + j], w1 = wBase[i1 * cols + j]
                let w2 = wBase[i2 * cols + j], w3 = wBase[i3 * cols + j]
                let pRow = pBase + j * c
                for t in 0..<c { pRow[t] += w0 * g0[t] + w1 * g1[t] + w2 * g2[t] + w3 * g3[t] }
            }
            n += 4
        }
        while n < rows {
            let i = row(n), gRow = gBase + i * c
            for j in 0..<cols {
                let wij = wBase[i * cols + j]
                if wij == 0 { continue }
                let pRow = pBase + j * c
                for t in 0..<c { pRow[t] += wij * gRow[t] }
            }
            n += 1
        }
    }

    /// x when `on`, else +0, as a bit mask (all ones or none) that the compiler does not turn
    /// into a branch (random activation patterns mispredict one).
    @inline(__always)
    private static func kept(_ x: Double, if on: Bool) -> Double {
        Double(bitPattern: x.bitPattern & (0 &- UInt64(on ? 1 : 0)))
    }

    /// `accumulate` for one entry (one input, one point, one output): start + Σ_n W[row(n)]·g(row(n))
    /// in the same groups of four and the same order, the running entry kept in a register
    /// instead of stored at every step.
    @inline(__always)
    private static func singleEntry(rows: Int, row: (Int) -> Int, _ wBase: UnsafePointer<Double>, start: Double,
                                    _ g: (Int) -> Double) -> Double {
        var p = start, n = 0
        while n + 4 <= rows {
            let i0 = row(n), i1 = row(n + 1), i2 = row(n + 2), i3 = row(n + 3)
            p += wBase[i0] * g(i0) + wBase[i1] * g(i1) + wBase[i2] * g(i2) + wBase[i3] * g(i3)
            n += 4
        }
        while n < rows {
            let i = row(n), wij = wBase[i]
            if wij != 0 { p += wij * g(i) }
            n += 1
        }
        return p
    }

    /// The Jacobian (1 × 1) of a network with one input, one hidden layer and one output for
    /// this pattern (the one-input sweep's witness at 10^6 neurons): `backward` and `pullBack`'s
    /// very sums, g_i = v_i for active neurons and +0 otherwise (the same bit-mask select),
    /// formed as they are used instead of stored (no arrays of the width).
    private func scalarJacobian(_ bits: [Bool]) -> Double {
        weights[0].withUnsafeBufferPointer { w in
            weights[1].withUnsafeBufferPointer { v in
                bits.withUnsafeBufferPointer { bits in
                    Self.singleEntry(rows: bits.count, row: { $0 }, w.baseAddress!, start: 0) { i in
                        Self.kept(v[i], if: bits[i])
                    }
                }
            }
        }
    }

    /// Point b's Jacobian (m × d) out of a batch's `backward` result.
    public func jacobian(fromBatch grads: [Double], point b: Int, count: Int) -> Matrix {
        let m = outputs, d = inputs, c = count * m
        var storage = [Double](repeating: 0, count: m * d)
        for r in 0..<m { for j in 0..<d { storage[r * d + j] = grads[j * c + b * m + r] } }
        return Matrix(rows: m, columns: d, storage: storage)
    }

    /// The Jacobian `W_L D_{L-1} W_{L-1} ⋯ D_0 W_0` of the affine piece with this pattern.
    public func jacobian(for pattern: ActivationPattern) -> Matrix {
        precondition(pattern.layers.map(\.count) == Array(widths.dropFirst().dropLast()), "pattern does not fit the network")
        if widths.count == 3 && inputs == 1 && outputs == 1 && widths[1] > 0 {
            return Matrix(rows: 1, columns: 1, storage: [scalarJacobian(pattern.layers[0])])
        }
        // A loop over the raw bits rather than `map`, which does not vectorise (10^6 neurons).
        let masks = pattern.layers.map { bits in
            [UInt8](unsafeUninitializedCapacity: bits.count) { out, count in
                bits.withUnsafeBufferPointer { bits in for i in bits.indices { out[i] = bits[i] ? 1 : 0 } }
                count = bits.count
            }
        }
        return jacobian(fromBatch: backward(masks: masks, count: 1), point: 0, count: 1)
    }
}
