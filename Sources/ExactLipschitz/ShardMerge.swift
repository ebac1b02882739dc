import FoundationEssentials

/// Combines the results of `exact --shard K/N` for K = 1…N into the result of the whole search.
///
/// Each part certifies [lower_K, upper_K] over its share of the input space, and the shares
/// cover the space exactly once, so the constant lies in [max lower_K, max upper_K]: the max of
/// the lowers is attained (by the witness of the part that found it) and no region exceeds the
/// max of the uppers. Regions and counters add up. The merge is exact only if every part
/// finished. A part that pruned against a seeded `--lower-bound` X and found no region reaching
/// X knows only that its regions stay ≤ X; once another part attains X or more, that part is
/// settled too.
public enum ShardMerge {
    /// The merged document; parts that do not form one complete partition are refused.
    public static func merge(_ given: [(place: String, document: ExactResultDocument)]) throws -> ExactResultDocument {
        guard !given.isEmpty else { throw ResultDocumentError("no shard results to merge") }
        try checkCompatible(given)
        // In shard order, so that the witness among equal maxima does not depend on the order given.
        let parts = given.sorted { $0.document.shard!.index < $1.document.shard!.index }
        let first = parts[0]
        let best = parts.max { ($0.document.lower ?? -1) < ($1.document.lower ?? -1) }!.document
        let lower = best.lower ?? 0
        let settled = parts.map { part -> Bool in
            let d = part.document
            if d.partComplete { return true }
            guard d.stopped == StopReason.lowerBoundNotReached.rawValue, let seed = d.lowerBound else { return false }
            return lower >= seed
        }
        let complete = !settled.contains(false)
        var merged = first.document
        merged.lipschitz = lower
        merged.lower = lower
        merged.witness = best.witness
        merged.upper = complete ? lower : parts.map { $0.document.upper ?? .infinity }.max().flatMap { $0.isFinite ? $0 : nil }
        merged.exact = complete
        merged.partComplete = complete
        merged.stopped = complete ? nil : zip(parts, settled).first { !$1 }.map { $0.0.document.stopped ?? "stopped" }
        merged.regions = parts.reduce(0) { $0 + $1.document.regions }
        merged.regionsComplete = complete && parts.allSatisfy { $0.document.statistics.prunedSubtrees == 0 }
        merged.statistics = parts.dropFirst().reduce(first.document.statistics) { $0.adding($1.document.statistics) }
        merged.seconds = parts.reduce(0.0) { $0 + ($1.document.seconds ?? 0) }
        merged.shard = nil
        merged.partition = first.document.partition.map { SearchPartition(kind: $0.kind, depth: $0.depth, parts: $0.parts, owned: $0.parts) }
        merged.lowerBound = parts.compactMap(\.document.lowerBound).max()
        return merged
    }

    /// Same network, norm, domain, method, N and cut; every K from 1 to N exactly once.
    private static func checkCompatible(_ parts: [(place: String, document: ExactResultDocument)]) throws {
        let reference = parts[0]
        guard let n = reference.document.shard?.count else {
            throw ResultDocumentError("\(reference.place): not a shard result (written without --shard K/N)")
        }
        // Finished parts must be cut alike. A part stopped while expanding the frontier records
        // a smaller one; it bounds the whole space by the root's interval Jacobian then
        // (`FrontierPartition`), so it is sound whatever its cut, which is not compared.
        let completeCut = parts.first { $0.document.partComplete && $0.document.partition != nil }
            .map { (place: $0.place, partition: $0.document.partition!) }
        // Each shard decides alone whether the sweep applies: one whose vertices include a
        // degenerate one falls to the LP search, whose frontier cut is not the sweep's, while
        // the others finish their sweep parts (seen on 6 of 400 random networks with exactly
        // repeated or zero-bias hyperplanes). Such parts cannot be merged; say how to recover.
        let finishedMethods = Set(parts.filter { $0.document.partComplete }.map(\.document.method))
        if finishedMethods.count > 1, finishedMethods.contains(SearchMethod.arrangement.rawValue) {
            let fallen = parts.first { $0.document.partComplete && $0.document.method != SearchMethod.arrangement.rawValue }!
            throw ResultDocumentError("\(fallen.place): this shard fell back from the arrangement sweep to the LP search (its part of the arrangement is degenerate) while others finished the sweep; rerun every shard with --method lp")
        }
        var seen: [Int: String] = [:]
        for (place, d) in parts {
            guard let shard = d.shard else { throw ResultDocumentError("\(place): not a shard result (written without --shard K/N)") }
            guard d.norms == nil else { throw ResultDocumentError("\(place): a result of several norms; shards are searched one norm at a time") }
            func differ(_ what: String) -> ResultDocumentError {
                ResultDocumentError("\(place): \(what) differs from \(reference.place)'s; these shards are not parts of one search")
            }
            if d.networkHash != reference.document.networkHash || d.architecture != reference.document.architecture { throw differ("the network") }
            if d.norm != reference.document.norm { throw differ("the norm") }
            if d.domain != reference.document.domain { throw differ("the domain") }
            if shard.count != n { throw differ("the number of shards N (\(shard.count), not \(n))") }
            // Finished parts must come from one method's partition. A part stopped early (e.g.
            // during the sweep's set-up, then bounded by the LP search) may differ: its interval
            // covers the whole space, so it is sound whatever its method.
            if d.partComplete, let first = parts.first(where: { $0.document.partComplete }), d.method != first.document.method {
                throw ResultDocumentError("\(place): the search method differs from \(first.place)'s; these shards are not parts of one search")
            }
            if d.partComplete, let cut = completeCut, d.partition.map({ !$0.sameCut(as: cut.partition) }) ?? true {
                throw ResultDocumentError("\(place): the partition (frontier depth or size) differs from \(cut.place)'s; these shards are not parts of one search")
            }
            if let other = seen[shard.index] { throw ResultDocumentError("\(place): shard \(shard.index)/\(n) given twice (also \(other))") }
            seen[shard.index] = place
        }
        if let missing = (1...n).first(where: { seen[$0] == nil }) {
            let absent = (1...n).filter { seen[$0] == nil }.count
            throw ResultDocumentError("shard \(missing)/\(n) is missing" + (absent > 1 ? " (and \(absent - 1) more)" : "") + "; a merge needs every shard")
        }
    }
}
