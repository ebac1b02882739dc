import LipschitzModel

/// The Jacobian a region's value rests on.
///
/// The model's kernel forms J = W_L D_{L−1} ⋯ D_0 W_0 in floating point, within
/// s = γ·‖|W_L| D ⋯ D |W_0|‖ (`ReLUNetwork.jacobianRoundingBound`) plus what underflow adds
/// (`UnderflowSlack`) of the exact one, so the value ‖Ĵ‖ is within s of ‖J‖. s is about 1e-14
/// of ‖Ĵ‖ on ordinary networks, but not when the products cancel: with output weights
/// 7000000000000002 and −7000000000000000 on two neurons whose weights differ by one unit in the
/// last place, Ĵ = 0 while J ≈ 0.4457, and 0 was reported as the exact constant. So Ĵ stands
/// only when s ≤ `Tolerances.regionValueAccuracy`·‖Ĵ‖ for every norm asked for; otherwise the
/// exact product (`ExactJacobian`), rounded entrywise (2⁻⁵² relative), replaces it. Regions
/// whose Ĵ is exactly 0 because every path product is (dead paths, zero weights) have s = 0 and
/// stay exact zeros.
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

    /// Whether s ≤ `regionValueAccuracy`·‖Ĵ‖ for every norm (s: the model's bound on the
    /// kernel's rounding, `jacobianRoundingBound`, plus the underflow slack).
    private static func isAccurate(_ fast: Matrix, _ network: ReLUNetwork, _ pattern: ActivationPattern,
                                   norms: [LipschitzNorm]) throws -> Bool {
        let bounds = try network.jacobianRoundingBound(for: pattern, norms: norms)
        let underflow = UnderflowSlack.bound(network)
        for (norm, rounding) in zip(norms, bounds) {
            let bound = rounding + underflow
            guard bound <= Tolerances.regionValueAccuracy * (try operatorNorm(fast, p: norm)) || bound == 0 else { return false }
        }
        return true
    }
}
