import LipschitzModel

/// A method broke its promise: an upper bound below the certified lower end of the true
/// constant, a lower bound above the certified upper end, or a bound that is not a number.
public struct Violation: Sendable, Equatable, CustomStringConvertible {
    public let network: String
    public let method: String
    public let norm: LipschitzNorm
    public let claim: Claim
    public let value: Double
    /// The certified interval for the true constant (a point when exact).
    public let lower: Double
    public let upper: Double

    public var description: String {
        let truth = lower == upper ? "the exact value \(lower)" : "the certified interval [\(lower), \(upper)]"
        if !value.isFinite {
            return "\(network), ℓ\(norm): \(method) returned \(value) as a \(claim.rawValue)"
        }
        switch claim {
        case .upperBound: return "\(network), ℓ\(norm): \(method) claims upper bound \(value), below \(truth)"
        case .lowerBound: return "\(network), ℓ\(norm): \(method) claims lower bound \(value), above \(truth)"
        case .heuristic: return "\(network), ℓ\(norm): \(method) returned \(value)"
        }
    }
}

public enum Soundness {
    /// Relative slack for rounding: a bound may miss the truth by this fraction before it counts.
    public static let relativeTolerance = 1e-9

    /// Whether `value`, claimed as `claim`, contradicts a true constant known to lie in
    /// [lower, upper]. Heuristic estimates can only be wrong by being NaN or infinite.
    public static func violates(_ claim: Claim, value: Double, lower: Double, upper: Double,
                                relativeTolerance: Double = relativeTolerance) -> Bool {
        guard value.isFinite else { return true }
        switch claim {
        case .upperBound:
            return value < lower - relativeTolerance * max(abs(lower), abs(value))
        case .lowerBound:
            return value > upper + relativeTolerance * max(abs(upper), abs(value))
        case .heuristic:
            return false
        }
    }
}
