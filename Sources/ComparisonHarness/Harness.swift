import FoundationEssentials
import ExactLipschitz
import LipschitzModel
import LipschitzTheory
import RandomNetworks

/// A network to compare, with the coordinates the summary groups by.
public struct ComparisonCase: Sendable {
    /// A file name or the random recipe's name.
    public let label: String
    public let network: ReLUNetwork
    /// The random recipe, when the network was drawn (or its file records one under "source").
    public let recipe: Recipe?

    /// The parts of a `RandomNetworkSpec` the summary needs (also read back from files).
    public struct Recipe: Sendable, Equatable {
        public let bias: String
        public let biasScale: Double
        public let seed: UInt64
        public init(bias: String, biasScale: Double, seed: UInt64) {
            self.bias = bias
            self.biasScale = biasScale
            self.seed = seed
        }
    }

    public init(label: String, network: ReLUNetwork, recipe: Recipe? = nil) {
        self.label = label
        self.network = network
        self.recipe = recipe
    }

    public var inputDimension: Int { network.inputDimension }
    /// The common hidden width, or nil when the hidden widths differ.
    public var width: Int? {
        let widths = network.hiddenWidths
        return widths.allSatisfy { $0 == widths.first } ? widths.first : nil
    }
    public var depth: Int { network.layers.count - 1 }
    public var biasLabel: String { recipe?.bias ?? "-" }
}

/// One method's result on one network and norm.
public struct MethodOutcome: Sendable {
    public let method: String
    public let claim: Claim?
    public let value: Double?
    public let seconds: Double
    /// Set when the method threw (its one-line message); the method is then left out of ratios.
    public let error: String?
    /// value / exact (value / certified lower end when the search stopped early).
    public let ratioToExact: Double?
    public let violation: Violation?
}

/// Exact, theory and every method for one network and one norm.
public struct NormComparison: Sendable {
    public let norm: LipschitzNorm
    public let exact: CertifiedValue
    public let prediction: TheoryPrediction
    /// Whether the shallow characterisation applies (one hidden layer, scalar output).
    public let theoryCovers: Bool
    public let methods: [MethodOutcome]

    /// Lip / E‖g‖_q, the measured constant (nil when the search stopped early).
    public func lipOverPrediction(isExact: Bool) -> Double? {
        isExact && prediction.value > 0 ? exact.lower / prediction.value : nil
    }
}

/// Everything measured on one network.
public struct CaseResult: Sendable {
    public let input: ComparisonCase
    public let exact: ExactOutcome
    public let norms: [NormComparison]

    public var violations: [Violation] { norms.flatMap { $0.methods.compactMap(\.violation) } }

    /// Lip_p / √d: the constant of the shallow ℓ2 statement c√d ≤ Lip₂ ≤ C√d (nil if not exact).
    public func lipOverSqrtD(_ norm: LipschitzNorm) -> Double? {
        guard exact.isExact, let v = exact.values[norm] else { return nil }
        return v.lower / Double(input.inputDimension).squareRoot()
    }
}

/// Settings shared by every network of a run.
public struct HarnessSettings: Sendable {
    public var norms: [LipschitzNorm]
    /// Seconds for the exact search per network; nil for no limit.
    public var timeLimit: Double?
    /// Monte Carlo draws for theory predictions without closed form.
    public var theorySamples: Int
    public var theorySeed: UInt64

    public init(norms: [LipschitzNorm] = [.two], timeLimit: Double? = 10, theorySamples: Int = 200_000, theorySeed: UInt64 = 0) {
        self.norms = norms
        self.timeLimit = timeLimit
        self.theorySamples = theorySamples
        self.theorySeed = theorySeed
    }

    public func validate() throws {
        guard !norms.isEmpty else { throw HarnessError.badOption("give at least one norm") }
        if let t = timeLimit, !ExactOptions.isValidTimeLimit(t) {
            throw HarnessError.badOption("time limit must be a positive number of seconds, got \(t)")
        }
        guard theorySamples >= 2 else { throw HarnessError.badOption("theory samples must be at least 2") }
    }
}

/// Runs exact, every method and the theory on each network and checks every bound.
public struct Harness: Sendable {
    public let settings: HarnessSettings
    public let methods: [ComparedMethod]
    public let exact: ExactRunner

    public init(settings: HarnessSettings, methods: [ComparedMethod], exact: @escaping ExactRunner = ExactRunners.enumeration) {
        self.settings = settings
        self.methods = methods
        self.exact = exact
    }

    /// Checks that every norm suits every network (ℓp for p ∉ {1, 2, ∞} needs a scalar output)
    /// before any time is spent.
    public func validate(_ cases: [ComparisonCase]) throws {
        try settings.validate()
        for c in cases { try validate(c) }
    }

    /// Checks that every norm suits one network.
    public func validate(_ c: ComparisonCase) throws {
        for norm in settings.norms {
            do { try norm.check(outputs: c.network.outputDimension) } catch {
                throw HarnessError.badOption("\(c.label): \(error)")
            }
        }
    }

    /// Runs every case in order; `progress` hears about each finished one.
    public func run(_ cases: [ComparisonCase], progress: ((Int, CaseResult) -> Void)? = nil) throws -> [CaseResult] {
        try validate(cases)
        return try run(count: cases.count, case: { cases[$0] }, progress: progress)
    }

    /// Runs cases `0..<count`, asking `caseAt` for each only when its turn comes (a sweep of
    /// many networks never holds more than the one it runs), in order. Before each case,
    /// `shouldStop` is asked: once it says yes, the results so far are returned (a stop during
    /// an exact search is for the `exact` runner to honour). `progress` hears about each case.
    public func run(count: Int, case caseAt: (Int) throws -> ComparisonCase, shouldStop: (() -> Bool)? = nil,
                    progress: ((Int, CaseResult) -> Void)? = nil) throws -> [CaseResult] {
        try settings.validate()
        var predictions: [String: TheoryPrediction] = [:]
        var results: [CaseResult] = []
        for index in 0..<count {
            if shouldStop?() == true { break }
            let c = try caseAt(index)
            try validate(c)
            let outcome = try exact(c.network, settings.norms, settings.timeLimit)
            var comparisons: [NormComparison] = []
            for norm in settings.norms {
                let key = "\(norm)/\(c.inputDimension)"
                let prediction: TheoryPrediction
                if let cached = predictions[key] { prediction = cached } else {
                    prediction = try RandomNetworkTheory.prediction(norm: norm, inputDimension: c.inputDimension,
                                                                    samples: settings.theorySamples, seed: settings.theorySeed)
                    predictions[key] = prediction
                }
                guard let truth = outcome.values[norm] else {
                    throw HarnessFailure("\(c.label): the exact method returned no value for ℓ\(norm)")
                }
                let outcomes = methods.map { compare($0, on: c, norm: norm, truth: truth, isExact: outcome.isExact) }
                comparisons.append(NormComparison(norm: norm, exact: truth, prediction: prediction,
                                                  theoryCovers: RandomNetworkTheory.covers(c.network), methods: outcomes))
            }
            let result = CaseResult(input: c, exact: outcome, norms: comparisons)
            results.append(result)
            progress?(index, result)
        }
        return results
    }

    private func compare(_ method: ComparedMethod, on c: ComparisonCase, norm: LipschitzNorm,
                         truth: CertifiedValue, isExact: Bool) -> MethodOutcome {
        let start = now()
        let claimed: ClaimedValue
        do { claimed = try method.run(c.network, norm) } catch {
            return MethodOutcome(method: method.name, claim: nil, value: nil, seconds: now() - start,
                                 error: "\(error)", ratioToExact: nil, violation: nil)
        }
        let seconds = now() - start
        let violated = Soundness.violates(claimed.claim, value: claimed.value, lower: truth.lower, upper: truth.upper)
        let violation = violated
            ? Violation(network: c.label, method: method.name, norm: norm, claim: claimed.claim,
                        value: claimed.value, lower: truth.lower, upper: truth.upper)
            : nil
        let ratio = truth.lower > 0 && claimed.value.isFinite ? claimed.value / truth.lower : nil
        return MethodOutcome(method: method.name, claim: claimed.claim, value: claimed.value, seconds: seconds,
                             error: nil, ratioToExact: ratio, violation: violation)
    }
}

public enum HarnessError: InputProblem, Equatable {
    case badOption(String)
    case badSuite(String)

    public var description: String {
        switch self {
        case .badOption(let why): return why
        case .badSuite(let why): return why
        }
    }
}

/// A failure of the harness's machinery, not of the input (exit status 1).
public struct HarnessFailure: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
