// Path-name arithmetic on strings, as NSString's path methods do it (which FoundationEssentials
// does not provide): slashes are compressed and a trailing one dropped before a component is
// taken, so "a//b/" has last component "b" and parent "a".

public enum PathName {
    /// The last component: "b" for "a/b" and "a/b/", "/" for "/", "" for "".
    public static func lastComponent(_ path: String) -> String {
        let fixed = fixingSlashes(path)
        guard fixed.count > 1 else { return fixed }
        return String(fixed[startOfLastComponent(fixed)...])
    }

    /// The path without its last component: "a" for "a/b", "/" for "/b", "" for "b".
    public static func deletingLastComponent(_ path: String) -> String {
        let fixed = fixingSlashes(path)
        if fixed == "/" || fixed.isEmpty { return fixed }
        let start = startOfLastComponent(fixed)
        if start == fixed.startIndex { return "" }
        if start == fixed.index(after: fixed.startIndex) { return "/" }
        return String(fixed[..<fixed.index(before: start)])
    }

    /// `component` appended with one slash between (none added after a trailing slash).
    public static func appending(_ component: String, to path: String) -> String {
        if component.isEmpty { return path }
        if path.isEmpty { return component }
        return path.hasSuffix("/") ? path + component : path + "/" + component
    }

    /// The path without the extension of its last component: "a/net" for "a/net.json"; a
    /// leading dot ("a/.json") and ".." are not extensions.
    public static func deletingExtension(_ path: String) -> String {
        let fixed = fixingSlashes(path)
        guard fixed.count > 1 else { return fixed }
        let componentStart = startOfLastComponent(fixed)
        guard let dot = fixed[componentStart...].lastIndex(of: "."), dot != componentStart,
              fixed[componentStart...] != ".." else { return fixed }
        return String(fixed[..<dot])
    }

    /// Runs of slashes made one; a trailing slash removed unless the path is "/".
    private static func fixingSlashes(_ path: String) -> String {
        if path == "/" { return path }
        var result = ""
        var previousWasSlash = false
        for c in path {
            if c == "/", previousWasSlash { continue }
            previousWasSlash = c == "/"
            result.append(c)
        }
        if result.hasSuffix("/") { result.removeLast() }
        return result
    }

    private static func startOfLastComponent(_ fixed: String) -> String.Index {
        fixed.lastIndex(of: "/").map { fixed.index(after: $0) } ?? fixed.startIndex
    }
}
