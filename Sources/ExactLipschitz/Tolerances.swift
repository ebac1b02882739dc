/// Every numeric threshold of the exact search, with the reason for its value.
///
/// None of them decides what the answer is. They decide only *how* a question is answered:
/// by the fast floating-point LP when its verdict is far from the boundary, or by an exact
/// method (a certified forward pass, or GLPK's rational simplex `glp_exact`) when it is not.
enum Tolerances {
    /// GLPK's primal and dual feasibility tolerances (relative). The LP rows are unit normals
    /// with offsets of order 1 in the scaled coordinates, so a floating-point optimum is
    /// accurate to about this much times (1 + |y|).
    static let glpkFeasibility = 1e-9

    /// A floating-point LP radius r̂ is trusted when |r̂| exceeds this multiple of the problem's
    /// own error estimate (1 + |y|)·(default band + row errors): two orders above GLPK's
    /// tolerance. Inside the band the region is decided exactly. Users may widen it
    /// (`--radius-tolerance`); narrowing it below GLPK's accuracy is refused.
    static let defaultDecisionBand = 1e-7
    /// Ten times GLPK's tolerance: the narrowest band a user may ask for.
    static let smallestDecisionBand = 1e-8

    /// The unit roundoff of Double.
    static let unitRoundoff = 0x1p-53

    /// Rounding error of a computed hyperplane row, relative to its length: a pre-activation
    /// row built from `terms` products of magnitude `magnitude` has absolute error at most
    /// γ·magnitude with γ = 2·terms·u (Higham §3.1, doubled for safety).
    static func rowError(terms: Int, magnitude: Double, length: Double) -> Double {
        2 * Double(terms + 2) * unitRoundoff * magnitude / length
    }

    /// A row whose relative rounding error exceeds this is not given to the LPs at all: its
    /// neuron is split with both sides decided exactly.
    static let largestRowError = 1e-6

    /// A row whose length is at most this multiple of its rounding error may be exactly zero:
    /// its neuron may be constant on the region, which only the exact test can tell.
    static let constancyFactor = 4.0

    /// The floating-point verdict is used only when the row errors on the path are at most this
    /// fraction of the decision band, otherwise every side is decided exactly.
    static let rowErrorWeight = 100.0

    /// An empty verdict of the floating-point LP stands only when the constraints tight at its
    /// final basis are well conditioned: GLPK's answer can be off by about κ·tolerance (nearly
    /// parallel hyperplanes meeting far away are the typical trap). A proof of infeasibility
    /// (every point violates a row by a full length unit) is trusted while κ·tolerance is
    /// below this; a negative radius r̂ while |r̂| exceeds the band plus `conditionWeight`·κ·
    /// tolerance·(1 + |y|). Otherwise the exact test decides.
    static let trustedInfeasibility = 1e-3
    static let conditionWeight = 10.0

    /// A tight row with a non-zero coefficient below this (rows are unit normals) makes an empty
    /// verdict untrusted: GLPK's pivot tolerance (1e-10 relative) could have treated it as zero.
    static let smallestTrustedCoefficient = 1e-6

    /// Two unit rows with |cos| above 1 − this (an angle below about 1.4e-6) are nearly parallel:
    /// globally they may meet at a distance of order gap/angle, beyond what the floating-point
    /// LP resolves, so empty verdicts below them are decided exactly.
    static let parallelCosine = 1e-12

    /// `RegionEnumerator.certifiedBox` pushes each LP optimum v out by this much times (1 + |v|)
    /// before certifying it with a trusted empty verdict: far above the LP's accuracy (GLPK's
    /// tolerance times the condition, which the verdict must clear too), far below the widths
    /// that matter for the interval bounds built on the box.
    static let certifiedBoxMargin = 1e-4

    /// Paths longer than this many rows do not save a basis per split (memory, not accuracy).
    static let savedBasisRowLimit = 2048

    // MARK: Region values

    /// A region's value is taken from the floating-point Jacobian only when the proven bound on
    /// that Jacobian's rounding (`RegionJacobian`) is at most this fraction of it; otherwise from
    /// the exact product. Far inside the 1e-9 that "exact" promises, far above what ordinary
    /// networks need (their bound is about 1e-14 of the value), so the exact product is rare.
    static let regionValueAccuracy = 1e-11

    /// The sweep picks the largest cell by running sums of the neurons' terms, whose proven error
    /// S (`ExactSearch.sweepRounding`) is not charged cell by cell: its answer stands as exact
    /// only when 2S is at most this fraction of the constant (with `regionValueAccuracy` and the
    /// norms' own rounding, below 1e-9 in all); otherwise the sweep is rechecked
    /// (`sweepCandidateLimit`). Random networks with N ≤ 5000 neurons and d = 2 need about 4e-10
    /// of it at most; cancelling weights far more.
    static let sweepSelectionBudget = 8e-10

    /// A sweep that cannot be trusted (above) is run again collecting the cells whose running
    /// value lies within S of the answer, each then valued accurately (O(N·(d + m)) work each, an
    /// exact product at worst); it gives up with more than this many for some norm (the constant
    /// 0 of a large cancelling network, say): at least 4096, and as many as 5e7 multiply-adds
    /// allow (a 2 → 202 → 1 network: 82,508, so all its 20,506 cells are valued: exact in 0.9 s,
    /// release build, where the first sweep alone takes 0.01 s). Tests may set a smaller limit.
    static func sweepCandidateLimit(neurons: Int, inputs: Int, outputs: Int) -> Int {
        max(4096, 50_000_000 / max(1, neurons * (inputs + outputs)))
    }

    /// When that recheck gives up, a one-hidden-layer network with at most this many neurons goes
    /// to the LP search, which takes every region's value as above; larger ones get the certified
    /// interval instead (the LP search would take hours).
    static let sweepRecheckNeurons = 64

    // MARK: The arrangement sweep (one hidden layer)

    /// Lines cut out by hyperplanes whose Gram–Schmidt pivot (relative) is below this, and
    /// crossings at a rate |a·direction| below it, have their vertices bounded for the sweep's
    /// box from the certified values (`LineSweeper.certifiedExtent`) rather than from the
    /// rounded frame, whose relative error there may reach 10⁻⁶ (unit normals this close to
    /// dependent meet 10¹⁰ times the offsets away). It routes only: the sweep itself places
    /// such crossings from the network's own numbers with proven bounds.
    static let sweepSmallestPivot = 1e-10

    /// Added to every proven bound of the sweep (`CertifiedLine`): gradual underflow costs at
    /// most 2⁻¹⁰⁷⁴ per operation, and no bound there sums more than 2⁷⁰ operations.
    static let sweepUnderflowAllowance = 0x1p-1000

    // MARK: One input (`OneInputSweep`)

    /// At most this many intervals whose running-sum score is within its proven error of the
    /// best are recomputed with the model's Jacobian kernel (O(N) each) to decide the maximum.
    static let oneInputCandidateLimit = 32

    /// Beyond that many, the near-tied intervals' exact values must lie within this fraction of
    /// the best (then any of them is the maximum to that accuracy, far inside the package's
    /// 1e-9 agreement); otherwise the general sweep decides.
    static let oneInputTieFraction = 1e-12
}
