/// Text from files and options (names, paths, values) printed for people.
///
/// Returns `text` with control characters (newlines, tabs, escapes, C1 controls, line and paragraph
/// separators) written as visible escapes (`\n`, `\u{1B}`), so that a file name, a network
/// name or an option value cannot break a message or a result over several lines or forge one.
public func escapingControlCharacters(_ text: String) -> String {
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
        switch scalar.value {
        case 0x0A: out.append(contentsOf: "\\n".unicodeScalars)
        case 0x0D: out.append(contentsOf: "\\r".unicodeScalars)
        case 0x09: out.append(contentsOf: "\\t".unicodeScalars)
        case 0x00..<0x20, 0x7F..<0xA0, 0x2028, 0x2029:
            out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
        default: out.append(scalar)
        }
    }
    return String(out)
}

