import LipschitzModel

/// Hill climbing over activation regions. Inside a region J is constant, so gradient ascent
/// on ‖J‖ does not move; instead each step looks at every hidden neuron's hyperplane,
/// predicts the Jacobian of the region across it, and steps just across the most promising
/// hyperplanes, keeping the best point whose true norm is larger.
///
/// Prediction: flipping neuron i of layer k alone changes J by a rank-one term,
/// J' = J ± s_{k,i} a_{k,i}ᵀ, where a_{k,i} = ∇z_{k,i} (the neuron's pre-activation gradient)
/// and s_{k,i} = ∂Φ/∂h_{k,i} (the outputs' sensitivity to its output under the current
/// pattern); + when the neuron turns on, − when it turns off. This is exact when the step
/// crosses only that hyperplane, which holds for a short enough step in general position.
///
/// Soundness does not rest on the prediction: every reported value is ‖J(x)‖ at an actual
/// point x whose pre-activations are all clear of zero (or constant), recomputed from scratch
/// by `FlatNetwork`, so x lies inside a full-dimensional region (and inside the box, if any).
struct RegionWalk {
    let flat: FlatNetwork
    let norm: LipschitzNorm
    let box: InputBox?

    /// Hyperplanes whose crossing points are evaluated exactly per step (largest predictions).
    static let candidatesPerStep = 8
    /// Starting points: the best distinct sampled points.
    static let starts = 8
    static let maximumStepsPerStart = 1000
    /// Multiply-adds spent over all starts, so that wide deep networks stay near a second.
    static let workBudget = 2.0e9

    struct Outcome {
        var value: Double
        var point: [Double]
        var steps = 0
    }

    /// The local affine data at a point (all arrays row-major).
    private struct Linearization {
        var x: [Double] = []            // the point
        var z: [[Double]] = []          // pre-activations per hidden layer
        var inputMax: [Double] = []     // ‖h_{k-1}‖_∞ feeding each hidden layer
        var a: [[Double]] = []          // ∇z_k: N_k × d
        var s: [[Double]] = []          // ∂Φ/∂h_k: m × N_k
        var j: [Double] = []            // J: m × d
    }

    /// Multiply-adds of one step (linearisation, scoring, exact evaluation of the candidates).
    var workPerStep: Double {
        let d = Double(flat.inputs), m = Double(flat.outputs)
        var forwardJacobian = 0.0
        for k in 1..<max(1, flat.hiddenCount) { forwardJacobian += Double(flat.weights[k].count) * d }
        let neurons = Double(flat.widths.dropFirst().dropLast().reduce(0, +))
        let weights = Double(flat.weightCount)
        return forwardJacobian + m * weights + neurons * m * d + Double(Self.candidatesPerStep) * (1 + m) * weights
    }

    func climb(from start: [Double], value: Double, budget: inout Double) throws -> Outcome {
        var current = Outcome(value: value, point: start)
        guard flat.hiddenCount > 0 else { return current }
        let cost = workPerStep
        while current.steps < Self.maximumStepsPerStart && budget >= cost {
            budget -= cost
            let lin = linearize(current.point)
            let candidates = proposals(lin)
            if candidates.isEmpty { break }
            let values = try flat.jacobians(at: candidates).map { try $0.map { try jacobianNorm($0, p: norm) } }
            var bestIndex: Int?
            for (i, v) in values.enumerated() {
                guard let v, v > current.value else { continue }
                if let b = bestIndex, let bv = values[b], bv >= v { continue }
                bestIndex = i
            }
            guard let b = bestIndex, let v = values[b] else { break }
            current.value = v
            current.point = candidates[b]
            current.steps += 1
        }
        return current
    }

    private func linearize(_ x: [Double]) -> Linearization {
        var lin = Linearization()
        lin.x = x
        let d = flat.inputs, m = flat.outputs
        var h = x
        var active: [[Bool]] = []
        for k in 0..<flat.hiddenCount {
            let rows = flat.widths[k + 1], cols = flat.widths[k]
            lin.inputMax.append(h.reduce(0) { max($0, abs($1)) })
            var z = flat.biases[k]
            flat.weights[k].withUnsafeBufferPointer { w in
                for i in 0..<rows {
                    var sum = 0.0
                    for c in 0..<cols { sum += w[i * cols + c] * h[c] }
                    z[i] += sum
                }
            }
            lin.z.append(z)
            active.append(z.map { $0 > 0 })
            h = z.map { max(0, $0) }
        }
        // Forward: ∇z_0 = W_0, ∇z_k = W_k D_{k-1} ∇z_{k-1}.
        lin.a.append(flat.weights[0])
        for k in 1..<max(1, flat.hiddenCount) {
            let rows = flat.widths[k + 1], cols = flat.widths[k]
            var next = [Double](repeating: 0, count: rows * d)
            let previous = lin.a[k - 1]
            flat.weights[k].withUnsafeBufferPointer { w in
                previous.withUnsafeBufferPointer { pb in
                    next.withUnsafeMutableBufferPointer { nb in
                        for i in 0..<rows {
                            for c in 0..<cols where active[k - 1][c] {
                                let wic = w[i * cols + c]
                                if wic == 0 { continue }
                                for t in 0..<d { nb[i * d + t] += wic * pb[c * d + t] }
                            }
                        }
                    }
                }
            }
            lin.a.append(next)
        }
        // Backward: ∂Φ/∂h_{L-1} = W_L, ∂Φ/∂h_{k-1} = (∂Φ/∂h_k) D_k W_k.
        var sensitivities = [[Double]](repeating: [], count: flat.hiddenCount)
        sensitivities[flat.hiddenCount - 1] = flat.weights[flat.hiddenCount]
        var k = flat.hiddenCount - 1
        while k > 0 {
            let rows = flat.widths[k + 1], cols = flat.widths[k]
            var previous = [Double](repeating: 0, count: m * cols)
            let current = sensitivities[k]
            for r in 0..<m {
                for i in 0..<rows where active[k][i] {
                    let sri = current[r * rows + i]
                    if sri == 0 { continue }
                    for c in 0..<cols { previous[r * cols + c] += sri * flat.weights[k][i * cols + c] }
                }
            }
            sensitivities[k - 1] = previous
            k -= 1
        }
        lin.s = sensitivities
        // J = ∂Φ/∂h_0 · D_0 · W_0.
        let width0 = flat.widths[1]
        var j = [Double](repeating: 0, count: m * d)
        for r in 0..<m {
            for i in 0..<width0 where active[0][i] {
                let sri = lin.s[0][r * width0 + i]
                if sri == 0 { continue }
                for t in 0..<d { j[r * d + t] += sri * flat.weights[0][i * d + t] }
            }
        }
        lin.j = j
        return lin
    }

    /// Points just across the hyperplanes whose flips are predicted to raise the norm most.
    private func proposals(_ lin: Linearization) -> [[Double]] {
        let d = flat.inputs, m = flat.outputs
        let here = score(lin.j)
        var scored: [(value: Double, layer: Int, neuron: Int)] = []
        var trial = lin.j
        for k in 0..<flat.hiddenCount {
            let width = flat.widths[k + 1]
            for i in 0..<width {
                let sign: Double = lin.z[k][i] > 0 ? -1 : 1
                var anySensitivity = false
                for r in 0..<m where lin.s[k][r * width + i] != 0 { anySensitivity = true }
                if !anySensitivity { continue }
                for r in 0..<m {
                    let coefficient = sign * lin.s[k][r * width + i]
                    for t in 0..<d { trial[r * d + t] = lin.j[r * d + t] + coefficient * lin.a[k][i * d + t] }
                }
                let predicted = score(trial)
                if predicted > here * (1 + 1e-12) { scored.append((predicted, k, i)) }
            }
        }
        scored.sort { $0.value > $1.value }
        var points: [[Double]] = []
        for candidate in scored {
            if points.count == Self.candidatesPerStep { break }
            if let x = crossing(lin, layer: candidate.layer, neuron: candidate.neuron) { points.append(x) }
        }
        return points
    }

    /// The point just across neuron (k, i)'s hyperplane along its gradient, overshooting by
    /// 0.1% of the distance (and at least well above the tie tolerance); nil outside the box.
    private func crossing(_ lin: Linearization, layer k: Int, neuron i: Int) -> [Double]? {
        let d = flat.inputs
        let z = lin.z[k][i]
        var normSquared = 0.0
        for t in 0..<d { normSquared += lin.a[k][i * d + t] * lin.a[k][i * d + t] }
        guard normSquared > 0 else { return nil }
        let reference = 1 + abs(flat.biases[k][i]) + flat.rowAbsSums[k][i] * lin.inputMax[k]
        let overshoot = max(1e-3 * abs(z), 1e-6 * reference)
        let target = z > 0 ? -overshoot : overshoot
        let step = (target - z) / normSquared
        var x = [Double](repeating: 0, count: d)
        for t in 0..<d { x[t] = lin.x[t] + step * lin.a[k][i * d + t] }
        if let box, !box.contains(x) { return nil }
        return x
    }

    /// The norm that ranks flips: exact for scalar outputs and for p = 1, ∞; for vector
    /// outputs at p = 2 the Frobenius norm, which costs O(md) instead of an SVD per neuron.
    private func score(_ j: [Double]) -> Double {
        let d = flat.inputs, m = flat.outputs
        if m == 1 { return vectorNorm(j, p: norm.dual) }
        switch norm {
        case .one:
            var best = 0.0
            for t in 0..<d {
                var sum = 0.0
                for r in 0..<m { sum += abs(j[r * d + t]) }
                best = max(best, sum)
            }
            return best
        case .infinity:
            var best = 0.0
            for r in 0..<m {
                var sum = 0.0
                for t in 0..<d { sum += abs(j[r * d + t]) }
                best = max(best, sum)
            }
            return best
        case .two, .p:
            return vectorNorm(j, p: .two)
        }
    }
}
