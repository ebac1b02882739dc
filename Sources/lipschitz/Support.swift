import ArgumentParser
import ExactLipschitz
import FoundationEssentials
import LipschitzModel
import NetworkFormats

/// Reads a network file in any format (JSON, ONNX, .nnet; by extension). Every command
/// that takes a network goes through here. Notes about how the file was read (e.g. that a
/// .nnet file's normalisation was applied) go to stderr.
func loadNetwork(_ path: String) throws -> ReLUNetwork {
    let loaded = try loadNetwork(path, format: nil, raw: false)
    if let box = loaded.suggestedBox {
        standardError("note: give --box/--bound to restrict to the file's input box \(box); without it the constant is over all of R^\(loaded.network.inputDimension)")
    }
    return loaded.network
}

/// Reads a network file; `format` is a name ("json", "onnx", "nnet") or nil for the
/// extension, `raw` skips a .nnet file's normalisation. Prints the reader's notes on stderr.
func loadNetwork(_ path: String, format: String?, raw: Bool) throws -> LoadedNetwork {
    let loaded = try readNetwork(path: path, format: try format.map { try NetworkFormat(name: $0) }, raw: raw)
    for note in loaded.notes { standardError("note: \(note)") }
    return loaded
}

/// `--box LO,HI` (every dimension), repeated `--bound LO,HI` (one per dimension, in order)
/// or `--box-file FILE` (JSON `{"lower": […], "upper": […]}` or one `LO,HI` line per dimension).
struct BoxOptions: ParsableArguments {
    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("The same interval LO,HI for every input (e.g. -1,1): the local constant over that box.", valueName: "LO,HI"))
    var box: String?

    @Option(name: .customLong("bound"), parsing: .unconditionalSingleValue, help: ArgumentHelp("Bounds for one input dimension, repeated once per dimension in order.", valueName: "LO,HI"))
    var bounds: [String] = []

    @Option(name: .customLong("box-file"), help: ArgumentHelp("A box file: JSON {\"lower\": [...], \"upper\": [...]} or one LO,HI line per dimension.", valueName: "FILE"))
    var boxFile: String?

    /// The box for a network with `inputs` inputs, or nil for the global constant.
    func resolve(inputs: Int) throws -> InputBox? {
        let given = [box != nil, !bounds.isEmpty, boxFile != nil].filter { $0 }.count
        guard given <= 1 else { throw InputError.badBox("give only one of --box, --bound and --box-file") }
        if let box {
            let (lo, hi) = try InputBox.parseInterval(box)
            return try InputBox(uniform: lo, hi, dimension: inputs)
        }
        if !bounds.isEmpty {
            let pairs = try bounds.map(InputBox.parseInterval)
            let result = try InputBox(lower: pairs.map(\.0), upper: pairs.map(\.1))
            try result.check(inputs: inputs)
            return result
        }
        if let boxFile {
            let result = try Self.readBoxFile(boxFile)
            try result.check(inputs: inputs)
            return result
        }
        return nil
    }

    static func readBoxFile(_ path: String) throws -> InputBox {
        // The one reader of input files: a directory, FIFO or device is refused before it is opened.
        let data: Data
        do { data = try FileAccess.read(path) } catch let problem as InputProblem {
            throw InputError.badBox("cannot read box file: \(problem.description)")
        }
        return try InputBox.parseBoxFile(data, path: path)
    }
}

/// Formats a number for people: up to 10 significant digits.
func human(_ x: Double) -> String { cFormat("%.10g", x) }

/// A vector for people: `(1.5, -2, 0.25)`.
func human(_ v: [Double]) -> String { "(" + v.map { human($0) }.joined(separator: ", ") + ")" }

/// `--time-limit` of `exact`, `compare` and `fixture`: the library's rule (`ExactOptions`),
/// checked in each command's `validate()`.
func validateTimeLimit(_ seconds: Double?) throws {
    if let seconds, !ExactOptions.isValidTimeLimit(seconds) {
        throw ValidationError("--time-limit must be a positive number of seconds, got \(human(seconds))")
    }
}
