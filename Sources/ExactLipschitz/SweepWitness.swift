import LipschitzModel

extension LineSweeper {
    /// The pattern of the cell found at `vertex`, and a point inside it: the vertex moved by
    /// δ·u, where u solves A_T u = σ (so each plane through the vertex is left by δ on the
    /// cell's side) and δ is half the smallest step at which another plane would be reached.
    /// The point is then certified by the caller (`CertifiedForwardPass`). Nil when the line
    /// cannot be rebuilt or the step is not representable.
    func cell(at vertex: SweepVertex) -> (pattern: [Bool], point: [Double])? {
        guard let n = prepare(vertex.line) else { return nil }
        let k = vertex.plane
        var order = [Int](repeating: -1, count: count)
        for i in 0..<n { order[plane(i)] = i }
        guard order[k] >= 0 else { return nil }
        let through = vertex.line + [k]
        let side = { (j: Int) -> Bool in
            if let i = through.firstIndex(of: j) { return vertex.positive[i] }
            if self.rate[j] == 0 { return self.position[j] > 0 }
            return order[j] < order[k] ? self.rate[j] > 0 : self.rate[j] < 0
        }
        let pattern = arrangement.pattern(positive: side)
        // The point of the line with x_s = τ; only a starting point, certified by the caller.
        let v = pointOnLine(at: position[k])
        var system = through.flatMap { j in (0..<d).map { a[j * d + $0] } }
        var u = vertex.positive.map { $0 ? 1.0 : -1.0 }
        guard SmallLinearAlgebra.solveInPlace(&system, &u, d) != nil else { return nil }
        var step = Double.infinity
        for j in 0..<count where !through.contains(j) {
            var s = b[j], g = 0.0
            for c in 0..<d { s += a[j * d + c] * v[c]; g += a[j * d + c] * u[c] }
            if g != 0 { step = min(step, abs(s) / abs(g)) }
        }
        if !step.isFinite { step = 1 }
        let point = (0..<d).map { v[$0] + 0.5 * step * u[$0] }
        guard point.allSatisfy(\.isFinite) else { return nil }
        return (pattern, point)
    }
}

/// The witness of a cell of a one-hidden-layer network from a point claimed inside it: the
/// certified forward pass must give every neuron with a non-zero row the pattern's sign, and
/// the point must lie strictly inside the box; the radius is the smallest certified margin
/// over its row's length (each pre-activation is w·x + b, so it moves by at most ‖w‖ per unit
/// step) and the distance to the box, both rounded down. Nil when the point is not certified.
func certifiedShallowWitness(_ network: ReLUNetwork, pattern: [Bool], point: [Double], box: InputBox?,
                             zeroRows: [Int]) -> (center: [Double], radius: Double)? {
    var radius = Double.infinity
    if let box {
        for j in point.indices {
            guard box.lower[j] < point[j], point[j] < box.upper[j] else { return nil }
            radius = min(radius, (point[j] - box.lower[j]) * (1 - 1e-12), (box.upper[j] - point[j]) * (1 - 1e-12))
        }
    }
    let pass = CertifiedForwardPass(network: network, at: point)
    guard pass.certifies([pattern], skip: Set(zeroRows)) else { return nil }
    var constant = [Bool](repeating: false, count: pattern.count)
    for i in zeroRows { constant[i] = true }
    let weights = network.layers[0].weights
    weights.storage.withUnsafeBufferPointer { all in
        for i in 0..<weights.rows where !constant[i] {
            // One input: ‖w‖₂ = |w| (what `vectorNorm` returns for one entry), without its per-call cost.
            let length = weights.columns == 1 ? abs(all[i])
                : vectorNorm(UnsafeBufferPointer(rebasing: all[(i * weights.columns)..<((i + 1) * weights.columns)]), p: .two)
            radius = min(radius, pass.margin(layer: 0, neuron: i) / (length * (1 + 1e-12)))
        }
    }
    return (point, radius.isFinite ? max(0, radius) : 0)
}
