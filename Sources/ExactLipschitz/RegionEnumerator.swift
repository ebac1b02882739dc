import Foundation
import LinearProgramming
import LipschitzModel

/// The geometry every LP sees: inputs written as `x = origin + scale · y`, so that the
/// problem is "around 1" whatever the weights' magnitude, and every constraint row is a
/// unit normal in y-space. Radii are then comparable with one relative tolerance.
struct ScaledDomain {
    let origin: [Double]
    let scale: Double
    let box: InputBox?

    init(network: ReLUNetwork, box: InputBox?) {
        self.box = box
        if let box {
            origin = box.center
            scale = box.widths.reduce(0) { max($0, $1 / 2) }
        } else {
            origin = Array(repeating: 0, count: network.inputDimension)
            scale = ExactLipschitz.lengthScale(of: network)
        }
    }

    func point(_ y: [Double]) -> [Double] { zip(origin, y).map { $0 + scale * $1 } }
}

/// Depth-first enumeration of the full-dimensional activation regions of one network,
/// one hidden neuron per level (layer by layer), with one GLPK problem for the whole path.
///
/// Invariants:
/// - `lp` holds exactly the rows of the current path's non-constant neurons (plus the box),
///   each `±(h·y + b) − r ≥ 0` with ‖h‖ = 1; columns are y (free) and the radius r ∈ [0, 1].
/// - Every node carries a certified ball (centre, radius > tolerance) inside its region;
///   it is the Chebyshev ball when `optimal`.
/// - A side of a split is visited only if it contains a ball of radius > tolerance.
final class RegionEnumerator {
    private let network: ReLUNetwork
    private let domain: ScaledDomain
    private let norms: [LipschitzNorm]
    private let tolerance: Double
    private let lp: LinearProgram
    private let dimension: Int
    private let neuronLayer: [Int]
    private let neuronIndex: [Int]
    private let hiddenCount: Int
    private let options: ExactOptions
    private let start = DispatchTime.now().uptimeNanoseconds

    /// Pre-activation maps in y-space for the current path: layer k's pre-activations are
    /// `preMatrix[k] · y + preOffset[k]`; valid for layers up to the one being decided.
    private var preMatrix: [Matrix]
    private var preOffset: [[Double]]
    /// Entry-wise magnitude bound of each row of `preMatrix[k]` (to recognise cancellation).
    private var preMagnitude: [[Double]]
    private var pattern: [[Bool]]

    private(set) var statistics = EnumerationStatistics()
    private(set) var regions = 0
    private(set) var best: [Double]
    private(set) var witnesses: [RegionWitness?]
    /// Sound upper bounds (per norm) on the subtrees left unexplored by a stop.
    private(set) var unexploredUpper: [Double]
    private(set) var stopReason: StopReason?
    private var lastProgress: UInt64 = 0

    init(network: ReLUNetwork, options: ExactOptions) throws {
        self.network = network
        self.options = options
        self.norms = options.norms
        self.domain = ScaledDomain(network: network, box: options.box)
        self.tolerance = options.relativeRadiusTolerance
        self.dimension = network.inputDimension
        var layerOf: [Int] = [], indexOf: [Int] = []
        for (k, width) in network.hiddenWidths.enumerated() {
            for i in 0..<width { layerOf.append(k); indexOf.append(i) }
        }
        neuronLayer = layerOf
        neuronIndex = indexOf
        hiddenCount = layerOf.count
        pattern = network.hiddenWidths.map { Array(repeating: false, count: $0) }
        best = Array(repeating: -1, count: norms.count)
        witnesses = Array(repeating: nil, count: norms.count)
        unexploredUpper = Array(repeating: 0, count: norms.count)

        // First layer in y-space: W0 (origin + scale·y) + b0.
        let first = network.layers[0]
        var a0 = first.weights
        for i in 0..<a0.storage.count { a0.storage[i] *= domain.scale }
        let c0 = first.apply(domain.origin)
        preMatrix = [a0]
        preOffset = [c0]
        preMagnitude = [(0..<a0.rows).map { vectorNorm(a0.row($0), p: .two) }]
        for k in 1..<max(1, network.layers.count - 1) {
            let rows = network.layers[k].outputDimension
            preMatrix.append(Matrix(rows: rows, columns: dimension))
            preOffset.append(Array(repeating: 0, count: rows))
            preMagnitude.append(Array(repeating: 0, count: rows))
        }

        lp = try LinearProgram(columns: dimension + 1, optimisation: .maximise)
        var objective = Array(repeating: 0.0, count: dimension + 1)
        objective[dimension] = 1
        try lp.setObjective(objective)
        try lp.setColumnBound(dimension, .between(0, 1))
        if let box = domain.box {
            for i in 0..<dimension {
                var row = Array(repeating: 0.0, count: dimension + 1)
                row[i] = 1; row[dimension] = -1
                try lp.addRow(row, .atLeast((box.lower[i] - domain.origin[i]) / domain.scale))
                row[dimension] = 1
                try lp.addRow(row, .atMost((box.upper[i] - domain.origin[i]) / domain.scale))
            }
        }
    }

    private struct Ball {
        var center: [Double]
        var radius: Double
        var optimal: Bool
    }

    /// Runs the whole search.
    func run() throws {
        guard let root = try solveBall() else { return }  // the box itself is always full-dimensional
        try visit(depth: 0, ball: root)
    }

    /// The Chebyshev ball of the current rows, or nil when it is not above tolerance.
    private func solveBall() throws -> Ball? {
        statistics.linearPrograms += 1
        let solution = try lp.solve()
        guard solution.status == .optimal, solution.objective > tolerance else { return nil }
        return Ball(center: Array(solution.values[0..<dimension]), radius: solution.objective, optimal: true)
    }

    private func checkStop() -> Bool {
        if stopReason != nil { return true }
        if let limit = options.maxRegions, regions >= limit { stopReason = .maxRegions; return true }
        if statistics.nodes & 63 == 0 {
            let now = DispatchTime.now().uptimeNanoseconds
            let elapsed = Double(now - start) / 1e9
            if let limit = options.timeLimit, elapsed >= limit { stopReason = .timeLimit; return true }
            if let stop = options.shouldStop, stop() { stopReason = .interrupted; return true }
            if let progress = options.progress, now - lastProgress > 250_000_000 {
                lastProgress = now
                progress(ExactProgress(regions: regions, statistics: statistics, best: max(0, best[0]), elapsed: elapsed))
            }
        }
        return false
    }

    /// Visits the subtree where neurons `0..<depth` follow `pattern`.
    private func visit(depth: Int, ball: Ball) throws {
        statistics.nodes += 1
        if checkStop() { try recordUnexplored(decided: depth, extra: nil); return }
        if depth == hiddenCount { try recordRegion(ball); return }

        let layer = neuronLayer[depth], index = neuronIndex[depth]
        if index == 0 && layer > 0 { advanceLayer(to: layer) }

        let a = preMatrix[layer].row(index)
        let offset = preOffset[layer][index]
        let length = vectorNorm(a, p: .two)
        if length <= 1e-10 * preMagnitude[layer][index] || length == 0 {
            // Constant on the region: the bias decides (a zero pre-activation counts as off,
            // which gives the same Jacobian either way).
            statistics.constantNeurons += 1
            pattern[layer][index] = offset > 0
            try visit(depth: depth + 1, ball: ball)
            return
        }
        let normal = a.map { $0 / length }
        let b = offset / length
        var distance = b
        for j in 0..<dimension { distance += normal[j] * ball.center[j] }

        let rowCount = lp.rowCount
        let basis = lp.basis()
        // Visit the side holding the centre first: it needs no LP.
        let sides: [Bool] = distance >= 0 ? [true, false] : [false, true]
        for active in sides {
            if stopReason != nil {
                try recordUnexplored(decided: depth, extra: active)
                continue
            }
            let sign = active ? 1.0 : -1.0
            let signedDistance = sign * distance  // centre's distance into this side
            var row = normal.map { sign * $0 }
            row.append(-1)
            try lp.addRow(row, .atLeast(-sign * b))
            var child: Ball?
            if signedDistance >= ball.radius {
                child = ball  // the whole ball lies on this side
                statistics.skippedLinearPrograms += 1
            } else if signedDistance > -ball.radius {
                // The hyperplane cuts the ball: this side holds a ball of radius (r + s)/2.
                let radius = (ball.radius + signedDistance) / 2
                if radius > tolerance {
                    let shift = sign * (ball.radius - radius)
                    child = Ball(center: zip(ball.center, normal).map { $0 + shift * $1 }, radius: radius, optimal: false)
                    statistics.skippedLinearPrograms += 1
                }
            }
            if child == nil {
                child = try solveBall()
                if child == nil { statistics.emptySides += 1 }
            }
            if let child {
                pattern[layer][index] = active
                try visit(depth: depth + 1, ball: child)
            }
            try lp.truncateRows(to: rowCount)
            lp.restore(basis)
        }
    }

    /// Computes layer `layer`'s pre-activation map from the previous layer's and its pattern.
    private func advanceLayer(to layer: Int) {
        let w = network.layers[layer].weights
        let previous = preMatrix[layer - 1], previousOffset = preOffset[layer - 1]
        let mask = pattern[layer - 1]
        let previousNorms = (0..<previous.rows).map { mask[$0] ? vectorNorm(previous.row($0), p: .two) : 0 }
        var m = Matrix(rows: w.rows, columns: dimension)
        var c = network.layers[layer].biases
        var magnitude = Array(repeating: 0.0, count: w.rows)
        for r in 0..<w.rows {
            for j in 0..<w.columns where mask[j] {
                let weight = w[r, j]
                if weight == 0 { continue }
                for col in 0..<dimension { m[r, col] += weight * previous[j, col] }
                c[r] += weight * previousOffset[j]
                magnitude[r] += abs(weight) * previousNorms[j]
            }
        }
        preMatrix[layer] = m
        preOffset[layer] = c
        preMagnitude[layer] = magnitude
    }

    private func recordRegion(_ ball: Ball) throws {
        regions += 1
        let activation = ActivationPattern(layers: pattern)
        let jacobian = network.jacobian(for: activation)
        for (n, norm) in norms.enumerated() {
            let value = try operatorNorm(jacobian, p: norm)
            if value > best[n] {
                best[n] = value
                witnesses[n] = RegionWitness(pattern: activation, interiorPoint: domain.point(ball.center),
                                             radius: ball.radius * domain.scale, jacobian: jacobian)
            }
        }
    }

    /// Bounds a subtree the search will not visit: neurons before `decided` follow the path,
    /// neuron `decided` is `extra` (or free), the rest are free.
    private func recordUnexplored(decided: Int, extra: Bool?) throws {
        var states = network.hiddenWidths.map { Array(repeating: NeuronState.unknown, count: $0) }
        for t in 0..<decided { states[neuronLayer[t]][neuronIndex[t]] = pattern[neuronLayer[t]][neuronIndex[t]] ? .active : .inactive }
        if let extra, decided < hiddenCount {
            states[neuronLayer[decided]][neuronIndex[decided]] = extra ? .active : .inactive
        }
        let bound = IntervalJacobian(network: network, states: states)
        for (n, norm) in norms.enumerated() {
            unexploredUpper[n] = max(unexploredUpper[n], try bound.operatorNormBound(p: norm))
        }
    }
}
