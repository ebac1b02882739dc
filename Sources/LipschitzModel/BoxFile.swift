import FoundationEssentials

extension InputBox {
    /// Parses the contents of a box file (`--box-file`): a JSON object
    /// `{"lower": [numbers], "upper": [numbers]}`, or text with one `LO,HI` line per
    /// dimension (blank lines and lines starting with `#` are skipped). `path` is only
    /// used in messages. Every problem is an `InputError.badBox`.
    public static func parseBoxFile(_ data: Data, path: String) throws -> InputBox {
        let json: JSONValue?
        do { json = try JSONValue.parse(data) } catch {
            // Text that opens like JSON is meant as JSON: say what is wrong with it.
            if let first = data.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }), first == UInt8(ascii: "{") {
                throw InputError.badBox("box file \(path) is not valid JSON: \(error)")
            }
            json = nil
        }
        if let value = json {
            guard let object = value.object, let lower = object["lower"]?.array, let upper = object["upper"]?.array else {
                throw InputError.badBox("box file \(path) must hold {\"lower\": [numbers], \"upper\": [numbers]}")
            }
            let numbers = { (list: [JSONValue], key: String) throws -> [Double] in
                try list.enumerated().map { i, v in
                    guard let x = v.number else { throw InputError.badBox("box file \(path): \(key)[\(i)] is \(v), not a number") }
                    return x
                }
            }
            guard !lower.isEmpty || !upper.isEmpty else { throw InputError.badBox("box file \(path) holds no intervals") }
            return try InputBox(lower: numbers(lower, "lower"), upper: numbers(upper, "upper"))
        }
        guard let text = String(data: data, encoding: .utf8) else { throw InputError.badBox("box file \(path) is not text") }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingWhitespaces() }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard !lines.isEmpty else { throw InputError.badBox("box file \(path) holds no intervals") }
        let pairs = try lines.map(InputBox.parseInterval)
        return try InputBox(lower: pairs.map(\.0), upper: pairs.map(\.1))
    }
}
