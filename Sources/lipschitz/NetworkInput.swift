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
    ///
    /// When both exist the two are intersected: clipping is the projection onto the file's
    /// box B, which shortens no ℓp distance and fixes B, so the clipped network's constant over
    /// the user's box U is the folded network's constant over U ∩ B (docs/format.md).
    func domain(_ options: BoxOptions, for loaded: LoadedNetwork) throws -> InputBox? {
        if let user = try options.resolve(inputs: loaded.network.inputDimension) {
            guard let file = loaded.suggestedBox else { return user }
            let lower = zip(user.lower, file.lower).map { max($0, $1) }
            let upper = zip(user.upper, file.upper).map { min($0, $1) }
            guard let both = try? InputBox(lower: lower, upper: upper) else {
                throw InputError.badBox("the box does not overlap the file's input box \(file) with positive width in every input (give --raw to ignore the file's normalisation and box)")
            }
            if both != user {
                standardError("note: the file clips inputs to \(file); using the box's part inside it, \(both) (the same constant for the clipped network)")
            }
            return both
        }
        if let box = loaded.suggestedBox {
            standardError("note: using the file's input box \(box) as the domain (give --box or --bound to override, --raw to ignore the file's normalisation)")
            return box
        }
        return nil
    }
}
