import ArgumentParser
import ComparisonHarness
import ExactLipschitz
import FoundationEssentials
import LipschitzModel

/// `lipschitz merge`: the result of a sharded run from its parts (`docs/cluster.md`).
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the parts of a sharded `exact` or `compare` run into the unsharded result.",
        discussion: """
        PARTS are the --json outputs of `exact --shard K/N --json` (one per K = 1…N) or of \
        `compare --shard K/N --json FILE`. exact: the constant is the largest lower bound of the parts \
        (with its witness), the certified upper bound the largest upper bound, regions add up, and the \
        result is exact only when every part finished; parts stopped by a time limit or a signal give \
        an honest [lower, upper]. compare: the networks in the unsharded order, with the per-cell \
        summaries, growth fits, CSV and plot recomputed, as one unsharded run writes them (timings aside). \
        A missing, duplicated or mismatched part (another network, norm, domain, N or run) is refused: \
        one line on stderr, exit status 2. compare's status 1 on a soundness violation applies too.
        """)

    @Argument(help: ArgumentHelp("The parts' JSON files.", valueName: "PARTS"))
    var parts: [String] = []

    @Flag(help: "Print JSON on stdout (exact: the merged result, as `exact --json`; compare: the report, as `compare --json`).")
    var json = false

    @Option(help: ArgumentHelp("compare: write one CSV row per network and norm, as `compare --csv`.", valueName: "FILE"))
    var csv: String?

    @Option(help: ArgumentHelp("compare: write the SVG plot, as `compare --plot`.", valueName: "FILE.svg"))
    var plot: String?

    @Flag(name: .customLong("per-network"), help: "compare: print one table row per network (default: only when there are at most 40).")
    var perNetwork = false

    func run() throws {
        guard !parts.isEmpty else { throw CLIError("give the parts' JSON files (the --json outputs of the shards)") }
        for path in [csv, plot].compactMap({ $0 }) { try FileAccess.checkWritable(path) }
        let files = try parts.map { path in (path, try FileAccess.read(path)) }
        // What kind of parts: an exact result carries "network_hash", a comparison "networks".
        let kinds = try files.map { path, data -> Bool in
            guard let object = (try? JSONValue.parse(data))?.object else { throw CLIError("\(path): not a JSON object (a part's --json output)") }
            guard object["network_hash"] != nil || object["networks"] != nil else {
                throw CLIError("\(path): neither an `exact --json` nor a `compare --json` output")
            }
            return object["network_hash"] != nil
        }
        guard Set(kinds).count == 1 else { throw CLIError("the parts mix `exact` and `compare` outputs") }
        if kinds[0] { try mergeExact(files) } else { try mergeComparison(files) }
    }

    private func mergeExact(_ files: [(String, Data)]) throws {
        guard csv == nil, plot == nil else { throw CLIError("--csv and --plot are for merging `compare` parts") }
        let documents = try files.map { path, data in (place: path, document: try ExactResultDocument.read(data, place: path)) }
        let merged = try ShardMerge.merge(documents)
        if json {
            standardOutput(merged.jsonText + "\n")
            return
        }
        let interval = merged.exact ? "\(human(merged.lower ?? 0))  [exact]"
            : "in [\(human(merged.lower ?? 0)), \(merged.upper.map(human) ?? "∞")]  [stopped: \(merged.stopped ?? "")]"
        var lines = ["\(escapingControlCharacters(merged.network.isEmpty ? "network" : merged.network)): merged \(documents.count) shards",
                     "Lipschitz constant (ℓ\(merged.norm)): \(interval)",
                     "regions: \(merged.regions) full-dimensional\(merged.regionsComplete ? "" : " visited")"]
        if let w = merged.witness { lines.append("witness region: pattern \(w.pattern), interior point \(human(w.point))") }
        standardOutput(lines.joined(separator: "\n") + "\n")
    }

    private func mergeComparison(_ files: [(String, Data)]) throws {
        let report = try ComparisonMerge.merge(try files.map { path, data in try ComparisonMerge.read(data, place: path) })
        if json { standardOutput(report.json()) } else { standardOutput(report.text(perNetwork: perNetwork || report.results.count <= 40)) }
        if let csv { try FileAccess.write(report.csv(), to: csv) }
        if let plot { try FileAccess.write(ComparisonPlot.svg(report), to: plot) }
        if !report.violations.isEmpty {
            standardError("lipschitz: \(report.violations.count) soundness violation(s); see the report")
            throw ExitCode(1)
        }
    }
}
