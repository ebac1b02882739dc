import FoundationEssentials
import Dispatch
import LipschitzModel

/// What the worker threads of one search share: the best values (for pruning and the
/// answer), the region count (for `--max-regions`) and the stop reason. Lock-protected;
/// each worker touches it once per region or per pruning test, far less often than an LP.
final class SharedSearchState: @unchecked Sendable {
    private let lock = Lock()
    private var bestValues: [Double]
    private var bestWitnesses: [RegionWitness?]
    private var regionCount = 0
    private var reason: StopReason?
    private var unexplored: [Double]
    private var counters = EnumerationStatistics()
    private var undecidedCount = 0
    private var undecidedBounds: [Double]
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
        undecidedBounds = Array(repeating: -.infinity, count: norms)
    }

    /// Set before the LP search starts when it runs on a permuted network (`NeuronOrder`), never
    /// changed after: witnesses and region values are those of the original network.
    var renumbering: Renumbering?

    /// The Jacobian of a searched pattern's region, computed on the original network: the same
    /// matrix, rounded in the network's own order, so region values do not depend on the order
    /// of the search (cancelling terms, such as weights of 1e-19 next to ±0.125, survive alike).
    func originalJacobian(of pattern: ActivationPattern, searched: ReLUNetwork) -> Matrix {
        guard let renumbering else { return searched.jacobian(for: pattern) }
        return renumbering.original.jacobian(for: renumbering.order.original(pattern))
    }

    /// Set when the sweep answered but its rounding could not be trusted (`ExactSearch.trustSweep`):
    /// the LP search answers instead, even under `--method arrangement`.
    var sweepUntrusted = false

    /// The network region values are computed on (`originalJacobian`).
    func originalNetwork(_ searched: ReLUNetwork) -> ReLUNetwork { renumbering?.original ?? searched }

    func originalPattern(_ pattern: ActivationPattern) -> ActivationPattern {
        renumbering.map { $0.order.original(pattern) } ?? pattern
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

    /// Counts a part the solvers could not decide, with a certified bound (per norm) on ‖J‖ over
    /// every region it may hold (+∞ when there is none). Such a part is also bounded as unexplored.
    func markUndecided(bounds: [Double]) {
        lock.lock(); defer { lock.unlock() }
        undecidedCount += 1
        for n in undecidedBounds.indices { undecidedBounds[n] = max(undecidedBounds[n], bounds.indices.contains(n) ? bounds[n] : .infinity) }
    }

    /// Whether an undecided part may hold a region above the best value for some norm, so that
    /// the result cannot be exact. One whose certified bound is at most the best value holds no
    /// region above it, which is what pruning concludes of any subtree: it leaves the answer exact.
    var undecidedMatters: Bool {
        lock.lock(); defer { lock.unlock() }
        return undecidedCount > 0 && !zip(undecidedBounds, bestValues).allSatisfy { $1 >= 0 && $0 <= $1 }
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

    // MARK: - The anytime interval

    /// Per planned task, its certified bound (per norm) until it is finished.
    private var pendingTasks: [Int: [Double]] = [:]
    /// Per norm, a certified bound on every region's value (`PatternCap`), +∞ until there is one.
    private var caps: [Double]?
    private var tracedNodes = 0
    /// Seconds spent refining queued subtrees' bounds in pattern space (`ExactSearch.refine`).
    private var refining = 0.0
    var refiningSeconds: Double { lock.lock(); defer { lock.unlock() }; return refining }
    func addRefiningSeconds(_ seconds: Double) { lock.lock(); defer { lock.unlock() }; refining += seconds }

    /// Nodes of the finished (or handed-back) queued subtrees so far.
    var finishedNodes: Int { lock.lock(); defer { lock.unlock() }; return tracedNodes }
    private let traceLock = Lock()

    /// Registers tasks not yet explored (by id), with bounds over their subtrees.
    func addPendingTasks(_ tasks: [(id: Int, bounds: [Double])]) {
        lock.lock(); defer { lock.unlock() }
        for task in tasks { pendingTasks[task.id] = task.bounds }
    }

    /// After a stop: every task still pending (never run, or handed back and not taken) is
    /// bounded as unexplored by its own certified bounds.
    func boundPendingTasks() {
        lock.lock(); defer { lock.unlock() }
        for bounds in pendingTasks.values { for n in unexplored.indices { unexplored[n] = max(unexplored[n], bounds[n]) } }
    }

    /// Marks a task explored (its regions offered, its skipped parts bounded as unexplored),
    /// with the nodes it took.
    func finishTask(_ index: Int, nodes: Int) {
        lock.lock(); defer { lock.unlock() }
        pendingTasks[index] = nil
        tracedNodes += nodes
    }

    /// A certified upper bound now, per norm: every region lies in an explored part (its
    /// norm offered, or its subtree pruned below the best or bounded as unexplored) or in a
    /// pending task (below that task's bound).
    var anytimeUpper: [Double] {
        lock.lock(); defer { lock.unlock() }
        var upper = searchUpper()
        if let caps { for n in upper.indices { upper[n] = min(upper[n], max(bestValues[n], caps[n])) } }
        return upper
    }

    /// Whether the cap is below the search's own bound for some norm (or there is none yet): only
    /// then does lowering it narrow the interval.
    var capBinds: Bool {
        lock.lock(); defer { lock.unlock() }
        guard let caps else { return true }
        return zip(caps, searchUpper()).contains { $0 < $1 }
    }

    /// The anytime upper bound of the search itself, without the cap (the lock held).
    private func searchUpper() -> [Double] {
        // Pruned subtrees lie below the prune threshold: the best value or a caller's floor.
        var upper = bestValues.indices.map { max(bestValues[$0], floors[$0], unexplored[$0]) }
        for bounds in pendingTasks.values { for n in upper.indices { upper[n] = max(upper[n], bounds[n]) } }
        return upper
    }

    /// Lowers the cap (per norm) to `values`, certified bounds on every region's value.
    func cap(_ values: [Double]) {
        lock.lock(); defer { lock.unlock() }
        caps = zip(caps ?? values, values).map { min($0, $1) }
    }

    /// The cap per norm (+∞ before `PatternCap` set one): every region's value is at most it.
    var upperCaps: [Double] {
        lock.lock(); defer { lock.unlock() }
        return caps ?? Array(repeating: .infinity, count: bestValues.count)
    }

    /// Sends the current interval of the first norm to `trace`, one call at a time.
    func emitTrace(_ trace: (@Sendable (TracePoint) -> Void)?, final: (lower: Double, upper: Double)? = nil) {
        guard let trace else { return }
        traceLock.lock(); defer { traceLock.unlock() }
        let lower = final?.lower ?? max(0, best[0])
        // Every upper bound emitted holds, so their running minimum does too.
        let upper = max(lower, min(tracedUpper, final?.upper ?? anytimeUpper[0]))
        tracedUpper = upper
        lock.lock(); let nodes = max(tracedNodes, counters.nodes); lock.unlock()
        trace(TracePoint(lower: lower, upper: upper, nodes: nodes, seconds: elapsed))
    }
    private var tracedUpper = Double.infinity
}

/// A subtree of the LP search to hand to a worker: neurons before `depth` follow `pattern`,
/// and `center`/`radius` give a ball inside that partial region (scaled coordinates).
struct SearchTask: Sendable {
    let depth: Int
    let pattern: [[Bool]]
    let center: [Double]
    let radius: Double
    /// Signs of the layer being split that an ancestor certified on its whole region
    /// (`RegionEnumerator.stabilise`), with the depth of the node that certified each: they
    /// hold on the task's subtree, which lies in that region.
    var stable: [(neuron: Int, active: Bool, depth: Int)] = []
}
