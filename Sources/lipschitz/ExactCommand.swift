import ArgumentParser
import LipschitzModel

struct ExactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exact", abstract: "Certify the exact Lipschitz constant.")
    @Argument(help: "The network file.") var network: String
    func run() throws { _ = try loadNetwork(network) }
}
