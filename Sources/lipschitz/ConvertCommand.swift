import ArgumentParser
import FoundationEssentials
import LipschitzModel
import NetworkFormats

/// `lipschitz convert IN OUT`: between JSON, ONNX and .nnet.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a network between JSON, ONNX and .nnet.",
        discussion: """
        Formats follow the extensions (.json, .onnx, .nnet) unless --from/--to say otherwise. \
        ONNX is written as Gemm and Relu nodes in float64 (read back bit for bit) or, with \
        --float32, rounded to float32. A .nnet input is converted with its normalisation folded \
        into the weights (--raw: the stored weights); a .nnet output has the identity \
        normalisation and, when the input was a normalised .nnet file, its input box. \
        See docs/format.md.
        """)

    @Argument(help: "The network to read.")
    var input: String

    @Argument(help: "The file to write (replaced if it exists).")
    var output: String

    @Option(name: .customLong("from"), help: ArgumentHelp("The input format: json, onnx or nnet (default: from the extension).", valueName: "FORMAT"))
    var from: String?

    @Option(name: .customLong("to"), help: ArgumentHelp("The output format: json, onnx or nnet (default: from the extension).", valueName: "FORMAT"))
    var to: String?

    @Flag(help: "For .nnet input: convert the stored weights, without the file's normalisation.")
    var raw = false

    @Flag(help: "Write ONNX tensors as float32 (rounding every weight) instead of float64.")
    var float32 = false

    func run() throws {
        guard let format = try to.map({ try NetworkFormat(name: $0) }) ?? NetworkFormat.detect(path: output) else {
            throw FormatError.unknownExtension(path: output)
        }
        let same = URL(fileURLWithPath: input).standardizedFileURL.path == URL(fileURLWithPath: output).standardizedFileURL.path
        guard !same else { throw CLIError("the output \(output) is the input file; give another path") }
        let loaded = try loadNetwork(input, format: from, raw: raw)
        let notes = try writeNetwork(loaded.network, to: output, format: format,
                                     options: WriteOptions(float32: float32, inputBox: loaded.suggestedBox))
        for note in notes { standardError("note: \(note)") }
        let net = loaded.network
        standardOutput("wrote \(escapingControlCharacters(output)) (\(format), \(net.architecture.map(String.init).joined(separator: " → ")), \(net.layers.count) layer\(net.layers.count == 1 ? "" : "s"))\n")
    }
}
