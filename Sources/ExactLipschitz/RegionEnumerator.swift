import FoundationEssentials
import Dispatch
import LinearProgramming
import LipschitzModel

/// Depth-first enumeration of the full-dimensional activation regions of one network,
/// one hidden neuron per level (layer by layer), with one GLPK problem for the whole path.
/// The depth-first search keeps its own stack (no recursion), so its depth is limited by
/// memory only.
///
/// Invariants:
/// - `lp` holds exactly the rows of the current path's split neurons (plus the box), each
///   `±(h·y + b) − r ≥ 0` with ‖h‖ = 1; columns are y (free) and the signed radius
///   r ∈ [−1, 1] (negative when the closed region is empty), maximised.
/// - Every node carries a ball (centre, radius ≥ 0) inside its region as computed; it is the
///   Chebyshev ball when it comes from an LP.
/// - Soundness: a side is discarded only when the floating-point LP puts its radius below
///   −band (band ≫ the LP's and the rows' rounding errors, relative to the point's own scale)
///   or proves it infeasible, or when `ExactRegionTest` says so. A region is counted only when
///   a point of it is certified by `CertifiedForwardPass`, or `ExactRegionTest` says it is
///   full-dimensional. Anything the solvers cannot decide is bounded as unexplored and makes
///   the result inexact.
///
/// One enumerator belongs to one thread (it owns a GLPK problem); workers share a
/// `SharedSearchState`.
final class RegionEnumerator {
    private let network: ReLUNetwork
    private let domain: ScaledDomain
    private let norms: [LipschitzNorm]
    private let band: Double
    private let lp: LinearProgram
    private let exact: ExactRegionTest
    private let dimension: Int
    private let neuronLayer: [Int]
    private let neuronIndex: [Int]
    private let flatStart: [Int]
    let hiddenCount: Int
    private let options: ExactOptions
    private let shared: SharedSearchState
    private let plain: Bool
    private let boxRowCount: Int
    /// Only with `plain`: the path's rows, to rebuild a fresh problem for every side.
    private var pathRows: [([Double], Bound)] = []
    /// The largest relative rounding error of the rows on the path, as a prefix maximum.
    private var rowErrors: [Double] = []
    /// Per path row, as a prefix: some two rows so far are nearly parallel (`hasNearlyParallelRow`).
    private var nearlyParallel: [Bool] = []
    /// Columns removed from the LPs (`ColumnReduction`), and per path row, as a prefix: every
    /// row so far keeps the equalities that make the removal exact.
    private let reduction: ColumnReduction
    private var reductionHolds: [Bool] = []
    private var pathNormals: [[Double]] = []
    /// Per path row, its side: the row is pathSigns·(pathNormals·y) + pathOffsets ≥ r.
    private var pathOffsets: [Double] = []
    private var pathSigns: [Double] = []
    /// When set, nodes at this depth become tasks instead of being explored.
    private var frontierDepth: Int?
    private(set) var frontier: [SearchTask] = []

    /// Pre-activation maps in y-space for the current path: layer k's pre-activations are
    /// `preMatrix[k] · y + preOffset[k]`, with bounds on their rounding errors.
    private var preMatrix: [Matrix]
    private var preOffset: [[Double]]
    /// Bounds on the rounding error of each row of `preMatrix` (Euclidean) and of each offset;
    /// a row's bound is 0 only when the row is exactly zero (no term contributed).
    private var preError: [[Double]]
    private var preOffsetError: [[Double]]
    private var pattern: [[Bool]]
    /// Per neuron (flat index) on the current path: constant on its region in exact arithmetic.
    private var exactlyConstant: [Bool]
    /// A local copy of the shared best values, refreshed at every pruning test and region.
    private var best: [Double]

    private(set) var statistics = EnumerationStatistics()
    private var lastProgress: UInt64 = 0
    /// The pruning bound's folded leading layers, reused along the path (`FoldCache`).
    private let foldCache = FoldCache()
    /// The shared best values as last read by `needsAccurateValue` (−1: none yet).
    private lazy var seenBest = Array(repeating: -1.0, count: norms.count)
    /// Per norm: what rounding can take off a pruning bound (`boundRounding`).
    private let boundSlack: [Double]
    /// `JacobianBound.bound`'s `hopelessRatio` at every node: its default, or 1 (the linear
    /// relaxation never runs) on networks too deep for it (`ExactSearch.fullBoundCostCap`): it
    /// costs O(layers × weights) per node (1000 layers of width 1: 0.14 s per node, 294 s in
    /// all; without it 0.8 s, the same 2,046 nodes and 10 pruned subtrees).
    private lazy var relaxationRatio: Double =
        ExactSearch.fullBoundCost(network) <= ExactSearch.fullBoundCostCap ? JacobianBound.defaultHopelessRatio : 1

    init(network: ReLUNetwork, options: ExactOptions, shared: SharedSearchState, plain: Bool = false) throws {
        self.network = network
        self.options = options
        self.shared = shared
        self.plain = plain
        self.norms = options.norms
        self.domain = ScaledDomain(network: network, box: options.box)
        var exact = ExactRegionTest(network: network, box: options.box)
        exact.injectedFailurePeriod = options.injectedExactFailurePeriod
        exact.timeLimit = { [options, shared] in
            ExactRegionTest.milliseconds(remaining: options.timeLimit.map { $0 - shared.elapsed })
        }
        self.exact = exact
        self.band = options.relativeRadiusTolerance
        self.dimension = network.inputDimension
        var layerOf: [Int] = [], indexOf: [Int] = [], starts: [Int] = []
        for (k, width) in network.hiddenWidths.enumerated() {
            starts.append(layerOf.count)
            for i in 0..<width { layerOf.append(k); indexOf.append(i) }
        }
        neuronLayer = layerOf
        neuronIndex = indexOf
        flatStart = starts
        hiddenCount = layerOf.count
        pattern = network.hiddenWidths.map { Array(repeating: false, count: $0) }
        exactlyConstant = Array(repeating: false, count: layerOf.count)
        stable = Array(repeating: nil, count: layerOf.count)
        best = Array(repeating: -1, count: options.norms.count)
        boundSlack = try Self.boundRounding(network, norms: options.norms)
        (preMatrix, preOffset, preError, preOffsetError) = Self.firstLayer(network, domain)
        reduction = ColumnReduction(firstLayer: preMatrix[0], box: options.box)

        lp = try Self.makeProblem(dimension: dimension, reduction: reduction)
        lp.injectedFailurePeriod = options.injectedFailurePeriod
        if let box = domain.box {
            for i in 0..<dimension {
                var row = Array(repeating: 0.0, count: dimension + 1)
                row[i] = 1; row[dimension] = -1
                pathRows.append((row, .atLeast((box.lower[i] - domain.origin[i]) / domain.scale[i])))
                row[i] = -1
                pathRows.append((row, .atLeast(-(box.upper[i] - domain.origin[i]) / domain.scale[i])))
            }
        }
        for (row, bound) in pathRows { try lp.addRow(row, bound) }
        boxRowCount = lp.rowCount
    }

    /// Layer 0's pre-activations in y-space, `W0 (origin + scale ⊙ y) + b0`, divided by
    /// `domain.unit`, with bounds on their rounding errors; and slots for the deeper layers.
    private static func firstLayer(_ network: ReLUNetwork, _ domain: ScaledDomain) -> ([Matrix], [[Double]], [[Double]], [[Double]]) {
        let first = network.layers[0]
        var a0 = first.weights
        var c0 = first.biases.map { $0 / domain.unit }
        var rowError = Array(repeating: 0.0, count: a0.rows), offsetError = rowError
        let gamma = 2 * Double(first.inputDimension + 3) * Tolerances.unitRoundoff
        for r in 0..<a0.rows {
            var rowMagnitude = 0.0, offsetMagnitude = abs(c0[r])
            // Exact zeros are recognised from the network's own numbers, not from computed
            // magnitudes: a product or quotient can underflow to 0 (`advanceLayer`).
            var rowNonZero = false, offsetNonZero = first.biases[r] != 0
            for c in 0..<a0.columns {
                a0[r, c] *= domain.ratio[c]
                let shift = first.weights[r, c] * (domain.origin[c] / domain.unit)
                c0[r] += shift
                rowMagnitude += abs(a0[r, c])
                offsetMagnitude += abs(shift)
                if first.weights[r, c] != 0 { rowNonZero = true; offsetNonZero = offsetNonZero || domain.origin[c] != 0 }
            }
            rowError[r] = rowNonZero ? 2 * gamma * rowMagnitude + 8 * Double.leastNormalMagnitude : 0
            offsetError[r] = offsetNonZero ? 2 * gamma * offsetMagnitude + 8 * Double.leastNormalMagnitude : 0
        }
        var matrices = [a0], offsets = [c0], rowErrors = [rowError], offsetErrors = [offsetError]
        for k in 1..<max(1, network.layers.count - 1) {
            let rows = network.layers[k].outputDimension
            matrices.append(Matrix(rows: rows, columns: network.inputDimension))
            offsets.append(Array(repeating: 0, count: rows))
            rowErrors.append(Array(repeating: 0, count: rows))
            offsetErrors.append(Array(repeating: 0, count: rows))
        }
        return (matrices, offsets, rowErrors, offsetErrors)
    }

    /// Columns y (free) and the signed radius r ∈ [−1, 1]; maximise r.
    private static func makeProblem(dimension: Int, reduction: ColumnReduction) throws -> LinearProgram {
        let lp = try LinearProgram(columns: dimension + 1, optimisation: .maximise, feasibilityTolerance: Tolerances.glpkFeasibility)
        try setRadiusObjective(lp, dimension: dimension)
        try reduction.apply(to: lp)
        return lp
    }

    /// The search's objective: maximise the signed radius r ∈ [−1, 1] (the last column).
    private static func setRadiusObjective(_ lp: LinearProgram, dimension: Int) throws {
        var objective = Array(repeating: 0.0, count: dimension + 1)
        objective[dimension] = 1
        try lp.setObjective(objective)
        try lp.setColumnBound(dimension, .between(-1, 1))
    }

    struct Ball {
        var center: [Double]
        var radius: Double
    }

    /// Runs the whole search from the root. The root region (the box, or R^d) is
    /// full-dimensional; its ball is the box's inscribed ball or one of radius 1.
    func run() throws {
        try search(from: 0, ball: Ball(center: Array(repeating: 0, count: dimension), radius: 1))
    }

    /// Collects the nodes at `depth` (fewer if the tree is shallower) as tasks for workers.
    func collectFrontier(depth: Int) throws -> [SearchTask] {
        frontierDepth = depth
        frontier = []
        defer { frontierDepth = nil }
        try run()
        return frontier
    }

    /// Explores one task's subtree: replays its prefix as rows, then searches below it.
    ///
    /// With `yield` (called with the nodes visited so far in this call, at every node), the
    /// search may stop early and hand back the rest: once `yield` says so, no deeper node is
    /// entered; every side still to visit on the path is decided as usual (its LP) and, when
    /// it holds a region, returned as a task instead of being searched. The returned tasks'
    /// subtrees are disjoint and together with what was searched make up the whole task, so
    /// no region is lost or counted twice. `cover`, when given, is a certified bound over the
    /// whole task (per norm): parts bounded as unexplored take the smaller of it and their own
    /// interval bound.
    func run(_ task: SearchTask, cover: [Double]? = nil, yield: ((Int) -> Bool)? = nil) throws -> [SearchTask] {
        _ = try replay(task.pattern, depth: task.depth)
        restoreStable(task.stable)
        coverBound = cover
        handedBack = []
        defer { coverBound = nil; handedBack = [] }
        try search(from: task.depth, ball: Ball(center: task.center, radius: task.radius), yield: yield)
        return handedBack
    }

    /// A certified interior point (input coordinates) of a complete pattern's region and the
    /// radius of a ball around it inside the region, or nil when the region is not
    /// full-dimensional. Throws when the solvers cannot decide.
    func certifiedRegion(of complete: [[Bool]]) throws -> (center: [Double], radius: Double)? {
        switch try replay(complete, depth: hiddenCount) {
        case .empty: return nil
        case .exactNeeded:
            // A neuron constant on the region with a sign not yet decided: only the exact test knows.
            return try decideLeafExactly()
        case .ready:
            switch try solveBall(depth: hiddenCount) {
            case .ball(let ball): return try certify(ball)
            case .empty: return nil
            case .undecided: throw LinearProgramError.undecidedStatus(status: -1)
            }
        }
    }

    // MARK: - The depth-first search

    private struct Split {
        let layer: Int
        let index: Int
        /// nil when both sides are decided exactly, with no row (`Neuron.exactOnly`).
        let plane: (normal: [Double], offset: Double, error: Double)?
        /// The neuron is constant on the region (exactly).
        let constant: Bool
        let sides: [Bool]
        let rowCount: Int
        let basis: Basis?
    }

    private struct Frame {
        var depth: Int
        let ball: Ball
        var split: Split?
        var nextSide = 0
    }

    /// Visits the subtree where neurons `0..<depth` follow `pattern`, with an explicit stack;
    /// hands the rest back as tasks once `yield` says so (`run(_:cover:yield:)`).
    private func search(from depth: Int, ball: Ball, yield: ((Int) -> Bool)? = nil) throws {
        var stack = [Frame(depth: depth, ball: ball)]
        let entryRows = currentRowCount
        let entryNodes = statistics.nodes
        var handingBack = false
        while !stack.isEmpty {
            // Every side, not only every node: when the solvers cannot decide (each undecided
            // side costs an exact solve and adds no node), unwinding a path of 10^4 splits
            // would otherwise run ~40 s past the time limit without reading the clock.
            if checkStop() {
                // Everything still pending lies below the shallowest frame with work left, and
                // interval bounds only shrink as neurons are fixed: one bound there covers it
                // all (one per frame would cost O(depth) bounds of O(network) each).
                if let pending = stack.first(where: { frame in frame.split.map { frame.nextSide < $0.sides.count } ?? true }) {
                    // Only signs certified on a region holding all of it (`stable`).
                    forgetStable(from: pending.split == nil ? pending.depth : pending.depth + 1)
                    try recordUnexplored(decided: pending.depth, extra: nil)
                }
                try removeSplitRow(to: entryRows, basis: nil)
                return
            }
            let top = stack.count - 1
            if !handingBack, let yield, yield(statistics.nodes - entryNodes) { handingBack = true }
            if stack[top].split == nil {
                if handingBack {
                    // Not entered yet (only the top frame can be): the whole node goes back.
                    handBack(depth: stack[top].depth, ball: stack[top].ball)
                    stack.removeLast()
                } else if try !expand(&stack[top]) {
                    stack.removeLast()
                }
                continue
            }
            let frame = stack[top], split = frame.split!
            if frame.nextSide > 0 { try removeSplitRow(to: split.rowCount, basis: split.basis) }
            guard frame.nextSide < split.sides.count else { stack.removeLast(); continue }
            let active = split.sides[frame.nextSide]
            stack[top].nextSide += 1
            // Signs certified below the previous side do not hold on this one (`stable`).
            forgetStable(from: frame.depth + 1)
            pattern[split.layer][split.index] = active
            exactlyConstant[frame.depth] = split.constant
            switch try decideSide(split, active: active, ball: frame.ball, depth: frame.depth) {
            case .ball(let child):
                if handingBack { handBack(depth: frame.depth + 1, ball: child) } else { stack.append(Frame(depth: frame.depth + 1, ball: child)) }
            case .empty: statistics.emptySides += 1
            case .undecided: try recordUndecided(decided: frame.depth, extra: active)
            }
        }
    }

    /// Handles a node up to its next split: stops, frontier tasks, leaves, pruning and
    /// neurons that need no split. Returns true when `frame` now holds a split to branch on.
    ///
    /// The pruning test runs at the node's first neuron only, not again at each neuron after it
    /// that is decided without a split (`.fixed`, or a `stable` sign): on a deep narrow network
    /// such chains are thousands of neurons long, and a test costs O(network) (1000 layers of
    /// width 2: 44,000 nodes, 83 % of the time in those tests). Skipping a test never changes
    /// the answer; the next split's sides are tested with those neurons fixed.
    private func expand(_ frame: inout Frame) throws -> Bool {
        var chained = false
        while true {
            let depth = frame.depth
            statistics.nodes += 1
            // Signs certified outside this node's ancestors go (`stable`).
            forgetStable(from: depth)
            if checkStop() { try recordUnexplored(decided: depth, extra: nil); return false }
            if let frontierDepth, depth >= frontierDepth {
                frontier.append(task(depth: depth, ball: frame.ball))
                return false
            }
            if depth == hiddenCount { try recordRegion(frame.ball); return false }
            if !chained {
                if try canPrune(depth: depth) { statistics.prunedSubtrees += 1; return false }
                nodeUnpruned?(domain.point(frame.ball.center))
            }
            chained = true
            let layer = neuronLayer[depth], index = neuronIndex[depth]
            if index == 0 && layer > 0 { advanceLayer(to: layer) }
            if options.prune && !plain && stabilisesAt(depth: depth) {
                let deeper = try stabiliseDeeper(from: depth, ball: frame.ball)
                if try stabilise(from: depth, ball: frame.ball) || deeper, try canPrune(depth: depth) {
                    statistics.prunedSubtrees += 1
                    return false
                }
            }
            switch try classify(depth: depth) {
            case .fixed(let active, let constant):
                pattern[layer][index] = active
                exactlyConstant[depth] = constant
                statistics.constantNeurons += 1
                frame.depth += 1
            case .exactOnly(let constant):
                frame.split = Split(layer: layer, index: index, plane: nil, constant: constant, sides: [true, false],
                                    rowCount: currentRowCount, basis: nil)
                return true
            case .plane(let normal, let offset, let error):
                if let active = stable[depth] {
                    // `stabilise` (or `stabiliseDeeper`) certified that the other side is empty
                    // on an ancestor's region, which holds this one: the search would discard that
                    // side by a verdict as trusted, so the neuron is fixed without asking again. No
                    // row is added: the polytope is the same set (the row is implied), the LPs
                    // below stay sound supersets, and the leaf check still certifies its sign.
                    pattern[layer][index] = active
                    exactlyConstant[depth] = false
                    statistics.skippedLinearPrograms += 1
                    frame.depth += 1
                    continue
                }
                var distance = offset
                for j in 0..<dimension { distance += normal[j] * frame.ball.center[j] }
                // Visit the side holding the centre first: it needs no LP.
                frame.split = Split(layer: layer, index: index, plane: (normal, offset, error), constant: false,
                                    sides: distance >= 0 ? [true, false] : [false, true],
                                    rowCount: currentRowCount, basis: savedBasis())
                return true
            }
        }
    }

    private enum SideVerdict {
        case ball(Ball)
        case empty
        case undecided
    }

    /// Adds the split's row for one side and decides whether that side is a region.
    private func decideSide(_ split: Split, active: Bool, ball: Ball, depth: Int) throws -> SideVerdict {
        guard let plane = split.plane else {
            // No row: the exact test decides; the parent's ball serves as a (heuristic) start
            // below — it is the region itself on a constant neuron's side.
            return try decideExactly(depth: depth + 1, fallback: ball)
        }
        let sign = active ? 1.0 : -1.0
        try addSplitRow(normal: plane.normal, b: plane.offset, sign: sign, error: plane.error)
        var signedDistance = plane.offset  // the centre's distance into this side
        for j in 0..<dimension { signedDistance += plane.normal[j] * ball.center[j] }
        signedDistance *= sign
        if !plain {
            if signedDistance >= ball.radius && signedDistance > 0 {
                statistics.skippedLinearPrograms += 1
                return .ball(ball)  // the whole ball lies on this side
            }
            if signedDistance > -ball.radius {
                // The hyperplane cuts the ball: this side holds a ball of radius (r + s)/2.
                let radius = (ball.radius + signedDistance) / 2
                if radius > decisionBand(at: ball.center) {
                    let shift = sign * (ball.radius - radius)
                    statistics.skippedLinearPrograms += 1
                    return .ball(Ball(center: zip(ball.center, plane.normal).map { $0 + shift * $1 }, radius: radius))
                }
            }
        }
        // The parent's centre is a feasible point of this side's LP with r = min(radius, distance):
        // an optimum below that is a solver error.
        return try solveBall(depth: depth + 1, floor: (point: ball.center, r: min(ball.radius, signedDistance)))
    }

    // MARK: - Deciding regions

    /// The band within which a floating-point radius at `y` is not trusted: the user's
    /// relative band plus the rows' rounding, both relative to the point's own scale.
    private func decisionBand(at y: [Double]) -> Double {
        let rows = rowErrors.last ?? 0
        let scale = 1 + y.reduce(0) { max($0, abs($1)) }
        return (band + Tolerances.rowErrorWeight * rows) * scale
    }

    /// The Chebyshev ball of the current rows when the floating-point LP is clear about it,
    /// otherwise the exact verdict on the first `depth` neurons.
    private func solveBall(depth: Int, floor: (point: [Double], r: Double)? = nil) throws -> SideVerdict {
        statistics.linearPrograms += 1
        var problem: LinearProgram
        let solution: Solution
        do {
            if plain {
                problem = try Self.makeProblem(dimension: dimension, reduction: reduction)
                for (row, bound) in pathRows { try problem.addRow(row, bound) }
            } else {
                problem = lp
            }
            do {
                solution = try problem.solve()
            } catch is LinearProgramError {
                // A failed or undecided solve (GLPK code 5 was seen on real networks): this node's
                // problem rebuilt from scratch (a fresh copy, standard basis) gets one more try,
                // with every verdict checked as usual; then the exact test.
                statistics.failedLinearPrograms += 1
                problem = try problem.rebuilt()
                solution = try problem.solve()
            }
        } catch is LinearProgramError {
            return try decideExactly(depth: depth, fallback: nil)
        }
        switch solution.status {
        case .infeasible:
            // Even r = −1 is infeasible: empty by a full length unit, unless the tight
            // constraints are so ill-conditioned that the solver's tolerances could hide a region.
            // (The parent's centre is feasible with r = floor.r: above −1, "infeasible" is an error.)
            let contradicted = floor.map { $0.r > -1 + Tolerances.trustedInfeasibility } ?? false
            if !contradicted, trustsInfeasibility(problem) { return .empty }
            return try decideExactly(depth: depth, fallback: nil)
        case .optimal:
            let center = Array(solution.values[0..<dimension]), r = solution.objective
            let threshold = decisionBand(at: center)
            if r > threshold { return .ball(Ball(center: center, radius: r)) }
            if r < -threshold && trustsEmptyVerdict(problem, r: r, center: center, threshold: threshold, floor: floor) {
                return .empty
            }
            return try decideExactly(depth: depth, fallback: r > 0 ? Ball(center: center, radius: r) : nil)
        case .unbounded:
            return try decideExactly(depth: depth, fallback: nil)
        }
    }

    /// Whether GLPK's "infeasible" may discard a side: the rows' rounding and the conditioning
    /// of the constraints tight at its final basis are small enough for a full length unit of
    /// violation to be real, and no nearly parallel pair or broken column reduction is on the path.
    private func trustsInfeasibility(_ problem: LinearProgram) -> Bool {
        let rows = Tolerances.rowErrorWeight * (rowErrors.last ?? 0)
        return rows < Tolerances.trustedInfeasibility && !(nearlyParallel.last ?? false) && (reductionHolds.last ?? true)
            && problem.tightConstraintCondition() * Tolerances.glpkFeasibility < Tolerances.trustedInfeasibility
            && problem.smallestTightCoefficient() >= Tolerances.smallestTrustedCoefficient
    }

    /// Whether a negative floating-point radius r̂ may discard a side. It must clear the band
    /// plus κ·tolerance·(1 + |y|) (κ: condition of the constraints tight at the optimum), the
    /// basis must be dual feasible without tolerance (along an unbounded direction any dual
    /// slack is an unlimited improvement), no tight row may carry a coefficient so small that
    /// GLPK's pivoting tolerances could ignore it (nearly parallel hyperplanes that meet far
    /// away), and r̂ may not lie below the radius already attained at a known feasible point.
    private func trustsEmptyVerdict(_ problem: LinearProgram, r: Double, center: [Double], threshold: Double,
                                    floor: (point: [Double], r: Double)?) -> Bool {
        if nearlyParallel.last ?? false { return false }
        guard reductionHolds.last ?? true else { return false }
        let scale = 1 + center.reduce(0) { max($0, abs($1)) }
        if let floor, r < floor.r - Tolerances.glpkFeasibility * scale * 10 { return false }
        let doubt = Tolerances.conditionWeight * problem.tightConstraintCondition() * Tolerances.glpkFeasibility * scale
        guard r < -(threshold + doubt), problem.dualInfeasibility() == 0 else { return false }
        return problem.smallestTightCoefficient() >= Tolerances.smallestTrustedCoefficient
    }

    /// Decides the first `depth` neurons of `pattern` in exact arithmetic. A full-dimensional
    /// region continues with `fallback` when given, else with the exact LP's point and radius 0.
    private func decideExactly(depth: Int, fallback: Ball?) throws -> SideVerdict {
        statistics.exactDecisions += 1
        do {
            switch try exact.decide(pattern, depth: depth) {
            case .empty: return .empty
            case .fullDimensional(let point):
                return .ball(fallback ?? Ball(center: domain.coordinates(point), radius: 0))
            }
        } catch is LinearProgramError {
            return .undecided
        }
    }

    private enum Neuron {
        /// Decided without a split: `constant` when it is constant on the region.
        case fixed(active: Bool, constant: Bool)
        /// Split with both sides decided in exact arithmetic and no row: a neuron constant on the
        /// region whose sign is not certain, or one whose hyperplane cannot be represented in
        /// floating point (a row lost to cancellation, or out of range). Without its row the
        /// floating-point LPs below describe a superset of the region, so their empty verdicts
        /// stay sound, and the leaf check verifies the neuron's sign.
        case exactOnly(constant: Bool)
        /// A hyperplane: unit normal, offset and relative rounding error.
        case plane(normal: [Double], offset: Double, error: Double)
    }

    /// What neuron `depth` does on the current region.
    private func classify(depth: Int) throws -> Neuron {
        let layer = neuronLayer[depth], index = neuronIndex[depth]
        let a = preMatrix[layer].row(index), c = preOffset[layer][index]
        let error = preError[layer][index], offsetError = preOffsetError[layer][index]
        let largest = a.reduce(0) { max($0, abs($1)) }
        // An exactly zero row (no term reached it): constant, with the sign of its offset (exact
        // when no term reached the offset either).
        let signKnown = offsetError == 0 || abs(c) > offsetError
        if largest == 0 && error == 0 { return signKnown ? .fixed(active: c > 0, constant: true) : .exactOnly(constant: true) }
        let unit = a.map { $0 / largest }
        let length = unit.reduce(0) { $0 + $1 * $1 }.squareRoot() * largest
        if !(length > Tolerances.constancyFactor * error) || !length.isFinite {
            guard try isConstant(depth: depth) else {
                return length > 0 && length.isFinite ? plane(a: a, c: c, length: length, error: error, offsetError: offsetError) : .exactOnly(constant: false)
            }
            return signKnown ? .fixed(active: c > 0, constant: true) : .exactOnly(constant: true)
        }
        return plane(a: a, c: c, length: length, error: error, offsetError: offsetError)
    }

    /// The unit hyperplane of a row, or how the neuron is decided without one. `error` and
    /// `offsetError` bound the rounding of the row and of its offset.
    private func plane(a: [Double], c: Double, length: Double, error: Double, offsetError: Double) -> Neuron {
        let largest = a.reduce(0) { max($0, abs($1)) }
        let unitLength = length / largest
        let normal = a.map { ($0 / largest) / unitLength }
        let offset = (c / largest) / unitLength
        let normalError = error / length, offsetSlack = offsetError / length
        if domain.box != nil {
            // The box is [−1, 1]^d here: a hyperplane that misses it leaves one sign on it.
            let reach = normal.reduce(0) { $0 + abs($1) }
            if abs(offset) - offsetSlack > reach * (1 + 1e-9) + 1e-9 + 4 * normalError * (1 + reach) {
                return .fixed(active: offset > 0, constant: false)
            }
        }
        // Relative error of the signed distance near the points where the row can be tight.
        let relativeError = normalError + offsetSlack / (1 + abs(offset))
        // A row mostly made of rounding (cancellation) would only mislead the LPs.
        guard relativeError < Tolerances.largestRowError, offset.isFinite, normal.allSatisfy(\.isFinite) else {
            return .exactOnly(constant: false)
        }
        return .plane(normal: normal, offset: offset, error: relativeError)
    }

    /// Exact test of whether neuron `depth`'s gradient vanishes on the current region.
    private func isConstant(depth: Int) throws -> Bool {
        statistics.exactDecisions += 1
        do {
            return try exact.isConstant(layer: neuronLayer[depth], neuron: neuronIndex[depth], pattern: pattern)
        } catch is LinearProgramError {
            return false  // then the neuron is split; a near-zero row only makes its sides exact
        }
    }

    /// Checks a leaf's ball centre with the certified forward pass; on failure the exact test
    /// decides. Returns an interior point and the radius of a ball around it inside the region,
    /// or nil for a region that is not full-dimensional.
    private func certify(_ ball: Ball) throws -> (center: [Double], radius: Double)? {
        let x = domain.point(ball.center)
        if certifies(x) { return (x, witnessRadius(at: x)) }
        return try decideLeafExactly()
    }

    private func decideLeafExactly() throws -> (center: [Double], radius: Double)? {
        statistics.exactDecisions += 1
        switch try exact.decide(pattern, depth: hiddenCount) {
        case .empty: return nil
        case .fullDimensional(let point): return (point, certifies(point) ? witnessRadius(at: point) : 0)
        }
    }

    /// True when x lies in the open box and every neuron not constant on the region has a
    /// certified sign at x equal to `pattern`: then a neighbourhood of x lies in the region.
    private func certifies(_ x: [Double]) -> Bool {
        guard domain.strictlyInside(x) else { return false }
        let skip = Set((0..<hiddenCount).filter { exactlyConstant[$0] })
        return CertifiedForwardPass(network: network, at: x).certifies(pattern, skip: skip)
    }

    /// The radius of a ball around a certified point x inside the region: the smallest
    /// certified margin over gradient-norm bound of the non-constant neurons, and the distance
    /// to the box (rounded down).
    private func witnessRadius(at x: [Double]) -> Double {
        let pass = CertifiedForwardPass(network: network, at: x)
        var radius = Double.infinity
        if let box = domain.box {
            for j in 0..<dimension { radius = min(radius, (x[j] - box.lower[j]) * (1 - 1e-12), (box.upper[j] - x[j]) * (1 - 1e-12)) }
        }
        let gradients = CertifiedGradients(network: network, pattern: pattern, layers: network.hiddenWidths.count)
        for t in 0..<hiddenCount where !exactlyConstant[t] {
            let (k, i) = (neuronLayer[t], neuronIndex[t])
            radius = min(radius, pass.margin(layer: k, neuron: i) / gradients.normBound(layer: k, neuron: i))
        }
        return radius.isFinite ? max(0, radius) : 0
    }

    // MARK: - Rows

    /// The basis to restore after a split, saved only on paths of moderate length so that the
    /// saved bases take O(limit²) memory, not O(depth²); deeper, GLPK rebuilds a basis when
    /// the truncated one is no longer valid (`LinearProgram.solve` handles that).
    private func savedBasis() -> Basis? {
        plain || lp.rowCount > Tolerances.savedBasisRowLimit ? nil : lp.basis()
    }

    private var currentRowCount: Int { plain ? pathRows.count : lp.rowCount }

    private enum Replay { case ready, exactNeeded, empty }

    /// Makes the problem's rows those of the first `depth` neurons of `prefix`. `.empty` when a
    /// neuron decided without a split disagrees with `prefix` (its region is empty),
    /// `.exactNeeded` when a constant neuron's side was not decided on the way.
    private func replay(_ prefix: [[Bool]], depth: Int) throws -> Replay {
        try removeSplitRow(to: boxRowCount, basis: nil)
        pattern = prefix
        var outcome = Replay.ready
        for t in 0..<depth {
            let layer = neuronLayer[t], index = neuronIndex[t]
            if index == 0 && layer > 0 { advanceLayer(to: layer) }
            switch try classify(depth: t) {
            case .fixed(let active, let constant):
                exactlyConstant[t] = constant
                if active != prefix[layer][index] { return .empty }
            case .exactOnly(let constant):
                exactlyConstant[t] = constant
                outcome = .exactNeeded
            case .plane(let normal, let b, let error):
                exactlyConstant[t] = false
                try addSplitRow(normal: normal, b: b, sign: prefix[layer][index] ? 1 : -1, error: error)
            }
        }
        return outcome
    }

    private func addSplitRow(normal: [Double], b: Double, sign: Double, error: Double) throws {
        var row = normal.map { sign * $0 }
        row.append(-1)
        if plain { pathRows.append((row, .atLeast(-sign * b))) } else { try lp.addRow(row, .atLeast(-sign * b)) }
        rowErrors.append(max(rowErrors.last ?? 0, error))
        reductionHolds.append((reductionHolds.last ?? true) && reduction.holds(for: row))
        nearlyParallel.append((nearlyParallel.last ?? false) || hasNearlyParallelRow(normal))
        pathNormals.append(normal)
        pathOffsets.append(sign * b)
        pathSigns.append(sign)
    }

    /// True when `normal` is nearly parallel to a row already on the path. Globally such a pair
    /// may meet far away in a region that the floating-point LP cannot see (its rows are
    /// rounded to 1e-16 and its tolerances are 1e-9): below such a pair, empty verdicts are
    /// decided exactly. Inside a box every point is near, so the check is not needed there.
    /// Cost: one dot product per earlier row, once per split (stopping at the first pair).
    private func hasNearlyParallelRow(_ normal: [Double]) -> Bool {
        // In one dimension hyperplanes are points: parallel is all they can be, and they never meet.
        // The same holds when every other direction is removed (`ColumnReduction`) and the rows
        // keep the removal exact: they are then exact multiples of one vector.
        guard domain.box == nil, dimension - reduction.fixed.count > 1 || !(reductionHolds.last ?? true) else { return false }
        for other in pathNormals {
            var dot = 0.0
            for j in 0..<dimension { dot += normal[j] * other[j] }
            if abs(dot) > 1 - Tolerances.parallelCosine { return true }
        }
        return false
    }

    private func removeSplitRow(to rowCount: Int, basis: Basis?) throws {
        if plain {
            pathRows.removeSubrange(rowCount...)
        } else {
            try lp.truncateRows(to: rowCount)
            if let basis { lp.restore(basis) }
        }
        rowErrors.removeSubrange((rowCount - boxRowCount)...)
        nearlyParallel.removeSubrange((rowCount - boxRowCount)...)
        reductionHolds.removeSubrange((rowCount - boxRowCount)...)
        pathNormals.removeSubrange((rowCount - boxRowCount)...)
        pathOffsets.removeSubrange((rowCount - boxRowCount)...)
        pathSigns.removeSubrange((rowCount - boxRowCount)...)
    }

    // MARK: - Layers, regions, bounds

    private func checkStop() -> Bool {
        if shared.stopReason != nil { return true }
        if let limit = options.maxRegions, shared.regions >= limit { shared.stop(.maxRegions); return true }
        // Every node: a node can cost a whole layer's pre-activation map on wide networks, and
        // reading the clock costs nanoseconds.
        do {
            let now = DispatchTime.now().uptimeNanoseconds
            let elapsed = shared.elapsed
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

    /// Computes layer `layer`'s pre-activation map from the previous layer's and its pattern,
    /// with bounds on its rounding errors (Higham §3.5, doubled; a row that no term reaches is
    /// exactly zero and gets error 0).
    private func advanceLayer(to layer: Int) {
        let w = network.layers[layer].weights
        let previous = preMatrix[layer - 1], previousOffset = preOffset[layer - 1]
        let previousError = preError[layer - 1], previousOffsetError = preOffsetError[layer - 1]
        let mask = pattern[layer - 1]
        let gamma = 2 * Double(w.columns + dimension + 2) * Tolerances.unitRoundoff
        var m = Matrix(rows: w.rows, columns: dimension)
        var c = network.layers[layer].biases.map { $0 / domain.unit }
        var rowError = Array(repeating: 0.0, count: w.rows), offsetError = rowError
        for r in 0..<w.rows {
            var rowMagnitude = 0.0, offsetMagnitude = abs(c[r]), rowPropagated = 0.0, offsetPropagated = 0.0
            // A row is exactly zero only when no term has two non-zero factors: a product of
            // non-zero doubles can underflow to 0 (weights 1e-200 on two layers: 1e-400), and
            // taking such a row for an exact zero fixed a switching neuron as constant, lost its
            // regions and certified a wrong constant (0 instead of 1e-100). Such a row keeps an
            // error bound (the `leastNormalMagnitude` term covers the underflow), so `classify`
            // asks the exact test.
            var rowNonZero = false, offsetNonZero = network.layers[layer].biases[r] != 0
            for j in 0..<w.columns where mask[j] {
                let weight = w[r, j]
                if weight == 0 { continue }
                for col in 0..<dimension {
                    m[r, col] += weight * previous[j, col]
                    rowMagnitude += abs(weight * previous[j, col])
                    if previous[j, col] != 0 { rowNonZero = true }
                }
                c[r] += weight * previousOffset[j]
                offsetMagnitude += abs(weight * previousOffset[j])
                if previousOffset[j] != 0 { offsetNonZero = true }
                rowPropagated += abs(weight) * previousError[j]
                offsetPropagated += abs(weight) * previousOffsetError[j]
            }
            let exactZero = !rowNonZero && rowPropagated == 0
            rowError[r] = exactZero ? 0 : 2 * gamma * rowMagnitude + (1 + 2 * gamma) * rowPropagated + Double.leastNormalMagnitude
            let exactOffset = !offsetNonZero && offsetPropagated == 0
            offsetError[r] = exactOffset ? 0 : 2 * gamma * offsetMagnitude + (1 + 2 * gamma) * offsetPropagated + Double.leastNormalMagnitude
        }
        preMatrix[layer] = m
        preOffset[layer] = c
        preError[layer] = rowError
        preOffsetError[layer] = offsetError
    }

    private func recordRegion(_ ball: Ball) throws {
        let certified: (center: [Double], radius: Double)?
        do { certified = try certify(ball) } catch is LinearProgramError {
            try recordUndecided(decided: hiddenCount, extra: nil)
            return
        }
        guard let (point, radius) = certified else { statistics.emptySides += 1; return }
        guard shared.claimRegion(limit: options.maxRegions) else {
            // Another worker reached the limit first: this region is left for the upper bound.
            shared.stop(.maxRegions)
            try recordUnexplored(decided: hiddenCount, extra: nil)
            return
        }
        let activation = ActivationPattern(layers: pattern)
        var jacobian = shared.originalJacobian(of: activation, searched: network)
        let reported = shared.originalPattern(activation)
        var values = try norms.map { try operatorNorm(jacobian, p: $0) }
        // A value that rounding could lift above the best (each is within `boundSlack` of the
        // region's own) is taken from an accurate Jacobian (`RegionJacobian`); the others cannot
        // raise the best whatever their rounding, so they are offered as they are.
        if needsAccurateValue(values) {
            do {
                jacobian = try RegionJacobian.accurate(shared.originalNetwork(network), reported, norms: norms, fast: jacobian)
            } catch is RegionJacobian.Unrepresentable {
                try recordUndecided(decided: hiddenCount, extra: nil)
                return
            }
            values = try norms.map { try operatorNorm(jacobian, p: $0) }
        }
        for (n, value) in values.enumerated() {
            guard value.isFinite else { throw ExactError.overflow }
            shared.offer(value, norm: n) {
                RegionWitness(pattern: reported, interiorPoint: point, radius: radius, jacobian: jacobian)
            }
        }
        regionVisited?(point, values)
    }

    /// Whether rounding could lift some value above the best: the best as last read (`seenBest`,
    /// never above the shared one, so a stale copy only sends more regions to the check), read
    /// again under the lock only when the copy does not settle it.
    private func needsAccurateValue(_ values: [Double]) -> Bool {
        func settled() -> Bool { values.indices.allSatisfy { values[$0] + boundSlack[$0] <= seenBest[$0] } }
        if settled() { return false }
        seenBest = shared.best
        return !settled()
    }

    /// Called after every region is offered, with its certified interior point (input
    /// coordinates) and its values per norm (`InSearchIncumbents` climbs from good ones).
    var regionVisited: ((_ point: [Double], _ values: [Double]) -> Void)?
    /// Called at every node that the pruning test could not prune, with its ball's centre
    /// (input coordinates): `InSearchIncumbents` climbs from some of them.
    var nodeUnpruned: ((_ center: [Double]) -> Void)?

    /// True when branch and bound may skip the subtree below `depth`: for every norm, a sound
    /// bound on ‖J‖ over every completion of the path's pattern is at most the best value.
    ///
    /// The bound is `JacobianBound.bound` with the best value as its target: the forward and
    /// backward interval products of the chain with its decided leading layers folded into one
    /// exact matrix (never looser than `IntervalJacobian`), then, only when that lies within
    /// 10 % above the target, the linear relaxation of the unknown indicators (Shi et al. 2022),
    /// and every completion when at most 3 neurons are unknown. Each stage bounds every
    /// Jacobian whose pattern agrees with the path (an unknown indicator ranges over [0, 1] ⊇
    /// {0, 1}), so a pruned subtree holds no region above the best value: the soundness
    /// argument is in `JacobianBound`'s documentation. Completions that are not regions only
    /// loosen it. The sphere covering for three or four outputs (`SphereCover`) is left out here:
    /// it cost He-initialised (10, 20, 15, 10, 3) 14 % of its nodes in 60 s (596,000 against
    /// 690,000) for the same upper bound; queued subtrees' bounds keep it.
    private func canPrune(depth: Int) throws -> Bool {
        guard options.prune, depth < hiddenCount else { return false }
        best = shared.pruneThreshold
        guard best.allSatisfy({ $0 >= 0 }) else { return false }
        statistics.pruningTests += 1
        let states = pathStates(decided: depth, extra: nil)
        for (n, norm) in norms.enumerated() {
            let target = best[n] - boundSlack[n]
            let bound = try JacobianBound.bound(network: network, states: states, p: norm, target: target,
                                                hopelessRatio: relaxationRatio, cache: foldCache, sphereCover: false)
            if !(bound + boundSlack[n] <= best[n]) { return false }
        }
        return true
    }

    /// Per norm, a bound on how far rounding can move an interval-product or completion bound
    /// below the exact value it stands for: every entry of those products is a sum of products
    /// of weights, each of whose terms is at most the matching entry of A = |W_L|⋯|W_0| (all
    /// indicators 1), and each layer's accumulation errs by at most (n_k + 2)·u of the absolute
    /// terms (Higham §3.1), so every entry errs by at most γ·A_ij with γ = 2u·Σ(n_k + 2) (the 2
    /// covers the products of errors), and a norm by at most γ·‖A‖ (these norms are monotone in
    /// absolute entries). The linear relaxation carries its own margin (`JacobianBound`). Without
    /// it, a network whose Jacobian is a cancellation (weights 0.125 and 1e-19 against −0.125 and
    /// −1e-19: exactly 5.6e-20, 0 in some orders of summation) could have its only non-zero
    /// region pruned against the value 0 (`DifferentialTests.testConstantNeuronsByCancellation`).
    static func boundRounding(_ network: ReLUNetwork, norms: [LipschitzNorm]) throws -> [Double] {
        let gamma = network.jacobianRoundingFactor
        // Plus what underflow can take off (`UnderflowSlack`): the products above can round to 0.
        let underflow = UnderflowSlack.bound(network)
        return try network.magnitudeNorms(norms: norms).map { gamma * $0 + underflow }
    }

    /// The path's neuron states: neurons before `decided` fixed, neuron `decided` set to
    /// `extra` (or free), the later neurons with a sign certified on the region (`stabilise`,
    /// `stabiliseDeeper`) at it, the rest free.
    private func pathStates(decided: Int, extra: Bool?) -> [[NeuronState]] {
        var states = network.hiddenWidths.map { Array(repeating: NeuronState.unknown, count: $0) }
        for t in min(decided, hiddenCount)..<hiddenCount {
            if let active = stable[t] { states[neuronLayer[t]][neuronIndex[t]] = active ? .active : .inactive }
        }
        for t in 0..<decided { states[neuronLayer[t]][neuronIndex[t]] = pattern[neuronLayer[t]][neuronIndex[t]] ? .active : .inactive }
        if let extra, decided < hiddenCount {
            states[neuronLayer[decided]][neuronIndex[decided]] = extra ? .active : .inactive
        }
        return states
    }

    /// Interval-Jacobian bounds (per norm) over every completion of the path (`pathStates`):
    /// cheap, for the subtrees left unexplored.
    private func intervalBounds(decided: Int, extra: Bool?) throws -> [Double] {
        let bound = IntervalJacobian(network: network, states: pathStates(decided: decided, extra: extra))
        return try norms.enumerated().map { n, norm in try bound.operatorNormBound(p: norm) + boundSlack[n] }
    }

    /// Bounds a subtree the search will not visit (by the running task's `coverBound` when
    /// that is smaller: the subtree lies in the task's); returns those bounds.
    @discardableResult
    private func recordUnexplored(decided: Int, extra: Bool?) throws -> [Double] {
        var bounds = try intervalBounds(decided: decided, extra: extra)
        if let coverBound { bounds = zip(bounds, coverBound).map { min($0, $1) } }
        shared.boundUnexplored(bounds)
        return bounds
    }

    /// Bounds a subtree the solvers could not decide; the result cannot be exact unless that
    /// bound is at most the best value (`SharedSearchState.undecidedMatters`).
    private func recordUndecided(decided: Int, extra: Bool?) throws {
        statistics.undecidedSubtrees += 1
        shared.markUndecided(bounds: try recordUnexplored(decided: decided, extra: extra))
    }

    /// Sound bounds (per norm) on ‖J‖ over every region of a task's subtree (`canPrune`'s
    /// bound with its rounding slack; `targets`, when given, let it stop at the cheap stage).
    func subtreeBounds(_ task: SearchTask, targets: [Double]?) throws -> [Double] {
        let states = taskStates(task)
        return try norms.enumerated().map { n, norm in
            try JacobianBound.bound(network: network, states: states, p: norm, target: targets.map { max(0, $0[n]) }) + boundSlack[n]
        }
    }

    /// The neuron states of a task's subtree (its prefix and the signs its ancestors certified).
    private func taskStates(_ task: SearchTask) -> [[NeuronState]] {
        pattern = task.pattern
        restoreStable(task.stable)
        return pathStates(decided: task.depth, extra: nil)
    }

    /// Sharper bounds (per norm) on a task's subtree for the anytime interval: branch and bound
    /// over its unknown indicators in pattern space (`PatternSplitBound`), at most `budget`
    /// bounds each, closing what lies below the best value; with the rounding slack.
    func splitSubtreeBounds(_ task: SearchTask, budget: Int, shouldStop: @escaping () -> Bool) throws -> [Double] {
        let states = taskStates(task)
        let best = shared.pruneThreshold
        return try norms.enumerated().map { n, norm in
            try PatternSplitBound.bound(network: network, states: states, p: norm, target: max(0, best[n] - boundSlack[n]),
                                        budget: budget, cache: foldCache, shouldStop: shouldStop) + boundSlack[n]
        }
    }

    // MARK: - Stabilising a layer before it is split

    /// Per neuron (flat index) of the layer being split on the current path: its sign on the
    /// whole region of the node that certified it (`stabilise`), else nil; `stableSetAt` holds
    /// that node's depth per sign set. Subregions keep the sign, so it holds at every node of its subtree.
    /// Every node at depth D first forgets the signs set at depth ≥ D (`forgetStable`): a node
    /// outside the setter's subtree is reached through a fresh node at a depth ≤ the setter's,
    /// so no sign survives outside the subtree that certified it. Cleared for tasks.
    private var stable: [Bool?] = []
    /// Boxes certified around the regions of nodes on the current path (`certifiedBox`), with
    /// their depths: forgotten like `stable`'s signs, outside the subtree of the node that
    /// certified them (a box around a region holds every subregion). Not handed to tasks.
    private var boxes: [(depth: Int, box: (lower: [Double], upper: [Double]))] = []
    private var stableSetAt: [(neuron: Int, depth: Int)] = []

    /// A task for the subtree at `depth` below the current path (neurons before `depth` follow
    /// `pattern`), with the signs certified by its ancestors: those set at a depth below
    /// `depth` (the rest belong to nodes that are not its ancestors, `forgetStable`).
    private func task(depth: Int, ball: Ball) -> SearchTask {
        let signs = stableSetAt.filter { $0.depth < depth }.compactMap { entry in
            stable[entry.neuron].map { (neuron: entry.neuron, active: $0, depth: entry.depth) }
        }
        return SearchTask(depth: depth, pattern: pattern, center: ball.center, radius: ball.radius, stable: signs)
    }

    private func restoreStable(_ signs: [(neuron: Int, active: Bool, depth: Int)]) {
        boxes = []
        farWitnesses = []
        stable = Array(repeating: nil, count: hiddenCount)
        stableSetAt = []
        for sign in signs {
            stable[sign.neuron] = sign.active
            stableSetAt.append((sign.neuron, sign.depth))
        }
    }

    /// Tasks handed back by the running `run(_:cover:yield:)`, and its task's bound.
    private var handedBack: [SearchTask] = []
    private var coverBound: [Double]?

    private func handBack(depth: Int, ball: Ball) {
        handedBack.append(task(depth: depth, ball: ball))
    }

    /// Stabilise at a layer's first node and then every this many neurons into the layer: the
    /// regions shrink as the layer is split, and neurons stable there are otherwise found only by
    /// an empty side when they are split, too late for the pruning bound above them.
    static let stabiliseStride = 4

    /// Whether `expand` stabilises at `depth`: a layer's first node (but the root: nothing is
    /// stable on all of R^d, and in a box `classify` already fixes what misses it), then every
    /// `stabiliseStride` neurons.
    private func stabilisesAt(depth: Int) -> Bool {
        let offset = depth - flatStart[neuronLayer[depth]]
        return depth > 0 && offset % Self.stabiliseStride == 0
    }

    /// At a node whose layer's pre-activations are affine on its region, finds the neurons of the
    /// layer from `depth` on whose sign is the same on the whole region, so that the pruning bound
    /// fixes them instead of letting their indicators range over [0, 1] and the split skips them.
    /// The side holding the node's ball centre is non-empty; a hyperplane that cuts the ball
    /// leaves both sides non-empty (no LP: it is only not marked); the other side is asked of the
    /// floating-point LP, and a neuron counts as stable only on an empty verdict that the search
    /// itself would trust (`floatSaysEmpty`): nothing uncertain is used, so every stable sign is
    /// certified. Returns whether a neuron was newly stabilised.
    private func stabilise(from depth: Int, ball: Ball) throws -> Bool {
        var found = false
        let layer = neuronLayer[depth]
        // Points known to lie in this region besides the ball (`farWitnesses`): a test they
        // already answer costs no LP.
        var witnesses = farWitnesses.compactMap { insideCurrentRows($0.ball) }
        let rows = currentRowCount, basis = savedBasis()
        // With a box around the region, the far side is first asked as max ±(h·y + b) over the
        // node's rows (`maximumVerdict`); `maximising` says the LP holds that form.
        let certificate = stabilityCertificate()
        var maximising = false
        defer { if maximising { try? restoreRadiusObjective(); if let basis { lp.restore(basis) } } }
        for t in depth..<(flatStart[layer] + network.hiddenWidths[layer]) where stable[t] == nil {
            guard case .plane(let normal, let offset, let error) = try classify(depth: t) else { continue }
            var distance = offset
            for j in 0..<dimension { distance += normal[j] * ball.center[j] }
            guard distance != 0, abs(distance) >= ball.radius else { continue }
            let side = distance > 0 ? -1.0 : 1.0  // the side away from the centre
            // A witness ball reaching the side away from the centre: that side holds points of
            // the region, so the neuron is not stable (and its LP could not say otherwise).
            if witnesses.contains(where: { reaches($0, normal: normal, offset: offset, side: side) }) {
                statistics.witnessAnsweredTests += 1
                continue
            }
            var verdict: (empty: Bool, ball: Ball?)?
            if let certificate {
                if !maximising { try lp.setColumnBound(dimension, .between(0, 1)); maximising = true }
                verdict = try maximumVerdict(plane: (normal, offset, error), side: side, ball: ball, near: abs(distance), certificate: certificate)
            }
            if verdict == nil {
                if maximising { try restoreRadiusObjective(); if let basis { lp.restore(basis) }; maximising = false }
                try addSplitRow(normal: normal, b: offset, sign: side, error: error)
                // The centre lies in that side with radius −|distance|: the floor `solveBall` checks.
                verdict = try floatVerdict(floor: (ball.center, -abs(distance)))
                try removeSplitRow(to: rows, basis: basis)
            }
            if verdict!.empty {
                stable[t] = distance > 0
                stableSetAt.append((t, depth))
                statistics.stabilisedNeurons += 1
                found = true
            } else if let far = verdict!.ball, farWitnesses.count < Self.witnessLimit {
                witnesses.append(far)
                farWitnesses.append((depth, far))
            }
        }
        return found
    }

    /// The far side of a neuron asked as m = max side·(h·y + b) over the node's rows (r ≥ 0 leaves
    /// them as they are; only the objective changes, so GLPK's primal simplex starts from the last
    /// test's vertex): nil when the LP test of the far side must decide (`floatVerdict`).
    ///
    /// - m clearly positive (above the decision band): the far side meets the node's polytope
    ///   beyond rounding, so the neuron is split as usual. No rigour is needed for that direction
    ///   (a neuron not fixed is only split). The optimal vertex v, pulled towards the node's ball
    ///   (centre c, radius R, on the near side at distance |d| = `near`, the caller's) to p = v + t(c − v) with
    ///   t = m / (2(m + |d|)), gives the witness ball (p, tR): by convexity it lies in the
    ///   polytope and p is on the far side by m/2 (a heuristic hint, as every witness).
    /// - m clearly negative: stable only when `StabilityCertificate` proves, from the LP's duals,
    ///   the certified box and the rows' error bounds, that side·(h·y + b) is below −band·scale on
    ///   the whole region: a proof in itself, so as trusted as the LP test's verdict it replaces.
    /// - Anything else (an unbounded maximum says not stable; a failure, an infeasible verdict or a
    ///   value near 0 goes to the LP test).
    private func maximumVerdict(plane: (normal: [Double], offset: Double, error: Double), side: Double, ball: Ball,
                                near: Double, certificate: StabilityCertificate) throws -> (empty: Bool, ball: Ball?)? {
        var objective = plane.normal.map { side * $0 }
        objective.append(0)
        try lp.setObjective(objective)
        statistics.linearPrograms += 1
        guard let solution = try? lp.solvePrimal() else { statistics.failedLinearPrograms += 1; return nil }
        switch solution.status {
        case .unbounded: return (false, nil)
        case .infeasible: return nil
        case .optimal: break
        }
        let m = solution.objective + side * plane.offset, band = self.band * certificate.scale
        if m > band {
            guard ball.radius > 0, near.isFinite else { return (false, nil) }
            let t = m / (2 * (m + near))
            let point = (0..<dimension).map { solution.values[$0] + t * (ball.center[$0] - solution.values[$0]) }
            return (false, Ball(center: point, radius: t * ball.radius))
        }
        guard m < -band else { statistics.maximumFallbacks += 1; return nil }
        let constantError = certificate.slack(relativeError: plane.error, offset: plane.offset)
        let upper = certificate.bound(objective: Array(objective[0..<dimension]), constant: side * plane.offset,
                                      constantError: constantError, duals: lp.rowDuals())
        guard upper < -band else { statistics.maximumFallbacks += 1; return nil }
        statistics.certifiedStableTests += 1
        return (true, nil)
    }

    /// The rows of the current LP with their error bounds and a box around the node's region, for
    /// `maximumVerdict`; nil without a box (globally, before the first `certifiedBox`).
    private func stabilityCertificate() -> StabilityCertificate? {
        var reach: [Double]? = domain.box.map { _ in Array(repeating: 1.0, count: dimension) }
        if let box = boxes.last?.box {
            let boxReach = zip(box.lower, box.upper).map { max(abs($0), abs($1)) }
            reach = reach.map { zip($0, boxReach).map { min($0, $1) } } ?? boxReach
        }
        return reach.flatMap(certificate(reach:))
    }

    /// The current LP's rows (the input box's and the path's, with their error bounds) in a box of
    /// the given reach, nil when a number is not finite.
    private func certificate(reach: [Double]) -> StabilityCertificate? {
        // y = (x − origin)/scale is rounded: a relative margin far above that.
        let reach = reach.map { $0 * (1 + 1e-9) + 1e-300 }
        guard reach.allSatisfy(\.isFinite) else { return nil }
        var rows: [(normal: [Double], offset: Double, relativeError: Double)] = []
        for (row, bound) in pathRows.prefix(boxRowCount) {
            guard case .atLeast(let lower) = bound else { return nil }
            rows.append((Array(row[0..<dimension]), -lower, 4 * Tolerances.unitRoundoff))
        }
        for k in pathNormals.indices {
            rows.append((pathNormals[k].map { pathSigns[k] * $0 }, pathOffsets[k], rowErrors[k]))
        }
        return StabilityCertificate(rows: rows, reach: reach)
    }

    /// Balls found inside the regions of nodes on the current path by `stabilise`'s LPs that did
    /// not certify a sign (a Chebyshev ball of the region and one neuron's far side), with the
    /// depth of their node; forgotten like `stable`'s signs. A later `stabilise` on the path uses
    /// those whose centre lies inside its rows (`insideCurrentRows`) to skip the tests they already
    /// answer. Only a skip depends on them, and a skipped test leaves a sign uncertified (the neuron
    /// is split as usual), so they need no rigour. Measured (release, 1 thread, climbs off to keep
    /// the nodes equal): random (4, 16, 16, 16, 1) seed 8 154,793 → 141,939 LPs, 2.45 → 2.34 s user;
    /// double pendulum 121,631 → 113,548 LPs, 2.57 → 2.42 s; the same nodes. The same balls reused for
    /// the far side of a later split saved another 5 % of the LPs but cost more time than that
    /// (smaller balls than the LP's, and the checks), so they are not.
    private var farWitnesses: [(depth: Int, ball: Ball)] = []
    /// At most this many on the path: each costs O(rows · d) per `stabilise`.
    static let witnessLimit = 32

    /// The part of `ball` inside the current split rows (its centre with the smallest clearance),
    /// or nil when its centre is not strictly inside them.
    private func insideCurrentRows(_ ball: Ball) -> Ball? {
        var radius = ball.radius
        for (k, normal) in pathNormals.enumerated() {
            var distance = pathOffsets[k]
            for j in 0..<dimension { distance += pathSigns[k] * normal[j] * ball.center[j] }
            guard distance > 0 else { return nil }
            radius = min(radius, distance)
        }
        return Ball(center: ball.center, radius: radius)
    }

    /// Whether `ball` reaches into the open side `side`·(normal·y + offset) > 0.
    private func reaches(_ ball: Ball, normal: [Double], offset: Double, side: Double) -> Bool {
        var distance = offset
        for j in 0..<dimension { distance += normal[j] * ball.center[j] }
        return side * distance > -ball.radius
    }

    /// At a stabilising node (`stabilisesAt`) of any hidden layer but the last, certifies signs of
    /// the neurons of this layer and the deeper ones on the node's region, before the search
    /// reaches them: a certified
    /// box around the region (`certifiedBox`), then interval arithmetic with outward margins
    /// through the layers (`DeeperSigns`, whose documentation argues the rounding). Each sign holds
    /// on the whole region, hence on every node of its subtree; it goes into `stable` with this
    /// node's depth, so it is forgotten outside the subtree like `stabilise`'s. The pruning bound
    /// then fixes those indicators, and the split skips those neurons. Returns whether a sign was
    /// newly certified.
    private func stabiliseDeeper(from depth: Int, ball: Ball) throws -> Bool {
        let layer = neuronLayer[depth]
        guard layer + 1 < network.hiddenWidths.count else { return false }
        // A fresh box at every stabilising node (2·d LPs, each only an objective change, certified
        // without further LPs: `certifiedBox`); it is tighter than an ancestor's, which holds this
        // region too, and it lets `stabilise` prove stable signs without the far-side LP
        // (`maximumVerdict`). Measured (release, 1 thread, nodes / LPs / user s), random
        // (4, 16, 16, 16, 1): a box only at a layer's first node with none above it (and at layer 0's
        // stabilising nodes with two hidden layers) 60,563 / 130,503 / 1.98, at every stabilising
        // node 43,161 / 128,886 / 1.80; double pendulum 23,861 / 100,985 / 1.93 → 20,647 / 91,756 /
        // 1.84. With two LPs per face (a far-side LP certifying each), boxes that often cost more
        // than they saved (4, 16, 16, 16, 1: 30 % fewer nodes, 20 % more LPs, slower).
        if boxesPay, let fresh = try certifiedBox(ball: ball) {
            boxes.append((depth, fresh))
        }
        guard let box = boxes.last?.box else { return false }
        let widths = network.hiddenWidths
        var known: [[Bool?]] = widths.map { Array(repeating: nil, count: $0) }
        for t in flatStart[layer]..<hiddenCount { known[neuronLayer[t]][neuronIndex[t]] = t < depth ? pattern[neuronLayer[t]][neuronIndex[t]] : stable[t] }
        let signs = DeeperSigns(network: network, biasScale: 1 / domain.unit).signs(
            layer: layer, matrix: preMatrix[layer], offset: preOffset[layer], rowError: preError[layer],
            offsetError: preOffsetError[layer], box: box, known: known)
        var found = false
        for t in depth..<hiddenCount where stable[t] == nil {
            guard let active = signs[neuronLayer[t] - layer][neuronIndex[t]] else { continue }
            stable[t] = active
            stableSetAt.append((t, depth))
            statistics.stabilisedNeurons += 1
            statistics.deeperStabilisedNeurons += 1
            found = true
        }
        return found
    }

    /// LPs spent on `certifiedBox` by this enumerator. Boxes keep being computed while the signs
    /// they certify (`deeperStabilisedNeurons`, each saving a split's LP and tightening the
    /// pruning bound) are at least a quarter of that, judged after a first 256 LPs: on trained
    /// networks with large weights the intervals certify nothing (cartpole 4-16-16-16-2: 0 signs,
    /// 10 % more LPs), on random deep ones about one sign per box LP. Affects speed only.
    private var boxLinearPrograms = 0
    private var boxesPay: Bool {
        boxLinearPrograms < 256 || 4 * statistics.deeperStabilisedNeurons >= boxLinearPrograms
    }

    /// A box (y-space) holding the current region, or nil when some coordinate is unbounded on
    /// it or a bound cannot be certified. Per coordinate and direction, the floating-point LP
    /// max ±y_c over the rows (r ∈ [0, 1], only the objective changes: primal simplex from the last
    /// vertex) gives v, pushed out by a margin to the face ±y_c ≤ v' of a candidate box B. The
    /// faces are certified together by `StabilityCertificate`, from each LP's duals, on the box 2B
    /// (B doubled about its centre): each certificate bounds ±y_c over P ∩ 2B, where P is the
    /// convex set of points satisfying every exact row of the LP, by at most v'. If P left B, the
    /// segment from the ball's centre (checked to lie in P ∩ B, `holds`) to a point of P outside B
    /// would cross 2B \ B, at points of P ∩ 2B outside some face: impossible. So P ⊆ B. The rows of
    /// neurons fixed without one (`stable`, `.exactOnly`) are missing from the LP, so P is a
    /// superset of the region: the region lies in B too. Costs 2·d LPs.
    private func certifiedBox(ball: Ball) throws -> (lower: [Double], upper: [Double])? {
        let basis = savedBasis()
        defer { try? restoreRadiusObjective(); if let basis { lp.restore(basis) } }
        try lp.setColumnBound(dimension, .between(0, 1))
        var faces: [(objective: [Double], bound: Double, duals: [Double])] = []
        // Upper faces first, then lower ones: each LP starts from the last one's vertex, and
        // neighbouring extremes are fewer pivots apart than opposite ones.
        for sign in [1.0, -1.0] {
            for c in 0..<dimension {
                var objective = Array(repeating: 0.0, count: dimension + 1)
                objective[c] = sign
                try lp.setObjective(objective)
                statistics.linearPrograms += 1
                boxLinearPrograms += 1
                guard let solution = try? lp.solvePrimal(), solution.status == .optimal, solution.objective.isFinite else { return nil }
                // A margin far above the LP's accuracy (its tolerances are 1e-9 relative) so that
                // the certificate clears it; a looser box only loosens the intervals.
                let v = solution.objective
                faces.append((Array(objective[0..<dimension]), v + Tolerances.certifiedBoxMargin * (1 + abs(v)), lp.rowDuals()))
            }
        }
        let upper = (0..<dimension).map { faces[$0].bound }, lower = (0..<dimension).map { -faces[dimension + $0].bound }
        guard zip(lower, upper).allSatisfy({ $0 < $1 }), zip(lower, ball.center).allSatisfy({ $0 < $1 }),
              zip(ball.center, upper).allSatisfy({ $0 < $1 }) else { return nil }
        var doubled = Array(repeating: 0.0, count: dimension)
        for j in 0..<dimension {
            let half: Double = (upper[j] - lower[j]) / 2
            doubled[j] = max(abs(lower[j] - half), abs(upper[j] + half))
        }
        guard let certificate = certificate(reach: doubled), certificate.holds(at: ball.center) else { return nil }
        for face in faces {
            guard certificate.bound(objective: face.objective, constant: 0, constantError: 0, duals: face.duals) <= face.bound else { return nil }
        }
        return (lower, upper)
    }

    /// Back to the search's LP (`setRadiusObjective`).
    private func restoreRadiusObjective() throws { try Self.setRadiusObjective(lp, dimension: dimension) }

    /// Pops the signs set at depth ≥ `depth`. `stableSetAt` lists (neuron, setter depth) in the
    /// order they were set, which is by increasing depth (a node first pops everything set
    /// deeper), so this costs O(1) per sign, not O(neurons) per node.
    private func forgetStable(from depth: Int) {
        while let last = boxes.last, last.depth >= depth { boxes.removeLast() }
        while let last = farWitnesses.last, last.depth >= depth { farWitnesses.removeLast() }
        while let last = stableSetAt.last, last.depth >= depth {
            stable[last.neuron] = nil
            stableSetAt.removeLast()
        }
    }

    /// True only when the floating-point LP of the current rows proves them empty in a way
    /// `solveBall` would accept without the exact test; false for anything else.
    private func floatSaysEmpty(floor: (point: [Double], r: Double)) throws -> Bool {
        try floatVerdict(floor: floor).empty
    }

    /// `floatSaysEmpty`'s verdict, and when the LP found the rows' Chebyshev ball with a radius
    /// above the decision band, that ball (a heuristic hint: nothing is certified by it).
    private func floatVerdict(floor: (point: [Double], r: Double)) throws -> (empty: Bool, ball: Ball?) {
        statistics.linearPrograms += 1
        let solution: Solution
        do { solution = try lp.solve() } catch {
            statistics.failedLinearPrograms += 1  // not trusted: the search decides as usual
            return (false, nil)
        }
        switch solution.status {
        case .infeasible:
            return (floor.r <= -1 + Tolerances.trustedInfeasibility && trustsInfeasibility(lp), nil)
        case .optimal:
            let center = Array(solution.values[0..<dimension]), r = solution.objective
            let threshold = decisionBand(at: center)
            if r > threshold { return (false, Ball(center: center, radius: r)) }
            return (r < -threshold && trustsEmptyVerdict(lp, r: r, center: center, threshold: threshold, floor: floor), nil)
        case .unbounded:
            return (false, nil)
        }
    }

    /// Bounds a task that no worker finished (by `cover` too, a certified bound over it).
    func recordUnexplored(_ task: SearchTask, cover: [Double]? = nil) throws {
        pattern = task.pattern
        restoreStable(task.stable)
        coverBound = cover
        defer { coverBound = nil }
        try recordUnexplored(decided: task.depth, extra: nil)
    }
}

