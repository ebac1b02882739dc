import ArgumentParser
import ComparisonHarness
import ExactLipschitz
import FoundationEssentials
import LipschitzEstimates
import LipschitzModel
import RandomNetworks

/// `lipschitz compare`: exact against every estimate, bound and the theory, on a folder of
/// networks or a sweep of random ones. Exit status 1 when a bound contradicts the exact value.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare exact constants with every estimate, bound and the random-network theory.",
        discussion: """
        Networks come from --suite DIR (every .json, .onnx and .nnet network in it) or from a random sweep \
        (--dims, --widths, --biases, --trials, --seed; drawn like `lipschitz generate`). Per network: \
        the exact value (or the certified [lower, upper] if --time-limit stops the search), each method's \
        value and ratio to exact, the theory's scale E‖g‖_q (THEORY.md §2) and Lip/E‖g‖_q. Per cell: median \
        and range of Lip/E‖g‖_q and Lip/√d, and the slope of each ratio against N. \
        An upper bound below the exact value or a lower bound above it (beyond 1e-9 relative) is a \
        soundness violation: it is listed and the command exits with status 1. Bad input: status 2. \
        Ctrl-C or SIGTERM stops the run: the networks finished so far are reported (and written to \
        --csv/--json/--plot) and the status is 130 (SIGINT) or 143 (SIGTERM).
        """
    )

    @Option(name: .long, help: ArgumentHelp("A folder of network files (.json, .onnx, .nnet) to compare.", valueName: "DIR"))
    var suite: String?

    @Option(name: .long, help: ArgumentHelp("Sweep: input dimensions, comma separated.", valueName: "LIST"))
    var dims: String?

    @Option(name: .long, help: ArgumentHelp("Sweep: hidden widths N, comma separated.", valueName: "LIST"))
    var widths: String?

    @Option(name: .long, help: ArgumentHelp("Sweep: numbers of hidden layers, comma separated.", valueName: "LIST"))
    var depths: String = "1"

    @Option(name: .long, help: ArgumentHelp("Sweep: bias distributions (normal, uniform, laplace, rademacher, zero), comma separated.", valueName: "LIST"),
            transform: { try BiasDistribution.parseList($0) })
    var biases: [BiasDistribution] = [.normal]

    @Option(name: .customLong("bias-scale"), help: ArgumentHelp("Sweep: scale s of the bias distributions.", valueName: "S"))
    var biasScale: Double = 1

    @Option(name: .long, help: ArgumentHelp("Sweep: networks per (d, N, L, bias) cell.", valueName: "T"))
    var trials: Int = 5

    @Option(name: .long, help: ArgumentHelp("Seed of the sweep's networks and of the estimates' random choices.", valueName: "S"))
    var seed: UInt64 = 0

    @Option(name: .customLong("region-budget"), help: ArgumentHelp("Sweep: leave out (d, N, L) cells whose region bound Σ_{i≤d} C(L·N, i) exceeds R.", valueName: "R"))
    var regionBudget: Int?

    @OptionGroup
    var norm: NormOptions

    @OptionGroup
    var sampling: SamplingOptions

    @Option(name: .long, help: ArgumentHelp("Methods to run (default all): sampled, local-search, layer-product, interval-jacobian, clever.", valueName: "LIST"),
            transform: { try EstimationMethod.parseList($0) })
    var methods: [[EstimationMethod]] = []

    @Option(name: .customLong("time-limit"), help: ArgumentHelp("Seconds for the exact search per network; past it the certified [lower, upper] is reported.", valueName: "SECONDS"))
    var timeLimit: Double = 10

    @Option(name: .long, help: ArgumentHelp("Write one CSV row per network and norm.", valueName: "FILE"))
    var csv: String?

    @Option(name: .long, help: ArgumentHelp("Write everything (networks, cells, growth, violations) as JSON.", valueName: "FILE"))
    var json: String?

    @Option(name: .long, help: ArgumentHelp("Write an SVG plot of the ratios against N.", valueName: "FILE.svg"))
    var plot: String?

    @Flag(name: .customLong("per-network"), help: "Print one table row per network (default: only when there are at most 40).")
    var perNetwork = false

    @Flag(name: .long, help: "No progress lines on standard error.")
    var quiet = false

    @OptionGroup
    var sharding: ShardOptions

    /// Rules on the options alone, before any network is read or drawn.
    func validate() throws {
        try validateTimeLimit(timeLimit)
        if suite != nil, dims != nil || widths != nil {
            throw ValidationError("give either --suite or a sweep (--dims, --widths), not both")
        }
        if suite == nil, dims == nil || widths == nil {
            throw ValidationError("give --suite DIR, or --dims and --widths for a random sweep")
        }
    }

    func run() throws {
        // First: Ctrl-C or SIGTERM from here on stops the run and reports the networks done so far.
        let stop = StopSignals.install()
        let samples = sampling.samples
        let inputs = try self.inputs()
        let settings = HarnessSettings(norms: norm.norms, timeLimit: timeLimit)
        let harness = Harness(settings: settings, methods: ComparedMethod.estimators(EstimationMethod.chosen(methods), samples: samples, seed: seed) + Self.testMethods,
                              exact: ExactRunners.enumeration(stoppingWhen: { stop.isSet }))
        // Every norm must suit every network before any time is spent (a sweep's networks all have one output).
        try harness.validate(inputs.suite ?? [try inputs.caseAt(0)])
        // Refuse unwritable outputs before the (possibly long) run, not after it.
        for path in [csv, json, plot].compactMap({ $0 }) { try FileAccess.checkWritable(path) }
        let shard = try sharding.parsed()
        if shard.count > 1, json == nil { throw CLIError("--shard needs --json FILE: the part's results, which `lipschitz merge` reads") }
        // This part's networks (all of them unsharded), balanced by estimated cost.
        let owned = WorkPartition.owned(costs: (0..<inputs.count).map(inputs.cost), shard: shard)

        let start = Date()
        let count = owned.count
        let step = max(1, count / 20)
        var results = try harness.run(count: count, case: { try inputs.caseAt(owned[$0]) }, shouldStop: { stop.isSet }) { index, result in
            guard !quiet, (index + 1) % step == 0 || index + 1 == count else { return }
            standardError(cFormat("[%ld/%ld] %.0f s  ", index + 1, count, Date().timeIntervalSince(start)) + result.input.label)
        }
        var origin = inputs.origin
        if stop.isSet {
            // The network being searched when the signal came has only its certified interval: leave
            // it out unless the search had finished, and say how far the run got.
            if let last = results.last, last.exact.stopReason == StopReason.interrupted.rawValue { results.removeLast() }
            // A part keeps the run's origin (the merge checks it) and says "complete": false instead.
            if shard.count == 1 { origin += "; interrupted by a signal after \(results.count) of \(count) networks" }
            standardError("lipschitz: interrupted; reporting the \(results.count) network(s) finished so far")
        }
        let part = shard.count == 1 ? nil
            : ComparisonShard(shard: shard, networks: inputs.count, indices: Array(owned.prefix(results.count)), complete: !stop.isSet)
        let report = ComparisonReport(results: results, settings: settings, origin: origin, shard: part)
        standardOutput(report.text(perNetwork: perNetwork || results.count <= 40))
        if let csv { try FileAccess.write(report.csv(), to: csv) }
        if let json { try FileAccess.write(report.json(), to: json) }
        if let plot { try FileAccess.write(ComparisonPlot.svg(report), to: plot) }
        if let status = stop.exitStatus { throw ExitCode(status) }
        if !report.violations.isEmpty {
            standardError("lipschitz: \(report.violations.count) soundness violation(s); see the report")
            throw ExitCode(1)
        }
    }

    /// The networks to compare: a suite's files (read at once), or a sweep's count and a way to
    /// draw network i when its turn comes (nothing is built in proportion to --trials up front).
    private struct Inputs {
        let count: Int
        let caseAt: (Int) throws -> ComparisonCase
        /// Network i's estimated cost, for balancing shards (`WorkPartition`).
        let cost: (Int) -> Double
        let suite: [ComparisonCase]?
        let origin: String
    }

    private func inputs() throws -> Inputs {
        if let suite {
            let cases = try Suite.load(directory: suite)
            let cost = { (i: Int) in WorkPartition.cost(inputDimension: cases[i].inputDimension, hiddenNeurons: cases[i].network.hiddenNeuronCount) }
            return Inputs(count: cases.count, caseAt: { cases[$0] }, cost: cost, suite: cases, origin: "suite \(suite) (\(cases.count) networks)")
        }
        // `validate()` has made sure that a sweep has both.
        guard let dims, let widths else { preconditionFailure("a sweep without --dims or --widths") }
        guard biasScale.isFinite, biasScale >= 0 else { throw CLIError("--bias-scale must be a finite number ≥ 0, got \(biasScale)") }
        let plan = try SweepPlan(
            dimensions: SweepPlan.parseIntegers(dims, option: "--dims"),
            widths: SweepPlan.parseIntegers(widths, option: "--widths"),
            depths: SweepPlan.parseIntegers(depths, option: "--depths"),
            biases: biases,
            biasScale: biasScale, trials: trials, seed: seed, regionBudget: regionBudget)
        let skipped = plan.skippedCells.map { "(d=\($0.d), N=\($0.width), L=\($0.depth))" }
        guard plan.networkCount > 0 else { throw CLIError("the region budget leaves out every cell") }
        var origin = "random sweep d ∈ {\(dims)}, N ∈ {\(widths)}, L ∈ {\(depths)}, bias ∈ {\(biases.map(\.rawValue).joined(separator: ","))} (scale \(biasScale)), "
            + "\(trials) trials, seed \(seed); \(sampling.samples) samples"
        if let regionBudget { origin += "; region budget \(regionBudget)" + (skipped.isEmpty ? "" : ", leaving out \(skipped.joined(separator: " "))") }
        let cost = { (i: Int) in
            let cell = plan.cells[i / plan.trials]
            return WorkPartition.cost(inputDimension: cell.d, hiddenNeurons: cell.width * cell.depth)
        }
        return Inputs(count: plan.networkCount, caseAt: plan.comparisonCase(at:), cost: cost, suite: nil, origin: origin)
    }
}
