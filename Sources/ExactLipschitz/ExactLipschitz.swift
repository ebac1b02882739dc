import Foundation
import LipschitzModel

/// Exact Lipschitz constants by enumerating every full-dimensional activation region
/// (THEORY.md §1): Lip_p(Φ) = max over those regions of ‖J‖_{p→p}.
public enum ExactLipschitz {
    /// Certifies the constant for every norm in `options.norms`, or, when a limit stops the
    /// search, a certified interval [lower, upper] for each.
    public static func compute(_ network: ReLUNetwork, options: ExactOptions = ExactOptions()) throws -> ExactReport {
        let clock = DispatchTime.now().uptimeNanoseconds
        guard !options.norms.isEmpty else { throw InputError.badNorm("(none given)") }
        for norm in options.norms { try norm.check(outputs: network.outputDimension) }
        if let box = options.box { try box.check(inputs: network.inputDimension) }
        if let limit = options.timeLimit, !(limit.isFinite && limit >= 0) {
            throw ExactError.badLimit("time limit must be a non-negative number of seconds")
        }
        if let limit = options.maxRegions, limit < 1 { throw ExactError.badLimit("region limit must be at least 1") }
        guard options.relativeRadiusTolerance.isFinite, options.relativeRadiusTolerance > 0,
              options.relativeRadiusTolerance < 1 else {
            throw ExactError.badLimit("radius tolerance must lie in (0, 1)")
        }

        let enumerator = try RegionEnumerator(network: network, options: options)
        try enumerator.run()
        let complete = enumerator.stopReason == nil
        let bounds = options.norms.indices.map { n in
            let lower = max(0, enumerator.best[n])
            return NormBound(norm: options.norms[n], lower: lower,
                             upper: complete ? lower : max(lower, enumerator.unexploredUpper[n]),
                             witness: enumerator.witnesses[n])
        }
        return ExactReport(bounds: bounds, regions: enumerator.regions, isExact: complete,
                           stopReason: enumerator.stopReason,
                           seconds: Double(DispatchTime.now().uptimeNanoseconds - clock) / 1e9,
                           statistics: enumerator.statistics)
    }

    /// The length unit of the global search: the largest distance from the origin of a
    /// first-layer hyperplane (1 when all pass through it). Region radii are compared with
    /// `relativeRadiusTolerance` times this, so scaling all weights and biases together,
    /// or scaling the input space, leaves the regions found unchanged.
    public static func lengthScale(of network: ReLUNetwork) -> Double {
        let first = network.layers[0]
        var scale = 0.0
        for i in 0..<first.weights.rows {
            let norm = vectorNorm(first.weights.row(i), p: .two)
            if norm > 0 { scale = max(scale, abs(first.biases[i]) / norm) }
        }
        return scale > 0 && scale.isFinite ? scale : 1
    }
}

/// Bad limits or tolerances for the exact search.
public enum ExactError: InputProblem, Equatable {
    case badLimit(String)
    public var description: String {
        switch self { case .badLimit(let why): return why }
    }
}
