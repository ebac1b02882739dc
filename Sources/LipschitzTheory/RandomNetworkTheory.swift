import LipschitzModel

/// The theory's prediction for one norm and input dimension, with where it comes from.
public struct TheoryPrediction: Sendable, Equatable {
    /// The Lipschitz norm p the prediction is for.
    public let norm: LipschitzNorm
    /// The norm q of the Gaussian vector whose mean sets the scale (p' for p ≥ 2, 2 for p < 2).
    public let gaussianNorm: LipschitzNorm
    public let inputDimension: Int
    /// E‖g‖_q.
    public let scale: Expectation

    public var value: Double { scale.value }
    /// "E‖g‖_1" etc., for table headers.
    public var label: String { "E‖g‖_\(gaussianNorm)" }
}

/// The characterisation of random ReLU networks (THEORY.md §2, Geuchen et al. 2023 and
/// Dirksen et al. 2025) stated as code. For the model of `RandomNetworkSpec` with one hidden
/// layer and a scalar output, with high probability
///
///     c · E‖g‖_q ≤ Lip_p(Φ) ≤ C · E‖g‖_q,    q = p' (1/p + 1/p' = 1) for p ≥ 2,  q = 2 for p < 2,
///
/// g standard Gaussian in R^d, with absolute constants c, C that do not depend on d or the
/// width N. The papers do not give c and C in a usable form, so this type does not invent
/// them: the comparison harness measures Lip_p / E‖g‖_q and reports its range.
/// For deep networks the bounds carry depth- and log-width-dependent factors; the same
/// scale is reported there for comparison only.
public enum RandomNetworkTheory {
    /// The Gaussian norm q that governs Lip_p: the dual p' when p ≥ 2, otherwise 2.
    public static func gaussianNorm(for p: LipschitzNorm) -> LipschitzNorm {
        p.exponent >= 2 ? p.dual : .two
    }

    /// The predicted scale E‖g‖_q of Lip_p for input dimension `d` (closed form for q ∈ {1, 2},
    /// seeded Monte Carlo with `samples` draws otherwise).
    public static func prediction(norm p: LipschitzNorm, inputDimension d: Int,
                                  samples: Int = 200_000, seed: UInt64 = 0) throws -> TheoryPrediction {
        guard d > 0 else { throw TheoryError.badDimension(d) }
        guard samples >= 2 else { throw TheoryError.badSamples(samples) }
        let q = gaussianNorm(for: p)
        return TheoryPrediction(norm: p, gaussianNorm: q, inputDimension: d,
                                scale: GaussianNorms.expectedNorm(q, dimension: d, samples: samples, seed: seed))
    }

    /// Whether the shallow characterisation covers this network (one hidden layer, scalar
    /// output); for others the prediction is only a reference scale.
    public static func covers(_ network: ReLUNetwork) -> Bool {
        network.layers.count == 2 && network.outputDimension == 1
    }

    /// The exponent with which the naive layer-product bound ‖W_1‖·‖W_0‖ grows in the width:
    /// ‖W_0‖₂ ≈ √2·(1 + √(d/N)) and ‖W_1‖₂ = ‖a‖₂ ≈ √N, so the product grows like √N
    /// (THEORY.md §2), while the truth does not grow. The harness compares its fitted slopes
    /// of log(ratio) against log N with 0 (truth) and this (product bound).
    public static let layerProductGrowthExponent = 0.5
}

public enum TheoryError: InputProblem, Equatable {
    case badDimension(Int)
    case badSamples(Int)
    public var description: String {
        switch self {
        case .badDimension(let d): return "input dimension must be a positive integer, got \(d)"
        case .badSamples(let n): return "Monte Carlo needs at least 2 samples, got \(n)"
        }
    }
}
