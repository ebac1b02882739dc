import FoundationEssentials
import Dispatch
import LipschitzModel

/// The search for networks with one hidden layer: the line sweep over the arrangement of the
/// neurons' hyperplanes (`LineSweeper`), with no LP except where a witness needs the exact test.
extension ExactSearch {
    /// The exact answer (or a certified interval after a stop) over `options.shard`'s part of
    /// the sweep; nil when the sweep does not apply (deep network, a seeded lower bound, an
    /// arrangement not in general position), so that the LP search answers.
    static func searchArrangement(_ network: ReLUNetwork, options: ExactOptions, shared: SharedSearchState) throws -> ExactReport? {
        // It takes one hidden layer whether or not pruning is asked for (pruning serves the LP
        // search of the other networks) and visits every region; a caller's pruning floor
        // (`lowerBounds`) asks for the pruned LP search, so it is left to that.
        guard network.layers.count == 2, options.lowerBounds.isEmpty else { return nil }
        do {
            if let line = try searchOneInput(network, options: options, shared: shared) { return line }
            if let central = try searchCentral(network, options: options, shared: shared) {
                return try trustSweep(central, network, options: options, shared: shared)
            }
            guard var arrangement = Arrangement(network: network) else { return nil }
            let monitor = SweepMonitor(options: options, shared: shared, check: stopCheck(options, shared))
            guard let outcome = closeAndSweep(&arrangement, options: options, monitor: monitor), !outcome.degenerate else { return nil }
            monitor.finishRegionLimit()
            guard let answer = try report(arrangement, options: options, outcome: outcome, complete: outcome.complete, shared: shared) else { return nil }
            return try trustSweep(answer, network, options: options, shared: shared) { slack in
                try recheckSweep(arrangement, answer: answer, slack: slack, options: options, monitor: monitor, shared: shared)
            }
        } catch is RegionJacobian.Unrepresentable {
            // A maximising cell's value needs a Jacobian no double carries: the LP search takes the
            // region as undecided.
            shared.resetRegionClaims()
            return nil
        }
    }

    /// A bound S (per norm) on how far the sweep's running Jacobian of any cell lies from the
    /// cell's exact one. The running sum starts from the fresh Jacobian of the all-inactive
    /// pattern (error ≤ γ·A, `ReLUNetwork.jacobianRoundingFactor`, A = |W₁||W₀|, `magnitudeNorms`) and adds or
    /// subtracts neuron terms w1_i·w0_iᵀ (each rounded once: u·|term|, at most u·A in all): at
    /// most N at the line's start, N along it and d − 1 + 1 at the vertex. Each addition errs by u
    /// times the computed partial sum, whose exact value is the Jacobian of some pattern (entrywise
    /// at most A). So every entry errs by at most (γ + u·(2N + d + 2))·A·(1 + 4(2N + d)u), and
    /// doubled for the products of errors that bound: S = 2·(γ + u(2N + d + 2))·‖A‖ + underflow.
    /// The central arrangement's sections carry the same sums of the same terms.
    static func sweepRounding(_ network: ReLUNetwork, norms: [LipschitzNorm]) throws -> [Double] {
        let n = Double(network.hiddenNeuronCount), d = Double(network.inputDimension)
        let factor = 2 * (network.jacobianRoundingFactor + (2 * n + d + 2) * Tolerances.unitRoundoff) * (1 + 1e-9)
        let underflow = UnderflowSlack.bound(network)
        return try network.magnitudeNorms(norms: norms).map { factor * $0 + underflow }
    }

    /// The sweep keeps the cell whose running value is largest, and reports that cell's accurate
    /// value V (`RegionJacobian`): any other cell's exact value is at most its running value + S,
    /// so at most V + 2S (up to the comparison's relative rounding). A complete sweep's answer
    /// stands as exact when 2S ≤ `Tolerances.sweepSelectionBudget`·V for every norm, which holds
    /// for ordinary networks by orders of magnitude. Otherwise the general sweep is run again to
    /// value its near-best cells accurately (`recheck`, `recheckSweep`); failing that (or for the
    /// central arrangement, which has no recheck), a small network goes to the LP
    /// search (nil, even under `--method arrangement`: the report then says `lp`), which takes
    /// each region's value accurately, and a large one (or a shard) gets the certified interval
    /// [V, V + 2S + 2·accuracy·V] (stopped "rounding", or by what stopped the recheck).
    static func trustSweep(_ report: ExactReport, _ network: ReLUNetwork, options: ExactOptions, shared: SharedSearchState,
                           recheck: (([Double]) throws -> ExactReport?)? = nil) throws -> ExactReport? {
        guard report.isExact else { return report }
        let slack = try sweepRounding(network, norms: options.norms)
        // A part with no cell (a shard's, say) compared nothing.
        let trusted = zip(report.bounds, slack).allSatisfy { $0.witness == nil || 2 * $1 <= Tolerances.sweepSelectionBudget * $0.lower }
        if trusted { return report }
        if let recheck, let checked = try recheck(slack) { return checked }
        // Not for a shard: the other shards' parts are the sweep's, which the LP search's do not match.
        if network.hiddenNeuronCount <= Tolerances.sweepRecheckNeurons && options.shard.count == 1 {
            shared.resetRegionClaims()
            shared.sweepUntrusted = true
            return nil
        }
        let bounds = zip(report.bounds, slack).map { b, s in
            NormBound(norm: b.norm, lower: b.lower, upper: (b.lower * (1 + 2 * Tolerances.regionValueAccuracy) + 2 * s) * (1 + 1e-12),
                      witness: b.witness)
        }
        var interval = ExactReport(bounds: bounds, regions: report.regions, isExact: false, stopReason: shared.stopReason ?? .rounding,
                                   seconds: report.seconds, statistics: report.statistics, method: report.method)
        interval.partition = report.partition
        return interval
    }

    /// Closes the arrangement by the caller's box or else by one holding every vertex strictly
    /// inside (each cell meets it, in one piece), and sweeps `options.shard`'s part of it. Nil
    /// when no such box is representable; incomplete after a stop during the box's set-up.
    static func closeAndSweep(_ arrangement: inout Arrangement, options: ExactOptions, monitor: SweepMonitor) -> SweepOutcome? {
        let threads = max(1, options.threads)
        if let box = options.box {
            arrangement.setBox(box)
        } else {
            guard let extent = boundingExtent(arrangement, threads: threads, monitor: monitor) else {
                var stopped = SweepOutcome(norms: options.norms.count)
                stopped.complete = false
                return stopped
            }
            let r = 2 * extent + 1
            guard r.isFinite, let box = try? InputBox(uniform: -r, r, dimension: arrangement.dimension) else { return nil }
            arrangement.setBox(box)
        }
        let part = SweepPartition.part(planes: arrangement.count, dimension: arrangement.dimension,
                                       jacobianSize: arrangement.jacobianSize, shard: options.shard)
        let cover = LineCover.forSweep(dimension: arrangement.dimension, shard: options.shard)
        var outcome = sweep(arrangement, norms: options.norms, part: part, cover: cover, threads: threads, monitor: monitor, exactNorms: false)
        if !outcome.degenerate && outcome.complete && proxyMayMislead(outcome, arrangement) {
            monitor.reset()
            outcome = sweep(arrangement, norms: options.norms, part: part, cover: cover, threads: threads, monitor: monitor, exactNorms: true)
        }
        return outcome
    }

    /// Squares of gradients below 1e-140 lose digits: then the comparison by proxy is redone with norms.
    private static func proxyMayMislead(_ outcome: SweepOutcome, _ arrangement: Arrangement) -> Bool {
        arrangement.outputs == 1 && outcome.best.contains { $0 > 0 && $0 < 1e-140 }
    }

    /// The sweep once more in collect mode (`LineSweeper.collect`): a cell whose exact value
    /// exceeds the answer V has a running value above V − S, and a score above V − S − 1e-12·V
    /// (the norm's own rounding), so every such cell is among the candidates collected, each of
    /// which is then valued accurately (`RegionJacobian`). The best of them and the first sweep's
    /// witness is the exact answer, certified as any chosen cell (`sweepReport`). Nil when that
    /// fails: more than `Tolerances.sweepCandidateLimit` candidates, a stop, a cell not rebuilt.
    private static func recheckSweep(_ arrangement: Arrangement, answer: ExactReport, slack: [Double], options: ExactOptions,
                                     monitor: SweepMonitor, shared: SharedSearchState) throws -> ExactReport? {
        let thresholds = zip(answer.bounds, slack).map { b, s in b.lower - s - 1e-12 * b.lower }
        let part = SweepPartition.part(planes: arrangement.count, dimension: arrangement.dimension,
                                       jacobianSize: arrangement.jacobianSize, shard: options.shard)
        let cover = LineCover.forSweep(dimension: arrangement.dimension, shard: options.shard)
        let limit = options.sweepCandidateLimit ?? Tolerances.sweepCandidateLimit(
            neurons: arrangement.network.hiddenNeuronCount, inputs: arrangement.dimension, outputs: arrangement.outputs)
        monitor.reset()
        let outcome = sweep(arrangement, norms: options.norms, part: part, cover: cover, threads: max(1, options.threads),
                            monitor: monitor, exactNorms: true, collect: (thresholds, limit))
        monitor.finishRegionLimit()
        // Each worker keeps at most the limit; together they may hold more.
        guard outcome.complete, !outcome.degenerate, !outcome.overflowed, shared.stopReason == nil,
              outcome.candidates.allSatisfy({ $0.count <= limit }) else { return nil }
        let rebuild = LineSweeper(arrangement: arrangement, norms: options.norms, control: SweepControl(shouldStop: { false }, claim: nil))
        var cells: [SweepCell] = [], chosen: [Int?] = []
        for (n, norm) in options.norms.enumerated() {
            guard let witness = answer.bounds[n].witness else { chosen.append(nil); continue }
            var best = (value: answer.bounds[n].lower, cell: SweepCell(pattern: witness.pattern.layers[0], point: witness.interiorPoint))
            // In sweep order, so that ties keep the same cell whatever the thread count.
            for vertex in outcome.candidates[n].sorted(by: { $0.precedes($1) }) {
                guard let cell = rebuild.cell(at: vertex) else { return nil }
                let jacobian = try RegionJacobian.accurate(arrangement.network, ActivationPattern(layers: [cell.pattern]), norms: [norm])
                let value = try operatorNorm(jacobian, p: norm)
                if value > best.value { best = (value, cell) }
            }
            chosen.append(cells.count)
            cells.append(best.cell)
        }
        return try sweepReport(network: arrangement.network, zeroRows: arrangement.zeroRows, options: options, cells: cells,
                               chosen: chosen, regions: answer.regions, vertices: answer.statistics.vertices, complete: true, shared: shared)
    }

    /// The largest vertex coordinate of the network's planes; nil after a stop.
    private static func boundingExtent(_ arrangement: Arrangement, threads: Int, monitor: SweepMonitor) -> Double? {
        let d = arrangement.dimension
        let lines = Subsets.binomial(arrangement.networkCount, d - 1)
        var extent = 0.0
        let lock = Lock()
        let finished = inParallel(lines: 0..<lines, planes: arrangement.networkCount, size: d - 1, threads: threads, monitor: monitor,
                                  makeWorker: { LineSweeper(arrangement: arrangement, norms: [.two], control: monitor.control) }) { worker, line, _ in
            let e = worker.vertexExtent(line)
            lock.lock(); extent = max(extent, e); lock.unlock()
            return true
        }
        return finished ? extent : nil
    }

    private final class SweepWorker {
        let sweeper: LineSweeper
        var outcome: SweepOutcome
        init(_ sweeper: LineSweeper, norms: Int) { self.sweeper = sweeper; outcome = SweepOutcome(norms: norms) }
    }

    /// Sweeps the lines of `part`, those `cover` walks (every line without it), in parallel.
    private static func sweep(_ arrangement: Arrangement, norms: [LipschitzNorm], part: SweepPart, cover: LineCover?, threads: Int,
                              monitor: SweepMonitor, exactNorms: Bool,
                              collect: (thresholds: [Double], limit: Int)? = nil) -> SweepOutcome {
        var total = SweepOutcome(norms: norms.count)
        let lock = Lock()
        let planes = arrangement.count
        let finished = inParallel(
            lines: part.startLine..<part.lineEnd, planes: planes, size: arrangement.dimension - 1, threads: threads, monitor: monitor,
            makeWorker: {
                let sweeper = LineSweeper(arrangement: arrangement, norms: norms, control: monitor.control, exactNorms: exactNorms)
                if let collect { sweeper.collect(above: collect.thresholds, limit: collect.limit) }
                return SweepWorker(sweeper, norms: norms.count)
            },
            finish: { worker in
                worker.sweeper.returnBudget(monitor.returnRegions)
                lock.lock(); total.merge(worker.outcome); lock.unlock()
            }
        ) { worker, line, rank in
            let role = cover?.role(line) ?? .classic
            let ordinals = part.ordinals(line: rank, owned: planes - 1 - (line.last ?? -1))
            if role == .skipped || (ordinals.isEmpty && role == .classic) { return true }
            let before = (worker.outcome.regions, worker.outcome.vertices)
            let going = worker.sweeper.sweep(line, ordinals: ordinals, role: role, into: &worker.outcome)
            monitor.record(regions: worker.outcome.regions - before.0, vertices: worker.outcome.vertices - before.1,
                           best: worker.outcome.best.first ?? 0)
            if worker.outcome.degenerate { monitor.abandon() }
            return going
        }
        if !finished { total.complete = false }
        return total
    }

    /// Runs `body` on the lines with ranks in `lines` (size-subsets of `0..<planes`), in
    /// chunks shared among the threads, each with its own worker. False when a stop or a body
    /// returning false ended it before every line was done.
    private static func inParallel<W>(lines: Range<Int>, planes: Int, size: Int, threads: Int, monitor: SweepMonitor,
                                      makeWorker: () -> W, finish: (W) -> Void = { _ in },
                                      body: (W, [Int], Int) -> Bool) -> Bool {
        let chunk = max(1, lines.count / (threads * 64))
        let chunks = (lines.count + chunk - 1) / chunk
        let lock = Lock()
        var next = 0, stopped = false
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, chunks))) { _ in
            let worker = makeWorker()
            defer { finish(worker) }
            while true {
                lock.lock()
                let c = next, halted = stopped
                next += 1
                lock.unlock()
                if c >= chunks || halted { return }
                let first = lines.lowerBound + c * chunk, end = min(lines.upperBound, first + chunk)
                var line = Subsets.unrank(first, n: planes, k: size)
                for rank in first..<end {
                    if ((rank - first) & 15 == 0 && monitor.shouldStop()) || !body(worker, line, rank) {
                        lock.lock(); stopped = true; lock.unlock()
                        return
                    }
                    Subsets.advance(&line, n: planes)
                }
            }
        }
        return !stopped
    }
}
