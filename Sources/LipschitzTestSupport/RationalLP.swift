import CGLPK

/// Why the exact reference could not decide a question: every such case fails the test that asked.
public enum BruteForceError: Error, Equatable, CustomStringConvertible {
    /// More hidden neurons than `ExactBruteForce.maxHiddenNeurons`.
    case tooManyNeurons(Int)
    /// `glp_exact` returned a non-zero code, or a status other than optimal or infeasible.
    case solverFailed(code: Int32, status: Int32)
    /// A row could not be scaled to integers by a power of two without overflowing.
    case unscalable(Double)
    /// The solver contradicted a fact (e.g. called a program with a known point infeasible).
    case impossible(String)
    /// The box does not fit the network, or a norm does not fit its outputs.
    case badInput(String)

    public var description: String {
        switch self {
        case .tooManyNeurons(let n): return "brute force refuses \(n) hidden neurons (at most \(ExactBruteForce.maxHiddenNeurons))"
        case .solverFailed(let code, let status): return "glp_exact failed: return code \(code), status \(status)"
        case .unscalable(let v): return "cannot scale \(v) to an integer exactly"
        case .impossible(let why): return "solver contradiction: " + why
        case .badInput(let why): return why
        }
    }
}

/// One linear program solved by GLPK's rational simplex (`glp_exact`) on exactly the doubles given.
///
/// Soundness note: `glp_exact` does NOT read its data exactly. Its loader (`set_d_eps` in
/// glpapi07.c) replaces every non-integral double by a continued-fraction approximation within
/// relative error 1e-9 (so 1 + 1e-12 becomes 1); only integral doubles are converted exactly
/// (`mpq_set_d`). This class therefore multiplies every row, its right-hand side included, and
/// the objective by a power of two that makes all of its numbers integers. Scaling a row or the
/// objective by a positive constant changes neither the feasible set nor the optimal point, and a
/// power of two is exact in binary floating point, so the rational simplex then solves exactly
/// the program written with the caller's doubles. Column bounds must be integers (checked).
///
/// GLPK problems are not thread-safe: create, solve and delete on one thread.
final class RationalLP {
    enum Sense { case atLeast, atMost, equal }
    enum Outcome: Equatable {
        case infeasible
        /// The exact optimum's sign (−1, 0, 1) and its value (rounded to a double toward zero).
        /// glp_exact stores mpq_get_d of each exact value, so the sign is exact unless |optimum| < 2^-1074.
        case optimal(sign: Int, value: Double)
    }

    private let problem: OpaquePointer
    private let columns: Int
    private var rows = 0
    private var objectiveColumn: Int?
    /// The largest magnitude in the (scaled) rows: above 1e150 GLPK's scaling and float simplex
    /// abort the process (squares overflow: `glp_set_sjj: sjj = 0`, `spychuzr: p != 0`), so the
    /// warm start is skipped and the rational simplex starts from the standard basis.
    private var largest = 0.0

    init(columns: Int, maximise: Bool = true) {
        precondition(columns > 0)
        glp_term_out(GLP_OFF)
        problem = glp_create_prob()
        self.columns = columns
        glp_set_obj_dir(problem, maximise ? GLP_MAX : GLP_MIN)
        glp_add_cols(problem, Int32(columns))
        for j in 1...columns { glp_set_col_bnds(problem, Int32(j), GLP_FR, 0, 0) }
    }

    deinit { glp_delete_prob(problem) }

    /// `lower ≤ x_column ≤ upper` with integral bounds (non-integral ones would be rounded by glp_exact).
    func bound(_ column: Int, lower: Double, upper: Double) {
        precondition(lower == lower.rounded() && upper == upper.rounded() && lower < upper, "bounds must be integral")
        glp_set_col_bnds(problem, Int32(column + 1), GLP_DB, lower, upper)
    }

    /// Maximise (or minimise) the single column `column`. An objective Σ c_j x_j is written as
    /// a column g with the row g − Σ c_j x_j = 0, so that its optimum is read back as one
    /// variable's exact value (glp_get_obj_val adds rounded products in floating point).
    func setObjective(column: Int) {
        glp_set_obj_coef(problem, Int32(column + 1), 1)
        objectiveColumn = column
    }

    /// Σ a_j x_j (≥ | ≤ | =) rhs, scaled by a power of two to integers. Zero coefficients are dropped.
    func addRow(_ terms: [(Int, Double)], _ sense: Sense, _ rhs: Double) throws {
        let nonzero = terms.filter { $0.1 != 0 }
        let scale = try Self.integralScale(nonzero.map(\.1) + [rhs])
        let r = rhs * scale
        let i = glp_add_rows(problem, 1)
        switch sense {
        case .atLeast: glp_set_row_bnds(problem, i, GLP_LO, r, 0)
        case .atMost: glp_set_row_bnds(problem, i, GLP_UP, 0, r)
        case .equal: glp_set_row_bnds(problem, i, GLP_FX, r, r)
        }
        let indices: [Int32] = [0] + nonzero.map { Int32($0.0 + 1) }
        let values: [Double] = [0] + nonzero.map { $0.1 * scale }
        glp_set_mat_row(problem, i, Int32(nonzero.count), indices, values)
        rows += 1
        largest = values.reduce(max(largest, abs(r)), { max($0, abs($1)) })
    }

    /// The smallest power of two 2^s (s ≥ 0) with every v·2^s an integer; a double v = m·2^e has
    /// its lowest set bit at 2^(exponent − significandWidth).
    static func integralScale(_ values: [Double]) throws -> Double {
        var shift = 0
        for v in values where v != 0 {
            guard v.isFinite else { throw BruteForceError.unscalable(v) }
            shift = max(shift, v.significandWidth - Int(v.exponent))
        }
        let scale = Double(sign: .plus, exponent: shift, significand: 1)
        for v in values {
            let s = v * scale
            guard s.isFinite, s == s.rounded() else { throw BruteForceError.unscalable(v) }
        }
        return scale
    }

    /// Solves exactly. The floating-point simplex only supplies a starting basis; if it fails or
    /// its basis is exactly singular, the rational simplex restarts from the standard basis
    /// (all auxiliary variables basic: B = I, never singular). Anything but a clean return with
    /// status optimal or no-feasible-solution throws.
    func solve() throws -> Outcome {
        precondition(rows > 0, "glp_exact needs at least one row")
        guard let objectiveColumn else { preconditionFailure("no objective") }
        var parameters = glp_smcp()
        glp_init_smcp(&parameters)
        parameters.msg_lev = GLP_MSG_OFF
        parameters.presolve = GLP_OFF
        if largest <= 1e150 {
            glp_scale_prob(problem, GLP_SF_AUTO)  // helps the float solve; glp_exact reads unscaled data
            // The float simplex can stall on rows scaled by 2^60 and more: bound its effort.
            var float = parameters
            float.it_lim = Int32(50 * (rows + columns))
            float.tm_lim = 1000
            if glp_simplex(problem, &float) != 0 { glp_std_basis(problem) }
        } else {
            glp_std_basis(problem)
        }
        parameters.tm_lim = 120_000  // a stuck exact solve fails the test instead of hanging it
        var code = glp_exact(problem, &parameters)
        if code == GLP_EBADB || code == GLP_ESING {
            glp_std_basis(problem)
            code = glp_exact(problem, &parameters)
        }
        let status = glp_get_status(problem)
        guard code == 0 else { throw BruteForceError.solverFailed(code: code, status: status) }
        switch status {
        case GLP_NOFEAS: return .infeasible
        case GLP_OPT:
            let value = glp_get_col_prim(problem, Int32(objectiveColumn + 1))
            return .optimal(sign: value > 0 ? 1 : value < 0 ? -1 : 0, value: value)
        default: throw BruteForceError.solverFailed(code: code, status: status)
        }
    }
}
