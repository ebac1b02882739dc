/// Every numeric margin of the model's bounds, with the reason for its value. Each one widens
/// a bound that rounding could otherwise make a hair too tight; none decides an answer.
/// (The exact search's thresholds are in `ExactLipschitz/Tolerances.swift`, the estimates' in
/// `LipschitzEstimates/EstimateTolerances.swift`.)
enum ModelTolerances {
    /// The unit roundoff of Double, u = 2⁻⁵³: the relative error of one correctly rounded
    /// operation (Higham §2.2), the unit of every a-priori rounding bound.
    static let unitRoundoff = 0x1p-53

    /// Relative margin added to every value of a linear relaxation (`Relaxation`), times the
    /// magnitude of its terms: a relaxation sums at most a few thousand products per value, whose
    /// rounding is below n·u·Σ|terms| ≈ 1e-12 of it; 1e-10 leaves two orders to spare.
    static let relaxationRounding = 1e-10

    /// Relative margin on ‖g‖₂ bounded in an orthonormal frame Q (`JacobianBound.frameBound`):
    /// Q is orthonormal up to rounding, ‖QᵀQ − I‖ ≈ 1e-16·d, so norms measured through it can
    /// be short by that much; 1e-12 covers any d up to 10⁴.
    static let frameOrthonormality = 1e-12
}
