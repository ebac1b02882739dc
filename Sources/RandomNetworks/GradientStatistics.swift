import LipschitzModel

/// Monte Carlo moments of a random network at one fixed input, over independent draws.
///
/// THEORY.md §2 (derived): at a fixed x ≠ 0 every hidden neuron of the model is active with
/// probability ½, and E‖∇Φ(x)‖₂² = d exactly for every depth (equal hidden widths, scalar
/// output). The proof uses the variance 2/width, so a generator with another variance fails
/// this check: gain 1 instead of 2 halves E‖∇Φ‖² once per hidden layer.
public struct GradientStatistics: Sendable {
    /// Mean of ‖∇Φ(x)‖₂² over the draws, and its standard error.
    public let meanSquaredGradient: Double
    public let squaredGradientStandardError: Double
    /// Mean fraction of hidden neurons with positive pre-activation, and its standard error.
    public let activeFraction: Double
    public let activeFractionStandardError: Double
    public let trials: Int

    /// Draws `trials` networks like `spec` (only the seed changes: derived from `spec.seed`
    /// and the trial index) and measures them at `point`. `spec.outputs` must be 1.
    public static func measure(_ spec: RandomNetworkSpec, at point: [Double], trials: Int) throws -> GradientStatistics {
        precondition(spec.outputs == 1, "the identity holds for scalar outputs")
        precondition(point.count == spec.inputDimension, "point has the wrong dimension")
        precondition(trials >= 2, "need two draws for a standard error")
        var squared = Moments()
        var active = Moments()
        for t in 0..<trials {
            var s = spec
            s.seed = RandomNetworkGenerator.derivedSeed(spec.seed, [UInt64(t)])
            let network = try RandomNetworkGenerator.generate(s)
            let pattern = network.activationPattern(at: point)
            let gradient = network.jacobian(for: pattern).storage
            squared.add(gradient.reduce(0) { $0 + $1 * $1 })
            let on = pattern.layers.reduce(0) { $0 + $1.filter { $0 }.count }
            active.add(Double(on) / Double(network.hiddenNeuronCount))
        }
        return GradientStatistics(meanSquaredGradient: squared.mean, squaredGradientStandardError: squared.standardError,
                                  activeFraction: active.mean, activeFractionStandardError: active.standardError,
                                  trials: trials)
    }
}

/// Running mean and variance (Welford), for standard errors without storing samples.
public struct Moments: Sendable {
    public private(set) var count = 0
    public private(set) var mean = 0.0
    private var m2 = 0.0

    public init() {}

    public mutating func add(_ x: Double) {
        count += 1
        let delta = x - mean
        mean += delta / Double(count)
        m2 += delta * (x - mean)
    }

    /// Sample variance (n − 1 in the denominator); 0 with fewer than two values.
    public var variance: Double { count > 1 ? m2 / Double(count - 1) : 0 }
    public var standardError: Double { count > 1 ? (variance / Double(count)).squareRoot() : 0 }
}
