import ArgumentParser
import LipschitzEstimates

/// `estimate --method` and `compare --methods`: the raw values, or `all`.
extension LipschitzEstimates.EstimationMethod: ArgumentParser.ExpressibleByArgument {
    /// A comma list of method names, where `all` stands for every method. Options use this as
    /// their transform, so that an unknown name gets the library's message (`unknown method …`).
    static func parseList(_ text: String) throws -> [EstimationMethod] {
        var methods: [EstimationMethod] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.trimmingWhitespaces()
            methods += name.lowercased() == "all" ? allCases : [try EstimationMethod(parsing: name)]
        }
        return methods
    }

    /// The methods named by repeated options (each a comma list), first mention first; none
    /// given means every method.
    static func chosen(_ lists: [[EstimationMethod]]) -> [EstimationMethod] {
        var seen = Set<EstimationMethod>()
        let named = lists.joined().filter { seen.insert($0).inserted }
        return named.isEmpty ? allCases : named
    }
}
