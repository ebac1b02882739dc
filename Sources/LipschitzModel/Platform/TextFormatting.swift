// Text helpers that full Foundation provides and FoundationEssentials does not: the executable
// imports only FoundationEssentials (full Foundation with ICU costs ~1 ms of start-up, most of
// it scanning protocol conformances), so each is written here once, with Foundation's output.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `printf`-style formatting through the C library's `vsnprintf`, which is what Foundation's
/// `String(format:)` uses for numeric conversions: the same text for `%.3f`, `%.10g`, `%04X`…
/// (the C locale: a decimal point, no grouping; `nan`, `inf`). Integers must be passed with a
/// conversion of their width (`%d` reads a C `int`, `%ld` a Swift `Int`); `%@` is not supported.
public func cFormat(_ format: String, _ arguments: CVarArg...) -> String {
    withVaList(arguments) { first in
        var buffer = [CChar](repeating: 0, count: 64)
        let needed = Int(vsnprintf(&buffer, buffer.count, format, first))
        guard needed >= buffer.count else { return String(cString: buffer) }
        // Too long for the first buffer: format again into one of the size C asked for (a
        // va_list is consumed by one use, so take a fresh one).
        return withVaList(arguments) { second in
            buffer = [CChar](repeating: 0, count: needed + 1)
            _ = vsnprintf(&buffer, buffer.count, format, second)
            return String(cString: buffer)
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing blanks: `trimmingCharacters(in: .whitespaces)`,
    /// whose set is Unicode's space separators (Zs: space, no-break space, the U+2000 spaces…),
    /// the tab and, as in Foundation's table, the zero-width space U+200B. Newlines are not blanks.
    public func trimmingWhitespaces() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.isBlank }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.isBlank })!
        return String(String.UnicodeScalarView(scalars[first...last]))
    }

    /// The text padded with spaces, or cut, to `length` UTF-16 code units, as NSString's
    /// `padding(toLength:withPad: " ", startingAt: 0)` does (its length is in UTF-16 units).
    public func paddingWithSpaces(toLength length: Int) -> String {
        let units = utf16.count
        if units >= length { return String(decoding: utf16.prefix(length), as: UTF16.self) }
        return String(self) + String(repeating: " ", count: length - units)
    }
}

extension String {
    /// Every occurrence of `target` replaced by `replacement`, compared scalar by scalar (what
    /// `replacingOccurrences(of:with:)` does for the ASCII targets the package replaces, with no
    /// exception for a target followed by a combining mark: an escaped "&" stays escaped).
    public func replacingEvery(_ target: String, with replacement: String) -> String {
        String(unicodeScalars.replacing(target.unicodeScalars, with: replacement.unicodeScalars))
    }
}

private extension Unicode.Scalar {
    var isBlank: Bool { value == 0x09 || value == 0x200B || properties.generalCategory == .spaceSeparator }
}
