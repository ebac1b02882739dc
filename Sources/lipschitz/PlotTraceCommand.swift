import ArgumentParser
import ComparisonHarness
import FoundationEssentials
import LipschitzModel

/// `lipschitz plot-trace`: draws the bound history that `exact --trace` records.
struct PlotTraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot-trace",
        abstract: "Draw the certified bounds of `exact --trace` files against time (SVG).",
        discussion: """
        Each TRACE is a file written by `lipschitz exact --trace FILE`: one JSON line per report of the \
        anytime interval (lower, upper, nodes, seconds). The plot shows the lower and upper bounds \
        against time for every trace (log axes), and the certified ratio upper / lower with the \
        factor-1.1 line. A malformed trace gets one line on stderr and exit status 2.
        """)

    @Argument(help: ArgumentHelp("Trace files of `lipschitz exact --trace`.", valueName: "TRACE"))
    var traces: [String] = []

    @Option(help: ArgumentHelp("The SVG file to write.", valueName: "FILE.svg"))
    var output: String

    @Option(help: ArgumentHelp("A label per trace, in order (default: the file names).", valueName: "LABEL"))
    var label: [String] = []

    @Option(help: ArgumentHelp("The known constant, drawn as a dotted line.", valueName: "VALUE"))
    var truth: Double?

    func validate() throws {
        guard !traces.isEmpty else { throw ValidationError("give at least one trace file") }
        guard label.isEmpty || label.count == traces.count else {
            throw ValidationError("--label is given \(label.count) times for \(traces.count) traces")
        }
        if let truth, !(truth.isFinite && truth > 0) { throw ValidationError("--truth must be a finite number > 0, got \(truth)") }
    }

    func run() throws {
        try FileAccess.checkWritable(output)
        let histories = try traces.enumerated().map { i, path in
            try TraceHistory.read(try FileAccess.read(path), label: label.isEmpty ? URL(fileURLWithPath: path).lastPathComponent : label[i], place: path)
        }
        try FileAccess.write(TracePlot.svg(histories, truth: truth), to: output)
    }
}
