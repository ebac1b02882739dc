import ArgumentParser
import Dispatch
import ExactLipschitz
import Foundation
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

    @Option(help: ArgumentHelp("The ℓp norm on inputs and outputs: 1, 2, inf, or a real p ≥ 1 (scalar outputs only).", valueName: "P"))
    var norm: String = "2"

    @OptionGroup(title: "Domain (default: all of R^d, or the input box a .nnet file clips to)")
    var domain: BoxOptions

    @Option(name: .customLong("time-limit"), help: ArgumentHelp("Stop after this many seconds and report certified bounds.", valueName: "SECONDS"))
    var timeLimit: Double?

    @Option(name: .customLong("max-regions"), help: ArgumentHelp("Stop after this many regions and report certified bounds.", valueName: "N"))
    var maxRegions: Int?

    @Option(name: .customLong("radius-tolerance"), help: ArgumentHelp("Speed only, never the answer: a floating-point inscribed-ball radius within this band (relative to the local scale) is not trusted, and the region is decided in exact rational arithmetic instead. Between 1e-8 and 0.1.", valueName: "TAU"))
    var radiusTolerance: Double = 1e-7

    @Option(help: ArgumentHelp("Search method: automatic (arrangement geometry for one hidden layer, else LPs), lp, plain (baseline: a fresh LP for every side of every split), arrangement.", valueName: "METHOD"))
    var method: String = "automatic"

    @Option(help: ArgumentHelp("Worker threads (each with its own GLPK problem). Default: the number of cores.", valueName: "N"))
    var threads: Int?

    @Flag(help: "Branch and bound (the default for networks the arrangement geometry does not take): skip subtrees whose bound cannot beat the best value. The constant stays exact; \"regions\" then counts only the regions visited (\"regions_complete\": false). Accepted for compatibility.")
    var prune = false

    @Flag(name: .customLong("no-prune"), help: "Visit every region: no branch and bound (same as --count-regions).")
    var noPrune = false

    @Flag(name: .customLong("count-regions"), help: "Visit every region, so that \"regions\" is the full count (overrides --prune).")
    var countRegions = false

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    @Option(help: ArgumentHelp("Branch and bound: write the certified interval as JSON lines {\"lower\", \"upper\", \"nodes\", \"seconds\"} to FILE while the search runs.", valueName: "FILE"))
    var trace: String?

    func run() throws {
        // First, before the (possibly long) read: Ctrl-C or SIGTERM from here on stops the search
        // and still prints the certified interval.
        let stop = StopSignals.install()
        let loaded = try input.load()
        let net = loaded.network
        let parsedNorm = try LipschitzNorm(parsing: norm)
        try parsedNorm.check(outputs: net.outputDimension)
        var options = ExactOptions(norms: [parsedNorm], box: try input.domain(domain, for: loaded))
        if let timeLimit {
            guard timeLimit.isFinite, timeLimit > 0 else { throw CLIError("--time-limit must be a positive number of seconds") }
            options.timeLimit = timeLimit
        }
        if let maxRegions {
            guard maxRegions >= 1 else { throw CLIError("--max-regions must be at least 1") }
            options.maxRegions = maxRegions
        }
        guard radiusTolerance.isFinite, radiusTolerance >= 1e-8, radiusTolerance <= 0.1 else {
            throw CLIError("--radius-tolerance must lie in [1e-8, 0.1] (below 1e-8 GLPK's own tolerance would decide)")
        }
        options.relativeRadiusTolerance = radiusTolerance
        guard let searchMethod = SearchMethod(rawValue: method) else {
            throw CLIError("unknown --method \"\(method)\": use automatic, lp, plain or arrangement")
        }
        options.method = searchMethod
        let cores = ProcessInfo.processInfo.activeProcessorCount
        if let threads, !(1...256).contains(threads) { throw CLIError("--threads must be between 1 and 256") }
        options.threads = threads ?? max(1, cores)
        // Branch and bound unless the full count is asked for; the arrangement search (one hidden
        // layer in general position) still answers first and always counts every region.
        options.prune = !(countRegions || noPrune)
        options.shouldStop = { stop.isSet }
        if options.prune { options.startingPoints = Self.localSearchPoints(net, norm: parsedNorm, box: options.box) }
        if let trace { options.trace = try Self.traceWriter(trace) }
        // The time limit counts from the start of the process: reading the file is part of the run.
        options.startTime = Lipschitz.started
        let progress = ProgressLine()
        if progress.enabled {
            options.progress = { p in
                let work = p.statistics.vertices > 0 ? "vertices \(p.statistics.vertices)" : "LPs \(p.statistics.linearPrograms)  pruned \(p.statistics.prunedSubtrees)"
                progress.show("regions \(p.regions)  \(work)  best \(human(p.best))  \(String(format: "%.1f", p.elapsed)) s")
            }
        }
        let report = try ExactSearch.compute(net, options: options)
        progress.clear()
        let normText = ["1", "2", "inf"].contains(parsedNorm.description) ? parsedNorm.description : norm.trimmingCharacters(in: .whitespaces)
        if json {
            standardOutput(ExactJSON.object(network: net, report: report, normText: normText, box: options.box) + "\n")
        } else {
            standardOutput(ExactText.render(network: net, report: report, normText: normText, box: options.box))
        }
        // Stopped by a signal: the interval is printed; the status says the run was interrupted.
        if let status = stop.exitStatus { throw ExitCode(status) }
    }
}

extension ExactCommand {
    /// Where `estimate --method local-search` ends (milliseconds on the published networks):
    /// strong incumbents for branch and bound. The exact search certifies the point's region
    /// before it counts, so an estimate that fails for any reason is simply not used.
    static func localSearchPoints(_ net: ReLUNetwork, norm: LipschitzNorm, box: InputBox?) -> [[Double]] {
        guard net.layers.count > 2 else { return [] }
        var estimateOptions = EstimateOptions(norm: norm, samples: 1000, seed: 0, box: box)
        estimateOptions.searchWork = 2e8
        let estimate = try? LipschitzEstimator.estimate(net, method: .localSearch, options: estimateOptions)
        return estimate?.point.map { [$0] } ?? []
    }

    /// Writes each trace point as one JSON line to `path` (created or truncated).
    static func traceWriter(_ path: String) throws -> @Sendable (TracePoint) -> Void {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw CLIError("--trace: cannot write \"\(path)\"")
        }
        return { point in
            let line = "{\"lower\": \(EstimateCommand.number(point.lower)), \"upper\": \(EstimateCommand.number(point.upper)), \"nodes\": \(point.nodes), \"seconds\": \(EstimateCommand.number(point.seconds))}\n"
            handle.write(Data(line.utf8))
        }
    }
}

/// JSON output of `exact` (keys are a public interface: see README).
enum ExactJSON {
    static func object(network: ReLUNetwork, report: ExactReport, normText: String, box: InputBox?) -> String {
        let bound = report.bounds[0]
        var fields: [(String, String)] = [
            ("network", NetworkJSON.quote(network.name)),
            ("architecture", "[" + network.architecture.map(String.init).joined(separator: ", ") + "]"),
            ("norm", NetworkJSON.quote(normText)),
            // null, not a crash, should a bound not be finite (JSON has no infinity).
            ("lipschitz", EstimateCommand.number(bound.value)),
            ("exact", report.isExact ? "true" : "false"),
            ("lower", EstimateCommand.number(bound.lower)),
            ("upper", EstimateCommand.number(bound.upper)),
            ("regions", "\(report.regions)"),
            ("regions_complete", report.regionsComplete ? "true" : "false"),
            ("method", NetworkJSON.quote(report.method.rawValue)),
        ]
        if let reason = report.stopReason { fields.append(("stopped", NetworkJSON.quote(reason.rawValue))) }
        fields.append(("domain", box.map { "{\"lower\": \(NetworkJSON.encode($0.lower)), \"upper\": \(NetworkJSON.encode($0.upper))}" } ?? "null"))
        fields.append(("witness", bound.witness.map(witness) ?? "null"))
        let s = report.statistics
        fields.append(("statistics", "{\"nodes\": \(s.nodes), \"linear_programs\": \(s.linearPrograms), \"skipped_linear_programs\": \(s.skippedLinearPrograms), \"empty_sides\": \(s.emptySides), \"constant_neurons\": \(s.constantNeurons), \"pruned_subtrees\": \(s.prunedSubtrees), \"vertices\": \(s.vertices), \"exact_decisions\": \(s.exactDecisions), \"failed_linear_programs\": \(s.failedLinearPrograms), \"undecided_subtrees\": \(s.undecidedSubtrees)}"))
        fields.append(("seconds", EstimateCommand.number(report.seconds)))
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }

    static func witness(_ w: RegionWitness) -> String {
        let pattern = "[" + w.pattern.layers.map { "[" + $0.map { $0 ? "1" : "0" }.joined(separator: ", ") + "]" }.joined(separator: ", ") + "]"
        let list = { (v: [Double]) in "[" + v.map(EstimateCommand.number).joined(separator: ", ") + "]" }
        let jacobian = "[" + w.jacobian.rowArrays.map(list).joined(separator: ", ") + "]"
        return "{\"point\": \(list(w.interiorPoint)), \"radius\": \(EstimateCommand.number(w.radius)), \"pattern\": \(pattern), \"jacobian\": \(jacobian)}"
    }
}

/// Text output of `exact`, for people.
enum ExactText {
    static func render(network: ReLUNetwork, report: ExactReport, normText: String, box: InputBox?) -> String {
        let bound = report.bounds[0]
        var lines: [String] = []
        // The name comes from the file: escaped, so that a newline in it cannot forge a result line.
        let name = network.name.isEmpty ? "network" : escapingControlCharacters(network.name)
        lines.append("\(name): \(network.architecture.map(String.init).joined(separator: " → ")) ReLU network")
        lines.append("domain: " + (box.map { "box \($0)" } ?? "all of R^\(network.inputDimension)"))
        if report.isExact {
            lines.append("Lipschitz constant (ℓ\(normText)): \(human(bound.value))  [exact]")
        } else {
            lines.append("Lipschitz constant (ℓ\(normText)): in [\(human(bound.lower)), \(human(bound.upper))]  [stopped: \(report.stopReason?.rawValue ?? "")]")
        }
        lines.append("regions: \(report.regions) full-dimensional\(report.regionsComplete ? "" : " visited")")
        if let w = bound.witness {
            lines.append("witness region: pattern \(w.pattern)")
            lines.append("  interior point \(human(w.interiorPoint)) (inscribed radius \(human(w.radius)))")
            lines.append("  Jacobian [" + w.jacobian.rowArrays.map { human($0) }.joined(separator: ", ") + "]")
        }
        let s = report.statistics
        if report.method == .arrangement {
            lines.append("search: arrangement geometry, \(s.vertices) vertices; \(String(format: "%.3f", report.seconds)) s")
        } else {
            lines.append("search: \(report.method.rawValue), \(s.nodes) nodes, \(s.linearPrograms) LPs solved, \(s.skippedLinearPrograms) skipped, \(s.prunedSubtrees) subtrees pruned; \(String(format: "%.3f", report.seconds)) s")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A single progress line on stderr, only when stderr is a terminal. Every worker thread
/// reports progress, so the line and its state are behind a lock.
final class ProgressLine: @unchecked Sendable {
    let enabled = isatty(2) != 0
    private let lock = NSLock()
    private var shown = false

    func show(_ text: String) {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        shown = true
        FileHandle.standardError.write(Data("\r\u{1B}[K\(escapingControlCharacters(text))".utf8))
    }

    func clear() {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        guard shown else { return }
        shown = false
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
