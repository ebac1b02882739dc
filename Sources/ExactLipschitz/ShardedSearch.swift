import FoundationEssentials
import Glibc
import LipschitzModel

/// How a sharded search cut the input space: every shard of one partition must report the same
/// value, and `lipschitz merge` refuses shards whose partitions differ.
public struct SearchPartition: Sendable, Equatable, Codable {
    /// "lp-frontier": subtrees of the LP search's split tree at a fixed depth.
    public let kind: String
    /// The frontier's depth (hidden neurons decided, in the search's order).
    public let depth: Int
    /// The number of frontier subtrees dealt to the shards.
    public let parts: Int
    /// How many of them this shard owns.
    public let owned: Int

    public init(kind: String, depth: Int, parts: Int, owned: Int) {
        self.kind = kind
        self.depth = depth
        self.parts = parts
        self.owned = owned
    }

    /// The same cut (the shard's own share aside).
    public func sameCut(as other: SearchPartition) -> Bool {
        kind == other.kind && depth == other.depth && parts == other.parts
    }
}

/// The LP search's partition for `exact --shard K/N`: subtrees of the split tree at a fixed
/// frontier, dealt round-robin.
///
/// The frontier is the tree's nodes at the first depth with at least `subtreesPerShard · N`
/// nodes (capped at the number of hidden neurons). A level at most doubles the nodes, so from a
/// frontier of c nodes the next depth tried is ⌈log₂(target / c)⌉ levels deeper: no level is
/// expanded twice for nothing and the target is not overshot by a whole doubling of depth.
/// With `prune`, the expansion prunes against the seeded threshold (`--lower-bound` and the
/// fixed-seed samples); no region is reached while expanding (frontier nodes are cut before
/// leaves), so that threshold does not move and the frontier is the same on every machine. It
/// depends only on the network, the domain, N and the seeds — not on threads, timing or K; the
/// depth and the frontier's size are reported so that a merge refuses shards cut differently.
/// Nodes are taken in the search's depth-first order and node i goes to shard (i mod N) + 1:
/// neighbouring subtrees, which tend to have similar sizes, land on different shards, which
/// balances without a cost model. Every full-dimensional region lies below exactly one frontier
/// node (or a pruned subtree, bounded by the threshold), so the shards' regions add up to the
/// whole count and their certified bounds cover the whole space.
enum FrontierPartition {
    /// Frontier nodes per shard: enough that round-robin evens out subtree sizes.
    static let subtreesPerShard = 16

    /// This shard's subtrees, and the partition they belong to.
    static func tasks(_ network: ReLUNetwork, options: ExactOptions,
                      shared: SharedSearchState) throws -> (tasks: [SearchTask], partition: SearchPartition) {
        let shard = options.shard
        var planning = options
        planning.progress = nil
        let probe = try RegionEnumerator(network: network, options: planning, shared: shared)
        defer { shared.add(probe.statistics) }
        let hidden = network.hiddenNeuronCount
        let target = subtreesPerShard * shard.count
        var depth = min(1, hidden)
        var frontier: [SearchTask]
        while true {
            frontier = try probe.collectFrontier(depth: depth)
            if frontier.count >= target || depth >= hidden || shared.stopReason != nil { break }
            let levels = max(1, Int(log2(Double(target) / Double(max(1, frontier.count))).rounded(.up)))
            depth = min(depth + levels, hidden)
        }
        if shared.stopReason != nil {
            // Stopped before the frontier was complete: this frontier is not the one the other
            // shards deal, so which of its nodes are this shard's is unknown. The root's bound
            // covers the whole space, hence this shard's part.
            try probe.recordUnexplored(SearchTask(depth: 0, pattern: network.hiddenWidths.map { Array(repeating: false, count: $0) },
                                                  center: [], radius: 0))
            return ([], SearchPartition(kind: "lp-frontier", depth: depth, parts: frontier.count, owned: 0))
        }
        let mine = frontier.indices.filter(shard.ownsRoundRobin).map { frontier[$0] }
        return (mine, SearchPartition(kind: "lp-frontier", depth: depth, parts: frontier.count, owned: mine.count))
    }
}
