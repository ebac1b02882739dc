import FoundationEssentials
import LipschitzModel

/// One hidden layer whose biases are all zero, on the whole input space: every neuron's
/// hyperplane w_i·x = 0 passes through the origin (a central arrangement). The origin is a
/// vertex on every plane, so the line sweep finds the arrangement degenerate; this file
/// answers such networks exactly through two affine sections instead.
///
/// The reduction. Let j be a coordinate (`sectionCoordinate`) and s = ±1.
/// 1. Each region (full-dimensional cell, i.e. a realised sign vector of all non-zero rows)
///    is an open convex cone C: x ∈ C ⇒ λx ∈ C for λ > 0, since every w_i·x scales by λ.
///    The Jacobian W₂ diag(pattern) W₁ is the same on all of C.
/// 2. C is open in R^d, so it contains a point with x_j ≠ 0, hence (scaling by 1/|x_j|) a point
///    of the affine section H_s = {x_j = s} for s = sign(x_j), and C ∩ H_s is a non-empty open
///    convex subset of H_s avoiding every plane. On H_s = {(y, s)} neuron i reads
///    w'_i·y + s·w_ij (w'_i: w_i without column j): an affine arrangement in R^{d−1}, with the
///    planes of neurons with w'_i = 0 replaced by constants of sign s·w_ij ≠ 0. A cell S of the
///    section is a realised sign vector of those planes, and the same vector is realised in
///    R^d at S's points, so S ⊂ one cone; C ∩ H_s is convex, so it lies in one cell. Hence
///    C ↦ C ∩ H_s is a bijection between the cones meeting {x_j·s > 0} and the cells of H_s,
///    with equal patterns. No choice of j is needed for this (a neuron parallel to e_j is a
///    constant on the section and is handled as such); j only avoids such neurons when it can,
///    so that the section's normals span R^{d−1} (`Arrangement` needs that).
/// 3. So max over cones of ‖J‖ = max over the cells of H₊ and H₋ of the FULL d-column
///    Jacobian of the cell's pattern (`Arrangement(network:jacobianOf:)` carries that one),
///    and the cones number cells(H₊) + cells(H₋) − M, where M counts the cones meeting both
///    half-spaces, i.e. meeting {x_j = 0} (an open set meeting the hyperplane meets both sides,
///    and conversely by convexity). If some plane is {x_j = 0} itself (w'_i = 0), no cone meets
///    it: M = 0. Otherwise C ↦ C ∩ {x_j = 0} is, as in 2, a bijection onto the regions of the
///    central arrangement of the w'_i in R^{d−1}: M is that count, by recursion, down to
///    d − 1 = 1 where the non-zero w'_i cut the line into 2 rays.
/// Each section is an ordinary affine arrangement whose planes are the network's own numbers
/// (only a column dropped and a bias ±w_ij, all exact), so the sweep's general-position
/// certificates hold for it as for any network; a degenerate section (or recursion level)
/// returns nil and the network goes to the LP search. The witness is a section cell's interior
/// point lifted to (y, s) and certified by the certified forward pass of the whole network.
extension ExactSearch {
    /// The exact answer for a zero-bias one-hidden-layer network on all of R^d (or a certified
    /// interval after a stop); nil when this path does not apply (some bias non-zero, a box, a
    /// shard, a region limit) or a section is degenerate, so that the other searches answer.
    static func searchCentral(_ network: ReLUNetwork, options: ExactOptions, shared: SharedSearchState) throws -> ExactReport? {
        guard network.layers.count == 2, network.layers[0].biases.allSatisfy({ $0 == 0 }),
              options.box == nil, options.shard.count == 1, options.maxRegions == nil else { return nil }
        let monitor = SweepMonitor(options: options, shared: shared, check: stopCheck(options, shared))
        if network.inputDimension == 1 { return try lineReport(network, options: options, shared: shared) }
        guard let swept = sweepCentral(network, options: options, monitor: monitor, stopped: stopCheck(options, shared)) else { return nil }
        var bounds: [NormBound] = []
        var statistics = EnumerationStatistics()
        statistics.vertices = swept.sections.reduce(0) { $0 + $1.outcome.vertices }
        for (n, norm) in options.norms.enumerated() {
            var witness: RegionWitness?
            var value = 0.0
            let best = swept.sections.filter { $0.outcome.witness[n] != nil }.max { $0.outcome.best[n] < $1.outcome.best[n] }
            if let best, let vertex = best.outcome.witness[n] {
                guard let found = try certifiedConeCell(vertex, section: best, options: options, shared: shared, statistics: &statistics) else { return nil }
                value = try operatorNorm(found.jacobian, p: norm)
                witness = found
            }
            let upper = swept.complete ? value : max(value, try wholeSpaceBound(network, norm: norm))
            bounds.append(NormBound(norm: norm, lower: value, upper: upper, witness: witness))
        }
        return ExactReport(bounds: bounds, regions: swept.regions, isExact: swept.complete,
                           stopReason: swept.complete ? nil : (shared.stopReason ?? .interrupted),
                           seconds: shared.elapsed, statistics: statistics, method: .arrangement)
    }

    /// One section's swept arrangement: `sign` is s of {x_j = s}.
    struct CentralSection {
        let arrangement: Arrangement
        let coordinate: Int
        let sign: Double
        let outcome: SweepOutcome
    }

    struct CentralSweep {
        var sections: [CentralSection]
        var regions: Int
        var complete: Bool
    }

    /// Both sections swept and the cones counted; nil when a section or the recursion for the
    /// count is degenerate (or not a spanning arrangement).
    /// (`stopped`: the search's own stop test; the monitor also stops on a degenerate sweep.)
    static func sweepCentral(_ network: ReLUNetwork, options: ExactOptions, monitor: SweepMonitor, stopped: () -> Bool) -> CentralSweep? {
        let hidden = network.layers[0]
        let j = sectionCoordinate(hidden.weights)
        var result = CentralSweep(sections: [], regions: 0, complete: true)
        for sign in [1.0, -1.0] {
            guard let section = try? sectionNetwork(network, coordinate: j, sign: sign),
                  var arrangement = Arrangement(network: section, jacobianOf: network),
                  let outcome = closeAndSweep(&arrangement, options: options, monitor: monitor), !outcome.degenerate else { return nil }
            result.sections.append(CentralSection(arrangement: arrangement, coordinate: j, sign: sign, outcome: outcome))
            result.regions += outcome.regions
            result.complete = result.complete && outcome.complete
            if !outcome.complete { return result }
        }
        guard let meeting = conesMeetingHyperplane(hidden.weights, coordinate: j, options: options, monitor: monitor, stopped: stopped) else {
            if stopped() { result.complete = false; return result }
            return nil
        }
        result.regions -= meeting
        return result
    }

    /// The coordinate with the fewest non-zero neurons parallel to its axis (those are constants
    /// on the section); the last one among equals.
    static func sectionCoordinate(_ w: Matrix) -> Int {
        let d = w.columns
        var parallel = [Int](repeating: 0, count: d)
        for i in 0..<w.rows {
            let nonzero = (0..<d).filter { w[i, $0] != 0 }
            if nonzero.count == 1 { parallel[nonzero[0]] += 1 }
        }
        return (0..<d).reversed().min { parallel[$0] < parallel[$1] } ?? d - 1
    }

    /// The network restricted to {x_j = s} as a function of the other d − 1 coordinates:
    /// hidden weights without column j, hidden biases s·w_ij (exact: s = ±1), same output layer.
    static func sectionNetwork(_ network: ReLUNetwork, coordinate j: Int, sign: Double) throws -> ReLUNetwork {
        let w = network.layers[0].weights
        let rest = (0..<w.columns).filter { $0 != j }
        let rows = (0..<w.rows).map { i in rest.map { w[i, $0] } }
        let biases = (0..<w.rows).map { sign * w[$0, j] + 0.0 }
        return try ReLUNetwork(name: network.name, layers: [AffineLayer(weights: Matrix(rowArrays: rows, columns: rest.count), biases: biases),
                                                            network.layers[1]])
    }

    /// M of the reduction: the regions of the central arrangement of the rows w'_i (column j
    /// dropped) in R^{d−1}, or 0 when some non-zero row is parallel to e_j. Nil when the
    /// recursion is degenerate or stopped.
    static func conesMeetingHyperplane(_ w: Matrix, coordinate j: Int, options: ExactOptions, monitor: SweepMonitor, stopped: () -> Bool) -> Int? {
        let rest = (0..<w.columns).filter { $0 != j }
        let planes = (0..<w.rows).filter { i in (0..<w.columns).contains { w[i, $0] != 0 } }
        if planes.contains(where: { i in rest.allSatisfy { w[i, $0] == 0 } }) { return 0 }
        let restricted = planes.map { i in rest.map { w[i, $0] } }
        if restricted.isEmpty { return 1 }
        if rest.count == 1 { return 2 }
        let hidden = AffineLayer(weights: Matrix(rowArrays: restricted, columns: rest.count), biases: Array(repeating: 0, count: restricted.count))
        guard let counting = try? ReLUNetwork(layers: [hidden, AffineLayer(weights: Matrix(rows: 1, columns: restricted.count), biases: [0])]) else { return nil }
        var countOnly = options
        countOnly.norms = [.two]
        guard let swept = sweepCentral(counting, options: countOnly, monitor: monitor, stopped: stopped), swept.complete else { return nil }
        return swept.regions
    }

    /// The cell of the section at `vertex`, lifted to the point (y, s) of R^d and certified
    /// there by the certified forward pass of the whole network (else by the LP test of the
    /// pattern); nil when neither certifies it.
    private static func certifiedConeCell(_ vertex: SweepVertex, section: CentralSection, options: ExactOptions, shared: SharedSearchState,
                                          statistics: inout EnumerationStatistics) throws -> RegionWitness? {
        let rebuild = LineSweeper(arrangement: section.arrangement, norms: options.norms, control: SweepControl(shouldStop: { false }, claim: nil))
        guard let (bits, y) = rebuild.cell(at: vertex) else { return nil }
        let network = section.arrangement.jacobianNetwork
        var point = y
        point.insert(section.sign, at: section.coordinate)
        let zeroRows = (0..<network.hiddenNeuronCount).filter { i in (0..<network.inputDimension).allSatisfy { network.layers[0].weights[i, $0] == 0 } }
        let pattern = ActivationPattern(layers: [bits])
        let jacobian = try RegionJacobian.accurate(network, pattern, norms: options.norms)
        if let ball = certifiedShallowWitness(network, pattern: bits, point: point, box: nil, zeroRows: zeroRows) {
            return RegionWitness(pattern: pattern, interiorPoint: ball.center, radius: ball.radius, jacobian: jacobian)
        }
        let enumerator = try RegionEnumerator(network: network, options: options, shared: shared)
        defer { statistics.linearPrograms += enumerator.statistics.linearPrograms }
        guard let ball = try? enumerator.certifiedRegion(of: [bits]) else { return nil }
        return RegionWitness(pattern: pattern, interiorPoint: ball.center, radius: ball.radius, jacobian: jacobian)
    }

    /// A certified upper bound over every pattern (after a stop): the interval Jacobian.
    private static func wholeSpaceBound(_ network: ReLUNetwork, norm: LipschitzNorm) throws -> Double {
        try IntervalJacobian(network: network, states: [Array(repeating: .unknown, count: network.hiddenNeuronCount)]).operatorNormBound(p: norm)
    }

    /// d = 1: the rays x > 0 and x < 0 (one region, the line, when every weight is zero), each
    /// with the pattern of its point ±1, certified there.
    private static func lineReport(_ network: ReLUNetwork, options: ExactOptions, shared: SharedSearchState) throws -> ExactReport? {
        let w = network.layers[0].weights
        let zeroRows = (0..<w.rows).filter { w[$0, 0] == 0 }
        var witnesses: [RegionWitness] = []
        for x in zeroRows.count == w.rows ? [1.0] : [1.0, -1.0] {
            let bits = (0..<w.rows).map { w[$0, 0] * x > 0 }
            guard let ball = certifiedShallowWitness(network, pattern: bits, point: [x], box: nil, zeroRows: zeroRows) else { return nil }
            let pattern = ActivationPattern(layers: [bits])
            witnesses.append(RegionWitness(pattern: pattern, interiorPoint: ball.center, radius: ball.radius,
                                           jacobian: try RegionJacobian.accurate(network, pattern, norms: options.norms)))
        }
        var bounds: [NormBound] = []
        for norm in options.norms {
            let values = try witnesses.map { try operatorNorm($0.jacobian, p: norm) }
            let k = values.indices.max { values[$0] < values[$1] } ?? 0
            bounds.append(NormBound(norm: norm, lower: values[k], upper: values[k], witness: witnesses[k]))
        }
        return ExactReport(bounds: bounds, regions: witnesses.count, isExact: true, stopReason: nil,
                           seconds: shared.elapsed, statistics: EnumerationStatistics(), method: .arrangement)
    }
}
