import Dispatch
import ExactLipschitz
import LipschitzModel

/// What a method promises about its number relative to the true constant.
public enum Claim: String, Sendable, CaseIterable {
    case lowerBound = "lower bound"
    case upperBound = "upper bound"
    case heuristic = "estimate (no guarantee)"

    /// "lower", "upper" or "estimate", for narrow columns.
    public var short: String {
        switch self {
        case .lowerBound: return "lower"
        case .upperBound: return "upper"
        case .heuristic: return "estimate"
        }
    }
}

/// A number a method returned, with the promise it makes.
public struct ClaimedValue: Sendable {
    public let value: Double
    public let claim: Claim
    public init(value: Double, claim: Claim) {
        self.value = value
        self.claim = claim
    }
}

/// One method the harness runs next to the exact value. A closure rather than a protocol
/// conformance so that tests can inject a deliberately wrong method in one line.
public struct ComparedMethod: Sendable {
    public let name: String
    public let run: @Sendable (ReLUNetwork, LipschitzNorm) throws -> ClaimedValue

    public init(name: String, run: @escaping @Sendable (ReLUNetwork, LipschitzNorm) throws -> ClaimedValue) {
        self.name = name
        self.run = run
    }
}

/// The certified answer for one norm: `lower == upper` when the enumeration finished.
public struct CertifiedValue: Sendable, Equatable {
    public let lower: Double
    public let upper: Double
    /// A point inside a region attaining `lower`, when the exact method reports one.
    public let witness: [Double]?
    public init(lower: Double, upper: Double, witness: [Double]? = nil) {
        self.lower = lower
        self.upper = upper
        self.witness = witness
    }
}

/// What the exact computation returned for one network (all norms in one pass).
public struct ExactOutcome: Sendable {
    public let values: [LipschitzNorm: CertifiedValue]
    public let isExact: Bool
    public let regions: Int
    public let seconds: Double
    /// Why an incomplete search stopped ("time limit", …); nil when exact.
    public let stopReason: String?

    public init(values: [LipschitzNorm: CertifiedValue], isExact: Bool, regions: Int, seconds: Double, stopReason: String?) {
        self.values = values
        self.isExact = isExact
        self.regions = regions
        self.seconds = seconds
        self.stopReason = stopReason
    }
}

/// Computes the exact constants; injectable so tests can pose an incomplete search.
public typealias ExactRunner = @Sendable (ReLUNetwork, [LipschitzNorm], _ timeLimit: Double?) throws -> ExactOutcome

public enum ExactRunners {
    /// `ExactSearch.compute` with a time limit; past it, the certified [lower, upper].
    public static let enumeration: ExactRunner = enumeration(stoppingWhen: nil)

    /// `enumeration`, also stopping (with the certified [lower, upper]) once `shouldStop` says so.
    public static func enumeration(stoppingWhen shouldStop: (@Sendable () -> Bool)?) -> ExactRunner {
        { network, norms, timeLimit in
            try run(network, norms, timeLimit, shouldStop)
        }
    }

    private static func run(_ network: ReLUNetwork, _ norms: [LipschitzNorm], _ timeLimit: Double?,
                            _ shouldStop: (@Sendable () -> Bool)?) throws -> ExactOutcome {
        var options = ExactOptions(norms: norms)
        options.timeLimit = timeLimit
        if let shouldStop { options.shouldStop = shouldStop }
        let report = try ExactSearch.compute(network, options: options)
        var values: [LipschitzNorm: CertifiedValue] = [:]
        for bound in report.bounds {
            values[bound.norm] = CertifiedValue(lower: bound.lower, upper: bound.upper, witness: bound.witness?.interiorPoint)
        }
        return ExactOutcome(values: values, isExact: report.isExact, regions: report.regions,
                            seconds: report.seconds, stopReason: report.stopReason?.rawValue)
    }
}

/// Seconds since an arbitrary origin, monotonic.
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
