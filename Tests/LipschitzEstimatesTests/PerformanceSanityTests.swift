import LipschitzEstimates
import LipschitzModel
import XCTest

/// Runs every method on a network far beyond the exact computation (d = 100, one hidden
/// layer of width 1000, He-style weights as in THEORY.md §2) and prints the timings. Not a
/// timed assertion: machines differ, and debug builds are much slower than release ones.
final class PerformanceSanityTests: XCTestCase {
    func testWideNetworkRunsAndBoundsAreOrdered() throws {
        let network = randomNetwork([100, 1000, 1], seed: 2026)
        var options = EstimateOptions(norm: .two, samples: 200, seed: 0)
        options.searchWork = 5e7  // a tenth of the default: debug builds are slow
        let estimates = try LipschitzEstimator.all(network, options: options)
        for e in estimates {
            print("d=100 N=1000 ℓ2 \(e.method.rawValue): \(e.value) (\(e.kind.rawValue)) in \(e.seconds) s")
        }
        let lower = estimates.filter { $0.kind == .lowerBound }.map(\.value).max()!
        let upper = estimates.filter { $0.kind == .upperBound }.map(\.value).min()!
        XCTAssertGreaterThan(lower, 0)
        XCTAssertLessThanOrEqual(lower, upper)
    }
}
