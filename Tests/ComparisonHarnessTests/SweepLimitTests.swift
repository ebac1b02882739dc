import ComparisonHarness
import Foundation
import LipschitzModel
import LipschitzTestSupport
import RandomNetworks
import XCTest

/// Counts from the command line (trials, widths, dimensions) never make the harness allocate
/// in proportion to them before work starts: absurd ones are refused at once, and a sweep's
/// networks are drawn one at a time, so a stopped run has drawn only what it ran.
final class SweepLimitTests: XCTestCase {
    func testAbsurdTrialCountsAreRefusedAtOnce() throws {
        let start = Date()
        for trials in [1_000_000_000, Int.max] {
            XCTAssertThrowsError(try SweepPlan(dimensions: [2], widths: [3], trials: trials)) { error in
                XCTAssertTrue(error is InputProblem, "\(error)")
                XCTAssertTrue("\(error)".contains("limit is \(SweepPlan.maximumNetworks)"), "\(error)")
            }
        }
        // Cells × trials overflowing Int is refused too, not trapped.
        XCTAssertThrowsError(try SweepPlan(dimensions: [1, 2, 3], widths: [3], trials: Int.max / 2))
        XCTAssertLessThan(Date().timeIntervalSince(start), 1, "refusing must not build the sweep first")
        XCTAssertEqual(try SweepPlan(dimensions: [2], widths: [3], trials: SweepPlan.maximumNetworks).networkCount, SweepPlan.maximumNetworks)
    }

    func testRegionBoundOfAbsurdSizesSaturatesWithoutTrapping() {
        XCTAssertEqual(SweepPlan.regionBound(d: Int.max, width: Int.max, depth: Int.max), Int.max)
        XCTAssertEqual(SweepPlan.regionBound(d: 1_000_000_000, width: 2, depth: 1), 4)
        XCTAssertEqual(SweepPlan.regionBound(d: 2, width: 1_000_000, depth: 1), 1 + 1_000_000 + 499_999_500_000)
    }

    func testNetworksAreDrawnOnDemandInTheSameOrder() throws {
        let plan = try SweepPlan(dimensions: [1, 2], widths: [3, 4], biases: [.normal, .uniform], trials: 2, seed: 4)
        XCTAssertEqual(plan.networkCount, 16)
        let all = try plan.cases()
        for i in [0, 5, 15] {
            let one = try plan.comparisonCase(at: i)
            XCTAssertEqual(one.label, all[i].label)
            XCTAssertEqual(one.network, all[i].network)
        }
    }

    func testHarnessStopsWhenAskedAndDrawsNothingMore() throws {
        let plan = try SweepPlan(dimensions: [2], widths: [3], trials: 100_000)
        let harness = Harness(settings: HarnessSettings(), methods: [])
        var drawn: [Int] = []
        let results = try harness.run(count: plan.networkCount, case: { index in
            drawn.append(index)
            return try plan.comparisonCase(at: index)
        }, shouldStop: { drawn.count >= 3 })
        XCTAssertEqual(results.count, 3)
        XCTAssertEqual(drawn, [0, 1, 2])
    }
}
