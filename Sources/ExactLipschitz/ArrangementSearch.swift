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
        if let line = try searchOneInput(network, options: options, shared: shared) { return line }
        if let central = try searchCentral(network, options: options, shared: shared) { return central }
        guard var arrangement = Arrangement(network: network) else { return nil }
        let monitor = SweepMonitor(options: options, shared: shared, check: stopCheck(options, shared))
        guard let outcome = closeAndSweep(&arrangement, options: options, monitor: monitor), !outcome.degenerate else { return nil }
        monitor.finishRegionLimit()
        return try report(arrangement, options: options, outcome: outcome, complete: outcome.complete, shared: shared)
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
                              monitor: SweepMonitor, exactNorms: Bool) -> SweepOutcome {
        var total = SweepOutcome(norms: norms.count)
        let lock = Lock()
        let planes = arrangement.count
        let finished = inParallel(
            lines: part.startLine..<part.lineEnd, planes: planes, size: arrangement.dimension - 1, threads: threads, monitor: monitor,
            makeWorker: { SweepWorker(LineSweeper(arrangement: arrangement, norms: norms, control: monitor.control, exactNorms: exactNorms), norms: norms.count) },
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
