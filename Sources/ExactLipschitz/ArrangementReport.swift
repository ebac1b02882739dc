import Dispatch
import FoundationEssentials
import LipschitzModel

/// A cell of a sweep to certify: its activation pattern and a point claimed inside it.
typealias SweepCell = (pattern: [Bool], point: [Double])

extension ExactSearch {
    /// The report of a sweep: each maximising cell is rebuilt from its lowest vertex and
    /// certified (`sweepReport`); a cell that cannot be rebuilt sends the whole question to the
    /// LP search (nil).
    static func report(_ arrangement: Arrangement, options: ExactOptions, outcome: SweepOutcome, complete: Bool,
                       shared: SharedSearchState) throws -> ExactReport? {
        let rebuild = LineSweeper(arrangement: arrangement, norms: options.norms, control: SweepControl(shouldStop: { false }, claim: nil))
        var cells: [SweepCell] = [], chosen: [Int?] = []
        for vertex in outcome.witness {
            guard let vertex else { chosen.append(nil); continue }
            guard let cell = rebuild.cell(at: vertex) else { return nil }
            chosen.append(cells.count)
            cells.append(cell)
        }
        return try sweepReport(network: arrangement.network, zeroRows: arrangement.zeroRows, options: options, cells: cells,
                               chosen: chosen, regions: outcome.regions, vertices: outcome.vertices, complete: complete, shared: shared)
    }

    /// The report of a sweep of a one-hidden-layer network from each norm's maximising cell
    /// (`chosen[n]` indexes `cells`; nil: no region was reached). Each cell is certified
    /// full-dimensional once by an interior point (the certified forward pass), or else by the
    /// LP search's test, and its value is the norm of its pattern's accurate Jacobian
    /// (`RegionJacobian`, which throws when none is representable); a cell
    /// that fails both sends the whole question to the LP search (nil). After a stop the upper
    /// bound covers everything by an interval Jacobian. With `pointOnly` a cell must be
    /// certified by its point (the one-input path: a cell narrower than the doubles' spacing
    /// has no representable interior point, and the general search then decides).
    static func sweepReport(network: ReLUNetwork, zeroRows: [Int], options: ExactOptions, cells: [SweepCell], chosen: [Int?],
                            regions: Int, vertices: Int, complete: Bool, shared: SharedSearchState,
                            pointOnly: Bool = false) throws -> ExactReport? {
        var statistics = EnumerationStatistics()
        statistics.vertices = vertices
        var certified: [Int: (ActivationPattern, (center: [Double], radius: Double), Matrix)] = [:]
        var bounds: [NormBound] = []
        for (n, norm) in options.norms.enumerated() {
            var witness: RegionWitness?
            var value = 0.0
            if let c = chosen[n] {
                if certified[c] == nil {
                    let (bits, point) = cells[c]
                    let pattern = ActivationPattern(layers: [bits])
                    // Two independent O(N) passes over a wide layer: the Jacobian on a second thread.
                    var jacobian: Matrix?, pointBall: (center: [Double], radius: Double)?
                    let wide = options.threads > 1 && network.hiddenNeuronCount >= 1 << 16
                    DispatchQueue.concurrentPerform(iterations: wide ? 2 : 1) { part in
                        if part == 0 { pointBall = certifiedShallowWitness(network, pattern: bits, point: point, box: options.box, zeroRows: zeroRows) }
                        if part == 1 || !wide { jacobian = network.jacobian(for: pattern) }
                    }
                    guard let ball = try pointBall ?? (pointOnly ? nil : regionBall(network, bits: bits, options: options, shared: shared,
                                                                                     statistics: &statistics)) else { return nil }
                    certified[c] = (pattern, ball, try RegionJacobian.accurate(network, pattern, norms: options.norms, fast: jacobian!))
                }
                let (pattern, ball, jacobian) = certified[c]!
                value = try operatorNorm(jacobian, p: norm)
                witness = RegionWitness(pattern: pattern, interiorPoint: ball.center, radius: ball.radius, jacobian: jacobian)
            }
            let upper = complete ? value
                : max(value, try IntervalJacobian(network: network, states: [Array(repeating: .unknown, count: network.hiddenNeuronCount)]).operatorNormBound(p: norm))
            bounds.append(NormBound(norm: norm, lower: value, upper: upper, witness: witness))
        }
        return ExactReport(bounds: bounds, regions: regions, isExact: complete,
                           stopReason: complete ? nil : (shared.stopReason ?? .interrupted),
                           seconds: shared.elapsed, statistics: statistics, method: .arrangement)
    }

    /// A certified ball inside the cell of `bits` from the LP search's test (when no point of
    /// the sweep's was certified).
    private static func regionBall(_ network: ReLUNetwork, bits: [Bool], options: ExactOptions, shared: SharedSearchState,
                                   statistics: inout EnumerationStatistics) throws -> (center: [Double], radius: Double)? {
        let enumerator = try RegionEnumerator(network: network, options: options, shared: shared)
        defer { statistics.linearPrograms += enumerator.statistics.linearPrograms }
        return try? enumerator.certifiedRegion(of: [bits])
    }
}

/// The sweep's side of the shared state: the stop test (time limit, signal, or a worker that
/// found the arrangement degenerate), progress four times a second, and `--max-regions` by
/// batches of permissions.
final class SweepMonitor: @unchecked Sendable {
    private let options: ExactOptions
    private let shared: SharedSearchState
    private let check: () -> Bool
    private let lock = Lock()
    private var regions = 0, vertices = 0, best = 0.0
    private var abandoned = false, limitReached = false
    private var lastProgress = DispatchTime.now().uptimeNanoseconds

    init(options: ExactOptions, shared: SharedSearchState, check: @escaping () -> Bool) {
        self.options = options
        self.shared = shared
        self.check = check
    }

    var control: SweepControl {
        SweepControl(shouldStop: { self.shouldStop() }, claim: options.maxRegions == nil ? nil : { self.claim() })
    }

    func shouldStop() -> Bool {
        lock.lock()
        let halted = abandoned
        var report: ExactProgress?
        if options.progress != nil {
            let now = DispatchTime.now().uptimeNanoseconds
            if now - lastProgress > 250_000_000 {
                lastProgress = now
                var counters = EnumerationStatistics()
                counters.vertices = vertices
                report = ExactProgress(regions: regions, statistics: counters, best: max(0, best), elapsed: shared.elapsed)
            }
        }
        lock.unlock()
        if let report { options.progress?(report) }
        return halted || check()
    }

    func record(regions r: Int, vertices v: Int, best b: Double) {
        lock.lock(); defer { lock.unlock() }
        regions += r
        vertices += v
        best = max(best, b)
    }

    func abandon() { lock.lock(); abandoned = true; lock.unlock() }

    func reset() {
        lock.lock(); defer { lock.unlock() }
        regions = 0; vertices = 0; best = 0; abandoned = false; limitReached = false
        shared.resetRegionClaims()
    }

    /// Up to 256 more regions may be counted; 0 when the limit is reached: that worker stops,
    /// the others use up what they hold first, so that exactly the limit is counted (the stop
    /// reason is set by `finishRegionLimit` once they are done).
    func claim() -> Int {
        guard let limit = options.maxRegions else { return Int.max }
        let granted = shared.claimRegions(upTo: 256, limit: limit)
        if granted == 0 { lock.lock(); limitReached = true; lock.unlock() }
        return granted
    }

    func finishRegionLimit() {
        lock.lock(); defer { lock.unlock() }
        if limitReached { shared.stop(.maxRegions) }
    }

    func returnRegions(_ unused: Int) { shared.returnRegions(unused) }
}
