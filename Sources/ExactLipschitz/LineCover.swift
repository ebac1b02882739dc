/// Which lines the sweep walks, and which of a walked line's vertices it handles, so that every
/// vertex (d planes) is handled on exactly one walked line.
///
/// **Classic rule** (d = 2 and d ≥ 5, and every sharded sweep, whose parts `SweepPartition`
/// lays out by it): every (d − 1)-subset S of the planes is a line and handles the vertices S ∪ {k} with k
/// above its last member (the vertex's lowest d − 1 planes). A line is walked past all its
/// P − d + 1 crossings but handles on average only 1/d of them.
///
/// **Covering rule** (d = 3, 4, unsharded: `forSweep`): deal the planes into p = d − 1 groups (plane x in group
/// x mod p) and walk only the lines that are not transversals, i.e. have two members in one
/// group (Turán's construction). A vertex has d planes in p < d groups, so it has two planes in
/// one group, and removing any other plane (or, with all of them in one group, any plane) leaves
/// a walked line. Vertex V is handled on V ∖ {x} for the largest x ∈ V such that V ∖ {x} is
/// walked: with V = S ∪ {k}, the walked line S handles k iff V ∖ {y} is a transversal for every
/// member y > k. V ∖ {y} = (S ∖ {y}) ∪ {k} has d − 1 planes; it is a transversal iff the d − 2
/// planes of S ∖ {y} lie in distinct groups — S has exactly one pair in a common group, {y₁, y₂},
/// and y is one of them — and k lies in the one group h that S misses. Hence a walked S with
/// exactly one such pair and missing group h handles k iff k > max S, or k is in h and
/// k > max(S ∖ {y₁, y₂}) (−1 when that is empty); any other walked S handles k iff k > max S.
/// Every vertex is handled exactly once, as under the classic rule; which line handles it does
/// not change the cell it names (the lowest-vertex rule depends on the vertex alone). The box's
/// faces are planes like any other here. The fraction of lines walked is about
/// 1 − (d − 1)!/(d − 1)^(d−1) for many planes: 1/2 for d = 3, 7/9 for d = 4, 0.91 for d = 5.
struct LineCover {
    /// The number of groups p = d − 1.
    let groups: Int

    /// What a line does under the rule.
    enum Role: Equatable {
        /// A transversal: not walked.
        case skipped
        /// Handles the crossings k > max S.
        case classic
        /// Handles k > max S, and also k in `group` with k > `above`.
        case extended(group: Int, above: Int)
    }

    /// The covering rule in dimension d ≥ 3 (nil below: every line is needed).
    init?(dimension d: Int) {
        guard d >= 3 else { return nil }
        groups = d - 1
    }

    /// The rule the sweep uses: the covering rule for d = 3 and 4 unsharded, nil (the classic
    /// rule) otherwise. Measured (1 thread, CPU): d = 3, N = 500: −35 %; d = 4, N = 120: −2 to
    /// −7 %; d = 5, N = 60: +8 % — only 9 % of the lines are skipped there, and the lines
    /// through a box face that gain network crossings must then be sorted and walked.
    static func forSweep(dimension d: Int, shard: Shard) -> LineCover? {
        guard (3...4).contains(d), shard.count == 1 else { return nil }
        return LineCover(dimension: d)
    }

    @inline(__always)
    func group(_ plane: Int) -> Int { plane % groups }

    /// Whether a line with this role and last member `last` handles the crossing of plane k
    /// (not a member). The walk tests the same on its flat buffers (`LineSweeper.walk`).
    static func handles(_ role: Role, last: Int, plane k: Int, groups: Int) -> Bool {
        switch role {
        case .skipped: return false
        case .classic: return k > last
        case .extended(let group, let above): return k > last || (k % groups == group && k > above)
        }
    }

    /// The role of the line of planes `line` (increasing), in O(d²).
    func role(_ line: [Int]) -> Role {
        var pairs = 0, first = -1, second = -1
        for i in line.indices {
            for j in (i + 1)..<max(i + 1, line.count) where group(line[i]) == group(line[j]) {
                pairs += 1
                (first, second) = (line[i], line[j])
            }
        }
        if pairs == 0 { return .skipped }
        if pairs > 1 { return .classic }
        // S ∖ {second} covers p − 1 = d − 2 distinct groups: the missing one is the rest of 0 + … + (p − 1).
        var missing = groups * (groups - 1) / 2, above = -1
        for x in line where x != second {
            missing -= group(x)
            if x != first { above = max(above, x) }
        }
        return .extended(group: missing, above: above)
    }
}
