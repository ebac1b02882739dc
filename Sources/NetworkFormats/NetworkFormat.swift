import FoundationEssentials
import LipschitzModel

/// The file formats a network can be read from and written to (docs/format.md).
public enum NetworkFormat: String, CaseIterable, Sendable, CustomStringConvertible {
    /// This project's JSON format, version 1.
    case json
    /// ONNX protobuf: a chain of Gemm/MatMul/Add/Relu/Flatten/Reshape/Identity nodes.
    case onnx
    /// The NNet text format of ACAS Xu and NeuralVerification.jl.
    case nnet

    /// The format named on the command line ("json", "onnx", "nnet", any case).
    public init(name: String) throws {
        guard let format = NetworkFormat(rawValue: name.trimmingWhitespaces().lowercased()) else {
            throw FormatError.unknownFormatName(name)
        }
        self = format
    }

    /// The format a path's extension implies, or nil when it implies none.
    public static func detect(path: String) -> NetworkFormat? {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "json": return .json
        case "onnx": return .onnx
        case "nnet": return .nnet
        default: return nil
        }
    }

    public var description: String { rawValue }
}

/// A network as read from a file, with what a person should be told about how it was read.
public struct LoadedNetwork: Sendable {
    /// The function the tool analyses (for .nnet, with normalisation folded in unless raw).
    public var network: ReLUNetwork
    public var format: NetworkFormat
    /// One-line remarks for the user (normalisation applied, dimensions assumed, ...).
    public var notes: [String]
    /// The input domain the file itself declares, if any: a .nnet file clips its inputs to
    /// [min, max], so the constant of the network people run is the local constant over
    /// this box (see docs/format.md). Commands use it when the user gives no box.
    public var suggestedBox: InputBox?

    public init(network: ReLUNetwork, format: NetworkFormat, notes: [String] = [], suggestedBox: InputBox? = nil) {
        self.network = network
        self.format = format
        self.notes = notes
        self.suggestedBox = suggestedBox
    }
}

/// Reads a network in any supported format.
///
/// - Parameters:
///   - format: the file's format; nil means "from the extension".
///   - raw: for .nnet files, return the stored weights without the file's input/output
///     normalisation (and without its input box). No effect on other formats.
public func readNetwork(path: String, format: NetworkFormat? = nil, raw: Bool = false) throws -> LoadedNetwork {
    // What the path is comes before what its extension says ("x is a directory", "no such file").
    do { try FileAccess.checkRegularFile(path) } catch FileAccessError.notFound {
        throw FormatError.fileNotFound(path: path)
    }
    guard let format = format ?? NetworkFormat.detect(path: path) else { throw FormatError.unknownExtension(path: path) }
    switch format {
    case .json:
        var loaded = LoadedNetwork(network: try NetworkJSON.read(contentsOf: path), format: .json)
        if raw { loaded.notes.append("--raw has no effect on JSON networks (they carry no normalisation)") }
        return loaded
    case .nnet:
        let file = try NNetFile.parse(text: try readText(path), path: path)
        return try file.loaded(raw: raw, name: stem(path))
    case .onnx:
        var loaded = try ONNXReader.read(data: try readData(path), path: path, defaultName: stem(path))
        if raw { loaded.notes.append("--raw has no effect on ONNX networks (they carry no normalisation)") }
        return loaded
    }
}

/// How to write a network.
public struct WriteOptions: Sendable {
    /// ONNX: store float32 tensors instead of float64 (rounds every weight).
    public var float32: Bool
    /// .nnet: the input box to record as the file's minima and maxima (and so to clip to).
    /// Without one, ±3.4028234663852886e38 (float32's largest value) is written, the
    /// NNet tools' convention for "unbounded".
    public var inputBox: InputBox?

    public init(float32: Bool = false, inputBox: InputBox? = nil) {
        self.float32 = float32
        self.inputBox = inputBox
    }
}

/// Writes a network in any supported format; returns notes for the user.
@discardableResult
public func writeNetwork(_ network: ReLUNetwork, to path: String, format: NetworkFormat? = nil,
                         options: WriteOptions = WriteOptions()) throws -> [String] {
    guard let format = format ?? NetworkFormat.detect(path: path) else { throw FormatError.unknownExtension(path: path) }
    var notes: [String] = []
    let data: Data
    switch format {
    case .json:
        data = Data(NetworkJSON.encode(network).utf8)
        if options.inputBox != nil {
            notes.append("JSON stores no input box: the file's clipping box is not written (give --box to commands)")
        }
        if options.float32 { notes.append("--float32 only affects ONNX output") }
    case .nnet:
        if let box = options.inputBox { try box.check(inputs: network.inputDimension) }
        data = Data(NNetWriter.encode(network, inputBox: options.inputBox).utf8)
        if options.float32 { notes.append("--float32 only affects ONNX output") }
    case .onnx:
        do { data = try ONNXWriter.encode(network, float32: options.float32) } catch FormatError.cannotWrite(_, let reason) {
            throw FormatError.cannotWrite(path: path, reason: reason)
        }
        if options.float32 { notes.append("weights were rounded to float32; reading the file back gives the rounded network") }
        if options.inputBox != nil {
            notes.append("ONNX stores no input box: the file's clipping box is not written (give --box to commands)")
        }
    }
    try FileAccess.write(data, to: path)
    return notes
}

func readData(_ path: String) throws -> Data {
    do { return try FileAccess.read(path) } catch FileAccessError.notFound {
        throw FormatError.fileNotFound(path: path)
    }
}

func readText(_ path: String) throws -> String {
    let data = try readData(path)
    guard let text = String(data: data, encoding: .utf8) else {
        throw FormatError.unreadable(path: path, reason: "not UTF-8 text")
    }
    return text
}

func stem(_ path: String) -> String { URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent }
