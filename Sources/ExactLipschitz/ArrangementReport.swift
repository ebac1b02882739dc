import Foundation
import LipschitzModel

extension ExactSearch {
    /// The report of a sweep: each maximising cell is rebuilt from its lowest vertex and
    /// certified full-dimensional by an interior point (the certified forward pass), or else
    /// by the LP search's test; a cell that fails both sends the whole question to the LP
    /// search (nil). After a stop the upper bound covers everything by an interval Jacobian.
    static func report(_ arrangement: Arrangement, options: ExactOptions, outcome: SweepOutcome, complete: Bool,
                       shared: SharedSearchState) throws -> ExactReport? {
        let network = arrangement.network
        var statistics = EnumerationStatistics()
        statistics.vertices = outcome.vertices
        let rebuild = LineSweeper(arrangement: arrangement, norms: options.norms, control: SweepControl(shouldStop: { false }, claim: nil))
        var bounds: [NormBound] = []
        for (n, norm) in options.norms.enumerated() {
            var witness: RegionWitness?
            var value = 0.0
            if let vertex = outcome.witness[n] {
                guard let (bits, ball) = try certifiedCell(vertex, rebuild: rebuild, options: options, shared: shared, statistics: &statistics) else {
                    return nil
                }
                let pattern = ActivationPattern(layers: [bits])
                let jacobian = network.jacobian(for: pattern)
                value = try operatorNorm(jacobian, p: norm)
                witness = RegionWitness(pattern: pattern, interiorPoint: ball.center, radius: ball.radius, jacobian: jacobian)
            }
            let upper = complete ? value
                : max(value, try IntervalJacobian(network: network, states: [Array(repeating: .unknown, count: network.hiddenNeuronCount)]).operatorNormBound(p: norm))
            bounds.append(NormBound(norm: norm, lower: value, upper: upper, witness: witness))
        }
        return ExactReport(bounds: bounds, regions: outcome.regions, isExact: complete,
                           stopReason: complete ? nil : (shared.stopReason ?? .interrupted),
                           seconds: shared.elapsed, statistics: statistics, method: .arrangement)
    }

    private static func certifiedCell(_ vertex: SweepVertex, rebuild: LineSweeper, options: ExactOptions, shared: SharedSearchState,
                                      statistics: inout EnumerationStatistics) throws -> ([Bool], (center: [Double], radius: Double))? {
        guard let (bits, point) = rebuild.cell(at: vertex) else { return nil }
        let arrangement = rebuild.arrangement
        if let ball = certifiedShallowWitness(arrangement.network, pattern: bits, point: point, box: options.box, zeroRows: arrangement.zeroRows) {
            return (bits, ball)
        }
        let enumerator = try RegionEnumerator(network: arrangement.network, options: options, shared: shared)
        defer { statistics.linearPrograms += enumerator.statistics.linearPrograms }
        guard let ball = try? enumerator.certifiedRegion(of: [bits]) else { return nil }
        return (bits, ball)
    }
}

/// The sweep's side of the shared state: the stop test (time limit, signal, or a worker that
/// found the arrangement degenerate), progress four times a second, and `--max-regions` by
/// batches of permissions.
final class SweepMonitor: @unchecked Sendable {
    private let options: ExactOptions
    private let shared: SharedSearchState
    private let check: () -> Bool
    private let lock = NSLock()
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
