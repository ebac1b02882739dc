import FoundationEssentials
import Glibc

/// A strict RFC 8259 parser for `JSONValue`.
///
/// Foundation's `JSONDecoder` on Linux accepts a trailing comma (`[1, 2,]`, `{"a": 1,}`) and
/// keeps the first of two equal keys, so a damaged file could be read as a different network.
/// This parser refuses both, and everything else RFC 8259 does not allow, with one line naming
/// the line, column and JSON path. Numbers are checked against the JSON grammar and then
/// converted by `Double(String)`, which rounds correctly, so shortest round-trip doubles read
/// back bit for bit.
struct StrictJSONParser {
    /// Deeper nesting is refused rather than risking the stack.
    static let maximumDepth = 512

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0
    /// Where the parser is, for messages: keys and array positions from the top.
    private var path: [PathComponent] = []

    private enum PathComponent {
        case key(String)
        case index(Int)
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    static func parse(_ data: Data) throws -> JSONValue {
        try data.withUnsafeBytes { raw in
            var parser = StrictJSONParser(bytes: raw.bindMemory(to: UInt8.self))
            // A UTF-8 byte order mark is tolerated, like JSONDecoder does.
            if parser.bytes.count >= 3, parser.bytes[0] == 0xEF, parser.bytes[1] == 0xBB, parser.bytes[2] == 0xBF { parser.index = 3 }
            parser.skipWhitespace()
            guard parser.index < parser.bytes.count else { throw parser.failure("the document is empty") }
            let value = try parser.value()
            parser.skipWhitespace()
            guard parser.index == parser.bytes.count else {
                throw parser.failure("unexpected \(parser.describeCurrent()) after the top-level value")
            }
            return value
        }
    }

    // MARK: - Values

    private mutating func value() throws -> JSONValue {
        guard index < bytes.count else { throw failure("the document ends where a value should be") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw failure("unexpected \(describeCurrent()) where a value should be")
        }
    }

    private mutating func object() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1 // {
        var result: [String: JSONValue] = [:]
        skipWhitespace()
        if peek(UInt8(ascii: "}")) { index += 1; return .object(result) }
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw failure("the document ends inside an object") }
            guard bytes[index] == UInt8(ascii: "\"") else {
                if bytes[index] == UInt8(ascii: "}") { throw failure("trailing comma before '}' in an object") }
                throw failure("unexpected \(describeCurrent()) where an object key (a string) should be")
            }
            let keyStart = index
            let key = try string()
            guard result[key] == nil else {
                index = keyStart
                throw failure("duplicate key \(NetworkJSON.quote(key)) in an object")
            }
            skipWhitespace()
            guard peek(UInt8(ascii: ":")) else { throw failure("expected ':' after the key \(NetworkJSON.quote(key)), found \(describeCurrent())") }
            index += 1
            skipWhitespace()
            path.append(.key(key))
            result[key] = try value()
            path.removeLast()
            skipWhitespace()
            guard index < bytes.count else { throw failure("the document ends inside an object (missing '}')") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(result) }
            throw failure("expected ',' or '}' in an object, found \(describeCurrent())")
        }
    }

    private mutating func array() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1 // [
        var result: [JSONValue] = []
        skipWhitespace()
        if peek(UInt8(ascii: "]")) { index += 1; return .array(result) }
        while true {
            skipWhitespace()
            if peek(UInt8(ascii: "]")) { throw failure("trailing comma before ']' in an array") }
            path.append(.index(result.count))
            result.append(try value())
            path.removeLast()
            skipWhitespace()
            guard index < bytes.count else { throw failure("the document ends inside an array (missing ']')") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(result) }
            throw failure("expected ',' or ']' in an array, found \(describeCurrent())")
        }
    }

    private mutating func enter() throws {
        depth += 1
        guard depth <= Self.maximumDepth else { throw failure("nesting deeper than \(Self.maximumDepth) levels") }
    }

    private mutating func literal(_ word: String) throws {
        for byte in word.utf8 {
            guard index < bytes.count, bytes[index] == byte else {
                throw failure("unexpected \(describeCurrent()) (expected \(word))")
            }
            index += 1
        }
    }

    /// The JSON number grammar, then `Double(String)` on exactly those characters.
    private mutating func number() throws -> Double {
        let start = index
        func digits() -> Int {
            let from = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - from
        }
        if peek(UInt8(ascii: "-")) { index += 1 }
        guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else {
            throw failure("a number needs digits, found \(describeCurrent())")
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                index = start
                throw failure("a number may not have leading zeros")
            }
        } else {
            _ = digits()
        }
        if peek(UInt8(ascii: ".")) {
            index += 1
            guard digits() > 0 else { throw failure("a number needs digits after '.'") }
        }
        if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
            index += 1
            if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { index += 1 }
            guard digits() > 0 else { throw failure("a number needs digits in its exponent") }
        }
        guard let x = Self.convert(UnsafeBufferPointer(rebasing: bytes[start..<index])), x.isFinite else {
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            index = start
            throw failure("the number \(text) is beyond the range of a double")
        }
        return x
    }

    /// The double nearest to a number the grammar has accepted. C's `strtod` on a NUL-terminated
    /// copy on the stack: glibc's conversion rounds correctly (it is also what `Double(String)`
    /// calls), without building a String for each of a file's million numbers. `strtod` follows
    /// the C locale; should a locale with another decimal point ever be in force it would stop
    /// early, which the length check sees, and `Double(String)` (always the C locale) decides.
    private static func convert(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        let n = text.count
        let viaC = withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { buffer -> Double? in
            for i in 0..<n { buffer[i] = CChar(bitPattern: text[i]) }
            buffer[n] = 0
            var stop: UnsafeMutablePointer<CChar>?
            let x = strtod(buffer.baseAddress!, &stop)
            return stop == buffer.baseAddress! + n ? x : nil
        }
        return viaC ?? Double(String(decoding: text, as: UTF8.self))
    }

    private mutating func string() throws -> String {
        let open = index
        index += 1 // "
        var scalars = String.UnicodeScalarView()
        var runStart = index
        func flushRun() throws {
            guard runStart < index else { return }
            guard let text = String(validatingUTF8Bytes: UnsafeBufferPointer(rebasing: bytes[runStart..<index])) else {
                index = runStart
                throw failure("a string holds bytes that are not UTF-8")
            }
            scalars.append(contentsOf: text.unicodeScalars)
        }
        while true {
            guard index < bytes.count else {
                index = open
                throw failure("a string is not closed (missing '\"')")
            }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                try flushRun()
                index += 1
                return String(scalars)
            }
            if byte < 0x20 {
                throw failure("a control character (U+\(cFormat("%04X", byte))) inside a string; write it as an escape")
            }
            if byte != UInt8(ascii: "\\") { index += 1; continue }
            try flushRun()
            index += 1
            guard index < bytes.count else { throw failure("a string ends inside an escape") }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                let high = try hex4()
                var code = high
                if (0xD800...0xDBFF).contains(high) {
                    guard peek(UInt8(ascii: "\\")), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                        throw failure("a \\u escape holds an unpaired surrogate")
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw failure("a \\u escape holds an unpaired surrogate") }
                    code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(high) {
                    throw failure("a \\u escape holds an unpaired surrogate")
                }
                guard let scalar = Unicode.Scalar(code) else { throw failure("a \\u escape is not a character") }
                scalars.append(scalar)
            default:
                index -= 2
                throw failure("invalid escape in a string")
            }
            runStart = index
        }
    }

    private mutating func hex4() throws -> UInt32 {
        var code: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count else { throw failure("a \\u escape needs four hexadecimal digits") }
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw failure("a \\u escape needs four hexadecimal digits")
            }
            code = code * 16 + digit
            index += 1
        }
        return code
    }

    // MARK: - Positions and messages

    private func peek(_ byte: UInt8) -> Bool { index < bytes.count && bytes[index] == byte }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func describeCurrent() -> String {
        guard index < bytes.count else { return "the end of the document" }
        let byte = bytes[index]
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return cFormat("byte 0x%02X", byte)
    }

    /// An error at the current position: "line L, column C", and the JSON path when inside one.
    private func failure(_ what: String) -> NetworkError {
        var line = 1, column = 1
        var i = 0
        let end = min(index, bytes.count)
        while i < end {
            if bytes[i] == 0x0A { line += 1; column = 1 } else if bytes[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        var where_ = ""
        for component in path {
            switch component {
            case .key(let key): where_ += where_.isEmpty ? key : "." + key
            case .index(let i): where_ += "[\(i)]"
            }
        }
        let place = where_.isEmpty ? "" : " (in \(where_))"
        return NetworkError.malformedJSON(detail: "\(what) at line \(line), column \(column)\(place)")
    }
}

private extension String {
    /// The string these bytes spell in UTF-8, or nil when they are not valid UTF-8.
    init?(validatingUTF8Bytes bytes: UnsafeBufferPointer<UInt8>) {
        var scalars = String.UnicodeScalarView()
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): scalars.append(scalar)
            case .emptyInput: break loop
            case .error: return nil
            }
        }
        self.init(scalars)
    }
}
