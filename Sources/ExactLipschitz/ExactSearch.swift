import FoundationEssentials
import Dispatch
import LipschitzModel

/// Exact Lipschitz constants by enumerating every full-dimensional activation region
/// (THEORY.md §1): Lip_p(Φ) = max over those regions of ‖J‖_{p→p}.
public enum ExactSearch {
    /// Certifies the constant for every norm in `options.norms`, or, when a limit stops the
    /// search, a certified interval [lower, upper] for each.
    public static func compute(_ network: ReLUNetwork, options: ExactOptions = ExactOptions()) throws -> ExactReport {
        try validate(network, options)
        // Region values are products of weights in floating point: where those can underflow,
        // an answer within reach of the underflow is an interval, not exact (`UnderflowSlack`).
        return UnderflowSlack.qualify(try search(network, options: options), network)
    }

    private static func search(_ network: ReLUNetwork, options: ExactOptions) throws -> ExactReport {
        let floors = options.prune ? options.pruningFloors : nil
        let shared = SharedSearchState(norms: options.norms.count, start: options.startTime, floors: floors)
        var method = options.method
        let sharded = options.shard.count > 1
        // Sharded too: the sweep partitions its vertices (`SweepPartition`); a network it cannot
        // take falls to the LP search, whose shards split a fixed frontier (`FrontierPartition`).
        if method == .automatic || method == .arrangement {
            if let answered = try searchArrangement(network, options: options, shared: shared) {
                method = .arrangement
                return answered
            }
            // A stop during the arrangement's set-up is not "not applicable": the LP search below
            // sees the stop at once and reports the certified interval.
            if method == .arrangement && shared.stopReason == nil && !shared.sweepUntrusted { throw ExactError.arrangementNotApplicable }
        }
        if method == .automatic || method == .arrangement { method = .linearPrograms }
        let threads = method == .plain || network.hiddenNeuronCount == 0 ? 1 : options.threads
        // Branch and bound splits the most influential neurons first (`NeuronOrder`).
        if options.prune && method != .plain { shared.renumbering = Renumbering(order: NeuronOrder(influenceOf: network), original: network) }
        let network = try shared.renumbering.map { try $0.order.apply(to: network) } ?? network
        if options.prune { try Incumbents.seedFromSamples(network, options: options, shared: shared) }
        var partition: SearchPartition?
        if sharded {
            let planned = try FrontierPartition.tasks(network, options: options, shared: shared)
            partition = planned.partition
            try searchInParallel(network, options: options, shared: shared, threads: max(1, options.threads), tasks: planned.tasks)
        } else if threads <= 1 && !(options.prune && method != .plain) {
            // Branch and bound always goes through the planned tasks, best bound first (the same
            // order for any thread count), which also gives the anytime interval of `trace`.
            let enumerator = try RegionEnumerator(network: network, options: options, shared: shared, plain: method == .plain)
            try enumerator.run()
            shared.add(enumerator.statistics)
        } else {
            let tasks = try planTasks(network, options: options, shared: shared)
            try searchInParallel(network, options: options, shared: shared, threads: threads, tasks: tasks)
        }
        var answer = report(options: options, shared: shared, method: method)
        answer.partition = partition
        shared.emitTrace(options.trace, final: (answer.bounds[0].lower, answer.bounds[0].upper))
        return answer
    }

    private static func validate(_ network: ReLUNetwork, _ options: ExactOptions) throws {
        guard !options.norms.isEmpty else { throw InputError.badNorm("(none given)") }
        for norm in options.norms { try norm.check(outputs: network.outputDimension) }
        if let box = options.box { try box.check(inputs: network.inputDimension) }
        if let limit = options.timeLimit, !ExactOptions.isValidTimeLimit(limit) {
            throw ExactError.badLimit("time limit must be a positive number of seconds")
        }
        if let limit = options.maxRegions, limit < ExactOptions.smallestRegionLimit {
            throw ExactError.badLimit("region limit must be at least \(ExactOptions.smallestRegionLimit)")
        }
        guard ExactOptions.radiusToleranceRange.contains(options.relativeRadiusTolerance) else {
            throw ExactError.badLimit("radius tolerance must lie in [1e-8, 0.1] (below 1e-8 GLPK's own tolerance would decide)")
        }
        guard ExactOptions.threadRange.contains(options.threads) else { throw ExactError.badLimit("threads must be between 1 and 256") }
        for (norm, seed) in options.lowerBounds {
            guard options.norms.contains(norm) else { throw ExactError.badLimit("a lower bound is given for ℓ\(norm), which is not searched") }
            guard ExactOptions.isValidLowerBound(seed) else { throw ExactError.badLimit("a lower bound must be a finite number ≥ 0, got \(seed)") }
        }
        if options.shard.count > 1, options.method == .plain {
            throw ExactError.badLimit("--shard needs --method automatic, arrangement or lp (the plain search is not partitioned)")
        }
        guard try !jacobiansCouldOverflow(network) else { throw ExactError.overflow }
    }

    /// |J_ij| ≤ d · ∏ ‖W_k‖_∞: true (refused) when that product, computed with each factor at
    /// least 1e-300, is not a finite number below 1e290.
    ///
    /// Settled first from bounds: a row sum of k terms of magnitude at most M, computed in any
    /// order, is at most kM(1 + 1.01(k − 1)u), below fl(k·M)·1.001 while k ≤ 10^12; rounding is
    /// monotone, so the product of these bounds is at least the product of the computed norms,
    /// and a bound below 1e290 answers false without summing the rows (a 10^6-neuron output
    /// layer's norm is one chain of 10^6 dependent additions). Otherwise the norms themselves
    /// decide, as they always did.
    static func jacobiansCouldOverflow(_ network: ReLUNetwork) throws -> Bool {
        var bound = Double(network.inputDimension)
        for layer in network.layers {
            let columns = layer.weights.columns
            guard columns <= 1_000_000_000_000 else { bound = .infinity; break }
            let largest = layer.weights.storage.withUnsafeBufferPointer { largestMagnitude($0) }
            bound *= max(1e-300, Double(columns) * largest * 1.001)
        }
        if bound.isFinite && bound < 1e290 { return false }
        var magnitude = Double(network.inputDimension)
        for layer in network.layers { magnitude *= max(1e-300, try operatorNorm(layer.weights, p: .infinity)) }
        return !(magnitude.isFinite && magnitude < 1e290)
    }

    private static func report(options: ExactOptions, shared: SharedSearchState, method: SearchMethod) -> ExactReport {
        if shared.undecidedMatters { shared.stop(.undecided) }
        let best = shared.best, witnesses = shared.witnesses, unexplored = shared.unexploredUpper
        // Subtrees pruned against a seeded lower bound hold values ≤ the seed: when no region
        // reached it, the constant is only known to lie in [best, seed].
        let floors = options.pruningFloors
        if zip(best, floors).contains(where: { $0 < $1 }) { shared.stop(.lowerBoundNotReached) }
        let complete = shared.stopReason == nil
        let caps = shared.upperCaps
        let bounds = options.norms.indices.map { n in
            let lower = max(0, best[n])
            // The cap bounds every region, explored or not (`PatternCap`).
            let upper = max(lower, min(max(unexplored[n], floors[n]), caps[n]))
            return NormBound(norm: options.norms[n], lower: lower, upper: complete ? lower : upper, witness: witnesses[n])
        }
        return ExactReport(bounds: bounds, regions: shared.regions, isExact: complete, stopReason: shared.stopReason,
                           seconds: shared.elapsed, statistics: shared.statistics, method: method)
    }

    /// The stop test shared by the searches: time limit, then the caller's request.
    static func stopCheck(_ options: ExactOptions, _ shared: SharedSearchState) -> () -> Bool {
        {
            if shared.stopReason != nil { return true }
            if let limit = options.timeLimit, shared.elapsed >= limit { shared.stop(.timeLimit); return true }
            if let stop = options.shouldStop, stop() { shared.stop(.interrupted); return true }
            return false
        }
    }

    /// Splits the LP search into subtrees at a shallow depth and hands them to worker threads,
    /// each with its own enumerator and GLPK problem, through a shared `WorkFrontier`: largest
    /// subtree bound first; a running subtree hands the rest of itself back when another worker
    /// is idle or (branch and bound) after a slice of nodes, so the threads stay busy and the
    /// subtree holding the anytime upper bound up is refined next.
    ///
    /// Planning is part of the search: it polls the same stop flag and records what it leaves
    /// unexplored in the same shared state. Every queued subtree is registered as pending with
    /// its certified bound until it has been searched (its hand-backs registered first), so after
    /// a stop the subtrees nobody finished are bounded by their own bounds; a worker's error
    /// bounds its subtree as unexplored and undecided. The planning depth doubles until there are
    /// enough tasks, so deep narrow networks cost O(depth) planning work, not O(depth²).
    private static func searchInParallel(_ network: ReLUNetwork, options: ExactOptions,
                                         shared: SharedSearchState, threads: Int, tasks planned: [SearchTask]) throws {
        let frontier = WorkFrontier()
        let full = fullBoundCost(network) <= fullBoundCostCap
        try enqueue(try boundedTasks(network, options: options, shared: shared, tasks: planned, cover: nil, full: full),
                    frontier: frontier, shared: shared, refinement: full ? .full : .staged)
        shared.emitTrace(options.trace)
        let incumbents = InSearchIncumbents(network: network, options: options, shared: shared)
        let cap = options.prune && full ? PatternCap(network: network, options: options) : nil
        var started = false
        let lock = Lock()
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            let worker: RegionEnumerator
            do { worker = try RegionEnumerator(network: network, options: options, shared: shared) } catch {
                return  // the other workers take the tasks; if none can, they stay pending below
            }
            lock.lock(); started = true; lock.unlock()
            let climber = incumbents?.climber(for: worker)
            defer {
                shared.add(worker.statistics)
                if let climber { shared.add(climber.statistics) }
            }
            while let item = frontier.take() {
                defer { frontier.finish() }
                if shared.stopReason != nil { continue }  // stays pending: bounded below
                work(on: item, worker: worker, network: network, options: options, shared: shared, frontier: frontier,
                     climber: climber)
                if let cap, shared.stopReason == nil { cap.advanceIfDue(options: options, shared: shared) }
            }
        }
        if !started { shared.markUndecided(bounds: []) }  // no worker could even start: never exact
        if shared.stopReason != nil || !started { shared.boundPendingTasks() }
    }

    /// A running subtree hands the rest of itself back after at least this many nodes when
    /// another worker is idle, and (branch and bound) after `ExactOptions.handBackSlice` nodes: a
    /// hand-back costs one LP and one bound per side left on the path, and each returned task
    /// replays its prefix. Slices of 4096 nodes cost random (4,16,16,16,1) 38 % more nodes (the
    /// best-bound order reaches the maximising region later than a depth-first dive does);
    /// 16384 cost ~2 %.
    static let stealMinimumNodes = 256

    /// Branch and bound: a running subtree also hands the rest of itself back after this many
    /// seconds. A running subtree holds the anytime upper bound at its own bound; its handed-back
    /// parts are bounded afresh when taken (`refine`). He (13, 20, 16, 8, 3) searches 16,384
    /// nodes in 6–10 s, so without it the first subtree held the bound of the root for that long.
    static let handBackSeconds = 2.0

    /// Searches one queued subtree and queues what it hands back.
    private static func work(on item: WorkFrontier.Item, worker: RegionEnumerator, network: ReLUNetwork,
                             options: ExactOptions, shared: SharedSearchState, frontier: WorkFrontier,
                             climber: InSearchIncumbents.Climber?) {
        let before = worker.statistics.nodes
        do {
            if options.prune, fullBoundCost(network) <= fullBoundCostCap,
               try refine(item, worker: worker, options: options, shared: shared, frontier: frontier) {
                finish(item, worker: worker, nodesBefore: before, options: options, shared: shared)
                return
            }
            // A climb from a subtree that can still beat the best value may raise it above the bound.
            if canBeat(item.bounds, shared) { climber?.beforeSubtree(item.task, bounds: item.bounds) }
            if options.prune, !canBeat(item.bounds, shared) {
                countPrunedSubtree(shared)
            } else {
                let start = DispatchTime.now().uptimeNanoseconds
                let rest = try worker.run(item.task, cover: item.bounds) { nodes in
                    (options.prune && nodes >= options.handBackSlice) || (nodes >= stealMinimumNodes && frontier.hasIdleWorker)
                        || (options.prune && nodes >= stealMinimumNodes
                            && DispatchTime.now().uptimeNanoseconds - start > UInt64(handBackSeconds * 1e9))
                }
                let children = try boundedTasks(rest, worker: worker, options: options, shared: shared, cover: item.bounds, full: false)
                try enqueue(children, frontier: frontier, shared: shared)
            }
        } catch {
            // A failure inside one subtree: bounded by its own certified bound (which is what a
            // pending subtree is bounded by), and the result is not exact unless that is at most
            // the best value.
            shared.markUndecided(bounds: item.bounds)
            shared.boundUnexplored(item.bounds)
        }
        finish(item, worker: worker, nodesBefore: before, options: options, shared: shared)
    }

    /// Lazy refinement of a queued subtree's bound when it reaches the top of the frontier: every
    /// stage of `JacobianBound` (no target) for a handed-back subtree, and once the search has
    /// visited `splitAfterNodes` nodes or run `splitAfterSeconds`, branching in pattern space on
    /// top (`PatternSplitBound`, `splitBudget` bounds per norm, within `splitShare` of the time:
    /// node counts of long searches then vary a little from run to run; the answer never does).
    /// Returns true when the item is done with: pruned by the sharper bound, or queued again
    /// under it because another item now comes first. Both bounds carry the rounding slack.
    private static func refine(_ item: WorkFrontier.Item, worker: RegionEnumerator, options: ExactOptions,
                               shared: SharedSearchState, frontier: WorkFrontier) throws -> Bool {
        let late = shared.finishedNodes >= options.splitAfterNodes || shared.elapsed >= options.splitAfterSeconds
        let level: WorkFrontier.Refinement = late ? .split : .full
        guard item.refinement < level else { return false }
        let fresh: [Double]
        if level == .split {
            // Within `splitShare` of the search's time (an ℓ2 bound for three outputs costs ~50
            // times one for a scalar output), and never past a stop.
            let stop = stopCheck(options, shared)
            let start = DispatchTime.now().uptimeNanoseconds
            let allowance = min(splitSeconds.upperBound,
                                max(splitSeconds.lowerBound, splitShare * shared.elapsed - shared.refiningSeconds))
            let deadline = start + UInt64(allowance * 1e9)
            defer { shared.addRefiningSeconds(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
            fresh = try worker.splitSubtreeBounds(item.task, budget: options.splitBudget) {
                stop() || DispatchTime.now().uptimeNanoseconds > deadline
            }
        } else {
            fresh = try worker.subtreeBounds(item.task, targets: nil)
        }
        let sharper = zip(fresh, item.bounds).map { min($0, $1) }
        if !canBeat(sharper, shared) {
            countPrunedSubtree(shared)
            return true
        }
        guard sharper[0] < item.bounds[0], frontier.topBound > sharper[0] else { return false }
        let items = frontier.reserve([(sharper, item.task)], refinement: level)
        shared.addPendingTasks(items.map { (id: $0.id, bounds: $0.bounds) })
        frontier.publish(items)
        return true
    }

    /// Pattern-space refinements (`refine`) take at most this share of the search's time so far,
    /// each between these many seconds (He (13, 20, 16, 8, 3), 30 s: 0.25 s each left the upper
    /// bound at 22.8, unlimited ones brought it to 13.5 but overran the time limit by 25 s).
    static let splitShare = 0.2
    static let splitSeconds = 0.05...2.0

    private static func countPrunedSubtree(_ shared: SharedSearchState) {
        var pruned = EnumerationStatistics()
        pruned.prunedSubtrees = 1
        shared.add(pruned)
    }

    /// Whether a subtree with these bounds may hold a region above the prune threshold (some norm).
    private static func canBeat(_ bounds: [Double], _ shared: SharedSearchState) -> Bool {
        let threshold = shared.pruneThreshold
        return !bounds.indices.allSatisfy { threshold[$0] >= 0 && bounds[$0] <= threshold[$0] }
    }

    private static func finish(_ item: WorkFrontier.Item, worker: RegionEnumerator, nodesBefore before: Int,
                               options: ExactOptions, shared: SharedSearchState) {
        if shared.stopReason == nil {
            // Without a stop the subtree was decided, bounded as undecided, or handed back.
            shared.finishTask(item.id, nodes: worker.statistics.nodes - before)
            shared.emitTrace(options.trace)
        }
    }

    private static func enqueue(_ tasks: [(bounds: [Double], task: SearchTask)], frontier: WorkFrontier,
                                shared: SharedSearchState, refinement: WorkFrontier.Refinement = .staged) throws {
        // Registered as pending before they can be taken (and before their parent is finished).
        let items = frontier.reserve(tasks, refinement: refinement)
        shared.addPendingTasks(items.map { (id: $0.id, bounds: $0.bounds) })
        frontier.publish(items)
    }

    /// The planned tasks with their subtree bounds; with pruning, tasks whose bound is already
    /// at most the best value are dropped here (counted as pruned).
    private static func boundedTasks(_ network: ReLUNetwork, options: ExactOptions, shared: SharedSearchState,
                                     tasks: [SearchTask], cover: [Double]?, full: Bool) throws -> [(bounds: [Double], task: SearchTask)] {
        let enumerator = try RegionEnumerator(network: network, options: options, shared: shared)
        return try boundedTasks(tasks, worker: enumerator, options: options, shared: shared, cover: cover, full: full)
    }

    /// Bounds for `tasks` (each at most `cover`, the bound of the subtree holding them). With
    /// pruning and `full` (the planned subtrees, unless the network is very deep:
    /// `fullBoundCostCap`) every stage of `JacobianBound` runs (no target): these bounds make
    /// the anytime upper bound and bound a stop. Handed-back subtrees get the
    /// staged bound against the best value (the relaxation only within 10 % of it): up to one
    /// per level of the path at every hand-back, and on He 13-20-16-8-3 the full bound for each
    /// halved the nodes searched per second. Without pruning only the cheap stage runs (the
    /// bounds only order the work).
    private static func boundedTasks(_ tasks: [SearchTask], worker: RegionEnumerator, options: ExactOptions,
                                     shared: SharedSearchState, cover: [Double]?, full: Bool) throws -> [(bounds: [Double], task: SearchTask)] {
        let best = shared.pruneThreshold
        var bounded: [(bounds: [Double], task: SearchTask)] = []
        var pruned = EnumerationStatistics()
        for task in tasks {
            let targets: [Double]? = !options.prune ? best.map { _ in .infinity } : full ? nil : best
            var bounds = try worker.subtreeBounds(task, targets: targets)
            if let cover { bounds = zip(bounds, cover).map { min($0, $1) } }
            if options.prune, bounds.indices.allSatisfy({ best[$0] >= 0 && bounds[$0] <= best[$0] }) {
                pruned.prunedSubtrees += 1
                continue
            }
            bounded.append((bounds, task))
        }
        shared.add(pruned)
        return bounded
    }

    /// The planned subtrees get every stage of `JacobianBound` only when its cost proxy
    /// (`fullBoundCost`) is at most this; deeper networks get the staged bound, like handed-back
    /// subtrees. The linear relaxation propagates every layer's bounds back through the layers
    /// below it, O(layers × weights) with an allocation per layer: on a network 1000 layers deep
    /// and 2 wide, 16 such bounds took 90 % of a 22 s search. The published networks and the
    /// random deep ones (≤ 6 hidden layers, ≤ 3,000 weights: a proxy ≤ 20,000) keep the full bound.
    static let fullBoundCostCap = 100_000

    /// Layers times weights: the order of the relaxation's work for one bound.
    static func fullBoundCost(_ network: ReLUNetwork) -> Int {
        network.layers.count * network.layers.reduce(0) { $0 + $1.weights.rows * $1.weights.columns }
    }

    /// The frontier at the first depth (1, 2, 4, …) with at least `plannedTasks` tasks, whatever
    /// the thread count: the shared frontier balances the threads by handing work back, and the
    /// same frontier for every thread count keeps the order in which subtrees, and so the
    /// incumbents, are found. (Random (4,16,16,16,1) with 2 threads and 16 tasks per thread: the
    /// maximum was reached after 33,201 nodes instead of 7,997, 82k nodes in all instead of 72k.)
    static let plannedTasks = 16


    private static func planTasks(_ network: ReLUNetwork, options: ExactOptions,
                                  shared: SharedSearchState) throws -> [SearchTask] {
        var planning = options
        planning.progress = nil
        let probe = try RegionEnumerator(network: network, options: planning, shared: shared)
        defer { shared.add(probe.statistics) }
        var depth = 1
        while true {
            let tasks = try probe.collectFrontier(depth: depth)
            if tasks.count >= plannedTasks || depth >= network.hiddenNeuronCount || shared.stopReason != nil { return tasks }
            depth = min(2 * depth, network.hiddenNeuronCount)
        }
    }
}

/// Bad limits or tolerances for the exact search, or a network it cannot handle.
public enum ExactError: InputProblem, Equatable {
    case badLimit(String)
    case overflow
    case arrangementNotApplicable

    public var description: String {
        switch self {
        case .badLimit(let why): return why
        case .overflow:
            return "the network's weights are so large that its Jacobians could overflow double precision (product of layer ℓ∞ norms above 1e290)"
        case .arrangementNotApplicable:
            return "the arrangement method needs one hidden layer in general position and no --lower-bound: use --method lp"
        }
    }
}
