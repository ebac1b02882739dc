/// The one definition of every limit an `ExactOptions` accepts. `ExactSearch.compute` refuses
/// options outside them; the command line and the harness check the same predicates before
/// any work starts (with messages naming their own flags), so no rule is written twice.
extension ExactOptions {
    /// A time limit is a finite number of seconds above 0: a limit of 0 would stop before the
    /// first region and certify nothing but the interval-Jacobian bound.
    public static func isValidTimeLimit(_ seconds: Double) -> Bool { seconds.isFinite && seconds > 0 }

    /// A region limit counts at least one region.
    public static let smallestRegionLimit = 1

    /// Worker threads: at least one; at most 256, since each holds its own GLPK problem and a
    /// stack of saved bases (O(2048²) doubles at most, docs/architecture.md).
    public static let threadRange = 1...256

    /// `relativeRadiusTolerance`: below 1e-8 GLPK's own feasibility tolerance (1e-9, relative)
    /// would decide instead of the band; above 0.1 almost every decision would go to the exact
    /// simplex. Either way the answer would not change, only the speed.
    public static let radiusToleranceRange = Tolerances.smallestDecisionBand...0.1

    /// A seeded lower bound (`lowerBounds`, `--lower-bound`) is a finite number ≥ 0.
    public static func isValidLowerBound(_ value: Double) -> Bool { value.isFinite && value >= 0 }

    /// The value each norm's search must beat before a subtree counts: the seeded lower bound
    /// when branch and bound is on, else −1 (every region counts; norms are ≥ 0).
    var pruningFloors: [Double] { norms.map { prune ? lowerBounds[$0] ?? -1 : -1 } }
}
