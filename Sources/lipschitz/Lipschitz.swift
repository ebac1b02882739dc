import ArgumentParser
import Dispatch
import FoundationEssentials
import Glibc
import LipschitzModel

/// The `lipschitz` command. Subcommands live one per file; this type only routes and
/// turns every input error into one line on stderr and exit status 2.
@main
struct Lipschitz: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lipschitz",
        abstract: "Exact Lipschitz constants of small ReLU networks, with fast estimates and theory to check against them.",
        discussion: """
        Networks are JSON, ONNX or .nnet files (docs/format.md). `exact` certifies the constant by \
        enumerating every full-dimensional activation region (hyperplane-arrangement geometry or GLPK \
        linear programs); `estimate` gives fast sound bounds; `compare` checks both against each other \
        and against the theory of random networks. Bad input ends with a one-line error on stderr \
        and exit status 2.
        """,
        subcommands: [ExactCommand.self, ConvertCommand.self, EstimateCommand.self, GenerateCommand.self, CompareCommand.self, FixtureCommand.self, MergeCommand.self, PlotTraceCommand.self]
    )

    /// When the process started (uptime nanoseconds): time limits count from here.
    static let started = DispatchTime.now().uptimeNanoseconds

    static func main() {
        _ = started
        StopSignals.installEarly(arguments: CommandLine.arguments)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Glibc.exit(code.rawValue)
        } catch {
            if let message = inputErrorMessage(error) {
                reportError(message)
                Glibc.exit(2)
            }
            if exitCode(for: error) == .success { exit(withError: error) }
            if exitCode(for: error) == .validationFailure {
                // Unknown option, missing argument, unparsable value, a rule of `validate()`: bad
                // input too. The message alone (never the usage text); a line break inside it (a
                // value the user typed) is escaped by `reportError`, so it stays one line.
                let message = self.message(for: error)
                reportError("\(message.isEmpty ? "invalid arguments" : message) (see lipschitz --help)")
                Glibc.exit(2)
            }
            // Not the user's input: a solver or system failure.
            reportError(fullMessage(for: error))
            Glibc.exit(1)
        }
    }
}

/// The one-line message of an error that bad input causes, or nil for other errors.
func inputErrorMessage(_ error: Error) -> String? {
    (error as? InputProblem)?.description
}

/// Errors of the command line itself (unknown values, files it cannot write).
struct CLIError: InputProblem {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Prints `lipschitz: error: …` as exactly one line: every error message goes through here.
func reportError(_ message: String) {
    standardError("lipschitz: error: " + message)
}

/// Writes one line on stderr; control characters in it are escaped, so it stays one line. When
/// stderr itself cannot be written there is nowhere left to say so: the line is dropped.
func standardError(_ line: String) {
    _ = DescriptorOutput.standardError.write(escapingControlCharacters(line) + "\n")
}

/// Writes the command's result on stdout. When that fails (a full disk, a closed pipe's EPIPE
/// with SIGPIPE ignored), one line on stderr and exit status 2, as for the output files.
func standardOutput(_ text: String) {
    if let code = DescriptorOutput.standardOutput.write(text) {
        reportError("cannot write the output: \(FileAccess.message(code))")
        Glibc.exit(2)
    }
}
