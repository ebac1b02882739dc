import LipschitzModel

/// What a number guarantees: a sound lower bound, a sound upper bound, or nothing.
///
/// The raw values are what people read in tables and JSON, so they spell out the guarantee.
public enum EstimateKind: String, Sendable, CaseIterable {
    case lowerBound = "lower bound"
    case upperBound = "upper bound"
    case heuristic = "estimate (no guarantee)"
}

/// The fast methods, each with a fixed `kind` (docs/estimates.md describes them).
public enum EstimationMethod: String, CaseIterable, Sendable {
    /// Largest ‖J(x)‖ over random points x: a lower bound.
    case sampled
    /// Hill climbing from region to neighbouring region, starting at the best samples: a lower bound.
    case localSearch = "local-search"
    /// ∏ ‖W_k‖_{p→p} (AutoLip): an upper bound.
    case layerProduct = "layer-product"
    /// Interval bounds on every Jacobian, from the neurons that interval propagation fixes: an upper bound.
    case intervalJacobian = "interval-jacobian"
    /// A reverse-Weibull fit to batch maxima of sampled norms (CLEVER): no guarantee.
    case clever

    /// The guarantee every value of this method carries.
    public var kind: EstimateKind {
        switch self {
        case .sampled, .localSearch: return .lowerBound
        case .layerProduct, .intervalJacobian: return .upperBound
        case .clever: return .heuristic
        }
    }

    /// Parses one method name as written on the command line (the raw value).
    public init(parsing text: String) throws {
        let t = text.trimmingWhitespaces().lowercased()
        guard let method = EstimationMethod(rawValue: t) else { throw EstimateError.badMethod(text) }
        self = method
    }
}

/// What to estimate, and the sampling budget.
public struct EstimateOptions: Sendable {
    /// The ℓp norm on input and output space.
    public var norm: LipschitzNorm
    /// Gradient evaluations at random points (sampled, local-search starts, clever); at least 1.
    public var samples: Int
    /// Seeds every random choice: the same seed gives the same estimates.
    public var seed: UInt64
    /// Restrict to this box (a local constant); nil for the global constant on all of R^d.
    public var box: InputBox?
    /// The local search's budget in multiply-adds over all its starts (≈ 1 s in a release
    /// build for the default on a 100 × 1000 × 1 network); it stops earlier at local maxima.
    public var searchWork: Double = 5e8
    /// The local search's starting points: the best distinct sampled regions, half overall and
    /// half in the far field (`searchWork` is shared among them). 32 rather than the 8 of
    /// earlier versions: on the published networks 8 reached 85 % of the double pendulum's
    /// constant and 96 % of wine 11-12-12-1's; 32 reach 95 % and 100 %, in about 3× the time
    /// (5–23 ms against 3–9 ms on the published and trained-like networks).
    public var searchStarts: Int = 32

    public init(norm: LipschitzNorm = .two, samples: Int = 1000, seed: UInt64 = 0, box: InputBox? = nil) {
        self.norm = norm
        self.samples = samples
        self.seed = seed
        self.box = box
    }

    /// Largest accepted `samples`: beyond it a run takes hours on a wide network.
    public static let maximumSamples = 100_000_000
    /// Largest accepted `searchStarts` (each keeps a sampled point per leaderboard).
    public static let maximumSearchStarts = 4096

    /// The one rule for a sample count: 1 … `maximumSamples` (the command line checks it too,
    /// before reading the network).
    public static func checkSamples(_ samples: Int) throws {
        guard samples >= 1 else { throw EstimateError.badSamples(samples) }
        guard samples <= maximumSamples else { throw EstimateError.tooManySamples(samples) }
    }

    /// Throws an `EstimateError` (or `InputError`) when the options cannot apply to `network`.
    public func validate(for network: ReLUNetwork) throws {
        try Self.checkSamples(samples)
        if case .p(let p) = norm, !(p.isFinite && p > 1) { throw InputError.badNorm("\(p)") }
        try norm.check(outputs: network.outputDimension)
        if let box { try box.check(inputs: network.inputDimension) }
        guard searchWork.isFinite, searchWork >= 0 else { throw EstimateError.badSearchWork(searchWork) }
        try Self.checkSearchStarts(searchStarts)
    }

    /// The one rule for a start count: 1 … `maximumSearchStarts`.
    public static func checkSearchStarts(_ starts: Int) throws {
        guard (1...maximumSearchStarts).contains(starts) else { throw EstimateError.badSearchStarts(starts) }
    }
}

/// One number from one method, with the guarantee it carries.
public struct Estimate: Sendable {
    public let method: EstimationMethod
    public let kind: EstimateKind
    public let value: Double
    /// Wall-clock time of this method alone.
    public let seconds: Double
    /// For lower bounds: an input point inside a full-dimensional region (inside the box, if
    /// any) where ‖J‖ equals `value` (less the Jacobian's rounding bound where weight products
    /// cancel: `EstimateTolerances.roundingCharge`); nil for upper bounds and for the heuristic.
    public let point: [Double]?
    /// Counters worth reporting (points evaluated, ties skipped, fitted shape, …), one line.
    public let notes: String

    public init(method: EstimationMethod, kind: EstimateKind, value: Double, seconds: Double,
                point: [Double]?, notes: String = "") {
        self.method = method
        self.kind = kind
        self.value = value
        self.seconds = seconds
        self.point = point
        self.notes = notes
    }
}

/// Bad options for an estimate; one line each, printed by the CLI with exit status 2.
public enum EstimateError: InputProblem, Equatable {
    case badSamples(Int)
    case tooManySamples(Int)
    case badMethod(String)
    case badSearchWork(Double)
    case badSearchStarts(Int)
    /// Every sampled point lay on a hyperplane of a non-constant neuron, or its Jacobian
    /// overflowed (weights near the largest double).
    case noValidSample(Int)

    public var description: String {
        switch self {
        case .badSamples(let n): return "bad sample count \(n): it must be at least 1"
        case .tooManySamples(let n):
            return "sample count \(n) is too large: at most \(EstimateOptions.maximumSamples)"
        case .badMethod(let text):
            let names = EstimationMethod.allCases.map(\.rawValue).joined(separator: ", ")
            return "unknown method \"\(text)\": use \(names) or all"
        case .badSearchWork(let w): return "bad local-search work budget \(w): it must be a finite number ≥ 0"
        case .badSearchStarts(let n):
            return "bad local-search start count \(n): it must be 1 … \(EstimateOptions.maximumSearchStarts)"
        case .noValidSample(let n):
            return "none of the \(n) sampled points gave a certified gradient (each lay on a hyperplane or its Jacobian overflowed)"
        }
    }
}
