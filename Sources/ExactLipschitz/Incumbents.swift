import FoundationEssentials
import Glibc
import LipschitzModel

/// Branch and bound's incumbents: the best value found so far, against which subtrees are
/// pruned. The higher it is early, the more is pruned, so it is seeded before the search
/// (`seedFromSamples`) and raised during it (`InSearchIncumbents`). A candidate point's value
/// counts only once its region is certified full-dimensional (a genuine witness), so whatever
/// the candidates (a caller's points, a local search's, garbage) the constant stays exact:
/// they change only how much is pruned.
enum Incumbents {
    /// Seeds the best value from the caller's `startingPoints` and a few hundred sampled
    /// regions, so that branch and bound prunes from the first split. Per norm the best few
    /// candidates are tried in order.
    static func seedFromSamples(_ network: ReLUNetwork, options: ExactOptions, shared: SharedSearchState) throws {
        let domain = ScaledDomain(network: network, box: options.box)
        var rng = SeededGenerator(seed: 0x5EED)  // a fixed seed: the search stays deterministic
        func uniform() -> Double { rng.nextUniform() }
        var candidates = usable(options.startingPoints, network, options)
        for sample in 0..<256 {
            // Box: uniform. Globally: a cube of half-width ℓ·4^k around the origin, k = −1, 0, 1, 2.
            let reach = options.box == nil ? pow(4, Double(sample % 4 - 1)) : 1
            candidates.append(domain.point((0..<network.inputDimension).map { _ in reach * (2 * uniform() - 1) }))
        }
        let enumerator = try RegionEnumerator(network: network, options: options, shared: SharedSearchState(norms: options.norms.count))
        try offerBest(of: candidates, network, options: options, shared: shared, enumerator: enumerator)
    }

    /// The candidates that are points of the domain: the right dimension, finite, in the box.
    static func usable(_ points: [[Double]], _ network: ReLUNetwork, _ options: ExactOptions) -> [[Double]] {
        points.filter { $0.count == network.inputDimension && $0.allSatisfy(\.isFinite) && (options.box?.contains($0) ?? true) }
    }

    /// Offers the best few of `candidates`' regions per norm, each only once `enumerator` (which
    /// searches `network`, the permuted one when the search is) certifies its region
    /// full-dimensional; a region the solvers cannot decide is dropped.
    static func offerBest(of candidates: [[Double]], _ network: ReLUNetwork, options: ExactOptions,
                          shared: SharedSearchState, enumerator: RegionEnumerator) throws {
        let stop = ExactSearch.stopCheck(options, shared)
        var scored: [[(value: Double, pattern: ActivationPattern)]] = Array(repeating: [], count: options.norms.count)
        var seen = Set<ActivationPattern>()
        for x in candidates where !stop() {
            let pattern = network.activationPattern(at: x)
            guard seen.insert(pattern).inserted else { continue }
            let jacobian = shared.originalJacobian(of: pattern, searched: network)
            for (n, norm) in options.norms.enumerated() {
                let value = try operatorNorm(jacobian, p: norm)
                if value.isFinite { scored[n].append((value, pattern)) }
            }
        }
        for n in options.norms.indices {
            // The best few, in order, until one is certified; an undecided one is dropped.
            for (value, pattern) in scored[n].sorted(by: { $0.value > $1.value }).prefix(4) {
                guard value > shared.best[n] else { break }  // cannot raise the incumbent
                guard let ball = try? enumerator.certifiedRegion(of: pattern.layers) else { continue }
                // The value offered is the accurate one (`RegionJacobian`); the ranking above may
                // rest on rounded ones. A region whose value is not representable is dropped.
                let original = shared.originalPattern(pattern), norm = options.norms[n]
                guard let jacobian = try? RegionJacobian.accurate(shared.originalNetwork(network), original, norms: [norm],
                                                                  fast: shared.originalJacobian(of: pattern, searched: network)) else { continue }
                let certified = try operatorNorm(jacobian, p: norm)
                guard certified.isFinite else { continue }
                shared.offer(certified, norm: n) {
                    RegionWitness(pattern: original, interiorPoint: ball.center, radius: ball.radius, jacobian: jacobian)
                }
                break
            }
        }
    }
}

/// Incumbents during branch and bound (issue 10, item 3): the caller's local search
/// (`ExactOptions.localSearch`) run from promising points while the search goes on:
/// - the ball centre of a subtree taken from the frontier whose bound lies well above the best
///   value (its regions may beat it; the search has not reached them yet);
/// - the ball centre of a node the pruning test could not prune. Branch and bound rarely
///   reaches a leaf (near the leaves the bound enumerates the completions and prunes), so the
///   search itself finds few incumbents: on random (2, 32, 32, 32, 1) it visits one region;
/// - every region the search does visit whose value is near the best (the climb often reaches
///   a better region a few flips away, which the search order would meet much later).
///
/// Cost: every climb gets `evaluationsPerClimb` Jacobian evaluations, and each worker's climbs
/// are rationed by the LPs it solved (`initialClimbs`, then one after `linearProgramsPerClimb`
/// LPs, a spacing that doubles after every climb that does not raise the best value, up to
/// `backoffLimit` times, and falls back when one does; for regions and for nodes and subtrees
/// separately), so they cost a small, bounded fraction of the search whatever the network.
/// Rationing by work done, not time, keeps a one-thread search deterministic; with more threads only the node counts may change, never the constant (the
/// answer is the maximum over the certified regions, and an incumbent only prunes subtrees
/// that hold nothing above it).
final class InSearchIncumbents: @unchecked Sendable {
    private let network: ReLUNetwork
    private let options: ExactOptions
    private let shared: SharedSearchState
    private let domain: ScaledDomain
    private let search: @Sendable ([Double], LipschitzNorm, Int) -> [Double]?

    /// A climb's budget in Jacobian evaluations (a step evaluates up to ~9 points). Measured on
    /// random (2, 32, 32, 32, 1), 1 thread: 64 and 256 reach the maximum after the same nodes.
    static let evaluationsPerClimb = 64
    /// Climbs a worker may take at once, and linear programs it solves per further climb.
    /// Rationed by LPs, not nodes: a node costs anything from a few multiply-adds (a neuron
    /// decided without a split, thousands in a row on deep narrow networks) to an LP and an
    /// O(network) pruning bound, while a climb costs O(network) per evaluation.
    static let initialClimbs = 2
    static let linearProgramsPerClimb = 128
    /// The largest spacing between climbs, in units of `linearProgramsPerClimb`. A fixed spacing
    /// of 128 LPs spent 10–13 % of the time climbing on searches whose incumbent is found early
    /// and never raised (release, 1 thread, user s: random (4, 16, 16, 16, 1) seed 8 2.54 → 2.35,
    /// cartpole 0.71 → 0.63, double pendulum 2.71 → 2.49, same nodes); on random (2, 32, 32, 32, 1)
    /// the later climbs cost 14 % more nodes (10,339 → 11,803) and still less time (0.30 → 0.27 s).
    /// Those figures are for a limit of 64; 16 (spacing growing 1.5× then) was within noise of it
    /// (2.37 s, 0.28 s) and keeps a climb every 2,048 LPs at worst for long searches whose
    /// incumbent keeps rising (He 11-24-24-1 after 30 s, 2 threads, shared machine: lower bound
    /// 3.766 with the fixed spacing, 3.762 with either limit).
    static let backoffLimit = 16
    /// A subtree is climbed from when its bound exceeds the best value by this factor.
    static let promisingRatio = 1.05
    /// A region is climbed from when its value is at least this share of the best value.
    static let nearRatio = 0.98

    /// Nil unless branch and bound runs with a local search.
    init?(network: ReLUNetwork, options: ExactOptions, shared: SharedSearchState) {
        guard options.prune, let search = options.localSearch else { return nil }
        self.network = network
        self.options = options
        self.shared = shared
        self.search = search
        domain = ScaledDomain(network: network, box: options.box)
    }

    /// One worker's climbs, made on the worker's thread: it certifies with its own enumerator
    /// (a GLPK problem belongs to the thread that made it; the worker's own is busy mid-path
    /// when a region calls back) and keeps the worker's ration.
    final class Climber {
        private let owner: InSearchIncumbents
        private let worker: RegionEnumerator
        private let certifier: RegionEnumerator
        /// Where a climb starts; each source has its own ration.
        enum Source: Int, CaseIterable {
            /// A region whose value is near the best.
            case nearBest
            /// An unpruned node's or a promising subtree's ball centre.
            case node
        }
        /// Climbs taken, per source.
        private var climbs = Source.allCases.map { _ in 0 }
        /// Per source: LPs between climbs now, and the worker's LP count from which the next may run.
        private var spacing = Source.allCases.map { _ in InSearchIncumbents.linearProgramsPerClimb }
        private var nextClimb = Source.allCases.map { _ in 0 }

        fileprivate init(owner: InSearchIncumbents, worker: RegionEnumerator) throws {
            self.owner = owner
            self.worker = worker
            certifier = try RegionEnumerator(network: owner.network, options: owner.options,
                                             shared: SharedSearchState(norms: owner.options.norms.count))
            worker.regionVisited = { [unowned self] point, values in self.visited(point, values) }
            worker.nodeUnpruned = { [unowned self] center in
                for n in owner.options.norms.indices { self.climb(from: center, norm: n, source: .node) }
            }
        }

        /// The certifications' counters (LPs, exact decisions), for the search's totals.
        var statistics: EnumerationStatistics { certifier.statistics }

        /// Before the worker searches a subtree with these bounds: climbs from its ball centre
        /// for every norm whose bound is promising.
        func beforeSubtree(_ task: SearchTask, bounds: [Double]) {
            let best = owner.shared.pruneThreshold
            for n in bounds.indices where bounds[n] > InSearchIncumbents.promisingRatio * max(0, best[n]) {
                climb(from: owner.domain.point(task.center), norm: n, source: .node)
            }
        }

        private func visited(_ point: [Double], _ values: [Double]) {
            let best = owner.shared.best
            for n in values.indices where values[n] >= InSearchIncumbents.nearRatio * best[n] {
                climb(from: point, norm: n, source: .nearBest)
            }
        }

        private func climb(from start: [Double], norm n: Int, source: Source) {
            let s = source.rawValue
            let solved = worker.statistics.linearPrograms
            guard owner.shared.stopReason == nil,
                  climbs[s] < InSearchIncumbents.initialClimbs || solved >= nextClimb[s]
            else { return }
            climbs[s] += 1
            let options = owner.options
            let before = owner.shared.best[n]
            defer {
                // Back off while climbs find nothing better (`backoffLimit`), back to the base spacing when one does.
                let improved = owner.shared.best[n] > before
                spacing[s] = improved ? InSearchIncumbents.linearProgramsPerClimb
                    : min(2 * spacing[s], InSearchIncumbents.linearProgramsPerClimb * InSearchIncumbents.backoffLimit)
                nextClimb[s] = solved + spacing[s]
            }
            guard let reached = owner.search(start, options.norms[n], InSearchIncumbents.evaluationsPerClimb) else { return }
            let candidates = Incumbents.usable([reached], owner.network, options)
            // An error here only loses a candidate: the search decides every region anyway.
            try? Incumbents.offerBest(of: candidates, owner.network, options: options, shared: owner.shared, enumerator: certifier)
        }
    }

    /// The climber of a worker (nil when it cannot make its own GLPK problem: no climbs then).
    func climber(for worker: RegionEnumerator) -> Climber? {
        try? Climber(owner: self, worker: worker)
    }
}
