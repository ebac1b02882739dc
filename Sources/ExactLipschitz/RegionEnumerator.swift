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
            scale = network.lengthScale
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
///
/// One enumerator belongs to one thread (it owns a GLPK problem); workers share a
/// `SharedSearchState`.
final class RegionEnumerator {
    private let network: ReLUNetwork
    private let domain: ScaledDomain
    private let norms: [LipschitzNorm]
    private let tolerance: Double
    private let lp: LinearProgram
    private let dimension: Int
    private let neuronLayer: [Int]
    private let neuronIndex: [Int]
    let hiddenCount: Int
    private let options: ExactOptions
    private let shared: SharedSearchState
    private let plain: Bool
    private let boxRowCount: Int
    /// Only with `plain`: the path's rows, to rebuild a fresh problem for every side.
    private var pathRows: [([Double], Bound)] = []
    /// When set, nodes at this depth become tasks instead of being explored.
    private var frontierDepth: Int?
    private(set) var frontier: [SearchTask] = []

    /// Pre-activation maps in y-space for the current path: layer k's pre-activations are
    /// `preMatrix[k] · y + preOffset[k]`; valid for layers up to the one being decided.
    private var preMatrix: [Matrix]
    private var preOffset: [[Double]]
    /// Entry-wise magnitude bound of each row of `preMatrix[k]` (to recognise cancellation).
    private var preMagnitude: [[Double]]
    private var pattern: [[Bool]]
    /// A local copy of the shared best values, refreshed at every pruning test and region.
    private var best: [Double]

    private(set) var statistics = EnumerationStatistics()
    private var lastProgress: UInt64 = 0

    init(network: ReLUNetwork, options: ExactOptions, shared: SharedSearchState, plain: Bool = false) throws {
        self.network = network
        self.options = options
        self.shared = shared
        self.plain = plain
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
        best = Array(repeating: -1, count: options.norms.count)

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

        lp = try Self.makeProblem(dimension: dimension)
        if let box = domain.box {
            for i in 0..<dimension {
                var row = Array(repeating: 0.0, count: dimension + 1)
                row[i] = 1; row[dimension] = -1
                pathRows.append((row, .atLeast((box.lower[i] - domain.origin[i]) / domain.scale)))
                row[dimension] = 1
                pathRows.append((row, .atMost((box.upper[i] - domain.origin[i]) / domain.scale)))
            }
        }
        for (row, bound) in pathRows { try lp.addRow(row, bound) }
        boxRowCount = lp.rowCount
    }

    /// Columns y (free) and r ∈ [0, 1]; maximise r.
    private static func makeProblem(dimension: Int) throws -> LinearProgram {
        let lp = try LinearProgram(columns: dimension + 1, optimisation: .maximise)
        var objective = Array(repeating: 0.0, count: dimension + 1)
        objective[dimension] = 1
        try lp.setObjective(objective)
        try lp.setColumnBound(dimension, .between(0, 1))
        return lp
    }

    private struct Ball {
        var center: [Double]
        var radius: Double
        var optimal: Bool
    }

    /// Runs the whole search from the root.
    func run() throws {
        guard let root = try solveBall() else { return }  // the box itself is always full-dimensional
        try visit(depth: 0, ball: root)
    }

    /// Collects the nodes at `depth` (fewer if the tree is shallower) as tasks for workers.
    func collectFrontier(depth: Int) throws -> [SearchTask] {
        frontierDepth = depth
        frontier = []
        try run()
        frontierDepth = nil
        return frontier
    }

    /// Explores one task's subtree: replays its prefix as rows, then searches below it.
    func run(_ task: SearchTask) throws {
        try replay(task.pattern, depth: task.depth)
        try visit(depth: task.depth, ball: Ball(center: task.center, radius: task.radius, optimal: false))
    }

    /// The Chebyshev ball (input coordinates) of a complete pattern's region, or nil when the
    /// region is not full-dimensional.
    func inscribedBall(of complete: [[Bool]]) throws -> (center: [Double], radius: Double)? {
        try replay(complete, depth: hiddenCount)
        guard let ball = try solveBall() else { return nil }
        return (domain.point(ball.center), ball.radius * domain.scale)
    }

    /// Makes the problem's rows those of the first `depth` neurons of `prefix`.
    private func replay(_ prefix: [[Bool]], depth: Int) throws {
        try lp.truncateRows(to: boxRowCount)
        pathRows.removeSubrange(boxRowCount...)
        pattern = prefix
        for depth in 0..<depth {
            let layer = neuronLayer[depth], index = neuronIndex[depth]
            if index == 0 && layer > 0 { advanceLayer(to: layer) }
            if let (normal, b) = hyperplane(layer: layer, index: index) {
                let sign = pattern[layer][index] ? 1.0 : -1.0
                try addSplitRow(normal: normal, b: b, sign: sign)
            }
        }
    }

    /// The Chebyshev ball of the current rows, or nil when it is not above tolerance.
    private func solveBall() throws -> Ball? {
        statistics.linearPrograms += 1
        let solution: Solution
        if plain {
            let fresh = try Self.makeProblem(dimension: dimension)
            for (row, bound) in pathRows { try fresh.addRow(row, bound) }
            solution = try fresh.solve()
        } else {
            solution = try lp.solve()
        }
        guard solution.status == .optimal, solution.objective > tolerance else { return nil }
        return Ball(center: Array(solution.values[0..<dimension]), radius: solution.objective, optimal: true)
    }

    private func addSplitRow(normal: [Double], b: Double, sign: Double) throws {
        var row = normal.map { sign * $0 }
        row.append(-1)
        if plain { pathRows.append((row, .atLeast(-sign * b))) } else { try lp.addRow(row, .atLeast(-sign * b)) }
    }

    private func removeSplitRow(to rowCount: Int, basis: Basis?) throws {
        if plain {
            pathRows.removeLast()
        } else {
            try lp.truncateRows(to: rowCount)
            if let basis { lp.restore(basis) }
        }
    }

    private func checkStop() -> Bool {
        if shared.stopReason != nil { return true }
        if let limit = options.maxRegions, shared.regions >= limit { shared.stop(.maxRegions); return true }
        if statistics.nodes & 63 == 0 {
            let now = DispatchTime.now().uptimeNanoseconds
            let elapsed = Double(now - shared.start) / 1e9
            if let limit = options.timeLimit, elapsed >= limit { shared.stop(.timeLimit); return true }
            if let stop = options.shouldStop, stop() { shared.stop(.interrupted); return true }
            if let progress = options.progress, now - lastProgress > 250_000_000 {
                lastProgress = now
                var counters = shared.statistics
                counters.add(statistics)
                progress(ExactProgress(regions: shared.regions, statistics: counters, best: max(0, shared.best[0]), elapsed: elapsed))
            }
        }
        return false
    }

    /// The unit normal and offset of a neuron's hyperplane in y-space, or nil when its
    /// pre-activation is constant on the region (then `pattern` records the bias's verdict).
    private func hyperplane(layer: Int, index: Int) -> ([Double], Double)? {
        let a = preMatrix[layer].row(index)
        let offset = preOffset[layer][index]
        let length = vectorNorm(a, p: .two)
        if length <= 1e-10 * preMagnitude[layer][index] || length == 0 {
            // A zero pre-activation counts as off, which gives the same Jacobian either way.
            pattern[layer][index] = offset > 0
            return nil
        }
        return (a.map { $0 / length }, offset / length)
    }

    /// True when branch and bound may skip the subtree below `depth`.
    private func canPrune(depth: Int) throws -> Bool {
        guard options.prune, depth < hiddenCount else { return false }
        best = shared.best
        let bounds = try intervalBounds(decided: depth, extra: nil)
        for n in norms.indices where bounds[n] > best[n] { return false }
        return true
    }

    /// Visits the subtree where neurons `0..<depth` follow `pattern`.
    private func visit(depth: Int, ball: Ball) throws {
        statistics.nodes += 1
        if checkStop() { try recordUnexplored(decided: depth, extra: nil); return }
        if let frontierDepth, depth >= frontierDepth {
            frontier.append(SearchTask(depth: depth, pattern: pattern, center: ball.center, radius: ball.radius))
            return
        }
        if depth == hiddenCount { try recordRegion(ball); return }
        if try canPrune(depth: depth) { statistics.prunedSubtrees += 1; return }

        let layer = neuronLayer[depth], index = neuronIndex[depth]
        if index == 0 && layer > 0 { advanceLayer(to: layer) }

        guard let (normal, b) = hyperplane(layer: layer, index: index) else {
            statistics.constantNeurons += 1
            try visit(depth: depth + 1, ball: ball)
            return
        }
        var distance = b
        for j in 0..<dimension { distance += normal[j] * ball.center[j] }

        let rowCount = lp.rowCount
        let basis = plain ? nil : lp.basis()
        // Visit the side holding the centre first: it needs no LP.
        let sides: [Bool] = distance >= 0 ? [true, false] : [false, true]
        for active in sides {
            if shared.stopReason != nil {
                try recordUnexplored(decided: depth, extra: active)
                continue
            }
            let sign = active ? 1.0 : -1.0
            let signedDistance = sign * distance  // centre's distance into this side
            try addSplitRow(normal: normal, b: b, sign: sign)
            var child: Ball?
            if plain {
                child = nil  // the baseline decides every side by a fresh LP
            } else if signedDistance >= ball.radius {
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
            try removeSplitRow(to: rowCount, basis: basis)
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
        guard shared.claimRegion(limit: options.maxRegions) else {
            // Another worker reached the limit first: this region is left for the upper bound.
            shared.stop(.maxRegions)
            try recordUnexplored(decided: hiddenCount, extra: nil)
            return
        }
        let activation = ActivationPattern(layers: pattern)
        let jacobian = network.jacobian(for: activation)
        for (n, norm) in norms.enumerated() {
            let value = try operatorNorm(jacobian, p: norm)
            guard value.isFinite else { throw ExactError.overflow }
            shared.offer(value, norm: n) {
                RegionWitness(pattern: activation, interiorPoint: domain.point(ball.center),
                              radius: ball.radius * domain.scale, jacobian: jacobian)
            }
        }
    }

    /// Interval-Jacobian bounds (per norm) over every completion of the current path, with
    /// neurons before `decided` fixed, neuron `decided` set to `extra` (or free), the rest free.
    private func intervalBounds(decided: Int, extra: Bool?) throws -> [Double] {
        var states = network.hiddenWidths.map { Array(repeating: NeuronState.unknown, count: $0) }
        for t in 0..<decided { states[neuronLayer[t]][neuronIndex[t]] = pattern[neuronLayer[t]][neuronIndex[t]] ? .active : .inactive }
        if let extra, decided < hiddenCount {
            states[neuronLayer[decided]][neuronIndex[decided]] = extra ? .active : .inactive
        }
        let bound = IntervalJacobian(network: network, states: states)
        return try norms.map { try bound.operatorNormBound(p: $0) }
    }

    /// Bounds a subtree the search will not visit.
    private func recordUnexplored(decided: Int, extra: Bool?) throws {
        shared.boundUnexplored(try intervalBounds(decided: decided, extra: extra))
    }

    /// Bounds a task that no worker started.
    func recordUnexplored(_ task: SearchTask) throws {
        pattern = task.pattern
        try recordUnexplored(decided: task.depth, extra: nil)
    }
}
