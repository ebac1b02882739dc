import LipschitzModel

/// Why a network file in a non-JSON format could not be read or written.
///
/// Every case prints as one line that names the file and the place inside it (a line
/// number in a .nnet file, a node name and operator in an ONNX graph), so a person can
/// find and fix the problem. Conforms to `InputProblem`: the CLI prints it and exits 2.
public enum FormatError: InputProblem, Equatable {
    /// The extension does not say which format the file is in.
    case unknownExtension(path: String)
    /// `--format` named no known format.
    case unknownFormatName(String)
    case fileNotFound(path: String)
    case unreadable(path: String, reason: String)
    /// A problem at a line of a .nnet file (1-based; nil when the file ends too early).
    case nnet(path: String, line: Int?, reason: String)
    /// A problem in an ONNX file, optionally at a node (name and operator).
    case onnx(path: String, node: ONNXNodeRef?, reason: String)
    case cannotWrite(path: String, reason: String)

    /// Which node of an ONNX graph, for messages: its name (or position) and operator.
    public struct ONNXNodeRef: Equatable, Sendable, CustomStringConvertible {
        public var name: String
        public var index: Int
        public var op: String
        public init(name: String, index: Int, op: String) {
            self.name = name
            self.index = index
            self.op = op
        }
        public var description: String {
            let who = name.isEmpty ? "node #\(index + 1)" : "node \"\(name)\""
            return "\(who) (\(op))"
        }
    }

    public var description: String {
        switch self {
        case .unknownExtension(let path):
            return "cannot tell the format of \(path) from its extension: use .json, .onnx or .nnet, or name the format (json, onnx, nnet) with --format (convert: --from, --to)"
        case .unknownFormatName(let name):
            return "unknown format \"\(name)\": use json, onnx or nnet"
        case .fileNotFound(let path): return "no such file: \(path)"
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .nnet(let path, let line, let reason):
            if let line { return "\(path), line \(line): \(reason)" }
            return "\(path): \(reason)"
        case .onnx(let path, let node, let reason):
            if let node { return "\(path): \(node): \(reason)" }
            return "\(path): \(reason)"
        case .cannotWrite(let path, let reason): return "cannot write \(path): \(reason)"
        }
    }
}
