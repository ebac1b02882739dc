import ExactLipschitz
import LipschitzModel
import XCTest
import LipschitzTestSupport

/// Stopped searches still return a certified interval around the exact value.
final class BoundedSearchTests: XCTestCase {
    func testRegionLimitGivesCertifiedInterval() throws {
        var rng = TestRandom(seed: 5)
        for _ in 0..<20 {
            let net = randomNetwork([2, 6, 4, 2], using: &rng)
            let truth = try ExactSearch.compute(net, options: ExactOptions(norms: [.one, .two, .infinity]))
            for limit in [1, 3, max(1, truth.regions / 2)] {
                var options = ExactOptions(norms: [.one, .two, .infinity])
                options.maxRegions = limit
                let partial = try ExactSearch.compute(net, options: options)
                if limit >= truth.regions { continue }
                XCTAssertFalse(partial.isExact)
                XCTAssertEqual(partial.stopReason, .maxRegions)
                XCTAssertEqual(partial.regions, limit)
                for (m, bound) in partial.bounds.enumerated() {
                    let exact = truth.bounds[m].value
                    XCTAssertLessThanOrEqual(bound.lower, exact * (1 + 1e-12))
                    XCTAssertGreaterThanOrEqual(bound.upper, exact * (1 - 1e-12))
                }
            }
        }
    }

    func testStopRequestGivesCertifiedInterval() throws {
        var rng = TestRandom(seed: 6)
        let net = randomNetwork([3, 10, 1], using: &rng)
        let truth = try ExactSearch.compute(net)
        var options = ExactOptions()
        options.shouldStop = { true }
        let partial = try ExactSearch.compute(net, options: options)
        XCTAssertFalse(partial.isExact)
        XCTAssertEqual(partial.stopReason, .interrupted)
        XCTAssertLessThanOrEqual(partial.bounds[0].lower, truth.bounds[0].value)
        XCTAssertGreaterThanOrEqual(partial.bounds[0].upper, truth.bounds[0].value)
    }

    func testBadOptionsAreRejected() {
        let net = network([([[1], [-1]], [0, 0]), ([[1, 1], [1, 0]], [0, 0])])
        XCTAssertThrowsError(try ExactSearch.compute(net, options: ExactOptions(norms: [.p(3)])))
        XCTAssertThrowsError(try ExactSearch.compute(net, options: ExactOptions(norms: [])))
        XCTAssertThrowsError(try ExactSearch.compute(net, options: ExactOptions(box: try! InputBox(lower: [0, 0], upper: [1, 1]))))
        var options = ExactOptions()
        options.maxRegions = 0
        XCTAssertThrowsError(try ExactSearch.compute(net, options: options))
    }
}
