import FoundationEssentials
import ExactLipschitz
import LipschitzModel

/// The file of `exact --trace`: one JSON line per trace point. A write that fails mid-run (a full
/// disk) is reported once, in one line on stderr, and ends the trace, not the search: the
/// result still comes out, and the command then exits with status 2 (`failed`), as for the
/// output files.
final class TraceFile: @unchecked Sendable {
    private let path: String
    private let output: DescriptorOutput
    private let lock = Lock()
    private var failure = false

    /// Creates or truncates the file at `path` as a shell's `>` does (`FileManager.createFile`,
    /// used before, replaced the path by renaming a new file over it: `--trace /dev/full` turned
    /// the device into a regular file).
    init(path: String) throws {
        guard let output = DescriptorOutput(creatingAtPath: path) else {
            throw CLIError("--trace: cannot write \"\(path)\"")
        }
        self.path = path
        self.output = output
    }

    /// Whether a write failed (the trace is incomplete).
    var failed: Bool { lock.lock(); defer { lock.unlock() }; return failure }

    func write(_ point: TracePoint) {
        let line = "{\"lower\": \(EstimateCommand.number(point.lower)), \"upper\": \(EstimateCommand.number(point.upper)), \"nodes\": \(point.nodes), \"seconds\": \(EstimateCommand.number(point.seconds))}\n"
        lock.lock(); defer { lock.unlock() }
        guard !failure, let code = output.write(line) else { return }
        failure = true
        reportError("--trace: cannot write \"\(path)\": \(FileAccess.message(code)); the trace stops here")
    }
}
