/// A contiguous run of the sweep's vertices, in sweep order (line rank, then ordinal: the
/// crossing plane's index minus the line's last plane minus one), from (`startLine`,
/// `startOrdinal`) up to but not including (`endLine`, `endOrdinal`).
struct SweepPart: Equatable {
    var startLine: Int
    var startOrdinal: Int
    var endLine: Int
    var endOrdinal: Int

    /// The lines that hold any of the part's vertices: `startLine..<lineEnd`.
    var lineEnd: Int { endOrdinal > 0 ? endLine + 1 : endLine }

    /// The ordinals of line `rank` (which owns `owned` vertices) that lie in the part.
    func ordinals(line rank: Int, owned: Int) -> Range<Int> {
        guard rank >= startLine, rank <= endLine else { return 0..<0 }
        let low = rank == startLine ? startOrdinal : 0
        let high = rank == endLine ? min(endOrdinal, owned) : owned
        return low..<max(low, high)
    }
}

enum SweepPartition {
    /// The part of shard K of N (`Shard`, 1-based) of the sweep over `planes` planes (the
    /// network's and the box's) in dimension d with Jacobians of `jacobianSize` numbers.
    ///
    /// The rule: lay the sweep's work out in sweep order on one integer cost axis, each line
    /// costing `n·(2d + ⌈log₂ n⌉)` for computing and sorting its n = planes − d + 1 crossings,
    /// followed by its vertices at `2d² + jacobianSize` each. Shard K owns the vertices whose
    /// start lies in [⌊T(K−1)/N⌋, ⌊TK/N⌋) of the total T. Consecutive shards meet at the same
    /// boundary, so over K = 1…N every vertex, hence every cell (counted at its lowest vertex),
    /// belongs to exactly one shard; the parts take equal shares of the estimated cost, not of
    /// the line count (a line's own vertices thin out towards the end of the order). A shard
    /// that starts inside a line sweeps that line too: only its vertices are split. With N = 1
    /// the part is everything. Deterministic: it depends only on the four numbers.
    static func part(planes: Int, dimension d: Int, jacobianSize m: Int, shard: Shard) -> SweepPart {
        let lines = Subsets.binomial(planes, d - 1)
        guard shard.count > 1 else { return SweepPart(startLine: 0, startOrdinal: 0, endLine: lines, endOrdinal: 0) }
        let crossings = max(1, planes - d + 1)
        let lineCost = crossings * (2 * d + (Int.bitWidth - (crossings - 1).leadingZeroBitCount))
        let vertexCost = 2 * d * d + m
        var total = 0
        Subsets.forEach(n: planes, k: d - 1) { line in
            total += lineCost + (planes - 1 - (line.last ?? -1)) * vertexCost
            return true
        }
        func share(_ k: Int) -> Int { shard.count.dividingFullWidth(total.multipliedFullWidth(by: k)).quotient }
        let start = boundary(at: share(shard.index - 1), planes: planes, d: d, lineCost: lineCost, vertexCost: vertexCost)
        let end = shard.index == shard.count ? (lines, 0)
            : boundary(at: share(shard.index), planes: planes, d: d, lineCost: lineCost, vertexCost: vertexCost)
        return SweepPart(startLine: start.0, startOrdinal: start.1, endLine: end.0, endOrdinal: end.1)
    }

    /// The first vertex, in sweep order, whose cost position is at least `position`
    /// ((line count, 0) when there is none).
    private static func boundary(at position: Int, planes: Int, d: Int, lineCost: Int, vertexCost: Int) -> (Int, Int) {
        var cumulative = 0, rank = 0
        var found: (Int, Int)?
        Subsets.forEach(n: planes, k: d - 1) { line in
            defer { rank += 1 }
            let owned = planes - 1 - (line.last ?? -1)
            let first = cumulative + lineCost
            let ordinal = position <= first ? 0 : (position - first + vertexCost - 1) / vertexCost
            if ordinal < owned { found = (rank, ordinal); return false }
            cumulative = first + owned * vertexCost
            return true
        }
        return found ?? (rank, 0)
    }
}
