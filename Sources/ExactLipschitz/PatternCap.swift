import Dispatch
import FoundationEssentials
import LipschitzModel

/// A cap on branch and bound's anytime interval: per norm, one `PatternBoundTree` over every
/// completion of the all-unknown pattern of the searched network (a superset of its regions,
/// whatever the box or the shard), advanced by the workers in short slices, best first, first
/// hidden layer first. Its bound, plus the rounding slack of the pruning test
/// (`RegionEnumerator.boundRounding`), is at least every region's value, so it caps the anytime
/// upper bound and that of a stopped search (`SharedSearchState.cap`). It prunes nothing: the
/// largest region lies under it, so it never falls to the best value (the slack keeps it above).
///
/// Why it pays: the LP search bounds a queued subtree once or twice, mostly with the cheap
/// stage of `JacobianBound`, and dives depth first inside it, so its anytime bound is the
/// loosest pending subtree's. The tree spends every bound on the loosest part, with the full
/// relaxation. Measured with one thread alone (release, machine shared), after ~30 s: trained-like
/// 11-24-24-1 1.90 (the search's own bound 2.42 after 94 s; the constant 1.5813), He-initialised
/// 11-24-24-1 5.48 (the search's 5.93 with two threads), He 13-20-16-8-3 14.4 (15.8). The first
/// layer first: from the root of the trained-like network, 164,000 bounds reach 1.90 that way
/// against 3.45 deepest layer first.
///
/// Workers advance it one at a time (`advanceIfDue`), within `share` of the search's wall time,
/// and only once the search is long (`ExactOptions.splitAfterNodes`, `splitAfterSeconds`): the
/// published networks finish before that, unchanged. Time-based, like `ExactSearch.refine`, so
/// node counts of long searches vary a little from run to run; the constant never does. A
/// failing bound (an overflow) ends the cap's work: it is then simply no longer lowered.
final class PatternCap: @unchecked Sendable {
    private let network: ReLUNetwork
    private let norms: [LipschitzNorm]
    private let share: Double
    private let lock = Lock()
    /// Guarded by `lock`; the trees themselves only by `busy` (one worker at a time).
    private var busy = false
    private var finished = false
    private var seconds = 0.0
    private var trees: [PatternBoundTree]?
    private var slack: [Double] = []

    /// Each turn of a worker runs at most this long.
    static let slice = 0.1

    init(network: ReLUNetwork, options: ExactOptions) {
        self.network = network
        self.norms = options.norms
        self.share = options.patternCapShare
    }

    /// Advances the trees for one slice when the search is long enough, the cap is what bounds
    /// the interval (`SharedSearchState.capBinds`: once the search's own bound has fallen below
    /// it, the search no longer pays for it), the cap's share of the wall time is not spent and
    /// no other worker is advancing them; then lowers the cap.
    func advanceIfDue(options: ExactOptions, shared: SharedSearchState) {
        guard share > 0, shared.finishedNodes >= options.splitAfterNodes || shared.elapsed >= options.splitAfterSeconds,
              shared.capBinds else { return }
        lock.lock()
        guard !busy, !finished, seconds <= share * shared.elapsed else { lock.unlock(); return }
        busy = true
        lock.unlock()
        let start = DispatchTime.now().uptimeNanoseconds
        var done = false
        do { done = try advance(shared: shared, options: options, start: start) } catch { done = true }
        lock.lock()
        busy = false
        finished = done
        seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        lock.unlock()
    }

    /// One slice over every norm's tree (made on the first call); returns whether none can advance.
    private func advance(shared: SharedSearchState, options: ExactOptions, start: UInt64) throws -> Bool {
        let threshold = shared.pruneThreshold
        if trees == nil {
            slack = try RegionEnumerator.boundRounding(network, norms: norms)
            trees = try norms.enumerated().map { n, norm in
                try PatternBoundTree(network: network, states: network.hiddenWidths.map { Array(repeating: .unknown, count: $0) },
                                     p: norm, order: .shallowestLayerFirst, target: target(threshold, n))
            }
        }
        guard let trees else { return true }
        let stop = ExactSearch.stopCheck(options, shared)
        for (n, tree) in trees.enumerated() {
            // An equal part of the slice per norm: one tree must not take every turn.
            let deadline = start + UInt64(Self.slice * 1e9 * Double(n + 1) / Double(trees.count))
            try tree.advance(target: target(threshold, n), evaluations: Int.max / 2) {
                stop() || DispatchTime.now().uptimeNanoseconds > deadline
            }
        }
        shared.cap(trees.enumerated().map { $1.bound + slack[$0] })
        return !trees.contains(where: \.canAdvance)
    }

    /// Leaves at most this far below the best value (rounding slack taken off) are closed.
    private func target(_ threshold: [Double], _ n: Int) -> Double { max(0, threshold[n] - slack[n]) }
}
