@testable import ExactLipschitz
import LipschitzModel
import LipschitzTestSupport
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

/// A stop is seen at every side, not only at every node: when the solvers decide nothing, the
/// pending sides of a long path add no node, and unwinding them (an exact solve each) took ~40 s
/// past a 10 s limit on a degenerate d = 2, N = 10^4 network sent to the LP search.
final class StopWhileUnwindingTests: XCTestCase {
    func testTheStopIsCheckedBeforeEverySide() throws {
        var rng = TestRandom(seed: 77)
        for widths in [[2, 12, 1], [3, 8, 8, 1]] {
            let net = randomNetwork(widths, using: &rng)
            var options = ExactOptions()
            options.method = .linearPrograms
            options.threads = 1
            let calls = Counter()
            options.shouldStop = { calls.increment() < 0 }
            let report = try ExactSearch.compute(net, options: options)
            XCTAssertTrue(report.isExact)
            let s = report.statistics
            XCTAssertGreaterThan(s.emptySides, 0, "\(widths): the case needs sides that add no node")
            // One check per node (on entering it) and one per side (before deciding it): a side
            // that adds no node (empty, or undecided) is still preceded by a check.
            XCTAssertGreaterThanOrEqual(calls.count, s.nodes + s.emptySides, "\(widths) \(s)")
        }
    }
}

private final class Counter: @unchecked Sendable {
    private(set) var count = 0
    func increment() -> Int { count += 1; return count }
}
