import Foundation
import LipschitzModel

/// What the worker threads of one search share: the best values (for pruning and the
/// answer), the region count (for `--max-regions`) and the stop reason. Lock-protected;
/// each worker touches it once per region or per pruning test, far less often than an LP.
final class SharedSearchState: @unchecked Sendable {
    private let lock = NSLock()
    private var bestValues: [Double]
    private var bestWitnesses: [RegionWitness?]
    private var regionCount = 0
    private var reason: StopReason?
    private var unexplored: [Double]
    private var counters = EnumerationStatistics()
    private var undecidedCount = 0
    /// Values the user asserts Φ attains (`--lower-bound`): they raise the pruning threshold
    /// only, never the answer (`ExactOptions.incumbent`).
    private let floors: [Double]
    /// When the clock of the time limit started (uptime nanoseconds).
    let start: UInt64

    init(norms: Int, start: UInt64? = nil, floors: [Double]? = nil) {
        self.start = start ?? DispatchTime.now().uptimeNanoseconds
        self.floors = floors ?? Array(repeating: -1, count: norms)
        bestValues = Array(repeating: -1, count: norms)
        bestWitnesses = Array(repeating: nil, count: norms)
        unexplored = Array(repeating: 0, count: norms)
    }

    var best: [Double] { lock.lock(); defer { lock.unlock() }; return bestValues }
    var witnesses: [RegionWitness?] { lock.lock(); defer { lock.unlock() }; return bestWitnesses }
    /// What branch and bound must beat: the best value found, or the seeded floor if higher.
    var pruneThreshold: [Double] {
        lock.lock(); defer { lock.unlock() }
        return zip(bestValues, floors).map { max($0, $1) }
    }
    var regions: Int { lock.lock(); defer { lock.unlock() }; return regionCount }
    var stopReason: StopReason? { lock.lock(); defer { lock.unlock() }; return reason }
    var unexploredUpper: [Double] { lock.lock(); defer { lock.unlock() }; return unexplored }
    var statistics: EnumerationStatistics { lock.lock(); defer { lock.unlock() }; return counters }

    /// Subtrees that the solvers could not decide (bounded as unexplored): the result is not exact.
    var undecided: Int { lock.lock(); defer { lock.unlock() }; return undecidedCount }

    var elapsed: Double {
        let now = DispatchTime.now().uptimeNanoseconds
        return now > start ? Double(now - start) / 1e9 : 0
    }

    func markUndecided() {
        lock.lock(); defer { lock.unlock() }
        undecidedCount += 1
    }

    /// Counts a region unless `limit` regions are counted already (then returns false), so
    /// that concurrent workers never exceed a region limit.
    func claimRegion(limit: Int?) -> Bool {
        lock.lock(); defer { lock.unlock() }
        if let limit, regionCount >= limit { return false }
        regionCount += 1
        return true
    }

    /// Permission to count up to `batch` more regions under `limit` (the sweep counts in
    /// batches: one lock per region would cost more than the region).
    func claimRegions(upTo batch: Int, limit: Int) -> Int {
        lock.lock(); defer { lock.unlock() }
        let granted = max(0, min(batch, limit - regionCount))
        regionCount += granted
        return granted
    }

    func returnRegions(_ unused: Int) {
        lock.lock(); defer { lock.unlock() }
        regionCount -= unused
    }

    func resetRegionClaims() {
        lock.lock(); defer { lock.unlock() }
        regionCount = 0
    }

    /// Offers a value for norm `n`; ties keep the first witness.
    func offer(_ value: Double, norm n: Int, witness: () -> RegionWitness) {
        lock.lock(); defer { lock.unlock() }
        if value > bestValues[n] {
            bestValues[n] = value
            bestWitnesses[n] = witness()
        }
    }

    func stop(_ why: StopReason) {
        lock.lock(); defer { lock.unlock() }
        if reason == nil { reason = why }
    }

    func boundUnexplored(_ values: [Double]) {
        lock.lock(); defer { lock.unlock() }
        for n in values.indices { unexplored[n] = max(unexplored[n], values[n]) }
    }

    func add(_ statistics: EnumerationStatistics) {
        lock.lock(); defer { lock.unlock() }
        counters.add(statistics)
    }
}

/// A subtree of the LP search to hand to a worker: neurons before `depth` follow `pattern`,
/// and `center`/`radius` give a ball inside that partial region (scaled coordinates).
struct SearchTask: Sendable {
    let depth: Int
    let pattern: [[Bool]]
    let center: [Double]
    let radius: Double
}
