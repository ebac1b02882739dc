import FoundationEssentials
import LipschitzModel

/// The exact search for networks with one input and one hidden layer: the regions are the
/// intervals between the neurons' breakpoints t_i = −b_i/w_i, so the search is one sort and one
/// running sum (O(N log N) time, O(N) memory), with no arrangement, no line frame and no LP.
///
/// What is certified, and how:
/// - *Regions.* Neurons with w_i = 0 are constant (active iff b_i > 0, no breakpoint). The
///   others' breakpoints are ordered exactly (`BreakpointOrder`: different rounded quotients
///   are ordered as computed, equal ones by exact product comparisons), coincident ones form
///   one vertex, and every interval between consecutive distinct breakpoints (inside the open
///   box, if any) is one region with its own pattern (crossing a vertex toggles its neurons, each
///   active on a half-line): regions = distinct vertices + 1. A comparison that cannot be
///   decided sends the network to the general sweep (nil).
/// - *The maximum.* Crossing breakpoint t_i, from left to right, adds v_i·|w_i| to the gradient
///   (w_i > 0 switches on, w_i < 0 switches off), so each interval's gradient is a running sum
///   (`OneInputWalk`), kept compensated with a proven error bound E. The intervals whose score
///   could reach the best within that bound are the candidates; each is recomputed with the
///   accurate Jacobian (`RegionJacobian`) and the largest wins (`OneInputCandidates`).
/// - *The witness.* The chosen interval's midpoint x, certified by the exact order alone
///   (`OneInputWitness`): a double x with t̂_left < x < t̂_right lies strictly between the exact
///   breakpoints, so every neuron's sign at x is the pattern's; an interval with no
///   representable interior point (breakpoints closer than the doubles' spacing) sends the
///   network to the general sweep.
///
/// The work is split in two fixed halves whatever the thread count (the neurons when collecting,
/// the negative breakpoints and the others when sorting, the sorted positions when walking),
/// so one thread and two compute the same numbers.
extension ExactSearch {
    /// The exact answer (or a certified interval after a stop); nil when the network is not
    /// one input and one hidden layer, or a decision could not be certified.
    static func searchOneInput(_ network: ReLUNetwork, options: ExactOptions, shared: SharedSearchState) throws -> ExactReport? {
        guard network.layers.count == 2, network.inputDimension == 1, options.shard.count == 1 else { return nil }
        let monitor = SweepMonitor(options: options, shared: shared, check: stopCheck(options, shared))
        let sweep = OneInputSweep(network: network, box: options.box, norms: options.norms, monitor: monitor,
                                  threads: max(1, options.threads))
        defer { sweep.release() }
        guard sweep.collect(), sweep.order() else { return stoppedOrNil(sweep, network, options, shared) }
        // Every neuron constant and no box: no length scale for a witness ball; the LP search answers.
        if sweep.breakpoints.count == 0 && options.box == nil { return nil }
        var outcome = sweep.walk(limit: options.maxRegions)
        sweep.recordProgress(outcome.regions, best: outcome.best.first ?? 0)
        if outcome.limited { shared.stop(.maxRegions) }
        guard let chosen = try sweep.choose(&outcome) else { return nil }
        return try sweep.report(chosen, outcome: outcome, options: options, shared: shared)
    }

    /// After a stop during the set-up: no region yet, the interval Jacobian bounds everything.
    /// Otherwise (an undecided comparison) nil: the general sweep decides.
    private static func stoppedOrNil(_ sweep: OneInputSweep, _ network: ReLUNetwork, _ options: ExactOptions,
                                     _ shared: SharedSearchState) -> ExactReport? {
        guard sweep.stopped else { return nil }
        return try? sweepReport(network: network, zeroRows: sweep.zeroRows, options: options, cells: [],
                                chosen: options.norms.map { _ in nil }, regions: 0, vertices: 0, complete: false, shared: shared)
    }
}

/// The state of one search: the network's numbers (read in place), the breakpoints, and the
/// gradient left and right of every breakpoint (one output).
final class OneInputSweep {
    let network: ReLUNetwork
    let weights: [Double], biases: [Double], outputWeights: [Double]
    let neurons: Int, outputs: Int
    let box: InputBox?
    let norms: [LipschitzNorm]
    let monitor: SweepMonitor
    let threads: Int
    var breakpoints: OneInputBreakpoints
    /// One output: each neuron's step v·|w| (written by `collect`, in the neurons' order).
    let neuronSteps: UnsafeMutablePointer<Double>
    /// Neurons with w = 0 (constant: active iff b > 0).
    var zeroRows: [Int] = []
    /// Neurons whose breakpoint lies at or left of the box's lower end.
    var crossed: [Int] = []
    /// One output: the gradient left of the first breakpoint in the domain and right of the last.
    var startSum = CompensatedSum(), endSum = CompensatedSum()
    /// Breakpoints packed by each half of the neurons: the first half's negative ones and
    /// others, then the second half's (`CollectedHalf`).
    var counts = (0, 0, 0, 0)
    var stopped = false
    /// Intervals already reported to the monitor (progress).
    private var recorded = 0

    init(network: ReLUNetwork, box: InputBox?, norms: [LipschitzNorm], monitor: SweepMonitor, threads: Int) {
        self.network = network
        weights = network.layers[0].weights.storage
        biases = network.layers[0].biases
        outputWeights = network.layers[1].weights.storage
        neurons = weights.count
        outputs = network.outputDimension
        self.box = box
        self.norms = norms
        self.monitor = monitor
        self.threads = threads
        breakpoints = OneInputBreakpoints(neurons: neurons)
        neuronSteps = .allocate(capacity: outputs == 1 ? max(1, neurons) : 1)
    }

    func release() { breakpoints.deallocate(); neuronSteps.deallocate() }

    /// Where neuron i's breakpoint lies relative to the domain; nil when undecided or not finite.
    func side(_ i: Int) -> BreakpointSide? {
        let w = weights[i], b = biases[i]
        let t = BreakpointOrder.breakpoint(b, w)
        guard t.isFinite else { return nil }
        guard let box else { return .inside }
        let lo = box.lower[0], hi = box.upper[0]
        if t < lo { return .crossed }
        if t == lo { guard let s = BreakpointOrder.compare(b, w, with: lo) else { return nil }; return s <= 0 ? .crossed : .inside }
        if t > hi { return .beyond }
        if t == hi { guard let s = BreakpointOrder.compare(b, w, with: hi) else { return nil }; return s >= 0 ? .beyond : .inside }
        return .inside
    }

    /// Runs `body(0)` and `body(1)`: on two threads when there are two and the work is large
    /// (`TwoHalves`).
    func inHalves(parallel: Bool, _ body: (Int) -> Void) {
        if parallel && threads > 1 {
            TwoHalves.run(body)
        } else {
            body(0); body(1)
        }
    }

    /// Work worth a second thread: below this, dispatching costs more than it saves.
    var isLarge: Bool { neurons >= 1 << 16 }

    /// Tells the monitor (progress lines) how many intervals have been walked.
    func recordProgress(_ walked: Int, best: Double) {
        guard walked > recorded else { return }  // the candidates' second walk reports nothing new
        monitor.record(regions: walked - recorded, vertices: walked - recorded, best: best)
        recorded = walked
    }
}
