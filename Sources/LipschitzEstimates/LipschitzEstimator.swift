import Dispatch
import FoundationEssentials
import LipschitzModel

/// Fast bounds and estimates of Lip_p(Φ) for networks far too big for the exact computation.
/// Every method is labelled with what it guarantees (`EstimationMethod.kind`); see
/// docs/estimates.md for the soundness arguments.
public enum LipschitzEstimator {
    /// One method's value. Throws an `InputProblem` for options that do not fit the network.
    public static func estimate(_ network: ReLUNetwork, method: EstimationMethod, options: EstimateOptions) throws -> Estimate {
        try options.validate(for: network)
        var cache = SampleCache()
        return try run(method, network, FlatNetwork(network), options, &cache)
    }

    /// Every method, in `EstimationMethod.allCases` order.
    public static func all(_ network: ReLUNetwork, options: EstimateOptions) throws -> [Estimate] {
        try estimate(network, methods: EstimationMethod.allCases, options: options)
    }

    /// The given methods, in the given order. The K sampled norms, which `sampled`,
    /// `local-search` and `clever` all start from, are computed once; each of those methods
    /// still reports the seconds it would take alone (the sampling time plus its own).
    public static func estimate(_ network: ReLUNetwork, methods: [EstimationMethod], options: EstimateOptions) throws -> [Estimate] {
        try options.validate(for: network)
        let flat = FlatNetwork(network)
        var cache = SampleCache()
        return try methods.map { try run($0, network, flat, options, &cache) }
    }

    /// The samples and the time they took, once computed.
    private struct SampleCache {
        var samples: SampledNorms?
        var seconds = 0.0

        mutating func get(_ network: ReLUNetwork, _ flat: FlatNetwork, _ options: EstimateOptions) throws -> (SampledNorms, Double) {
            if let samples { return (samples, seconds) }
            let start = DispatchTime.now().uptimeNanoseconds
            let fresh = try SampledNorms(network: network, flat: flat, options: options)
            seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            samples = fresh
            return (fresh, seconds)
        }
    }

    /// A lower bound's value with the Jacobian's rounding charged when it matters
    /// (`EstimateTolerances.roundingCharge`), and a note saying so; unchanged otherwise (and for
    /// values without a point: upper bounds, the heuristic).
    private static func chargeRounding(_ value: Double, point: [Double]?, _ network: ReLUNetwork,
                                       norm: LipschitzNorm) throws -> (Double, String) {
        guard let point, value.isFinite else { return (value, "") }
        let bound = try network.jacobianRoundingBound(for: network.activationPattern(at: point), norms: [norm])[0]
        guard bound > EstimateTolerances.roundingCharge * value else { return (value, "") }
        return (max(0, value - bound), "; the gradient's rounding bound \(shortNumber(bound)) is charged (weight products cancel)")
    }

    private static func run(_ method: EstimationMethod, _ network: ReLUNetwork, _ flat: FlatNetwork,
                            _ options: EstimateOptions, _ cache: inout SampleCache) throws -> Estimate {
        var start = DispatchTime.now().uptimeNanoseconds
        var sampling = 0.0
        func finish(_ value: Double, point: [Double]?, notes: String) throws -> Estimate {
            let seconds = sampling + Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let (charged, how) = try chargeRounding(value, point: point, network, norm: options.norm)
            return Estimate(method: method, kind: method.kind, value: charged, seconds: seconds, point: point, notes: notes + how)
        }
        /// The shared samples; the clock restarts after them and their own time is added.
        func samples() throws -> SampledNorms {
            let (result, seconds) = try cache.get(network, flat, options)
            sampling = seconds
            start = DispatchTime.now().uptimeNanoseconds
            return result
        }
        switch method {
        case .sampled:
            let samples = try samples()
            guard let best = samples.best else { throw EstimateError.noValidSample(options.samples) }
            return try finish(best.value, point: best.point,
                          notes: "\(samples.count) points, \(samples.tieCount) skipped (on a hyperplane, or overflowed); \(samples.samplerDescription)")

        case .localSearch:
            let samples = try samples()
            guard let first = samples.best else { throw EstimateError.noValidSample(options.samples) }
            let walk = RegionWalk(flat: flat, norm: options.norm, box: options.box)
            var remaining = options.searchWork
            var best = RegionWalk.Outcome(value: first.value, point: first.point)
            var steps = 0
            // Half the starts from the best points overall, half from the best far-field points:
            // the unbounded regions of deep networks are thin cones far out, reached by
            // crossing hyperplanes there rather than near the origin.
            let wanted = options.searchStarts
            var starts = Array(samples.top.entries.prefix(max(1, wanted / 2)))
            var taken = Set(starts.map(\.index))
            for entry in samples.farTop.entries + samples.top.entries
            where starts.count < wanted && taken.insert(entry.index).inserted {
                starts.append(entry)
            }
            for (n, start) in starts.enumerated() {
                // An equal share of what is left, so that one long climb cannot starve the rest.
                var budget = max(remaining / Double(starts.count - n), 1)
                let share = budget
                let outcome = try walk.search(from: start.point, value: start.value, budget: &budget)
                remaining -= share - budget
                steps += outcome.steps
                if outcome.value > best.value { best = outcome }
            }
            return try finish(best.value, point: best.point,
                          notes: "\(starts.count) starts from \(options.samples) samples, \(steps) region moves up to the last improvement (sampled best \(shortNumber(first.value)))")

        case .layerProduct:
            // Overflow gives +∞, a true if useless bound; NaN (∞ − ∞, ∞ · 0) must read as +∞ too.
            let value = try UpperBounds.layerProduct(network, p: options.norm).nanAsInfinity
            let how: String
            switch options.norm {
            case .one, .two, .infinity: how = "product of \(network.layers.count) layer norms"
            case .p: how = "product of Riesz–Thorin bounds on hidden layers, dual norm of the output row"
            }
            return try finish(value, point: nil, notes: how + (options.box == nil ? "" : "; the box is not used"))

        case .intervalJacobian:
            let (value, fixed) = try UpperBounds.intervalJacobian(network, p: options.norm, box: options.box)
            return try finish(value.nanAsInfinity, point: nil,
                          notes: "\(fixed) of \(network.hiddenNeuronCount) neurons fixed by interval propagation" +
                              (options.box == nil ? " over R^d" : " over the box"))

        case .clever:
            let samples = try samples()
            let result = try CleverEstimate(samples: samples)
            return try finish(result.value, point: nil, notes: result.notes)
        }
    }
}

/// CLEVER's extreme-value estimate from sampled norms (no guarantee).
///
/// The samples are split, in the order drawn, into B = clamp(round(√K), 1, 100) batches of
/// nearly equal size; each batch's largest norm is one observation; a reverse Weibull
/// distribution is fitted to the observations by maximum likelihood (`ReverseWeibullFit`)
/// and its location (the fitted upper end point) is the estimate. When no fit is possible
/// (fewer than 3 batches, or all batch maxima equal) the estimate is the largest norm seen.
struct CleverEstimate {
    let value: Double
    let notes: String

    init(samples: SampledNorms) throws {
        let maxima = samples.batchMaxima
        guard let observed = maxima.max() else { throw EstimateError.noValidSample(samples.count) }
        if let fit = ReverseWeibullFit.fit(maxima) {
            value = fit.location
            notes = "reverse Weibull fit to \(maxima.count) batch maxima: shape \(shortNumber(fit.shape)), scale \(shortNumber(fit.scale)); largest sampled norm \(shortNumber(observed))"
        } else {
            value = observed
            notes = "no fit possible (\(maxima.count) batch maxima, \(Set(maxima).count) distinct): the largest sampled norm"
        }
    }
}

extension Double {
    /// +∞ for NaN: an upper bound that arithmetic could not produce is no bound at all.
    var nanAsInfinity: Double { isNaN ? .infinity : self }
}
