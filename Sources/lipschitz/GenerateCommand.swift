import ArgumentParser
import FoundationEssentials
import LipschitzModel
import RandomNetworks

/// `lipschitz generate`: a random network drawn as in the papers (THEORY.md §2).
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Draw a random ReLU network as the papers do (He-style weights, symmetric biases).",
        discussion: """
        Hidden weights (first layer included) are i.i.d. N(0, 2/width); output weights i.i.d. N(0, 1). \
        Every bias, output biases included, is drawn from --bias scaled by s = --bias-scale: \
        normal N(0, s²); uniform on [-s, s]; laplace with density exp(-|b|/s)/(2s); rademacher ±s; zero. \
        The generator is xoshiro256** seeded by SplitMix64 with a libm-free normal sampler, so a seed \
        gives the same bytes on every machine. The recipe is stored under the key "source".
        """
    )

    @Option(name: .customLong("input-dim"), help: "Input dimension d (≥ 1).") var inputDimension: Int
    @Option(help: "Width N of every hidden layer (≥ 1).") var width: Int
    @Option(help: "Number of hidden layers L.") var depth: Int = 1
    @Option(help: "Number of outputs m.") var outputs: Int = 1
    @Option(help: "Bias distribution: normal, uniform, laplace, rademacher or zero.") var bias: BiasDistribution = .normal
    @Option(name: .customLong("bias-scale"), help: "Scale s of the bias distribution (≥ 0).") var biasScale: Double = 1
    @Option(help: "Seed (an unsigned 64-bit integer).") var seed: UInt64 = 0
    @Option(name: [.customShort("o"), .long], help: "Write to FILE instead of standard output.") var output: String?

    func run() throws {
        let spec = try RandomNetworkSpec(inputDimension: inputDimension, width: width, depth: depth, outputs: outputs,
                                         bias: bias, biasScale: biasScale, seed: seed)
        let text = try RandomNetworkGenerator.encode(spec)
        if let output {
            try FileAccess.write(text, to: output)
        } else {
            standardOutput(text)
        }
    }
}
