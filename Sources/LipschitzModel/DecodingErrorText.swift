/// One line saying where a `Decodable` read failed (`missing key "x" at .a[2]`), for
/// `InputProblem` messages about JSON files read with `JSONDecoder`.
public func decodingErrorText(_ error: Error) -> String {
    guard let error = error as? DecodingError else { return "unreadable" }
    func path(_ keys: [CodingKey]) -> String {
        keys.isEmpty ? "" : " at " + keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }
    switch error {
    case .keyNotFound(let key, let context):
        return "missing key \"\(key.stringValue)\"" + path(context.codingPath)
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
        return (context.codingPath.isEmpty ? "malformed JSON" : "wrong type") + path(context.codingPath)
    @unknown default:
        return "unreadable"
    }
}
