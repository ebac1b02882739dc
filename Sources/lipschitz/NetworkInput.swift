import ArgumentParser
import LipschitzModel
import NetworkFormats

/// The network argument every command shares: the file, `--format` and `--raw`.
///
/// Use as `@OptionGroup var input: NetworkInputOptions`, then `try input.load()`.
struct NetworkInputOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("The network file: .json, .onnx or .nnet (docs/format.md).", valueName: "network"))
    var network: String

    @Option(help: ArgumentHelp("The file's format: json, onnx or nnet (default: from the extension).", valueName: "FORMAT"))
    var format: String?

    @Flag(help: "For .nnet files: use the stored weights, without the file's input/output normalisation and input box.")
    var raw = false

    /// Reads the network, printing how it was read (normalisation, assumptions) on stderr.
    func load() throws -> LoadedNetwork {
        try loadNetwork(network, format: format, raw: raw)
    }

    /// The domain a command should use: the user's box if given, else the box the file
    /// declares (a .nnet file clips its inputs to [min, max]), else nil (all of R^d).
    func domain(_ options: BoxOptions, for loaded: LoadedNetwork) throws -> InputBox? {
        if let box = try options.resolve(inputs: loaded.network.inputDimension) { return box }
        if let box = loaded.suggestedBox {
            standardError("note: using the file's input box \(box) as the domain (give --box or --bound to override, --raw to ignore the file's normalisation)")
            return box
        }
        return nil
    }
}
