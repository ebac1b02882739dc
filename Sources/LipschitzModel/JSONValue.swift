import FoundationEssentials

/// A parsed JSON document. `parse` is strict (`StrictJSONParser`): numbers are read exactly
/// (shortest round-trip doubles come back bit for bit, which `JSONSerialization` on Linux does
/// not guarantee), `true`/`false` stay apart from numbers, and trailing commas and duplicate
/// keys, which Foundation's `JSONDecoder` on Linux accepts, are refused.
public enum JSONValue: Decodable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null; return }
        if let b = try? container.decode(Bool.self) { self = .bool(b); return }
        if let x = try? container.decode(Double.self) { self = .number(x); return }
        if let s = try? container.decode(String.self) { self = .string(s); return }
        if let a = try? container.decode([JSONValue].self) { self = .array(a); return }
        if let o = try? container.decode([String: JSONValue].self) { self = .object(o); return }
        throw DecodingError.dataCorruptedError(in: container, debugDescription: "a value that is neither JSON nor a number within double range")
    }

    /// Parses a document strictly (RFC 8259: no trailing commas, no duplicate keys, numbers
    /// read exactly by `Double(String)`); the error names the line, column and JSON path in one line.
    public static func parse(_ data: Data) throws -> JSONValue {
        try StrictJSONParser.parse(data)
    }

    public var number: Double? { if case .number(let x) = self { return x }; return nil }
    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var array: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var object: [String: JSONValue]? { if case .object(let o) = self { return o }; return nil }

    /// A short description for error messages: the value itself for scalars.
    public var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let x): return x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
        case .string(let s): return NetworkJSON.quote(s)
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
