/// Every numeric margin of the estimates, with the reason for its value. They keep the sound
/// bounds sound under rounding; none of them changes what a method estimates.
enum EstimateTolerances {
    /// A sampled pre-activation within this relative margin of zero is a tie: the point may lie
    /// on the neuron's hyperplane, where its pattern need not be a full-dimensional region, so
    /// its gradient is not used as a lower bound. Far above the rounding error n·u·Σ|W_ij h_j|
    /// of a dot product of length n ≤ 10⁶ (≈ 1e-10 relative), far below any gap a real sample
    /// shows.
    static let tie = 1e-9

    /// Relative widening of each interval of interval bound propagation
    /// (`UpperBounds.intervalStates`): the rounding error of a sum is below n·u ≈ 1e-13 of the
    /// magnitude of its terms for n ≤ 10³, so 1e-12 keeps every computed interval around the
    /// exact one without fixing a neuron whose exact bound is on the other side of 0.
    static let intervalRounding = 1e-12

    /// A lower bound's value is the norm of a floating-point Jacobian, within the model's
    /// rounding bound s of the exact one (`ReLUNetwork.jacobianRoundingBound`). When s exceeds
    /// this fraction of it (weight products cancel; about 1e-14 on ordinary networks) s is
    /// charged: the value becomes max(0, value − s), still attained below. Inside the 1e-9 that
    /// soundness checks allow, so ordinary values are unchanged, bit for bit.
    static let roundingCharge = 1e-11
}
