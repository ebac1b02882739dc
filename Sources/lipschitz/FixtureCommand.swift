import ArgumentParser
import ComparisonHarness
import FoundationEssentials
import LipschitzModel

/// `lipschitz fixture`: exact ℓ1, ℓ2, ℓ∞ constants of networks, written as test fixtures.
struct FixtureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fixture",
        abstract: "Write networks with their exact ℓ1, ℓ2, ℓ∞ constants as test fixtures.",
        discussion: """
        Per network, DIR/<file name> holds the network plus an "exact" record (the three constants, \
        the region count and, per norm, a witness region: interior point, radius, pattern, Jacobian). \
        DIR/truth.json indexes them as a JSON array of {"file", "1", "2", "inf", "regions"}, the layout \
        of the shared fixtures. A search that does not finish is an error (exit status 1).
        """
    )

    @Argument(help: "Network files.") var networks: [String] = []
    @Option(name: .long, help: ArgumentHelp("Output folder (created if missing).", valueName: "DIR")) var out: String
    @Option(name: .customLong("time-limit"), help: ArgumentHelp("Seconds per network before giving up (default: none).", valueName: "SECONDS"))
    var timeLimit: Double?

    func validate() throws {
        guard !networks.isEmpty else { throw ValidationError("give at least one network file") }
        try validateTimeLimit(timeLimit)
    }

    func run() throws {
        // Several files are read: every error names the one it is about.
        let loaded = try networks.map { file -> (file: String, network: ReLUNetwork) in
            do { return (file, try loadNetwork(file)) } catch let problem as InputProblem {
                let message = problem.description
                throw CLIError(message.contains(file) ? message : "\(file): \(message)")
            }
        }
        let entries = try FixtureExporter.export(loaded, to: out, timeLimit: timeLimit)
        for e in entries {
            standardOutput("\(escapingControlCharacters(e.file)): ℓ1 \(human(e.one))  ℓ2 \(human(e.two))  ℓ∞ \(human(e.infinity))  regions \(e.regions)\n")
        }
        standardOutput("wrote \(entries.count) fixture(s) and \(FixtureExporter.indexName) to \(escapingControlCharacters(out))\n")
    }
}
