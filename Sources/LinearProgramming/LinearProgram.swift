import CGLPK
import FoundationEssentials
import Glibc

/// Why a linear program could not be built or solved. GLPK `abort()`s on invalid
/// arguments and accepts NaN silently, so every call is checked here first.
public enum LinearProgramError: Error, Equatable, CustomStringConvertible {
    case nonFinite(what: String)
    case indexOutOfRange(what: String, index: Int, count: Int)
    case emptyInterval(what: String, lower: Double, upper: Double)
    case dimensionMismatch(what: String, got: Int, expected: Int)
    case solverFailed(code: Int32)
    /// The solver returned, but with a status that proves neither optimality nor infeasibility.
    case undecidedStatus(status: Int32)
    /// The exact solver cannot read these numbers exactly (they span too many binary orders).
    case notExactlyRepresentable(what: String)
    /// A number too large for GLPK's floating-point simplex (`LinearProgram.largestSafeMagnitude`).
    case outOfFloatingPointRange

    public var description: String {
        switch self {
        case .nonFinite(let what): return "linear program: \(what) is NaN or infinite"
        case .indexOutOfRange(let what, let index, let count):
            return "linear program: \(what) index \(index) is outside 0..<\(count)"
        case .emptyInterval(let what, let lower, let upper):
            return "linear program: \(what) has lower bound \(lower) above upper bound \(upper)"
        case .dimensionMismatch(let what, let got, let expected):
            return "linear program: \(what) has \(got) entries, expected \(expected)"
        case .solverFailed(let code): return "GLPK simplex failed (code \(code))"
        case .undecidedStatus(let status): return "GLPK ended with an undecided status (\(status))"
        case .notExactlyRepresentable(let what): return "linear program: \(what) cannot be scaled to integers for the exact solver"
        case .outOfFloatingPointRange: return "linear program: a coefficient or bound is beyond the floating-point simplex's range"
        }
    }
}

/// The range a row's activity or a column's value may take.
public enum Bound: Equatable, Sendable {
    case free
    case atLeast(Double)
    case atMost(Double)
    case between(Double, Double)
    case fixed(Double)
}

public enum Optimisation: Sendable { case minimise, maximise }

/// What a solve found. `values` holds the columns' values when `status == .optimal`.
public struct Solution: Sendable {
    public enum Status: Sendable, Equatable { case optimal, infeasible, unbounded }
    public let status: Status
    public let objective: Double
    public let values: [Double]
}

/// The simplex basis of a problem (status of every row and column), to restore
/// after rows added for a branch are removed again.
public struct Basis: Sendable, Equatable {
    fileprivate var rowStatus: [Int32]
    fileprivate var columnStatus: [Int32]
    public var rowCount: Int { rowStatus.count }
}

/// A GLPK linear program with a fixed set of columns and a stack of rows.
///
/// Confinement: a problem belongs to the thread that created it (GLPK's environment is
/// per thread); every method checks this. Rows are added and removed at the end only,
/// so a depth-first search keeps one problem per branch path and warm-starts each child
/// from its parent's basis with the dual simplex.
public final class LinearProgram {
    private let problem: OpaquePointer
    private let owner: pthread_t
    public let columnCount: Int
    public private(set) var rowCount = 0
    private var parameters = glp_smcp()
    /// Solves run so far (for statistics).
    public private(set) var solveCount = 0
    /// Per row, as a prefix maximum, and for the objective and column bounds: the largest
    /// magnitude of a number GLPK's floating-point simplex would see (`largestSafeMagnitude`).
    private var rowMagnitudes: [Double] = []
    private var objectiveMagnitude = 0.0
    private var columnBoundMagnitude = 0.0

    /// The largest coefficient or bound magnitude the floating-point simplex is given. GLPK
    /// squares row and column entries (its pricing weights and norms, e.g. `spychuzr`): at
    /// 1e160 a square overflows to infinity and GLPK aborts the process on `p != 0`
    /// (`assert`, uncatchable). A network with one weight of 1e290 (and its product of layer
    /// norms below the 1e290 refusal) did that. Squares of numbers up to 1e150, summed over
    /// fewer than 10^8 entries, stay finite. Above it `solve` throws without calling GLPK and
    /// the caller decides another way (the exact simplex reads numbers as rationals).
    public static let largestSafeMagnitude = 1e150

    /// The largest power of two `solveExactly` multiplies a row by to make it integral.
    /// `glp_exact` picks its entering column by `fabs(mpq_get_d(cbar))` and asserts it non-zero
    /// (glpssx01.c, `ssx_chuzc`): a non-zero reduced cost below 2⁻¹⁰⁷⁴ (a ratio of determinants
    /// of rows scaled by 2^700, from weights of 1e-200 next to 1) aborted the process. Ordinary
    /// rows scale by less than 2^200 (weights down to 1e-40); rows needing more than 2^600 are
    /// refused, so that the side is undecided (an honest interval) rather than a crash. A
    /// heuristic margin, not a proof: reduced costs are ratios of determinants of up to m rows.
    /// Large integral numbers (weights of 1e230) need no scaling and are solved as before.
    public static let largestExactScale = 0x1p600
    /// For tests of the callers' recovery: every solve whose number (1, 2, …) is a multiple of
    /// this fails with `solverFailed(code: -1)` before GLPK is called.
    public var injectedFailurePeriod: Int?

    private func injectFailure() throws {
        if let period = injectedFailurePeriod, period > 0, solveCount % period == 0 {
            throw LinearProgramError.solverFailed(code: -1)
        }
    }

    /// - Parameters:
    ///   - columns: number of variables (≥ 1).
    ///   - feasibilityTolerance: GLPK's `tol_bnd` and `tol_dj` (relative).
    private let optimisation: Optimisation
    private let feasibilityTolerance: Double

    public init(columns: Int, optimisation: Optimisation, feasibilityTolerance: Double = 1e-9) throws {
        guard columns >= 1 else { throw LinearProgramError.dimensionMismatch(what: "column count", got: columns, expected: 1) }
        guard feasibilityTolerance.isFinite, feasibilityTolerance > 0, feasibilityTolerance < 1e-3 else {
            throw LinearProgramError.nonFinite(what: "feasibility tolerance")
        }
        glp_term_out(GLP_OFF)
        problem = glp_create_prob()
        owner = pthread_self()
        columnCount = columns
        self.optimisation = optimisation
        self.feasibilityTolerance = feasibilityTolerance
        glp_set_obj_dir(problem, optimisation == .maximise ? GLP_MAX : GLP_MIN)
        glp_add_cols(problem, Int32(columns))
        for j in 1...columns { glp_set_col_bnds(problem, Int32(j), GLP_FR, 0, 0) }
        glp_init_smcp(&parameters)
        parameters.msg_lev = GLP_MSG_OFF
        parameters.meth = GLP_DUALP
        parameters.presolve = GLP_OFF
        parameters.tol_bnd = feasibilityTolerance
        parameters.tol_dj = feasibilityTolerance
        // A float solve that stalls must fail (the caller then decides exactly), never hang.
        // The time limit is the backstop; the iteration limit (set per solve from the size,
        // `iterationLimit`) is what normally ends a stall, in milliseconds instead of seconds.
        parameters.tm_lim = 10_000
    }

    /// Simplex iterations allowed per call. A simplex method visits far fewer bases than this
    /// on an LP of m rows and n columns in practice (a few times m + n); badly scaled problems
    /// can cycle instead (weights of 4e-6 next to 3·10^4 made GLPK's dual simplex loop until
    /// the 10 s time limit). Hitting the limit is a failed solve (GLP_EITLIM), which callers
    /// treat as any failure: rebuild, then decide in exact arithmetic, else keep the subtree.
    var iterationLimit: Int32 { maximumIterations ?? Int32(clamping: 1_000 + 50 * (rowCount + columnCount)) }

    /// Overrides `iterationLimit` (≥ 1) for every later solve; nil restores the size rule.
    public var maximumIterations: Int32? {
        didSet { precondition(maximumIterations.map { $0 >= 1 } ?? true, "an iteration limit must be at least 1") }
    }

    deinit { glp_delete_prob(problem) }

    private func checkThread() {
        precondition(pthread_equal(owner, pthread_self()) != 0, "a GLPK problem was used on a thread that did not create it")
    }

    public func setObjective(_ coefficients: [Double]) throws {
        checkThread()
        guard coefficients.count == columnCount else {
            throw LinearProgramError.dimensionMismatch(what: "objective", got: coefficients.count, expected: columnCount)
        }
        for (j, c) in coefficients.enumerated() {
            guard c.isFinite else { throw LinearProgramError.nonFinite(what: "objective coefficient \(j)") }
            glp_set_obj_coef(problem, Int32(j + 1), c)
        }
        objectiveMagnitude = coefficients.reduce(0) { max($0, abs($1)) }
    }

    public func setColumnBound(_ column: Int, _ bound: Bound) throws {
        checkThread()
        guard (0..<columnCount).contains(column) else {
            throw LinearProgramError.indexOutOfRange(what: "column", index: column, count: columnCount)
        }
        let (type, lo, hi) = try Self.glpkBound(bound, what: "column \(column)")
        glp_set_col_bnds(problem, Int32(column + 1), type, lo, hi)
        columnBoundMagnitude = max(columnBoundMagnitude, abs(lo), abs(hi))
    }

    /// Appends the row `Σ coefficients[j]·x_j ∈ bound` (dense; zeros are skipped).
    /// Its slack starts basic, so the previous optimal basis stays a valid (dual feasible) start.
    public func addRow(_ coefficients: [Double], _ bound: Bound) throws {
        checkThread()
        guard coefficients.count == columnCount else {
            throw LinearProgramError.dimensionMismatch(what: "row", got: coefficients.count, expected: columnCount)
        }
        let (type, lo, hi) = try Self.glpkBound(bound, what: "row \(rowCount)")
        var indices: [Int32] = [0]
        var values: [Double] = [0]
        for (j, c) in coefficients.enumerated() where c != 0 {
            guard c.isFinite else { throw LinearProgramError.nonFinite(what: "row \(rowCount) coefficient \(j)") }
            indices.append(Int32(j + 1))
            values.append(c)
        }
        let i = glp_add_rows(problem, 1)
        glp_set_row_bnds(problem, i, type, lo, hi)
        glp_set_mat_row(problem, i, Int32(indices.count - 1), indices, values)
        glp_set_row_stat(problem, i, GLP_BS)
        rowCount += 1
        let magnitude = values.reduce(max(abs(lo), abs(hi))) { max($0, abs($1)) }
        rowMagnitudes.append(max(rowMagnitudes.last ?? 0, magnitude))
    }

    /// A new problem with this one's columns, rows and objective (GLPK's `glp_copy_prob`) and
    /// a standard starting basis, owned by the calling thread: what a caller rebuilds after a
    /// failed solve, so that no state of the failed factorisation or basis carries over. Test
    /// failure injection is not copied.
    public func rebuilt() throws -> LinearProgram {
        checkThread()
        let copy = try LinearProgram(columns: columnCount, optimisation: optimisation, feasibilityTolerance: feasibilityTolerance)
        glp_copy_prob(copy.problem, problem, GLP_OFF)
        copy.rowCount = rowCount
        copy.rowMagnitudes = rowMagnitudes
        copy.objectiveMagnitude = objectiveMagnitude
        copy.columnBoundMagnitude = columnBoundMagnitude
        copy.maximumIterations = maximumIterations
        glp_std_basis(copy.problem)
        return copy
    }

    /// Removes rows from the end until `count` remain.
    public func truncateRows(to count: Int) throws {
        checkThread()
        guard (0...rowCount).contains(count) else {
            throw LinearProgramError.indexOutOfRange(what: "row count", index: count, count: rowCount + 1)
        }
        guard count < rowCount else { return }
        let doomed: [Int32] = [0] + ((count + 1)...rowCount).map { Int32($0) }
        glp_del_rows(problem, Int32(rowCount - count), doomed)
        rowCount = count
        rowMagnitudes.removeSubrange(count...)
    }

    public func basis() -> Basis {
        checkThread()
        return Basis(rowStatus: (0..<rowCount).map { glp_get_row_stat(problem, Int32($0 + 1)) },
                     columnStatus: (0..<columnCount).map { glp_get_col_stat(problem, Int32($0 + 1)) })
    }

    /// Restores a basis saved when the problem had `basis.rowCount` rows; rows added since
    /// get a basic slack, which keeps the basis square.
    public func restore(_ basis: Basis) {
        checkThread()
        precondition(basis.rowCount <= rowCount && basis.columnStatus.count == columnCount)
        for (i, s) in basis.rowStatus.enumerated() { glp_set_row_stat(problem, Int32(i + 1), s) }
        if basis.rowCount < rowCount {
            for i in basis.rowCount..<rowCount { glp_set_row_stat(problem, Int32(i + 1), GLP_BS) }
        }
        for (j, s) in basis.columnStatus.enumerated() { glp_set_col_stat(problem, Int32(j + 1), s) }
    }

    /// `solve()` with GLPK's primal simplex first: the start after only the objective changed,
    /// when the basis is still primal feasible but no longer dual feasible (the dual simplex
    /// would need its phase 1). Verdicts are read exactly as in `solve()`.
    public func solvePrimal() throws -> Solution {
        let saved = parameters.meth
        parameters.meth = GLP_PRIMAL
        defer { parameters.meth = saved }
        return try solve()
    }

    /// The rows' dual values of the last solve (GLPK's `glp_get_row_dual`), in row order.
    /// Floating-point numbers with GLPK's tolerances: callers that draw a proof from them must
    /// check it themselves (`StabilityCertificate`).
    public func rowDuals() -> [Double] {
        checkThread()
        return (0..<rowCount).map { glp_get_row_dual(problem, Int32($0 + 1)) }
    }

    /// Runs the dual simplex from the current basis (primal as GLPK's fallback). If the basis is
    /// invalid or singular, it starts again from an advanced initial basis.
    public func solve() throws -> Solution {
        checkThread()
        solveCount += 1
        try injectFailure()
        guard max(rowMagnitudes.last ?? 0, objectiveMagnitude, columnBoundMagnitude) <= Self.largestSafeMagnitude else {
            throw LinearProgramError.outOfFloatingPointRange
        }
        parameters.it_lim = iterationLimit
        var code = glp_simplex(problem, &parameters)
        if code == GLP_EBADB || code == GLP_ESING || code == GLP_ECOND || code == GLP_EFAIL {
            glp_adv_basis(problem, 0)
            code = glp_simplex(problem, &parameters)
        }
        if code == GLP_EBADB || code == GLP_ESING || code == GLP_ECOND || code == GLP_EFAIL {
            glp_std_basis(problem)
            var primal = parameters
            primal.meth = GLP_PRIMAL
            code = glp_simplex(problem, &primal)
        }
        guard code == 0 else { throw LinearProgramError.solverFailed(code: code) }
        let status = glp_get_status(problem)
        if status != GLP_OPT && status != GLP_NOFEAS && status != GLP_UNBND {
            // The dual simplex can end without a proof (e.g. GLP_INFEAS when its start was not
            // dual feasible); the primal simplex from the same basis settles it.
            var primal = parameters
            primal.meth = GLP_PRIMAL
            code = glp_simplex(problem, &primal)
            guard code == 0 else { throw LinearProgramError.solverFailed(code: code) }
        }
        return try solution(status: glp_get_status(problem))
    }

    /// The smallest non-zero coefficient magnitude among the rows that are not basic (tight).
    public func smallestTightCoefficient() -> Double {
        checkThread()
        var smallest = Double.infinity
        var indices = [Int32](repeating: 0, count: columnCount + 1), values = [Double](repeating: 0, count: columnCount + 1)
        for i in stride(from: 1, through: rowCount, by: 1) where glp_get_row_stat(problem, Int32(i)) != GLP_BS {
            let count = Int(glp_get_mat_row(problem, Int32(i), &indices, &values))
            for k in stride(from: 1, through: count, by: 1) where values[k] != 0 { smallest = min(smallest, abs(values[k])) }
        }
        return smallest
    }

    /// The largest violation of dual feasibility at the current basis: a non-basic row or column
    /// whose reduced cost has the wrong sign for its bound (or is non-zero for a free one). GLPK
    /// accepts violations below its tolerance; a caller that needs the optimum's sign for sure
    /// must not, since along an unbounded direction any violation is an improvement without
    /// limit (nearly parallel hyperplanes crossing far away are the typical case).
    public func dualInfeasibility() -> Double {
        checkThread()
        let sense: Double = glp_get_obj_dir(problem) == GLP_MAX ? 1 : -1
        func violation(_ status: Int32, _ d: Double) -> Double {
            switch status {
            case GLP_NL: return max(0, sense * d)
            case GLP_NU: return max(0, -sense * d)
            case GLP_NF: return abs(d)
            default: return 0
            }
        }
        var worst = 0.0
        for i in stride(from: 1, through: rowCount, by: 1) {
            worst = max(worst, violation(glp_get_row_stat(problem, Int32(i)), glp_get_row_dual(problem, Int32(i))))
        }
        for j in 1...columnCount {
            worst = max(worst, violation(glp_get_col_stat(problem, Int32(j)), glp_get_col_dual(problem, Int32(j))))
        }
        return worst
    }

    /// An upper estimate of the condition number κ_F = ‖M‖_F·‖M⁻¹‖_F ≥ κ₂ of the constraints
    /// that are tight at the current basis: the rows and columns that are not basic (one per
    /// column in a valid basis). A float verdict is only as good as κ times the solver's
    /// tolerance; callers use this to decide when to re-decide exactly. Infinite when those
    /// constraints are singular, the basis is not square, or a free column is non-basic.
    public func tightConstraintCondition() -> Double {
        checkThread()
        let n = columnCount
        // The tight rows, row-major in one flat buffer (this runs after every empty verdict).
        var tight = [Double](), count = 0
        tight.reserveCapacity(n * n)
        var indices = [Int32](repeating: 0, count: n + 1), values = [Double](repeating: 0, count: n + 1)
        for i in stride(from: 1, through: rowCount, by: 1) where glp_get_row_stat(problem, Int32(i)) != GLP_BS {
            count += 1
            if count > n { return .infinity }
            let entries = Int(glp_get_mat_row(problem, Int32(i), &indices, &values))
            let base = tight.count
            tight.append(contentsOf: repeatElement(0, count: n))
            for k in stride(from: 1, through: entries, by: 1) { tight[base + Int(indices[k]) - 1] = values[k] }
        }
        for j in 1...n where glp_get_col_stat(problem, Int32(j)) != GLP_BS {
            // A free column that is not basic is held by nothing: its reduced cost, zero only
            // within tolerance, may hide an arbitrarily large improvement along it.
            if glp_get_col_type(problem, Int32(j)) == GLP_FR { return .infinity }
            count += 1
            if count > n { return .infinity }
            let base = tight.count
            tight.append(contentsOf: repeatElement(0, count: n))
            tight[base + j - 1] = 1
        }
        guard count == n else { return .infinity }
        return Self.frobeniusCondition(tight, n: n)
    }

    /// ‖M‖_F·‖M⁻¹‖_F of a row-major n × n matrix by Gauss–Jordan elimination with partial
    /// pivoting (n is small: d + 1; the first row of largest magnitude is the pivot).
    static func frobeniusCondition(_ m: [Double], n: Int) -> Double {
        var a = m, inverse = [Double](repeating: 0, count: n * n)
        for i in 0..<n { inverse[i * n + i] = 1 }
        for c in 0..<n {
            var p = c
            for r in (c + 1)..<max(c + 1, n) where abs(a[r * n + c]) > abs(a[p * n + c]) { p = r }
            guard a[p * n + c] != 0 else { return .infinity }
            if p != c {
                for k in 0..<n {
                    a.swapAt(c * n + k, p * n + k)
                    inverse.swapAt(c * n + k, p * n + k)
                }
            }
            let pivot = a[c * n + c]
            for k in 0..<n { a[c * n + k] /= pivot; inverse[c * n + k] /= pivot }
            for r in 0..<n where r != c && a[r * n + c] != 0 {
                let f = a[r * n + c]
                for k in 0..<n { a[r * n + k] -= f * a[c * n + k]; inverse[r * n + k] -= f * inverse[c * n + k] }
            }
        }
        // Summed row by row, then over rows.
        let norm = { (x: [Double]) -> Double in
            var total = 0.0
            for r in 0..<n {
                var row = 0.0
                for k in 0..<n { row += x[r * n + k] * x[r * n + k] }
                total += row
            }
            return total.squareRoot()
        }
        let value = norm(m) * norm(inverse)
        return value.isFinite ? value : .infinity
    }

    /// Solves in exact rational arithmetic (GLPK's `glp_exact`), so `.optimal` and `.infeasible`
    /// are proofs about the problem as written with these doubles.
    ///
    /// GLPK 5.0's exact loader does *not* read a non-integral double exactly: it replaces it by
    /// a continued fraction within 1e-9 relative error (`set_d_eps`), so 1 + 1e-12 would become
    /// 1. Integral doubles are read exactly. Every row is therefore first multiplied, bounds
    /// included, by the smallest power of two that makes all its numbers integers (exact in
    /// binary floating point; a positive row scaling changes neither the feasible set nor the
    /// optimum), and column bounds and objective coefficients must already be integers — give a
    /// general objective its own column and an equality row. Read the optimum from a column's
    /// value: the exact values are stored rounded toward zero, which keeps their sign unless they
    /// underflow, while the objective value is re-summed in floating point. The rows stay scaled.
    ///
    /// Throws `notExactlyRepresentable` when a row cannot be scaled to integers within double
    /// range, and `solverFailed`/`undecidedStatus` for anything but a clean proof.
    public func solveExactly(timeLimit milliseconds: Int32 = 60_000) throws -> Solution {
        checkThread()
        solveCount += 1
        try injectFailure()
        guard rowCount > 0 else { throw LinearProgramError.dimensionMismatch(what: "row count", got: 0, expected: 1) }
        try checkIntegralColumnData()
        // The rows stay scaled: their magnitudes (for a later floating-point `solve`) with them.
        var largest = 0.0, largestScale = 1.0
        for i in 1...Int32(rowCount) {
            let (magnitude, scale) = try scaleRowToIntegers(i)
            largest = max(largest, magnitude)
            largestScale = max(largestScale, scale)
            rowMagnitudes[Int(i) - 1] = largest
        }
        guard largestScale <= Self.largestExactScale else {
            throw LinearProgramError.notExactlyRepresentable(what: "a row scaled by more than 2^600")
        }
        var exact = glp_smcp()
        glp_init_smcp(&exact)
        exact.msg_lev = GLP_MSG_OFF
        exact.tm_lim = milliseconds
        exact.it_lim = iterationLimit
        var code = glp_exact(problem, &exact)
        if code == GLP_EBADB || code == GLP_ESING {
            glp_std_basis(problem)
            code = glp_exact(problem, &exact)
        }
        guard code == 0 else { throw LinearProgramError.solverFailed(code: code) }
        return try solution(status: glp_get_status(problem))
    }

    /// Multiplies row i and its bounds by the smallest power of two making them integers;
    /// returns the largest magnitude in the row afterwards, and that power of two.
    private func scaleRowToIntegers(_ i: Int32) throws -> (magnitude: Double, scale: Double) {
        var indices = [Int32](repeating: 0, count: columnCount + 1)
        var values = [Double](repeating: 0, count: columnCount + 1)
        let count = Int(glp_get_mat_row(problem, i, &indices, &values))
        let type = glp_get_row_type(problem, i)
        let hasLower = type == GLP_LO || type == GLP_DB || type == GLP_FX
        let hasUpper = type == GLP_UP || type == GLP_DB || type == GLP_FX
        let lower = hasLower ? glp_get_row_lb(problem, i) : 0, upper = hasUpper ? glp_get_row_ub(problem, i) : 0
        guard let scale = Self.integralScale(Array(values[1...max(1, count)].prefix(count)) + [lower, upper]) else {
            throw LinearProgramError.notExactlyRepresentable(what: "row \(i - 1)")
        }
        let magnitude = values[1...max(1, count)].prefix(count).reduce(max(abs(lower), abs(upper))) { max($0, abs($1)) } * scale
        guard scale != 1 else { return (magnitude, scale) }
        for k in 1...max(1, count) where k <= count { values[k] *= scale }
        glp_set_mat_row(problem, i, Int32(count), indices, values)
        glp_set_row_bnds(problem, i, type, lower * scale, upper * scale)
        return (magnitude, scale)
    }

    /// Column bounds and objective coefficients must be integral for `glp_exact` to read them.
    private func checkIntegralColumnData() throws {
        for j in 1...Int32(columnCount) {
            let data = [glp_get_col_lb(problem, j), glp_get_col_ub(problem, j), glp_get_obj_coef(problem, j)]
            guard data.allSatisfy({ $0.isFinite && $0 == $0.rounded() }) else {
                throw LinearProgramError.notExactlyRepresentable(what: "column \(j - 1) bound or objective")
            }
        }
    }

    /// The smallest 2^s (s ≥ 0) with every v·2^s an integer, or nil when that overflows. A double
    /// v = m·2^e has its lowest significant bit at 2^(exponent − significandWidth).
    static func integralScale(_ values: [Double]) -> Double? {
        var shift = 0
        for v in values where v != 0 {
            guard v.isFinite else { return nil }
            shift = max(shift, v.significandWidth - Int(v.exponent))
        }
        guard shift < 1024 else { return nil }
        let scale = Double(sign: .plus, exponent: shift, significand: 1)
        for v in values {
            let scaled = v * scale
            guard scaled.isFinite, scaled == scaled.rounded() else { return nil }
        }
        return scale
    }

    /// Reads the verdict; only proven optimality, infeasibility (GLP_NOFEAS) or unboundedness
    /// count. GLP_INFEAS or GLP_FEAS (the solver stopped with a point that is not proven optimal)
    /// and GLP_UNDEF are refused: the caller must decide another way.
    private func solution(status: Int32) throws -> Solution {
        switch status {
        case GLP_OPT:
            let values = (0..<columnCount).map { glp_get_col_prim(problem, Int32($0 + 1)) }
            let objective = glp_get_obj_val(problem)
            guard objective.isFinite, values.allSatisfy(\.isFinite) else { throw LinearProgramError.undecidedStatus(status: status) }
            return Solution(status: .optimal, objective: objective, values: values)
        case GLP_NOFEAS:
            return Solution(status: .infeasible, objective: .nan, values: [])
        case GLP_UNBND:
            return Solution(status: .unbounded, objective: .nan, values: [])
        default:
            throw LinearProgramError.undecidedStatus(status: status)
        }
    }

    private static func glpkBound(_ bound: Bound, what: String) throws -> (Int32, Double, Double) {
        func finite(_ x: Double) throws -> Double {
            guard x.isFinite else { throw LinearProgramError.nonFinite(what: "bound of \(what)") }
            return x
        }
        switch bound {
        case .free: return (GLP_FR, 0, 0)
        case .atLeast(let lo): return (GLP_LO, try finite(lo), 0)
        case .atMost(let hi): return (GLP_UP, 0, try finite(hi))
        case .fixed(let v): return (GLP_FX, try finite(v), try finite(v))
        case .between(let lo, let hi):
            _ = try finite(lo); _ = try finite(hi)
            guard lo <= hi else { throw LinearProgramError.emptyInterval(what: what, lower: lo, upper: hi) }
            return lo == hi ? (GLP_FX, lo, hi) : (GLP_DB, lo, hi)
        }
    }
}
