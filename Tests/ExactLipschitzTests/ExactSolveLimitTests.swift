@testable import ExactLipschitz
import XCTest

/// `glp_exact` cannot be interrupted, so each rational solve gets what the search's time limit
/// leaves: a degenerate d = 2, N = 10^4 network sent to the LP search spent ~40 s in rational
/// solves after a 10 s limit (203 s against 60 s in the theory sweep) before this.
final class ExactSolveLimitTests: XCTestCase {
    func testEachExactSolveGetsWhatTheTimeLimitLeaves() {
        XCTAssertEqual(ExactRegionTest.milliseconds(remaining: nil), ExactRegionTest.longestSolve)
        XCTAssertEqual(ExactRegionTest.milliseconds(remaining: 0.25), 250)
        XCTAssertEqual(ExactRegionTest.milliseconds(remaining: 2.0001), 2001)
        XCTAssertEqual(ExactRegionTest.milliseconds(remaining: 1e-9), 1, "GLPK needs a positive limit")
        XCTAssertEqual(ExactRegionTest.milliseconds(remaining: 0), 1)
        XCTAssertEqual(ExactRegionTest.milliseconds(remaining: -5), 1, "past the limit: stop at once")
        XCTAssertEqual(ExactRegionTest.milliseconds(remaining: 1e6), ExactRegionTest.longestSolve)
        XCTAssertEqual(ExactRegionTest.milliseconds(remaining: .infinity), ExactRegionTest.longestSolve)
        XCTAssertEqual(ExactRegionTest.milliseconds(remaining: -.infinity), 1)
    }
}
