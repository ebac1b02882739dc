import FoundationEssentials
import Glibc
import LipschitzModel

/// Hill climbing over activation regions. Inside a region J is constant, so gradient ascent
/// on ‖J‖ does not move; instead each step looks at every hidden neuron's hyperplane,
/// predicts the Jacobian of the region across it, evaluates points across the most promising
/// hyperplanes exactly (the best one first, alone), and moves to an improving new region, or
/// failing that to the best new one even when it is worse (up to `maximumSidewaysMoves` times
/// in a row), never revisiting a region; it keeps the best point.
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
    static let maximumStepsPerStart = 1000

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

    /// Multiply-adds of linearising at a point and ranking every flip.
    var linearizationWork: Double {
        let d = Double(flat.inputs), m = Double(flat.outputs)
        var forwardJacobian = 0.0
        for k in 1..<max(1, flat.hiddenCount) { forwardJacobian += Double(flat.weights[k].count) * d }
        // Ranking at a general p takes a `pow` per entry: count it as 20 multiply-adds.
        let scoring = neuronCount * m * d * (norm.isGeneralP ? 20 : 1)
        return forwardJacobian + m * Double(flat.weightCount) + scoring
    }
    /// Multiply-adds of placing one crossing point (the scan for the next hyperplane).
    var placementWork: Double { neuronCount * Double(flat.inputs) }
    /// Multiply-adds of evaluating Φ's Jacobian at one point (a forward and a backward pass).
    var evaluationWork: Double { Double(1 + flat.outputs) * Double(flat.weightCount) }
    private var neuronCount: Double { Double(flat.widths.dropFirst().dropLast().reduce(0, +)) }

    /// Non-improving moves allowed in a row before a climb stops: a tabu search, since the
    /// best region is often two flips away through a worse one.
    static let maximumSidewaysMoves = 4

    /// Walks from `start` (whose norm is `value`) and returns the best point seen. Each step
    /// first evaluates the top-ranked flip alone and takes it if it leads to a new region with
    /// a larger norm (the prediction is usually exact, and this is the cheap common case);
    /// otherwise it evaluates up to `candidatesPerStep` flips and moves to the best new region
    /// even if worse. Regions are remembered by their Jacobian, so none is entered twice. Work
    /// is charged to `budget` as it is done; a step starts while any budget is left, so every
    /// start gets at least one.
    func climb(from start: [Double], value: Double, budget: inout Double) throws -> Outcome {
        var best = Outcome(value: value, point: start)
        guard flat.hiddenCount > 0 else { return best }
        var current = start, currentValue = value
        var visited = Set<[Double]>()
        if let j = flat.jacobians(at: [start])[0] { visited.insert(j.storage) }
        var sideways = 0
        var moves = 0
        /// The norms at new regions' points (nil for ties, overflow and regions seen before).
        func evaluate(_ points: [[Double]]) throws -> [Double?] {
            budget -= Double(points.count) * evaluationWork
            return try flat.jacobians(at: points).map { j in
                guard let j, !visited.contains(j.storage) else { return nil }
                visited.insert(j.storage)
                let v = try operatorNorm(j, p: norm)
                return v.isFinite ? v : nil
            }
        }
        while moves < Self.maximumStepsPerStart && budget > 0 {
            let lin = linearize(current)
            budget -= linearizationWork
            var placed: [[Double]] = []
            var chosen: (value: Double, point: [Double])?
            // In a box many crossings lie outside it; trying a bounded number keeps a step's cost.
            for flip in rankedFlips(lin).prefix(8 * Self.candidatesPerStep) {
                if placed.count == Self.candidatesPerStep { break }
                budget -= placementWork
                guard let x = crossing(lin, layer: flip.layer, neuron: flip.neuron) else { continue }
                if placed.isEmpty {
                    placed.append(x)
                    if let v = try evaluate([x])[0] {
                        chosen = (v, x)
                        if v > currentValue { break }
                    }
                } else {
                    placed.append(x)
                }
            }
            if placed.count > 1, chosen.map({ $0.value <= currentValue }) ?? true {
                for (v, x) in zip(try evaluate(Array(placed.dropFirst())), placed.dropFirst()) {
                    if let v, v > (chosen?.value ?? -.infinity) { chosen = (v, x) }
                }
            }
            guard let next = chosen else { break }
            current = next.point
            currentValue = next.value
            moves += 1
            if next.value > best.value {
                best.value = next.value
                best.point = current
                best.steps = moves
                sideways = 0
            } else {
                sideways += 1
                if sideways > Self.maximumSidewaysMoves { break }
            }
        }
        return best
    }

    /// The local search from one start: gradient alignment (`align`), then the climb from
    /// where it ends (`climb`), both charged to `budget`.
    func search(from start: [Double], value: Double, budget: inout Double) throws -> Outcome {
        let aligned = try align(from: start, value: value, budget: &budget)
        var outcome = try climb(from: aligned.point, value: aligned.value, budget: &budget)
        outcome.steps += aligned.steps
        return outcome
    }

    /// Steps of `align`.
    static let alignmentSteps = 10

    /// Gradient alignment, for scalar outputs over all of R^d: x ← ‖x‖₂ · δ/‖δ‖₂, where δ is
    /// the direction that ∇Φ(x) stretches most (δ_j = sign(g_j)|g_j|^{q−1}, the dual map: ∇Φ
    /// itself for p = 2, sign(∇Φ) for p = ∞). For a network whose far field is positively
    /// homogeneous this moves to the cone the gradient points into, a cheap way (one gradient
    /// per step) to reach regions with larger gradients than random points have. Returns the
    /// best point seen (the start if nothing beats it); every value is certified as usual.
    func align(from start: [Double], value: Double, budget: inout Double) throws -> Outcome {
        var best = Outcome(value: value, point: start)
        guard box == nil, flat.outputs == 1, flat.hiddenCount > 0 else { return best }
        var x = start
        let radius = vectorNorm(start, p: .two)
        guard radius > 0 else { return best }
        for step in 1...Self.alignmentSteps where budget > 0 {
            budget -= evaluationWork
            guard let j = flat.jacobians(at: [x])[0] else { break }
            let g = j.storage
            let direction = dualDirection(g)
            let length = vectorNorm(direction, p: .two)
            guard length > 0, length.isFinite else { break }
            x = direction.map { radius * $0 / length }
            guard let next = flat.jacobians(at: [x])[0] else { break }
            budget -= evaluationWork
            let v = try operatorNorm(next, p: norm)
            if v.isFinite, v > best.value { best = Outcome(value: v, point: x, steps: step) }
        }
        return best
    }

    /// The δ with ‖δ‖_p = 1 maximising g·δ, up to scale: sign(g_j)|g_j|^{q−1} (q the dual
    /// exponent); for p = 1 the coordinate of the largest |g_j|.
    private func dualDirection(_ g: [Double]) -> [Double] {
        switch norm {
        case .two: return g
        case .infinity: return g.map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
        case .one:
            guard let k = g.indices.max(by: { abs(g[$0]) < abs(g[$1]) }) else { return g }
            return g.indices.map { $0 == k ? (g[k] > 0 ? 1 : -1) : 0 }
        case .p:
            let q = norm.dual.exponent
            let largest = g.reduce(0) { max($0, abs($1)) }
            guard largest > 0 else { return g }
            return g.map { ($0 > 0 ? 1 : -1) * pow(abs($0) / largest, q - 1) }
        }
    }

    private func linearize(_ x: [Double]) -> Linearization {
        var lin = Linearization()
        lin.x = x
        let d = flat.inputs, m = flat.outputs
        var h = x
        var active: [[Bool]] = []
        for k in 0..<flat.hiddenCount {
            lin.inputMax.append(h.reduce(0) { max($0, abs($1)) })
            let z = flat.dense.preActivations(layer: k, of: h, count: 1)  // the package's one forward kernel
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
        // J itself from the package's one Jacobian kernel. The per-layer forward gradients
        // (`a`) and output sensitivities (`s`) above are what the flip ranking needs, and no
        // other code computes them.
        lin.j = flat.dense.jacobian(for: ActivationPattern(layers: active)).storage
        return lin
    }

    /// Every flip with an effect, ranked by the predicted norm of the region across it.
    private func rankedFlips(_ lin: Linearization) -> [(value: Double, layer: Int, neuron: Int)] {
        let d = flat.inputs, m = flat.outputs
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
                scored.append((score(trial), k, i))
            }
        }
        scored.sort { $0.value > $1.value }
        return scored
    }

    /// A point across neuron (k, i)'s hyperplane, on the ray x + t·u with u = ∓∇z_{k,i}
    /// (toward the other side), halfway between that hyperplane and the next one the ray meets
    /// in the local affine model (or as far again beyond it when it meets none), and short of
    /// the box boundary. Landing mid-region rather than just across matters: a point left next
    /// to the hyperplane it crossed falls back across it on the following step. Nil when the
    /// ray leaves the box before the crossing.
    private func crossing(_ lin: Linearization, layer k: Int, neuron i: Int) -> [Double]? {
        let d = flat.inputs
        let z = lin.z[k][i]
        let a = lin.a[k][(i * d)..<((i + 1) * d)]
        let sign: Double = z > 0 ? -1 : 1
        var normSquared = 0.0
        for v in a { normSquared += v * v }
        guard normSquared > 0 else { return nil }
        let tCross = abs(z) / normSquared
        // The box first: it is O(d), the next hyperplane O(neurons · d).
        var tBox = Double.infinity
        if let box {
            for t in 0..<d {
                let u = sign * a[a.startIndex + t]
                if u > 0 { tBox = min(tBox, (box.upper[t] - lin.x[t]) / u) }
                if u < 0 { tBox = min(tBox, (box.lower[t] - lin.x[t]) / u) }
            }
            if tBox <= tCross { return nil }
        }
        // The first other hyperplane met beyond the crossing.
        var tNext = Double.infinity
        for layer in 0..<flat.hiddenCount {
            let width = flat.widths[layer + 1]
            lin.a[layer].withUnsafeBufferPointer { ab in
                for j in 0..<width where !(layer == k && j == i) {
                    var slope = 0.0
                    for t in 0..<d { slope += ab[j * d + t] * a[a.startIndex + t] }
                    slope *= sign
                    if slope == 0 { continue }
                    let tj = -lin.z[layer][j] / slope
                    if tj > tCross && tj < tNext { tNext = tj }
                }
            }
        }
        let far = min(tNext, tBox)
        let step = far.isFinite ? (tCross + far) / 2 : 2 * tCross
        var x = [Double](repeating: 0, count: d)
        for t in 0..<d { x[t] = lin.x[t] + step * sign * a[a.startIndex + t] }
        if let box, !box.contains(x) {
            for t in 0..<d { x[t] = min(max(x[t], box.lower[t]), box.upper[t]) }
        }
        return x
    }

    /// The norm that ranks flips: exact for scalar outputs and for p = 1, ∞; for vector
    /// outputs at p = 2 the Frobenius norm, which costs O(md) instead of an SVD per neuron.
    private func score(_ j: [Double]) -> Double {
        let d = flat.inputs, m = flat.outputs
        if m == 1 { return vectorNorm(j, p: norm.dual) }
        switch norm {
        case .one, .infinity:
            // Column or row sums: the operator norm itself, from the package's one implementation.
            return (try? operatorNorm(Matrix(rows: m, columns: d, storage: j), p: norm)) ?? .infinity
        case .two, .p:
            return vectorNorm(j, p: .two)
        }
    }
}

private extension LipschitzNorm {
    var isGeneralP: Bool { if case .p = self { return true } else { return false } }
}
