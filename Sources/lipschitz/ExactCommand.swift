import ArgumentParser
import Dispatch
import ExactLipschitz
import FoundationEssentials
import Glibc
import LipschitzEstimates
import LipschitzModel

struct ExactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exact",
        abstract: "Certify the exact Lipschitz constant by enumerating every activation region.",
        discussion: """
        Enumerates every full-dimensional activation region — by the geometry of the hyperplane \
        arrangement for one hidden layer in general position, otherwise with GLPK linear programs \
        on every core — and reports the largest operator norm of the Jacobian over them, with a \
        witness region (pattern, interior point, Jacobian). With --time-limit or --max-regions (or Ctrl-C, or \
        SIGTERM as sent by `timeout` and Slurm) an unfinished search still reports a certified interval \
        [lower, upper] ("exact": false); a second Ctrl-C or SIGTERM ends the process at once.

        Exit status: 0 when the command finished (an exact value, or the interval when --time-limit or \
        --max-regions stopped it); 1 on an internal failure (e.g. the LP solver); 2 on bad input (one line \
        "lipschitz: error: ..." on stderr); 130 after SIGINT and 143 after SIGTERM (128 + the signal), \
        with the certified interval printed.
        """)

    @OptionGroup
    var input: NetworkInputOptions

    @OptionGroup
    var norm: NormOptions

    @OptionGroup(title: "Domain (default: all of R^d, or the input box a .nnet file clips to)")
    var domain: BoxOptions

    @Option(name: .customLong("time-limit"), help: ArgumentHelp("Stop after this many seconds and report certified bounds.", valueName: "SECONDS"))
    var timeLimit: Double?

    @Option(name: .customLong("max-regions"), help: ArgumentHelp("Stop after this many regions and report certified bounds.", valueName: "N"))
    var maxRegions: Int?

    @Option(name: .customLong("radius-tolerance"), help: ArgumentHelp("Speed only, never the answer: a floating-point inscribed-ball radius within this band (relative to the local scale) is not trusted, and the region is decided in exact rational arithmetic instead. Between 1e-8 and 0.1.", valueName: "TAU"))
    var radiusTolerance: Double = 1e-7

    @Option(help: ArgumentHelp("Search method: automatic (arrangement geometry for one hidden layer, else LPs), lp, plain (baseline: a fresh LP for every side of every split), arrangement.", valueName: "METHOD"))
    var method: SearchMethod = .automatic

    @Option(help: ArgumentHelp("Worker threads (each with its own GLPK problem). Default: the number of cores.", valueName: "N"))
    var threads: Int?

    @Flag(help: "Branch and bound (the default for networks the arrangement geometry does not take): skip subtrees whose bound cannot beat the best value. The constant stays exact; \"regions\" then counts only the regions visited (\"regions_complete\": false). Accepted for compatibility.")
    var prune = false

    @Flag(name: .customLong("no-prune"), help: "Visit every region: no branch and bound (same as --count-regions).")
    var noPrune = false

    @Flag(name: .customLong("count-regions"), help: "Visit every region, so that \"regions\" is the full count (overrides --prune).")
    var countRegions = false

    @Option(name: .customLong("lower-bound"), help: ArgumentHelp("A value Φ attains (e.g. from `lipschitz estimate`): branch and bound (turned on by this option) prunes against it from the start. It only prunes: if no region reaches it, the result is the interval [best found, X], not exact.", valueName: "X"))
    var lowerBound: Double?

    @OptionGroup
    var sharding: ShardOptions

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    @Option(help: ArgumentHelp("Branch and bound: write the certified interval as JSON lines {\"lower\", \"upper\", \"nodes\", \"seconds\"} to FILE while the search runs.", valueName: "FILE"))
    var trace: String?

    /// Every rule on the options alone, before the network is read; the bounds are the
    /// library's (`ExactOptions`), the messages name the flags.
    func validate() throws {
        try validateTimeLimit(timeLimit)
        if let maxRegions, maxRegions < ExactOptions.smallestRegionLimit {
            throw ValidationError("--max-regions must be at least \(ExactOptions.smallestRegionLimit)")
        }
        guard ExactOptions.radiusToleranceRange.contains(radiusTolerance) else {
            throw ValidationError("--radius-tolerance must lie in [1e-8, 0.1] (below 1e-8 GLPK's own tolerance would decide)")
        }
        if let threads, !ExactOptions.threadRange.contains(threads) {
            throw ValidationError("--threads must be between \(ExactOptions.threadRange.lowerBound) and \(ExactOptions.threadRange.upperBound)")
        }
        if let lowerBound {
            guard ExactOptions.isValidLowerBound(lowerBound) else { throw ValidationError("--lower-bound must be a finite number ≥ 0, got \(lowerBound)") }
            guard !countRegions && !noPrune else { throw ValidationError("--lower-bound prunes, --count-regions (--no-prune) visits every region: give one of them") }
            guard norm.norms.count == 1 else { throw ValidationError("--lower-bound needs a single --norm (it is a value of that norm's constant)") }
        }
        if ((try? sharding.parsed())?.count ?? 1) > 1, norm.norms.count > 1 {
            throw ValidationError("--shard needs a single --norm: run one sharded search per norm (`lipschitz merge` combines one norm's parts)")
        }
    }

    func run() throws {
        // First, before the (possibly long) read: Ctrl-C or SIGTERM from here on stops the search
        // and still prints the certified interval.
        let stop = StopSignals.install()
        let loaded = try input.load()
        let net = loaded.network
        // Before the domain, whose notes would precede the error: a norm that does not fit the outputs.
        for p in norm.norms { try p.check(outputs: net.outputDimension) }
        let progress = ProgressLine()
        let traceFile = try trace.map(TraceFile.init(path:))
        let options = try options(net, box: try input.domain(domain, for: loaded), stop: stop, progress: progress,
                                  traceFile: traceFile)
        let report = try ExactSearch.compute(net, options: options)
        progress.clear()
        if json {
            let document = ExactResultDocument(network: net, report: report, box: options.box,
                                               shard: options.shard, lowerBound: lowerBound)
            standardOutput(document.jsonText + "\n")
        } else {
            standardOutput(ExactText.render(network: net, report: report, box: options.box, shard: options.shard))
        }
        // Stopped by a signal: the interval is printed; the status says the run was interrupted.
        if let status = stop.exitStatus { throw ExitCode(status) }
        // The trace's failed write was reported when it happened.
        if traceFile?.failed == true { throw ExitCode(2) }
    }

    /// The library's options from the flags (already validated), with the stop flag and a
    /// progress line on a terminal.
    private func options(_ net: ReLUNetwork, box: InputBox?, stop: StopSignals, progress: ProgressLine,
                         traceFile: TraceFile?) throws -> ExactOptions {
        var options = ExactOptions(norms: norm.norms, box: box)
        options.timeLimit = timeLimit
        options.maxRegions = maxRegions
        options.relativeRadiusTolerance = radiusTolerance
        options.method = method
        options.threads = threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount)
        // Branch and bound unless the full count is asked for; the arrangement search (one hidden
        // layer in general position) still answers first and always counts every region.
        options.prune = !(countRegions || noPrune)
        options.shard = try sharding.parsed()
        if let lowerBound {
            options.prune = true
            options.lowerBounds = [norm.norms[0]: lowerBound]
        }
        options.shouldStop = { stop.isSet }
        if options.prune {
            options.startingPoints = norm.norms.flatMap { Self.localSearchPoints(net, norm: $0, box: box) }
            options.localSearch = Self.localSearch(net, norms: norm.norms, box: box)
        }
        if let traceFile { options.trace = { traceFile.write($0) } }
        // The time limit counts from the start of the process: reading the file is part of the run.
        options.startTime = Lipschitz.started
        if progress.enabled {
            options.progress = { p in
                let work = p.statistics.vertices > 0 ? "vertices \(p.statistics.vertices)" : "LPs \(p.statistics.linearPrograms)  pruned \(p.statistics.prunedSubtrees)"
                progress.show("regions \(p.regions)  \(work)  best \(human(p.best))  \(cFormat("%.1f", p.elapsed)) s")
            }
        }
        return options
    }
}

extension ExactCommand {
    /// Where `estimate --method local-search` ends (milliseconds on the published networks):
    /// strong incumbents for branch and bound. The exact search certifies the point's region
    /// before it counts, so an estimate that fails for any reason is simply not used.
    static func localSearchPoints(_ net: ReLUNetwork, norm: LipschitzNorm, box: InputBox?) -> [[Double]] {
        guard net.layers.count > 2 else { return [] }
        var estimateOptions = EstimateOptions(norm: norm, samples: localSearchSamples(net), seed: 0, box: box)
        estimateOptions.searchWork = 2e8
        // 8 starts, not the estimate's 32: a better incumbent hardly prunes more (the double
        // pendulum given its exact constant as --lower-bound: 20,555 nodes against 20,647), and
        // on the small networks the walk is a large part of the run (iris: a fifth).
        estimateOptions.searchStarts = 8
        let estimate = try? LipschitzEstimator.estimate(net, method: .localSearch, options: estimateOptions)
        return estimate?.point.map { [$0] } ?? []
    }

    /// Samples the local search starts from: 20 per hidden neuron, within 200...1000. On a small
    /// network they are most of its cost, and the search finds the rest. Measured (1 thread,
    /// nodes with 1000 → 600 → 300 samples): abalone 9-16-16-1 450 → 450 → 758, iris 4-6-6-3,
    /// wine 11-12-12-1, single pendulum and spiky unchanged, cartpole and double pendulum within
    /// 0.4 %; iris gets 300 instead of 1000 (sampling was ~8 % of its whole run).
    static func localSearchSamples(_ net: ReLUNetwork) -> Int { min(1000, max(200, 20 * net.hiddenNeuronCount)) }

    /// The region walk of `estimate --method local-search` from a given start, which branch and
    /// bound runs from promising points during the search (`ExactOptions.localSearch`).
    static func localSearch(_ net: ReLUNetwork, norms: [LipschitzNorm], box: InputBox?) -> @Sendable ([Double], LipschitzNorm, Int) -> [Double]? {
        var searches: [LipschitzNorm: LocalSearch] = [:]
        for p in norms { searches[p] = LocalSearch(network: net, norm: p, box: box) }
        return { [searches] start, p, evaluations in searches[p]?.climb(from: start, evaluations: evaluations)?.point }
    }

}

/// Text output of `exact`, for people: one constant line per norm (or, for a shard, per norm
/// on its part), then the region count, then each norm's witness (labelled with its norm when
/// there are several).
enum ExactText {
    static func render(network: ReLUNetwork, report: ExactReport, box: InputBox?, shard: Shard = .whole) -> String {
        var lines: [String] = []
        // The name comes from the file: escaped, so that a newline in it cannot forge a result line.
        let name = network.name.isEmpty ? "network" : escapingControlCharacters(network.name)
        lines.append("\(name): \(network.architecture.map(String.init).joined(separator: " → ")) ReLU network")
        lines.append("domain: " + (box.map { "box \($0)" } ?? "all of R^\(network.inputDimension)"))
        if shard.count > 1 {
            let part = report.partition.map { ": \($0.owned) of \($0.parts) subtrees at depth \($0.depth)" } ?? ""
            lines.append("shard \(shard)\(part) (combine every shard's --json output with `lipschitz merge`)")
        }
        for bound in report.bounds {
            if shard.count > 1 {
                let status = report.isExact ? "part complete" : "stopped: \(report.stopReason?.rawValue ?? "")"
                lines.append("on this part, Lipschitz constant (ℓ\(bound.norm)): in [\(human(bound.lower)), \(human(bound.upper))]  [\(status)]")
            } else if report.isExact {
                lines.append("Lipschitz constant (ℓ\(bound.norm)): \(human(bound.value))  [exact]")
            } else {
                lines.append("Lipschitz constant (ℓ\(bound.norm)): in [\(human(bound.lower)), \(human(bound.upper))]  [stopped: \(report.stopReason?.rawValue ?? "")]")
            }
        }
        lines.append("regions: \(report.regions) full-dimensional\(report.regionsComplete ? "" : " visited")")
        for bound in report.bounds {
            guard let w = bound.witness else { continue }
            lines.append("witness region" + (report.bounds.count > 1 ? " (ℓ\(bound.norm))" : "") + ": pattern \(w.pattern)")
            lines.append("  interior point \(human(w.interiorPoint)) (inscribed radius \(human(w.radius)))")
            lines.append("  Jacobian [" + w.jacobian.rowArrays.map { human($0) }.joined(separator: ", ") + "]")
        }
        let s = report.statistics
        if report.method == .arrangement {
            lines.append("search: arrangement geometry, \(s.vertices) vertices; \(cFormat("%.3f", report.seconds)) s")
        } else {
            lines.append("search: \(report.method.rawValue), \(s.nodes) nodes, \(s.linearPrograms) LPs solved, \(s.skippedLinearPrograms) skipped, \(s.prunedSubtrees) subtrees pruned; \(cFormat("%.3f", report.seconds)) s")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A single progress line on stderr, only when stderr is a terminal. Every worker thread
/// reports progress, so the line and its state are behind a lock.
final class ProgressLine: @unchecked Sendable {
    let enabled = isatty(2) != 0
    private let lock = Lock()
    private var shown = false

    func show(_ text: String) {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        shown = true
        _ = DescriptorOutput.standardError.write("\r\u{1B}[K\(escapingControlCharacters(text))")
    }

    func clear() {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        guard shown else { return }
        shown = false
        _ = DescriptorOutput.standardError.write("\r\u{1B}[K")
    }
}
