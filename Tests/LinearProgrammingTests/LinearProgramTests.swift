import Dispatch
import Foundation
import XCTest
import LinearProgramming
import LipschitzTestSupport

private func assertClose(_ a: Double, _ b: Double, tolerance: Double = 1e-9,
                         _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertTrue(abs(a - b) <= tolerance * max(1, abs(a), abs(b)), "\(a) is not close to \(b) \(message())", file: file, line: line)
}

/// Runs `body`, which must throw exactly `expected`.
private func assertThrows(_ expected: LinearProgramError, file: StaticString = #filePath, line: UInt = #line,
                          _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected \(expected), nothing was thrown", file: file, line: line)
    } catch let error as LinearProgramError {
        XCTAssertEqual(error, expected, file: file, line: line)
        XCTAssertTrue(error.description.hasPrefix("linear program"), error.description, file: file, line: line)
    } catch {
        XCTFail("expected \(expected), got \(error)", file: file, line: line)
    }
}

final class LinearProgramTests: XCTestCase {
    /// max x + y  s.t.  x + 2y ≤ 4,  3x + y ≤ 6,  x, y ≥ 0: optimum (8/5, 6/5), value 14/5.
    private func textbookMaximum() throws -> LinearProgram {
        let lp = try LinearProgram(columns: 2, optimisation: .maximise)
        try lp.setObjective([1, 1])
        try lp.setColumnBound(0, .atLeast(0))
        try lp.setColumnBound(1, .atLeast(0))
        try lp.addRow([1, 2], .atMost(4))
        try lp.addRow([3, 1], .atMost(6))
        return lp
    }

    func testMaximum() throws {
        let lp = try textbookMaximum()
        let s = try lp.solve()
        XCTAssertEqual(s.status, .optimal)
        assertClose(s.objective, 14.0 / 5)
        XCTAssertEqual(s.values.count, 2)
        assertClose(s.values[0], 8.0 / 5)
        assertClose(s.values[1], 6.0 / 5)
        XCTAssertEqual(lp.rowCount, 2)
        XCTAssertEqual(lp.columnCount, 2)
        XCTAssertEqual(lp.solveCount, 1)
    }

    /// After a failed solve, `rebuilt()` is the same problem from scratch: same rows, bounds and
    /// objective, a fresh basis, and no injected failure.
    func testRebuiltProblemSolvesAfterAFailure() throws {
        let lp = try textbookMaximum()
        try lp.setColumnBound(0, .between(-1, 1))
        lp.injectedFailurePeriod = 1
        XCTAssertThrowsError(try lp.solve()) { XCTAssertEqual($0 as? LinearProgramError, .solverFailed(code: -1)) }
        let fresh = try lp.rebuilt()
        XCTAssertEqual(fresh.rowCount, lp.rowCount)
        let s = try fresh.solve()
        XCTAssertEqual(s.status, .optimal)
        lp.injectedFailurePeriod = nil
        let reference = try lp.solve()
        assertClose(s.objective, reference.objective)
        assertClose(s.values[0], reference.values[0])
        assertClose(s.values[1], reference.values[1])
        XCTAssertLessThanOrEqual(s.values[0], 1 + 1e-12)
    }

    /// A solve that needs more simplex iterations than allowed fails at once (GLP_EITLIM), in
    /// the float and the exact solver alike, instead of running on to the time limit: the class
    /// of a cycling simplex (fuzz input `Fuzz/regressions/exact/simplex-stall-badly-scaled`
    /// stalled GLPK for the whole 10 s time limit). The default limit solves the same problem.
    func testIterationLimitEndsAStalledSolve() throws {
        func cube() throws -> LinearProgram {
            let n = 12
            let lp = try LinearProgram(columns: n, optimisation: .maximise)
            try lp.setObjective((0..<n).map { Double($0 + 1) })
            for j in 0..<n { try lp.addRow((0..<n).map { $0 == j ? 1 : 0 }, .between(-1, 1)) }
            return lp
        }
        let limited = try cube()
        limited.maximumIterations = 1
        XCTAssertThrowsError(try limited.solve()) { XCTAssertEqual($0 as? LinearProgramError, .solverFailed(code: 8)) }  // GLP_EITLIM
        XCTAssertThrowsError(try limited.rebuilt().solve()) { XCTAssertEqual($0 as? LinearProgramError, .solverFailed(code: 8)) }
        let exact = try cube()
        exact.maximumIterations = 1
        XCTAssertThrowsError(try exact.solveExactly()) { XCTAssertEqual($0 as? LinearProgramError, .solverFailed(code: 8)) }
        let s = try cube().solve()
        XCTAssertEqual(s.status, .optimal)
        assertClose(s.objective, 78)
    }

    func testMinimumWithColumnBounds() throws {
        // min 2x + 3y  s.t.  x + y ≥ 4,  0 ≤ x ≤ 3,  y ≥ 0: optimum (3, 1), value 9.
        let lp = try LinearProgram(columns: 2, optimisation: .minimise)
        try lp.setObjective([2, 3])
        try lp.setColumnBound(0, .between(0, 3))
        try lp.setColumnBound(1, .atLeast(0))
        try lp.addRow([1, 1], .atLeast(4))
        let s = try lp.solve()
        XCTAssertEqual(s.status, .optimal)
        assertClose(s.objective, 9)
        assertClose(s.values[0], 3)
        assertClose(s.values[1], 1)
    }

    func testFreeColumnsEqualityAndRanges() throws {
        // min x − y  s.t.  x + y = 2 (fixed),  −1 ≤ x − 2y ≤ 1 (range), x, y free.
        // x = 2 − y, x − 2y = 2 − 3y ∈ [−1, 1] → y ∈ [1/3, 1]; objective 2 − 2y minimal at y = 1: value 0.
        let lp = try LinearProgram(columns: 2, optimisation: .minimise)
        try lp.setObjective([1, -1])
        try lp.addRow([1, 1], .fixed(2))
        try lp.addRow([1, -2], .between(-1, 1))
        var s = try lp.solve()
        XCTAssertEqual(s.status, .optimal)
        assertClose(s.objective, 0)
        assertClose(s.values[0], 1)
        assertClose(s.values[1], 1)
        // A degenerate range (lo == hi) acts as an equality: x − 2y = 0 → y = 2/3, value 2/3.
        try lp.truncateRows(to: 1)
        try lp.addRow([1, -2], .between(0, 0))
        s = try lp.solve()
        XCTAssertEqual(s.status, .optimal)
        assertClose(s.objective, 2.0 / 3)
        assertClose(s.values[1], 2.0 / 3)
    }

    func testInfeasible() throws {
        let lp = try LinearProgram(columns: 2, optimisation: .maximise)
        try lp.setObjective([1, 0])
        try lp.addRow([1, 1], .atMost(1))
        try lp.addRow([1, 1], .atLeast(2))
        XCTAssertEqual(try lp.solve().status, .infeasible)

        // Through column bounds: 0 ≤ x ≤ 1 and the row x ≥ 2.
        let bounded = try LinearProgram(columns: 1, optimisation: .minimise)
        try bounded.setObjective([1])
        try bounded.setColumnBound(0, .between(0, 1))
        try bounded.addRow([1], .atLeast(2))
        let s = try bounded.solve()
        XCTAssertEqual(s.status, .infeasible)
        XCTAssertTrue(s.values.isEmpty)
        XCTAssertTrue(s.objective.isNaN)
    }

    func testUnbounded() throws {
        // max x + y  s.t.  x − y ≤ 1,  x, y ≥ 0.
        let lp = try LinearProgram(columns: 2, optimisation: .maximise)
        try lp.setObjective([1, 1])
        try lp.setColumnBound(0, .atLeast(0))
        try lp.setColumnBound(1, .atLeast(0))
        try lp.addRow([1, -1], .atMost(1))
        XCTAssertEqual(try lp.solve().status, .unbounded)

        // min x with x free and no rows.
        let free = try LinearProgram(columns: 1, optimisation: .minimise)
        try free.setObjective([1])
        XCTAssertEqual(try free.solve().status, .unbounded)

        // min x + y  s.t.  x + y ≤ 3 (free columns): unbounded below.
        let below = try LinearProgram(columns: 2, optimisation: .minimise)
        try below.setObjective([1, 1])
        try below.addRow([1, 1], .atMost(3))
        XCTAssertEqual(try below.solve().status, .unbounded)
    }

    /// A row with no nonzero coefficient is the constant 0: feasible or not by its bound alone.
    func testZeroRows() throws {
        let lp = try textbookMaximum()
        try lp.addRow([0, 0], .atMost(1))
        var s = try lp.solve()
        XCTAssertEqual(s.status, .optimal)
        assertClose(s.objective, 14.0 / 5)
        try lp.addRow([0, 0], .atLeast(0.5))
        XCTAssertEqual(try lp.solve().status, .infeasible)
        try lp.truncateRows(to: 3)
        s = try lp.solve()
        XCTAssertEqual(s.status, .optimal)
        assertClose(s.objective, 14.0 / 5)
    }

    func testAddingAndTruncatingRowsRestoresTheOptimum() throws {
        let lp = try textbookMaximum()
        let first = try lp.solve()
        // Cut the optimum off: x ≤ 1 → optimum (1, 3/2), value 5/2.
        try lp.addRow([1, 0], .atMost(1))
        var s = try lp.solve()
        assertClose(s.objective, 2.5)
        // And y ≤ 1 too → (1, 1), value 2.
        try lp.addRow([0, 1], .atMost(1))
        s = try lp.solve()
        assertClose(s.objective, 2)
        XCTAssertEqual(lp.rowCount, 4)
        try lp.truncateRows(to: 3)
        s = try lp.solve()
        assertClose(s.objective, 2.5)
        try lp.truncateRows(to: 2)
        XCTAssertEqual(lp.rowCount, 2)
        s = try lp.solve()
        XCTAssertEqual(s.status, .optimal)
        assertClose(s.objective, first.objective)
        assertClose(s.values[0], 8.0 / 5)
        // Truncating to the current count does nothing; to zero leaves the box x, y ≥ 0 (unbounded).
        try lp.truncateRows(to: 2)
        XCTAssertEqual(lp.rowCount, 2)
        try lp.truncateRows(to: 0)
        XCTAssertEqual(lp.rowCount, 0)
        XCTAssertEqual(try lp.solve().status, .unbounded)
        XCTAssertEqual(lp.solveCount, 6)
    }

    func testTruncateOutOfRange() throws {
        let lp = try textbookMaximum()
        assertThrows(.indexOutOfRange(what: "row count", index: 3, count: 3)) { try lp.truncateRows(to: 3) }
        assertThrows(.indexOutOfRange(what: "row count", index: -1, count: 3)) { try lp.truncateRows(to: -1) }
        XCTAssertEqual(lp.rowCount, 2)
    }

    func testBasisSaveAndRestore() throws {
        let lp = try textbookMaximum()
        let first = try lp.solve()
        let saved = lp.basis()
        XCTAssertEqual(saved.rowCount, 2)
        try lp.addRow([1, 0], .atMost(0.5))
        try lp.addRow([0, 1], .atMost(0.25))
        let cut = try lp.solve()
        assertClose(cut.objective, 0.75)
        XCTAssertEqual(lp.basis().rowCount, 4)
        XCTAssertNotEqual(lp.basis(), saved)
        try lp.truncateRows(to: 2)
        lp.restore(saved)
        XCTAssertEqual(lp.basis(), saved, "restoring gives back the saved statuses")
        let again = try lp.solve()
        XCTAssertEqual(again.status, .optimal)
        assertClose(again.objective, first.objective)
        assertClose(again.values[0], first.values[0])
        assertClose(again.values[1], first.values[1])
        // Restoring a basis saved with fewer rows than now: the new rows' slacks become basic.
        try lp.addRow([1, 1], .atMost(2))
        lp.restore(saved)
        XCTAssertEqual(lp.basis().rowCount, 3)
        let third = try lp.solve()
        assertClose(third.objective, 2)
    }

    /// A depth-first style sequence of adds, solves and truncations agrees with solving each
    /// problem from scratch.
    func testWarmStartsAgreeWithFreshSolves() throws {
        var rng = TestRandom(seed: 17)
        let n = 3
        let objective = (0..<n).map { _ in rng.uniform(-1, 1) }
        let lp = try LinearProgram(columns: n, optimisation: .maximise)
        try lp.setObjective(objective)
        for j in 0..<n { try lp.setColumnBound(j, .between(-10, 10)) }
        var rows: [([Double], Double)] = []
        var stackOfBases: [Basis] = []
        for step in 0..<60 {
            if rows.count > 0, rng.uniform(0, 1) < 0.4 {
                let keep = Int(rng.uniform(0, Double(rows.count)))
                try lp.truncateRows(to: keep)
                rows.removeLast(rows.count - keep)
                stackOfBases.removeLast(stackOfBases.count - keep)
                if let basis = stackOfBases.last { lp.restore(basis) }
            } else {
                // Half-spaces a·x ≤ b with b > 0 keep the origin feasible.
                let a = (0..<n).map { _ in rng.uniform(-1, 1) }
                let b = rng.uniform(0.1, 2)
                try lp.addRow(a, .atMost(b))
                rows.append((a, b))
            }
            let warm = try lp.solve()
            if rows.count > stackOfBases.count { stackOfBases.append(lp.basis()) }

            let fresh = try LinearProgram(columns: n, optimisation: .maximise)
            try fresh.setObjective(objective)
            for j in 0..<n { try fresh.setColumnBound(j, .between(-10, 10)) }
            for (a, b) in rows { try fresh.addRow(a, .atMost(b)) }
            let cold = try fresh.solve()
            XCTAssertEqual(warm.status, .optimal, "step \(step)")
            XCTAssertEqual(cold.status, .optimal, "step \(step)")
            assertClose(warm.objective, cold.objective, tolerance: 1e-8, "step \(step)")
            // The warm solution is feasible.
            for (a, b) in rows {
                XCTAssertLessThanOrEqual(zip(a, warm.values).map(*).reduce(0, +), b + 1e-8, "step \(step)")
            }
        }
    }

    /// The Chebyshev ball of the triangle x ≥ 0, y ≥ 0, x + y ≤ 1: radius 1 − 1/√2, centre (r, r).
    func testChebyshevBallOfTriangle() throws {
        let (r, centre) = try chebyshevBall(halfSpaces: [([-1, 0], 0), ([0, -1], 0), ([1, 1], 1)])
        assertClose(r, 1 - 1 / 2.0.squareRoot(), tolerance: 1e-12)
        assertClose(r, 0.2928932188134524, tolerance: 1e-12)
        assertClose(centre[0], r, tolerance: 1e-12)
        assertClose(centre[1], r, tolerance: 1e-12)
    }

    func testChebyshevBallOfSquareAndEmptyPolytope() throws {
        // The square [−1, 3] × [0, 2] has inradius 1 (its height is 2).
        let (r, centre) = try chebyshevBall(halfSpaces: [([-1, 0], 1), ([1, 0], 3), ([0, -1], 0), ([0, 1], 2)])
        assertClose(r, 1, tolerance: 1e-12)
        assertClose(centre[1], 1, tolerance: 1e-12)
        XCTAssertGreaterThanOrEqual(centre[0], 0 - 1e-9)
        XCTAssertLessThanOrEqual(centre[0], 2 + 1e-9)
        // x ≤ 0 and x ≥ 1: no ball at all (with r ≥ 0 required, infeasible).
        let lp = try LinearProgram(columns: 3, optimisation: .maximise)
        try lp.setObjective([0, 0, 1])
        try lp.setColumnBound(2, .atLeast(0))
        try lp.addRow([1, 0, 1], .atMost(0))
        try lp.addRow([-1, 0, 1], .atMost(-1))
        XCTAssertEqual(try lp.solve().status, .infeasible)
    }

    // MARK: - Validation: GLPK never sees bad numbers

    func testValidation() throws {
        let lp = try LinearProgram(columns: 2, optimisation: .minimise)
        assertThrows(.nonFinite(what: "objective coefficient 1")) { try lp.setObjective([1, .nan]) }
        assertThrows(.nonFinite(what: "objective coefficient 0")) { try lp.setObjective([-.infinity, 1]) }
        assertThrows(.dimensionMismatch(what: "objective", got: 3, expected: 2)) { try lp.setObjective([1, 2, 3]) }
        assertThrows(.nonFinite(what: "row 0 coefficient 1")) { try lp.addRow([1, .nan], .atMost(1)) }
        assertThrows(.nonFinite(what: "row 0 coefficient 0")) { try lp.addRow([.infinity, 1], .atMost(1)) }
        assertThrows(.nonFinite(what: "bound of row 0")) { try lp.addRow([1, 1], .atMost(.nan)) }
        assertThrows(.nonFinite(what: "bound of row 0")) { try lp.addRow([1, 1], .atLeast(-.infinity)) }
        assertThrows(.nonFinite(what: "bound of row 0")) { try lp.addRow([1, 1], .between(0, .infinity)) }
        assertThrows(.nonFinite(what: "bound of row 0")) { try lp.addRow([1, 1], .fixed(.nan)) }
        assertThrows(.dimensionMismatch(what: "row", got: 1, expected: 2)) { try lp.addRow([1], .atMost(1)) }
        assertThrows(.dimensionMismatch(what: "row", got: 3, expected: 2)) { try lp.addRow([1, 2, 3], .atMost(1)) }
        assertThrows(.emptyInterval(what: "row 0", lower: 2, upper: 1)) { try lp.addRow([1, 1], .between(2, 1)) }
        assertThrows(.indexOutOfRange(what: "column", index: 2, count: 2)) { try lp.setColumnBound(2, .atLeast(0)) }
        assertThrows(.indexOutOfRange(what: "column", index: -1, count: 2)) { try lp.setColumnBound(-1, .atLeast(0)) }
        assertThrows(.nonFinite(what: "bound of column 1")) { try lp.setColumnBound(1, .atMost(.nan)) }
        assertThrows(.emptyInterval(what: "column 0", lower: 1, upper: 0)) { try lp.setColumnBound(0, .between(1, 0)) }
        // Nothing was added by the failed calls, and the problem still works.
        XCTAssertEqual(lp.rowCount, 0)
        try lp.setObjective([1, 1])
        try lp.setColumnBound(0, .between(1, 2))
        try lp.setColumnBound(1, .fixed(3))
        try lp.addRow([1, 1], .atLeast(0))
        let s = try lp.solve()
        XCTAssertEqual(s.status, .optimal)
        assertClose(s.objective, 4)
    }

    /// Numbers whose squares overflow (GLPK's pricing squares row entries) made `glp_simplex`
    /// abort the whole process (`Assertion failed: p != 0`, spychuzr.c): the lifted exact test
    /// of a network with one weight of 1e290 did it. Above `largestSafeMagnitude` (in a row,
    /// a bound, the objective or a column bound) `solve` throws instead; the exact solver still
    /// decides; truncating the row makes the problem solvable in floating point again.
    func testNumbersBeyondTheFloatingPointRangeAreRefusedNotAborted() throws {
        for huge in [1e151, 1e160, 1e200, 1e290, -1e300] {
            let lp = try LinearProgram(columns: 2, optimisation: .maximise)
            try lp.setObjective([0, 1])
            try lp.setColumnBound(1, .atMost(1))
            try lp.addRow([1, -1], .atLeast(0))
            try lp.addRow([-1, -1], .atLeast(-1))
            XCTAssertEqual(try lp.solve().status, .optimal)
            try lp.addRow([huge, 1], .atMost(abs(huge)))
            assertThrows(.outOfFloatingPointRange) { _ = try lp.solve() }
            assertThrows(.outOfFloatingPointRange) { _ = try lp.rebuilt().solve() }
            let exact = try lp.solveExactly()
            XCTAssertEqual(exact.status, .optimal, "\(huge)")
            try lp.truncateRows(to: 2)
            XCTAssertEqual(try lp.solve().status, .optimal)
            let bound = try LinearProgram(columns: 1, optimisation: .maximise)
            try bound.setObjective([1])
            try bound.addRow([1], .atMost(huge))
            assertThrows(.outOfFloatingPointRange) { _ = try bound.solve() }
            let objective = try LinearProgram(columns: 1, optimisation: .maximise)
            try objective.setObjective([huge])
            try objective.setColumnBound(0, .between(0, 1))
            assertThrows(.outOfFloatingPointRange) { _ = try objective.solve() }
        }
        // At the limit itself the simplex runs.
        let lp = try LinearProgram(columns: 1, optimisation: .maximise)
        try lp.setObjective([1])
        try lp.addRow([LinearProgram.largestSafeMagnitude], .atMost(LinearProgram.largestSafeMagnitude))
        XCTAssertEqual(try lp.solve().status, .optimal)
    }

    /// A row that scales to integers only by more than 2^600 (a weight of 1e-200 next to 1) is refused
    /// by the exact solver: `glp_exact` aborted the process on reduced costs below 2⁻¹⁰⁷⁴
    /// (`ssx_chuzc`). Rows within the limit are solved.
    func testExactSolveRefusesRowsScaledBeyondItsRange() throws {
        let lp = try LinearProgram(columns: 2, optimisation: .maximise)
        try lp.setObjective([0, 1])
        try lp.setColumnBound(1, .atMost(1))
        try lp.addRow([1e-200, -1], .atLeast(0))
        assertThrows(.notExactlyRepresentable(what: "a row scaled by more than 2^600")) { _ = try lp.solveExactly() }
        let fine = try LinearProgram(columns: 2, optimisation: .maximise)
        try fine.setObjective([0, 1])
        try fine.setColumnBound(1, .atMost(1))
        try fine.addRow([1e-100, -1], .atLeast(0))
        try fine.addRow([-1, 0], .atLeast(-1))
        XCTAssertEqual(try fine.solveExactly().status, .optimal)
    }

    func testInvalidConstruction() {
        assertThrows(.dimensionMismatch(what: "column count", got: 0, expected: 1)) {
            _ = try LinearProgram(columns: 0, optimisation: .minimise)
        }
        for tolerance in [Double.nan, .infinity, 0, -1e-9, 0.5] {
            XCTAssertThrowsError(try LinearProgram(columns: 1, optimisation: .minimise, feasibilityTolerance: tolerance),
                                 "tolerance \(tolerance)")
        }
    }

    func testErrorDescriptions() {
        XCTAssertEqual(LinearProgramError.nonFinite(what: "objective coefficient 1").description,
                       "linear program: objective coefficient 1 is NaN or infinite")
        XCTAssertEqual(LinearProgramError.indexOutOfRange(what: "column", index: 5, count: 2).description,
                       "linear program: column index 5 is outside 0..<2")
        XCTAssertTrue(LinearProgramError.emptyInterval(what: "row 0", lower: 2, upper: 1).description.contains("above"))
    }

    // MARK: - Threads

    /// Each thread builds and solves its own problems (GLPK's environment is per thread).
    func testProblemsOnSeveralThreadsAtOnce() {
        let count = 16
        let lock = NSLock()
        var radii = [Double](repeating: .nan, count: count)
        var failures: [String] = []
        DispatchQueue.concurrentPerform(iterations: count) { i in
            let scale = Double(i + 1)
            do {
                for _ in 0..<20 {
                    // The triangle scaled by `scale` has inradius scale · (1 − 1/√2).
                    let (r, _) = try chebyshevBall(halfSpaces: [([-1, 0], 0), ([0, -1], 0), ([1, 1], scale)])
                    lock.lock(); radii[i] = r; lock.unlock()
                }
            } catch {
                lock.lock(); failures.append("\(i): \(error)"); lock.unlock()
            }
        }
        XCTAssertEqual(failures, [])
        for i in 0..<count { assertClose(radii[i], Double(i + 1) * (1 - 1 / 2.0.squareRoot()), tolerance: 1e-11, "thread \(i)") }
    }
}

/// max r  s.t.  aᵢ·x + ‖aᵢ‖₂ r ≤ bᵢ,  r ≥ 0: the largest ball inside {x : aᵢ·x ≤ bᵢ}.
private func chebyshevBall(halfSpaces: [([Double], Double)]) throws -> (radius: Double, centre: [Double]) {
    let n = halfSpaces[0].0.count
    let lp = try LinearProgram(columns: n + 1, optimisation: .maximise)
    try lp.setObjective(Array(repeating: 0, count: n) + [1])
    try lp.setColumnBound(n, .atLeast(0))
    for (a, b) in halfSpaces {
        let norm = a.map { $0 * $0 }.reduce(0, +).squareRoot()
        try lp.addRow(a + [norm], .atMost(b))
    }
    let s = try lp.solve()
    guard s.status == .optimal else { throw LinearProgramError.solverFailed(code: -1) }
    return (s.objective, Array(s.values.prefix(n)))
}
