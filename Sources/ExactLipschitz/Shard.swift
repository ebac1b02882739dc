import LipschitzModel

/// One part of a search split into `count` independent parts (`exact --shard K/N`).
///
/// Shards are numbered from 1 as the command line writes them. A partition is deterministic:
/// the same network, options and `count` give every shard the same part on every machine, and
/// the parts of `1…count` together cover the whole search exactly once. How a search is cut
/// depends on the method (ranges of the arrangement sweep for one hidden layer, subtrees of a
/// fixed-depth frontier for the LP search); each shard's result is certified over its part only.
public struct Shard: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// 1-based index of this shard.
    public let index: Int
    /// The number of shards.
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, count <= Shard.maximumCount, (1...count).contains(index) else {
            throw ShardError.invalid("shard \(index)/\(count): need 1 ≤ K ≤ N ≤ \(Shard.maximumCount)")
        }
        self.index = index
        self.count = count
    }

    /// Parses `K/N`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else {
            throw ShardError.invalid("shard '\(text)': expected K/N with integers, e.g. 3/8")
        }
        try self.init(index: k, count: n)
    }

    /// The whole search as a single shard.
    public static let whole = try! Shard(index: 1, count: 1)

    /// A generous bound that keeps the partition's bookkeeping small.
    public static let maximumCount = 100_000

    /// Whether item `i` (0-based, in the partition's canonical order) belongs to this shard when
    /// items are dealt round-robin. Partitions that balance by cost use their own rule.
    public func ownsRoundRobin(_ i: Int) -> Bool { i % count == index - 1 }

    public var description: String { "\(index)/\(count)" }
}

public enum ShardError: InputProblem, Equatable {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let text): return text
        }
    }
}
