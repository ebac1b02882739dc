import LipschitzModel

/// The independent, exact reference for tiny networks: every activation pattern is decided
/// full-dimensional or not by GLPK's rational simplex on the network's own numbers (doubles are
/// rationals), and Lip_p = max over the full-dimensional patterns of ‖J‖_{p→p}.
///
/// Independent of ExactLipschitz and LinearProgramming by construction (it depends on
/// LipschitzModel for the network and operator norms, on GLPK and on GMP). Nothing is decided
/// by a floating-point tolerance: a pattern counts iff the exact optimum of its margin program
/// is positive (`LiftedPrograms.isFullDimensional`), and a neuron is constant iff its exact
/// gradient is zero (`LiftedPrograms.isConstant`). The values too are exact: each region's
/// Jacobian is formed in GMP rationals (`RationalJacobian`), not by the package's floating-point
/// kernel, whose products can cancel to 0 (instances/known-defects), and only its norm is rounded.
public enum ExactBruteForce {
    /// 2^n patterns at most are examined.
    public static let maxHiddenNeurons = 16

    public struct Result: Sendable, Equatable {
        /// Number of full-dimensional activation regions (within the box's interior, if any).
        public var regions: Int
        /// Per requested norm, in order: max ‖J‖_{p→p} over those regions (J exact, `RationalJacobian`).
        public var constants: [Double]
        /// The full-dimensional patterns, in enumeration order.
        public var patterns: [ActivationPattern]
    }

    /// Decides all 2^n patterns exactly. With `pruneEmptyPrefixes` (the default) the patterns
    /// are enumerated depth first, neuron by neuron in layer order, and a prefix whose program
    /// is already empty is not extended: a prefix's program has a subset of the rows of each
    /// extension's program (constancy of a neuron depends only on earlier layers), so adding
    /// rows can only lower t*, and an empty prefix has no full-dimensional extension. Without
    /// it, every one of the 2^n complete patterns gets its own program.
    public static func run(_ network: ReLUNetwork, norms: [LipschitzNorm], box: InputBox? = nil,
                           pruneEmptyPrefixes: Bool = true) throws -> Result {
        let n = network.hiddenNeuronCount
        guard n <= maxHiddenNeurons else { throw BruteForceError.tooManyNeurons(n) }
        if let box, box.dimension != network.inputDimension {
            throw BruteForceError.badInput("box has \(box.dimension) dimensions, network \(network.inputDimension) inputs")
        }
        for norm in norms {
            guard (try? norm.check(outputs: network.outputDimension)) != nil else {
                throw BruteForceError.badInput("norm \(norm) needs a scalar output")
            }
        }
        let search = PatternSearch(network: network, box: box, prune: pruneEmptyPrefixes)
        try search.visit(0)
        var constants = Array(repeating: 0.0, count: norms.count)
        let exact = RationalJacobian(network)
        for pattern in search.found {
            let values = try exact.evaluate(pattern, norms: norms).values
            for m in norms.indices { constants[m] = max(constants[m], values[m]) }
        }
        return Result(regions: search.found.count, constants: constants, patterns: search.found)
    }
}

/// Depth-first walk over the patterns, neuron by neuron in layer order.
private final class PatternSearch {
    let network: ReLUNetwork
    let box: InputBox?
    let prune: Bool
    /// (layer, index) of the m-th neuron.
    let positions: [(Int, Int)]
    var bits: [[Bool]]
    /// Whether each neuron is constant given the current bits of earlier layers.
    var constant: [[Bool]]
    var found: [ActivationPattern] = []

    init(network: ReLUNetwork, box: InputBox?, prune: Bool) {
        self.network = network
        self.box = box
        self.prune = prune
        let widths = network.hiddenWidths
        positions = widths.enumerated().flatMap { k, w in (0..<w).map { (k, $0) } }
        bits = widths.map { Array(repeating: false, count: $0) }
        constant = bits
    }

    /// Neurons 0..<m are decided, and (when pruning) that prefix is full-dimensional.
    func visit(_ m: Int) throws {
        if m == positions.count {
            found.append(ActivationPattern(layers: bits))
            return
        }
        let (k, i) = positions[m]
        if i == 0 { try decideConstancy(layer: k) }
        for value in [true, false] {
            bits[k][i] = value
            if prune || m + 1 == positions.count {
                guard try LiftedPrograms.isFullDimensional(network, box: box, bits: bits, constant: constant,
                                                          decided: m + 1) else { continue }
            }
            try visit(m + 1)
        }
    }

    /// Layer k's constancy depends only on layers < k, which are fixed below this node.
    private func decideConstancy(layer k: Int) throws {
        for i in constant[k].indices {
            constant[k][i] = try LiftedPrograms.isConstant(network, layer: k, neuron: i, bits: bits)
        }
    }
}
