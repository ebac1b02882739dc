import LipschitzModel

/// The region walk (`RegionWalk`) from one given point, for callers outside this module: the
/// exact search's source of incumbents during branch and bound (`ExactOptions.localSearch`,
/// wired by the command line, since `ExactLipschitz` does not depend on this module).
///
/// Nothing here is a certificate: the exact search certifies the region of every point it is
/// given before the value counts. The walk itself reports only values at points clear of every
/// hyperplane (inside the box, if any), so on a sound network each is a value Φ attains.
public struct LocalSearch: @unchecked Sendable {
    // Immutable after `init` (a network's flat copy): one value serves concurrent callers.
    private let walk: RegionWalk

    public init(network: ReLUNetwork, norm: LipschitzNorm, box: InputBox?) {
        walk = RegionWalk(flat: FlatNetwork(network), norm: norm, box: box)
    }

    /// The best point reached from `start` (gradient alignment, then the climb) within
    /// `evaluations` Jacobian evaluations' worth of work (a forward and a backward pass each),
    /// with its norm; nil when `start` is not a finite point of the domain or lies on a
    /// hyperplane.
    public func climb(from start: [Double], evaluations: Int) -> (value: Double, point: [Double])? {
        guard start.count == walk.flat.inputs, start.allSatisfy(\.isFinite), walk.box?.contains(start) ?? true,
              let jacobian = walk.flat.jacobians(at: [start])[0],
              let value = try? operatorNorm(jacobian, p: walk.norm), value.isFinite else { return nil }
        var budget = Double(max(0, evaluations)) * walk.evaluationWork
        guard let outcome = try? walk.search(from: start, value: value, budget: &budget) else { return nil }
        return (outcome.value, outcome.point)
    }
}
