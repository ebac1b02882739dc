/// An error caused by bad input (a file, a number, an option). Its description is one line
/// naming the problem and where; the CLI prints it and exits with status 2.
public protocol InputProblem: Error, CustomStringConvertible {}

/// Why a network could not be read or built. Every case names where the problem is,
/// so that the CLI can print one line a person can act on.
public enum NetworkError: InputProblem, Equatable {
    /// A position inside a network: layer, row and column are 0-based here and
    /// printed 1-based ("layer 2, row 5"), with the JSON path beside them.
    public struct Place: Equatable, Sendable, CustomStringConvertible {
        public var layer: Int
        public var row: Int?
        public var column: Int?
        public var field: String?

        public init(layer: Int, row: Int? = nil, column: Int? = nil, field: String? = nil) {
            self.layer = layer
            self.row = row
            self.column = column
            self.field = field
        }

        public var description: String {
            var words = "layer \(layer + 1)"
            var path = "layers[\(layer)]"
            if let field { path += ".\(field)" }
            if let row { words += ", row \(row + 1)"; path += "[\(row)]" }
            if let column { words += ", column \(column + 1)"; path += "[\(column)]" }
            return "\(words) (\(path))"
        }
    }

    case fileNotFound(path: String)
    case unreadable(path: String, reason: String)
    case malformedJSON(detail: String)
    case wrongFormat(found: String)
    case unsupportedVersion(found: String)
    case missingKey(String, at: String)
    case wrongType(String, at: String, expected: String)
    case emptyLayerList
    case emptyLayer(Place)
    case raggedRow(Place, count: Int, expected: Int)
    case biasCountMismatch(Place, biases: Int, rows: Int)
    case dimensionMismatch(Place, inputs: Int, previousOutputs: Int)
    case nonFinite(Place)
    case invalidValue(Place, String)
    /// A problem in a format other than JSON, said in that format's terms.
    case invalidFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path): return "no such file: \(path)"
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .malformedJSON(let detail): return "malformed JSON: \(detail)"
        case .wrongFormat(let found):
            return "not a relu-network file: \"format\" is \(found), expected \"relu-network\""
        case .unsupportedVersion(let found): return "unsupported \"version\" \(found); this tool reads version 1"
        case .missingKey(let key, let at): return "missing key \"\(key)\" in \(at)"
        case .wrongType(let key, let at, let expected): return "\"\(key)\" in \(at) must be \(expected)"
        case .emptyLayerList: return "the network has no layers (\"layers\" is empty)"
        case .emptyLayer(let place): return "\(place): the layer has no neurons"
        case .raggedRow(let place, let count, let expected):
            return "\(place): weights row has \(count) entries, expected \(expected) like the first row"
        case .biasCountMismatch(let place, let biases, let rows):
            return "\(place): \(biases) biases for \(rows) weight rows"
        case .dimensionMismatch(let place, let inputs, let previousOutputs):
            return "\(place): weights have \(inputs) columns but the previous layer has \(previousOutputs) outputs"
        case .nonFinite(let place): return "\(place): number is NaN or infinite"
        case .invalidValue(let place, let what): return "\(place): \(what)"
        case .invalidFile(let path, let reason): return "\(path): \(reason)"
        }
    }
}

/// Why a norm, box or other numeric option is unusable.
public enum InputError: InputProblem, Equatable {
    case badNorm(String)
    case normNeedsScalarOutput(p: String, outputs: Int)
    case badBox(String)

    public var description: String {
        switch self {
        case .badNorm(let text):
            return "bad norm \"\(text)\": use 1, 2, inf, or a real number p ≥ 1"
        case .normNeedsScalarOutput(let p, let outputs):
            return "the ℓ\(p) operator norm is only supported for scalar outputs (NP-hard in general); this network has \(outputs) outputs: use 1, 2 or inf"
        case .badBox(let why): return "bad box: \(why)"
        }
    }
}
