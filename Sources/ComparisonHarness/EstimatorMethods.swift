import LipschitzEstimates
import LipschitzModel

extension Claim {
    public init(_ kind: EstimateKind) {
        switch kind {
        case .lowerBound: self = .lowerBound
        case .upperBound: self = .upperBound
        case .heuristic: self = .heuristic
        }
    }
}

extension ComparedMethod {
    /// The methods of `LipschitzEstimator` (all by default), each with its own declared kind.
    public static func estimators(_ methods: [EstimationMethod] = EstimationMethod.allCases,
                                  samples: Int, seed: UInt64) -> [ComparedMethod] {
        methods.map { method in
            ComparedMethod(name: method.rawValue) { network, norm in
                let options = EstimateOptions(norm: norm, samples: samples, seed: seed)
                let estimate = try LipschitzEstimator.estimate(network, method: method, options: options)
                return ClaimedValue(value: estimate.value, claim: Claim(estimate.kind))
            }
        }
    }
}

