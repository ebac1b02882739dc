/// How far the model's floating-point Jacobian of a pattern (`jacobian(for:)`) can lie from the
/// exact one.
///
/// Each entry of J = W_L D_{L−1} ⋯ D_0 W_0 is a sum of products of weights along paths; the
/// kernel accumulates each layer's dot products of n_k terms, so each entry errs by at most
/// γ = 2u·Σ(n_k + 2) times the sum of the products' magnitudes (Higham §3.1; the 2 covers the
/// products of errors), i.e. times the matching entry of |W_L| D ⋯ D |W_0|. Every ℓp operator
/// norm is monotone in the entries' magnitudes, so ‖Ĵ − J‖ ≤ γ·‖|W_L| D ⋯ D |W_0|‖, and ‖Ĵ‖ is
/// within that of ‖J‖ (gradual underflow aside: `ExactLipschitz.UnderflowSlack`).
///
/// About 1e-14 of ‖Ĵ‖ on ordinary networks, but not when the products cancel: with output
/// weights 7000000000000002 and −7000000000000000 on two neurons whose weights differ by one
/// unit in the last place, Ĵ = 0 while J = 2 − 7e15·2⁻⁵² ≈ 0.4457.
extension ReLUNetwork {
    /// γ = 2u·Σ(n_k + 2) over the layers (n_k: layer k's inputs).
    public var jacobianRoundingFactor: Double {
        2 * Double(layers.reduce(0) { $0 + $1.inputDimension + 2 }) * ModelTolerances.unitRoundoff
    }

    /// Per norm, a bound on ‖Ĵ − J‖ for `pattern`: γ·‖|W_L| D ⋯ D |W_0|‖ (`magnitudeNorms`). The
    /// computed product of magnitudes has only non-negative terms, so it is at least (1 − γ) times
    /// the exact one: the factor 1 + 4γ (and 1e-9 for the norm's own rounding) keeps the bound
    /// above the truth. 0 exactly when every path product of the pattern is 0.
    public func jacobianRoundingBound(for pattern: ActivationPattern, norms: [LipschitzNorm]) throws -> [Double] {
        let gamma = jacobianRoundingFactor
        return try magnitudeNorms(for: pattern, norms: norms).map { gamma * (1 + 4 * gamma) * (1 + 1e-9) * $0 }
    }

    /// Per norm, ‖|W_L| D ⋯ D |W_0|‖ for `pattern`, formed by the model's Jacobian kernel on |W|;
    /// with no pattern every neuron is active, which bounds every pattern's product entrywise.
    public func magnitudeNorms(for pattern: ActivationPattern? = nil, norms: [LipschitzNorm]) throws -> [Double] {
        let allActive = ActivationPattern(layers: hiddenWidths.map { Array(repeating: true, count: $0) })
        let magnitudes = absoluteWeights.jacobian(for: pattern ?? allActive)
        return try norms.map { try operatorNorm(magnitudes, p: $0) }
    }

    /// The network with |W| for W (the biases do not enter a Jacobian).
    private var absoluteWeights: ReLUNetwork {
        ReLUNetwork(unchecked: name, layers.map { AffineLayer(weights: $0.weights.absolute, biases: $0.biases) })
    }
}
