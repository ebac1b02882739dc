import ExactLipschitz
import Foundation
import LipschitzEstimates
import LipschitzModel
import LipschitzTestSupport
import XCTest

/// The region walk as branch and bound's source of incumbents during the search
/// (`LocalSearch`, wired as the command line does): the constant is the 2^n brute force's with
/// 1 and 2 threads, globally and in a box, and every value the walk reports is attained.
final class LocalSearchIncumbentTests: XCTestCase {
    func testInSearchLocalSearchKeepsTheConstantWithOneAndTwoThreads() throws {
        var rng = TestRandom(seed: 91)
        for trial in 0..<16 {
            let d = rng.int(1...3)
            let net = randomNetwork([d, rng.int(3...5), rng.int(3...5), rng.int(1...3), 1], using: &rng)
            let box = trial % 3 == 2 ? try randomBox(d, smallestSide: 0.5, spread: 1, using: &rng) : nil
            let norms: [LipschitzNorm] = [.one, .two, .infinity]
            let truth = try ExactBruteForce.run(net, norms: norms, box: box).constants
            let searches = norms.map { LocalSearch(network: net, norm: $0, box: box) }
            var values: [[Double]] = []
            for threads in [1, 2] {
                var options = ExactOptions(norms: norms, box: box)
                options.prune = true
                options.threads = threads
                options.localSearch = { start, p, evaluations in
                    searches[norms.firstIndex(of: p)!].climb(from: start, evaluations: evaluations)?.point
                }
                let report = try ExactSearch.compute(net, options: options)
                XCTAssertTrue(report.isExact, "trial \(trial)")
                for n in norms.indices {
                    assertRelativelyEqual(report.bounds[n].value, truth[n], 1e-9, "trial \(trial), \(threads) threads, ℓ\(norms[n])")
                }
                values.append(report.bounds.map(\.value))
            }
            XCTAssertEqual(values[0], values[1], "trial \(trial): 1 and 2 threads")
        }
    }

    /// What the walk reports is ‖J‖ at its point (never above the constant), and a start that
    /// is not a point of the domain gives nothing.
    func testClimbValuesAreAttained() throws {
        let net = randomNetwork([2, 6, 5, 1], seed: 12)
        let truth = try ExactBruteForce.run(net, norms: [.two]).constants[0]
        let search = LocalSearch(network: net, norm: .two, box: nil)
        var rng = TestRandom(seed: 3)
        var climbed = 0
        for _ in 0..<50 {
            let start = [3 * rng.normal(), 3 * rng.normal()]
            guard let reached = search.climb(from: start, evaluations: 100) else { continue }
            climbed += 1
            let value = try operatorNorm(net.jacobian(for: net.activationPattern(at: reached.point)), p: .two)
            assertRelativelyEqual(reached.value, value, 1e-12)
            XCTAssertLessThanOrEqual(reached.value, truth * (1 + 1e-12))
        }
        XCTAssertGreaterThan(climbed, 40)
        XCTAssertNil(search.climb(from: [.nan, 0], evaluations: 100))
        XCTAssertNil(search.climb(from: [1, 2, 3], evaluations: 100))
        let boxed = LocalSearch(network: net, norm: .two, box: try InputBox(lower: [0, 0], upper: [1, 1]))
        XCTAssertNil(boxed.climb(from: [2, 2], evaluations: 100))
    }
}
