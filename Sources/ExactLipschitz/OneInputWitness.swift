import FoundationEssentials
import LipschitzModel

/// One interval of the sweep: its pattern, its ends (computed breakpoints t̂ or the box's ends;
/// infinite when unbounded) and the point to certify inside it.
struct OneInputCell {
    let bits: [Bool]
    let point: Double
    let left: Double, right: Double
}

/// The witness of a one-input interval, certified by the exact order alone: no forward pass.
///
/// The interval's ends are the exact breakpoints t_l < t_r of its neighbouring vertices (or the
/// box's ends, exact doubles), and its pattern is the sign of every neuron anywhere strictly
/// between them: the sorted order is exact (`BreakpointOrder`), so every breakpoint sorted
/// before the interval is ≤ t_l and every one after is ≥ t_r. For a double x, x > t̂ = fl(t)
/// proves x > t: if x ≤ t then x = fl(x) ≤ fl(t) by the monotonicity of rounding. So
/// t̂_l < x < t̂_r certifies that x lies in the open interval, with the pattern's signs.
///
/// The radius is a certified lower bound on the distance to the ends: t is within half a unit
/// in the last place of t̂, ≤ u|t̂| (correct rounding), and fl(x − t̂) within u of x − t̂;
/// shrinking the difference by 2u (not u), doubling u|t̂| and the final factor 1 − 1e-12 cover
/// the roundings of this very expression (each at most u relative, on non-negative
/// quantities). A point with no positive certified radius (ends a few ulps apart) is declined,
/// as the certified forward pass would decline it.
extension OneInputSweep {
    /// The certified ball around the cell's point, or nil when no double lies strictly inside.
    func certifiedBall(_ cell: OneInputCell) -> (center: [Double], radius: Double)? {
        let x = cell.point
        guard x.isFinite, cell.left < x, x < cell.right else { return nil }
        let u = Tolerances.unitRoundoff
        func distance(_ gap: Double, _ end: Double) -> Double {
            guard end.isFinite else { return .infinity }
            return (gap * (1 - 2 * u) - 2 * u * abs(end)) * (1 - 1e-12)
        }
        let radius = min(distance(x - cell.left, cell.left), distance(cell.right - x, cell.right))
        guard radius > 0 else { return nil }
        return ([x], radius.isFinite ? radius : 1)
    }

    /// The result of a finished walk: each norm's chosen interval with its certified witness
    /// and its accurate Jacobian (its norm is the constant). After a stop the general report
    /// (`sweepReport`, the interval Jacobian's upper bound) takes it; nil when a witness could
    /// not be certified (the general sweep decides).
    func report(_ chosen: (cells: [OneInputCell], index: [Int?]), outcome: OneInputOutcome, options: ExactOptions,
                shared: SharedSearchState) throws -> ExactReport? {
        guard outcome.complete, !chosen.index.contains(where: { $0 == nil }) else {
            return try ExactSearch.sweepReport(network: network, zeroRows: zeroRows, options: options,
                                               cells: chosen.cells.map { ($0.bits, [$0.point]) }, chosen: chosen.index,
                                               regions: outcome.regions, vertices: max(0, outcome.regions - 1),
                                               complete: outcome.complete, shared: shared, pointOnly: true)
        }
        var witnesses: [RegionWitness] = []
        for cell in chosen.cells {
            guard let ball = certifiedBall(cell) else { return nil }
            let pattern = ActivationPattern(layers: [cell.bits])
            witnesses.append(RegionWitness(pattern: pattern, interiorPoint: ball.center, radius: ball.radius,
                                           jacobian: try RegionJacobian.accurate(network, pattern, norms: norms)))
        }
        var bounds: [NormBound] = []
        for (n, norm) in norms.enumerated() {
            let witness = witnesses[chosen.index[n]!]
            let value = try operatorNorm(witness.jacobian, p: norm)
            bounds.append(NormBound(norm: norm, lower: value, upper: value, witness: witness))
        }
        var statistics = EnumerationStatistics()
        statistics.vertices = max(0, outcome.regions - 1)
        return ExactReport(bounds: bounds, regions: outcome.regions, isExact: true, stopReason: nil,
                           seconds: shared.elapsed, statistics: statistics, method: .arrangement)
    }
}
