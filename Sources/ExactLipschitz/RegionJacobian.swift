import LipschitzModel

/// The Jacobian a region's value rests on.
///
/// The model's kernel forms J = W_L D_{L−1} ⋯ D_0 W_0 in floating point. Each entry is a sum of
/// products of weights, and its computed value errs by at most γ times the sum of those products'
/// magnitudes, i.e. the matching entry of |W_L| D ⋯ D |W_0| (Higham §3.1; γ = 2u·Σ(n_k + 2) as in
/// `RegionEnumerator.boundRounding`), plus what underflow adds (`UnderflowSlack`). Every ℓp
/// operator norm is monotone in the entries' magnitudes, so ‖Ĵ − J‖ ≤ s = γ·‖|W_L| D ⋯ D |W_0|‖
/// + underflow, and the value ‖Ĵ‖ is within s of ‖J‖.
///
/// s is about 1e-14 of ‖Ĵ‖ on ordinary networks, but not when the products cancel: with output
/// weights 7000000000000002 and −7000000000000000 on two neurons whose weights differ by one unit
/// in the last place, Ĵ = 0 while J = 2 − 7e15·2⁻⁵² ≈ 0.4457, and 0 was reported as the exact
/// constant. So Ĵ stands only when s ≤ `Tolerances.regionValueAccuracy`·‖Ĵ‖ for every norm
/// asked for; otherwise the exact product (`ExactJacobian`), rounded entrywise (2⁻⁵² relative),
/// replaces it. Regions whose Ĵ is exactly 0 because every path product is (dead paths, zero
/// weights) have s = 0 and stay exact zeros.
enum RegionJacobian {
    /// The exact product has an entry outside the normal doubles: no double Jacobian carries the
    /// region's value to the accuracy above. The caller treats the region as undecided.
    struct Unrepresentable: Error {}

    /// `fast` (the model's Jacobian of `pattern`) when its norms are accurate, else the rounded
    /// exact Jacobian.
    static func accurate(_ network: ReLUNetwork, _ pattern: ActivationPattern, norms: [LipschitzNorm],
                         fast: Matrix) throws -> Matrix {
        if try isAccurate(fast, network, pattern, norms: norms) { return fast }
        guard let exact = ExactJacobian.rounded(network, pattern: pattern) else { throw Unrepresentable() }
        return exact
    }

    static func accurate(_ network: ReLUNetwork, _ pattern: ActivationPattern, norms: [LipschitzNorm]) throws -> Matrix {
        try accurate(network, pattern, norms: norms, fast: network.jacobian(for: pattern))
    }

    /// Whether s ≤ `regionValueAccuracy`·‖Ĵ‖ for every norm. The computed |W_L| D ⋯ D |W_0| has
    /// only non-negative terms, so it is at least (1 − γ) times the exact one: the factor 1 + 4γ
    /// (and 1e-9 for the norm's own rounding) makes s an upper bound.
    private static func isAccurate(_ fast: Matrix, _ network: ReLUNetwork, _ pattern: ActivationPattern,
                                   norms: [LipschitzNorm]) throws -> Bool {
        let magnitudes = absoluteNetwork(network).jacobian(for: pattern)
        let gamma = RegionEnumerator.roundingFactor(network)
        let underflow = UnderflowSlack.bound(network)
        for norm in norms {
            let bound = gamma * (1 + 4 * gamma) * (1 + 1e-9) * (try operatorNorm(magnitudes, p: norm)) + underflow
            guard bound <= Tolerances.regionValueAccuracy * (try operatorNorm(fast, p: norm)) || bound == 0 else { return false }
        }
        return true
    }

    /// The network with |W| for W (the biases do not enter a Jacobian).
    private static func absoluteNetwork(_ network: ReLUNetwork) -> ReLUNetwork {
        // Same shapes and finite numbers as `network`: the initialiser's checks cannot fail.
        try! ReLUNetwork(name: network.name, layers: network.layers.map { AffineLayer(weights: $0.weights.absolute, biases: $0.biases) })
    }
}
