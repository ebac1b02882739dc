import ArgumentParser
import LipschitzModel

/// `--norm P`: 1, 2, inf or a real p ≥ 1 (`LipschitzNorm(parsing:)` owns the rule). Not
/// `CaseIterable`: every real p ≥ 1 is a value, so there is no list of cases to offer.
extension LipschitzModel.LipschitzNorm: ArgumentParser.ExpressibleByArgument {
    public init?(argument: String) { try? self.init(parsing: argument) }

    public var defaultValueDescription: String { description }

    /// A comma list such as `1,2,inf`. Options use this as their transform, so that a bad
    /// value is reported with the model's own one-line message (`bad norm "abc" …`).
    static func parseList(_ text: String) throws -> [LipschitzNorm] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { try LipschitzNorm(parsing: String($0)) }
    }
}
