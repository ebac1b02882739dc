import ArgumentParser
import RandomNetworks

/// `generate --bias` and `compare --biases`: normal, uniform, laplace, rademacher or zero.
extension RandomNetworks.BiasDistribution: ArgumentParser.ExpressibleByArgument {
    /// Case and surrounding spaces do not matter (`BiasDistribution(parsing:)`).
    public init?(argument: String) { try? self.init(parsing: argument) }

    /// A comma list; a bad name gets the library's message (`unknown bias distribution …`).
    static func parseList(_ text: String) throws -> [BiasDistribution] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { try BiasDistribution(parsing: String($0)) }
    }
}
