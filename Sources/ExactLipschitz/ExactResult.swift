import FoundationEssentials
import LipschitzModel

/// What to compute and how far to go.
public struct ExactOptions: Sendable {
    /// The norms to certify; one pass over the regions serves them all.
    public var norms: [LipschitzNorm] = [.two]
    /// Restrict to this box (the local constant); nil for the global constant.
    public var box: InputBox?
    /// Stop after this many seconds and return certified bounds instead of the exact value.
    public var timeLimit: Double?
    /// Stop after this many full-dimensional regions.
    public var maxRegions: Int?
    /// The band, relative to the local scale of each LP, within which a floating-point
    /// inscribed-ball radius is not trusted and the region is decided in exact rational
    /// arithmetic instead. It changes speed, never the answer (`docs/architecture.md`).
    public var relativeRadiusTolerance: Double = Tolerances.defaultDecisionBand
    /// When the clock of `timeLimit` started (`DispatchTime` uptime nanoseconds); nil: when
    /// `compute` is called. The command line passes its own start, so reading the file counts.
    public var startTime: UInt64?
    /// How to search; `.automatic` uses the arrangement geometry for one hidden layer
    /// (falling back to LPs when it is not in general position) and LPs otherwise.
    public var method: SearchMethod = .automatic
    /// Worker threads for the LP search (each with its own GLPK problem).
    public var threads: Int = 1
    /// Branch and bound: skip subtrees whose interval-Jacobian bound cannot beat the best value
    /// so far. The constant stays exact, but `regions` then counts only the regions visited.
    public var prune: Bool = false
    /// Points (input coordinates) where the caller expects large Jacobians, e.g. from the local
    /// search of `LipschitzEstimates` (which this module does not depend on): branch and bound
    /// starts from the best of them and of its own samples. A point counts only after its
    /// region is certified full-dimensional (and inside the box), like every witness.
    public var startingPoints: [[Double]] = []
    /// A local search for large Jacobians that branch and bound runs from promising points
    /// during the search (`InSearchIncumbents`): given a start (input coordinates), a norm and a
    /// budget in Jacobian evaluations, a point where it expects a larger ‖J‖, or nil. The
    /// command line wires `LipschitzEstimates.LocalSearch` (the region walk, in a module this
    /// one does not depend on). Nothing it returns is trusted: a point counts only after its
    /// region is certified full-dimensional (and inside the box), like every witness. Called
    /// from every worker thread at once.
    public var localSearch: (@Sendable (_ start: [Double], _ norm: LipschitzNorm, _ evaluations: Int) -> [Double]?)?
    /// Search only this part of the input space (`Shard.whole` by default); the result is then
    /// certified over the part only, and `lipschitz merge` combines the parts.
    public var shard: Shard = .whole
    /// Values Φ is known to attain (`--lower-bound`, e.g. from `lipschitz estimate`), per norm:
    /// branch and bound prunes against them from the first split. A seed only prunes; it is
    /// never reported as the constant, and when no region reaches it the result is the
    /// interval [best found, seed], not exact. Needs `prune` to have any effect.
    public var lowerBounds: [LipschitzNorm: Double] = [:]
    /// Polled during the search; returning true stops it like a time limit (used for Ctrl-C).
    public var shouldStop: (@Sendable () -> Bool)?
    /// Called about four times a second with the search's state (for progress lines).
    public var progress: (@Sendable (ExactProgress) -> Void)?
    /// Called with the certified interval of the first norm while the LP search runs: after
    /// seeding, after every finished subtree task, and once at the end (`--trace`). Calls are
    /// serialised.
    public var trace: (@Sendable (TracePoint) -> Void)?

    /// Tests only: every k-th floating-point solve of the search fails (as GLPK's code 5 did on
    /// a published network), and every k-th solve of the exact test's problems.
    var injectedFailurePeriod: Int?
    var injectedExactFailurePeriod: Int?
    /// Branch and bound: the nodes a queued subtree runs before it hands the rest of itself back
    /// to the shared frontier (`ExactSearch.searchInParallel`). Tests set it small so that every
    /// subtree is cut up many times.
    var handBackSlice = 16384
    /// Tests only: the sweep recheck's candidate limit instead of `Tolerances.sweepCandidateLimit`,
    /// so that a small network can exceed it.
    var sweepCandidateLimit: Int?
    /// Queued subtrees popped after this many nodes in all, or seconds, get a pattern-space bound
    /// (`PatternSplitBound`) of at most `splitBudget` bounds per norm (`ExactSearch.refine`).
    /// Measured on trained-like and He-initialised (11, 24, 24, 1) networks after 30 s: the
    /// upper bound 3.29 → 2.59 and 8.62 → 5.97, for 10–20 % fewer nodes; 2000 bounds gave 2.56
    /// for 40 % fewer nodes. The published networks finish before 50,000 nodes and 2 s, so their
    /// searches are unchanged.
    var splitAfterNodes = 50_000
    var splitAfterSeconds = 2.0
    var splitBudget = 400
    /// The share of the wall time, once the search is past `splitAfterNodes` or
    /// `splitAfterSeconds`, that workers spend on the pattern-space cap of the anytime interval
    /// (`PatternCap`); 0 turns it off.
    var patternCapShare = 0.25

    public init(norms: [LipschitzNorm] = [.two], box: InputBox? = nil) {
        self.norms = norms
        self.box = box
    }
}

/// The search strategies, all exact; they differ only in speed.
public enum SearchMethod: String, Sendable, CaseIterable {
    /// Arrangement geometry for one hidden layer when in general position, else `.linearPrograms`.
    case automatic
    /// Depth-first splitting with one warm-started GLPK problem per path, interior balls to skip LPs.
    case linearPrograms = "lp"
    /// The baseline: every side of every split solved by a fresh LP, nothing reused.
    case plain
    /// Only the arrangement geometry (one hidden layer); an error when it does not apply.
    case arrangement
}

/// A full-dimensional activation region that attains a norm: the certificate behind a value.
public struct RegionWitness: Sendable, Equatable {
    public let pattern: ActivationPattern
    /// The centre of a ball of radius `radius` inside the region (input coordinates).
    public let interiorPoint: [Double]
    public let radius: Double
    /// The Jacobian of Φ on the region (outputs × inputs).
    public let jacobian: Matrix
}

/// The result for one norm: `lower == upper` when the search was complete.
public struct NormBound: Sendable {
    public let norm: LipschitzNorm
    /// The largest ‖J‖ over the regions visited: a value attained by Φ (sound lower bound).
    public let lower: Double
    /// A sound upper bound: `lower` when complete, otherwise also covering unexplored subtrees.
    public let upper: Double
    /// The region attaining `lower` (nil only if no region was visited).
    public let witness: RegionWitness?
    /// The Lipschitz constant when the search was complete; the certified lower bound otherwise.
    public var value: Double { lower }
}

/// Why an incomplete search stopped.
public enum StopReason: String, Sendable {
    case timeLimit = "time limit"
    case maxRegions = "region limit"
    case interrupted = "interrupted"
    /// The search finished, but some subtree could not be decided by any solver (or a worker
    /// failed): it is bounded, not enumerated.
    case undecided = "undecided subtrees"
    /// The search finished, pruning against a seeded `--lower-bound` that no region reached:
    /// the constant lies between the best region found and the seed.
    case lowerBoundNotReached = "lower bound not reached"
    /// The line sweep finished, but its running sums' proven rounding error could exceed 1e-9 of
    /// the constant (`ExactSearch.trustSweep`): the constant lies in the certified interval.
    case rounding = "rounding"
}

/// Counters of the search, for benchmarks and progress.
public struct EnumerationStatistics: Sendable, Equatable {
    /// Search-tree nodes (partial patterns) visited.
    public var nodes = 0
    /// Linear programs solved.
    public var linearPrograms = 0
    /// Splits decided by the known interior ball alone, with no LP.
    public var skippedLinearPrograms = 0
    /// Sides of a split found empty or lower-dimensional.
    public var emptySides = 0
    /// Neurons constant on the region (zero normal), decided by their bias.
    public var constantNeurons = 0
    /// Subtrees skipped by branch and bound.
    public var prunedSubtrees = 0
    /// Arrangement vertices visited (one hidden layer, geometric search).
    public var vertices = 0
    /// Questions decided in exact rational arithmetic (borderline radii, constant neurons,
    /// leaves whose interior point could not be certified in floating point).
    public var exactDecisions = 0
    /// Floating-point LPs that failed or ended undecided (then decided exactly).
    public var failedLinearPrograms = 0
    /// Subtrees that no solver could decide: bounded as unexplored, the result is not exact.
    public var undecidedSubtrees = 0
    /// Neurons whose sign a layer's first node certified on its whole region (branch and bound's
    /// `stabilise`): fixed in the pruning bound and, below, without a split.
    public var stabilisedNeurons = 0
    /// Pruning bounds computed (`RegionEnumerator.canPrune`), each O(network): tests check that
    /// deep narrow networks do not pay one per neuron.
    var pruningTests = 0
    /// `stabilise` tests answered by a ball already known in the region (`farWitnesses`), no LP.
    var witnessAnsweredTests = 0
    /// `stabilise` verdicts "stable" proved by a `StabilityCertificate` (no far-side LP).
    var certifiedStableTests = 0
    /// `stabilise` maxima too close to 0 (or not proved) to decide: the far-side LP test decided.
    var maximumFallbacks = 0
    /// Of those, the ones certified by `stabiliseDeeper` (a certified box and intervals through
    /// the layers), deeper layers' among them, before the search reached their layer.
    public var deeperStabilisedNeurons = 0

    /// Adds another worker's counters.
    public mutating func add(_ other: EnumerationStatistics) {
        nodes += other.nodes
        linearPrograms += other.linearPrograms
        skippedLinearPrograms += other.skippedLinearPrograms
        emptySides += other.emptySides
        constantNeurons += other.constantNeurons
        prunedSubtrees += other.prunedSubtrees
        vertices += other.vertices
        exactDecisions += other.exactDecisions
        failedLinearPrograms += other.failedLinearPrograms
        undecidedSubtrees += other.undecidedSubtrees
        stabilisedNeurons += other.stabilisedNeurons
        pruningTests += other.pruningTests
        witnessAnsweredTests += other.witnessAnsweredTests
        certifiedStableTests += other.certifiedStableTests
        maximumFallbacks += other.maximumFallbacks
        deeperStabilisedNeurons += other.deeperStabilisedNeurons
    }
    public init() {}
}

/// One point of the anytime interval: every region of the network has ‖J‖ ≤ `upper` (first
/// norm), and a certified region attains `lower`.
public struct TracePoint: Sendable, Equatable {
    public let lower: Double
    public let upper: Double
    public let nodes: Int
    public let seconds: Double
}

public struct ExactProgress: Sendable {
    public let regions: Int
    public let statistics: EnumerationStatistics
    /// Best value so far for the first requested norm.
    public let best: Double
    public let elapsed: Double
}

/// The certified answer for every requested norm.
public struct ExactReport: Sendable {
    /// One per requested norm, in the order of `ExactOptions.norms`.
    public let bounds: [NormBound]
    /// Full-dimensional activation regions visited (all of them when `isExact`).
    public let regions: Int
    /// True when every region was visited, so `lower == upper` for every norm.
    public let isExact: Bool
    public let stopReason: StopReason?
    public let seconds: Double
    public let statistics: EnumerationStatistics
    /// The method that produced the answer (`.automatic` resolves to one of the others).
    public let method: SearchMethod
    /// The part of the search this report covers (nil: the whole search, unsharded).
    public var partition: SearchPartition? = nil
    /// True when `regions` is the number of all full-dimensional regions (complete, no pruning).
    public var regionsComplete: Bool { isExact && statistics.prunedSubtrees == 0 }

    public func bound(for norm: LipschitzNorm) -> NormBound? { bounds.first { $0.norm == norm } }
}
