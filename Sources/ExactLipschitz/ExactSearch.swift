import Foundation
import LipschitzModel

/// Exact Lipschitz constants by enumerating every full-dimensional activation region
/// (THEORY.md §1): Lip_p(Φ) = max over those regions of ‖J‖_{p→p}.
public enum ExactSearch {
    /// Certifies the constant for every norm in `options.norms`, or, when a limit stops the
    /// search, a certified interval [lower, upper] for each.
    public static func compute(_ network: ReLUNetwork, options: ExactOptions = ExactOptions()) throws -> ExactReport {
        try validate(network, options)
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
            if method == .arrangement && shared.stopReason == nil { throw ExactError.arrangementNotApplicable }
        }
        if method == .automatic || method == .arrangement { method = .linearPrograms }
        let threads = method == .plain || network.hiddenNeuronCount == 0 ? 1 : options.threads
        if options.prune { try seedBestFromSamples(network, options: options, shared: shared) }
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
            let tasks = try planTasks(network, options: options, shared: shared, threads: threads)
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
        // |J_ij| ≤ ∏ ‖W_k‖_∞ · d: refuse networks whose Jacobians could overflow a double.
        var magnitude = Double(network.inputDimension)
        for layer in network.layers { magnitude *= max(1e-300, try operatorNorm(layer.weights, p: .infinity)) }
        guard magnitude.isFinite, magnitude < 1e290 else { throw ExactError.overflow }
    }

    private static func report(options: ExactOptions, shared: SharedSearchState, method: SearchMethod) -> ExactReport {
        if shared.undecided > 0 { shared.stop(.undecided) }
        let best = shared.best, witnesses = shared.witnesses, unexplored = shared.unexploredUpper
        // Subtrees pruned against a seeded lower bound hold values ≤ the seed: when no region
        // reached it, the constant is only known to lie in [best, seed].
        let floors = options.pruningFloors
        if zip(best, floors).contains(where: { $0 < $1 }) { shared.stop(.lowerBoundNotReached) }
        let complete = shared.stopReason == nil
        let bounds = options.norms.indices.map { n in
            let lower = max(0, best[n])
            return NormBound(norm: options.norms[n], lower: lower,
                             upper: complete ? lower : max(lower, unexplored[n], floors[n]), witness: witnesses[n])
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
    /// each with its own enumerator and GLPK problem.
    ///
    /// Planning is part of the search: it polls the same stop flag and records what it leaves
    /// unexplored in the same shared state, and a task that no worker finishes (a stop, or a
    /// worker's error) is bounded as unexplored, so no part of the tree can go missing. The
    /// planning depth doubles until there are enough tasks, so deep narrow networks cost
    /// O(depth) planning work, not O(depth²).
    private static func searchInParallel(_ network: ReLUNetwork, options: ExactOptions,
                                         shared: SharedSearchState, threads: Int, tasks planned: [SearchTask]) throws {
        let tasks = try orderedTasks(network, options: options, shared: shared, tasks: planned)
        let lock = NSLock()
        var next = 0
        var skipped = false  // tasks left after a stop: bounded together, once, at the end
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            let worker: RegionEnumerator
            do { worker = try RegionEnumerator(network: network, options: options, shared: shared) } catch {
                return  // the other workers take the tasks; if none can, they stay unbounded below
            }
            defer { shared.add(worker.statistics) }
            while true {
                lock.lock()
                let index = next
                next += 1
                lock.unlock()
                if index >= tasks.count { return }
                if shared.stopReason != nil {
                    lock.lock(); skipped = true; lock.unlock()
                    continue
                }
                let before = worker.statistics.nodes
                do {
                    try worker.run(tasks[index].task)
                } catch {
                    // A failure inside one subtree: bound it and say the result is not exact.
                    shared.markUndecided()
                    try? worker.recordUnexplored(tasks[index].task)
                }
                if shared.stopReason == nil {
                    // Without a stop the whole subtree was decided (or bounded as undecided).
                    shared.finishTask(tasks[index].index, nodes: worker.statistics.nodes - before)
                    shared.emitTrace(options.trace)
                }
            }
        }
        let started = next >= tasks.count
        if !started { shared.markUndecided() }  // no worker could even start
        if skipped || !started {
            // One bound over everything (the root's) covers the tasks no worker ran: one interval
            // Jacobian instead of one per task, which on wide networks costs seconds each.
            let fallback = try RegionEnumerator(network: network, options: options, shared: shared)
            try fallback.recordUnexplored(SearchTask(depth: 0, pattern: network.hiddenWidths.map { Array(repeating: false, count: $0) },
                                                     center: [], radius: 0))
        }
    }

    /// The planned tasks with their subtree bounds, largest bound first (ties in planning
    /// order), so that the subtrees most likely to hold the maximum are searched first and the
    /// anytime upper bound (the largest bound of an unfinished task) falls early. With pruning,
    /// tasks whose bound is already at most the best value are dropped here (counted as pruned).
    private static func orderedTasks(_ network: ReLUNetwork, options: ExactOptions, shared: SharedSearchState,
                                     tasks: [SearchTask]) throws -> [(index: Int, task: SearchTask)] {
        let enumerator = try RegionEnumerator(network: network, options: options, shared: shared)
        let best = shared.pruneThreshold
        var bounded: [(bounds: [Double], task: SearchTask)] = []
        var pruned = EnumerationStatistics()
        for task in tasks {
            let bounds = try enumerator.subtreeBounds(task, targets: options.prune ? best : nil)
            if options.prune, bounds.indices.allSatisfy({ best[$0] >= 0 && bounds[$0] <= best[$0] }) {
                pruned.prunedSubtrees += 1
                continue
            }
            bounded.append((bounds, task))
        }
        shared.add(pruned)
        let order = bounded.indices.sorted { a, b in
            bounded[a].bounds[0] != bounded[b].bounds[0] ? bounded[a].bounds[0] > bounded[b].bounds[0] : a < b
        }
        shared.setPendingTasks(order.map { bounded[$0].bounds })
        shared.emitTrace(options.trace)
        return order.enumerated().map { (index: $0.offset, task: bounded[$0.element].task) }
    }

    /// The frontier at the first depth (1, 2, 4, …) with at least 16 tasks per thread.
    private static func planTasks(_ network: ReLUNetwork, options: ExactOptions,
                                  shared: SharedSearchState, threads: Int) throws -> [SearchTask] {
        var planning = options
        planning.progress = nil
        let probe = try RegionEnumerator(network: network, options: planning, shared: shared)
        defer { shared.add(probe.statistics) }
        var depth = 1
        while true {
            let tasks = try probe.collectFrontier(depth: depth)
            if tasks.count >= 16 * threads || depth >= network.hiddenNeuronCount || shared.stopReason != nil { return tasks }
            depth = min(2 * depth, network.hiddenNeuronCount)
        }
    }

    /// Branch and bound prunes against the best value so far; starting from the best of the
    /// caller's `startingPoints` and a few hundred sampled regions lets it prune from the first
    /// split. A candidate counts only when its region is certified full-dimensional (so it is a
    /// genuine witness); per norm the best few candidates are tried in order.
    private static func seedBestFromSamples(_ network: ReLUNetwork, options: ExactOptions, shared: SharedSearchState) throws {
        let domain = ScaledDomain(network: network, box: options.box)
        var rng = SeededGenerator(seed: 0x5EED)  // a fixed seed: the search stays deterministic
        func uniform() -> Double { rng.nextUniform() }
        var candidates: [[Double]] = options.startingPoints.filter {
            $0.count == network.inputDimension && $0.allSatisfy(\.isFinite) && (options.box?.contains($0) ?? true)
        }
        for sample in 0..<256 {
            // Box: uniform. Globally: a cube of half-width ℓ·4^k around the origin, k = −1, 0, 1, 2.
            let reach = options.box == nil ? pow(4, Double(sample % 4 - 1)) : 1
            candidates.append(domain.point((0..<network.inputDimension).map { _ in reach * (2 * uniform() - 1) }))
        }
        let stop = stopCheck(options, shared)
        var scored: [[(value: Double, pattern: ActivationPattern)]] = Array(repeating: [], count: options.norms.count)
        var seen = Set<ActivationPattern>()
        for x in candidates where !stop() {
            let pattern = network.activationPattern(at: x)
            guard seen.insert(pattern).inserted else { continue }
            let jacobian = network.jacobian(for: pattern)
            for (n, norm) in options.norms.enumerated() {
                let value = try operatorNorm(jacobian, p: norm)
                if value.isFinite { scored[n].append((value, pattern)) }
            }
        }
        let enumerator = try RegionEnumerator(network: network, options: options, shared: SharedSearchState(norms: options.norms.count))
        for n in options.norms.indices {
            // The best few, in order, until one is certified; an undecided one is dropped.
            for (value, pattern) in scored[n].sorted(by: { $0.value > $1.value }).prefix(4) {
                guard let ball = try? enumerator.certifiedRegion(of: pattern.layers) else { continue }
                let jacobian = network.jacobian(for: pattern)
                shared.offer(value, norm: n) {
                    RegionWitness(pattern: pattern, interiorPoint: ball.center, radius: ball.radius, jacobian: jacobian)
                }
                break
            }
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
