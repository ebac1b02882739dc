import Foundation
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

/// Branch and bound's anytime interval (`ExactOptions.trace`, `--trace`): every point holds the
/// constant, the lower bound never falls, the upper bound never rises, the last point is the
/// exact value; 1 and 2 threads give the same constant.
final class AnytimeTraceTests: XCTestCase {
    final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [TracePoint] = []
        func append(_ point: TracePoint) { lock.lock(); stored.append(point); lock.unlock() }
        var points: [TracePoint] { lock.lock(); defer { lock.unlock() }; return stored }
    }

    func testTraceIntervalsHoldTheConstantAndNarrow() throws {
        var rng = TestRandom(seed: 101)
        for trial in 0..<8 {
            let net = randomNetwork([rng.int(2...3), rng.int(4...7), rng.int(3...6), rng.int(1...2)], using: &rng)
            var reference = ExactOptions(norms: [.two])
            reference.method = .linearPrograms
            let truth = try ExactSearch.compute(net, options: reference).bounds[0].value
            var values: [Double] = []
            for threads in [1, 2] {
                let recorder = Recorder()
                var options = ExactOptions(norms: [.two])
                options.prune = true
                options.threads = threads
                options.trace = { recorder.append($0) }
                let report = try ExactSearch.compute(net, options: options)
                XCTAssertTrue(report.isExact)
                values.append(report.bounds[0].value)
                let points = recorder.points
                XCTAssertGreaterThanOrEqual(points.count, 2, "trial \(trial)")
                for (i, point) in points.enumerated() {
                    XCTAssertLessThanOrEqual(point.lower, truth * (1 + 1e-9), "trial \(trial) point \(i)")
                    XCTAssertGreaterThanOrEqual(point.upper, truth * (1 - 1e-9), "trial \(trial) point \(i)")
                    if i > 0 {
                        XCTAssertGreaterThanOrEqual(point.lower, points[i - 1].lower)
                        XCTAssertLessThanOrEqual(point.upper, points[i - 1].upper)
                    }
                }
                if let last = points.last { XCTAssertEqual(last.lower, last.upper) }
            }
            assertRelativelyEqual(values[0], truth, 1e-9, "trial \(trial), 1 thread")
            assertRelativelyEqual(values[1], truth, 1e-9, "trial \(trial), 2 threads")
        }
    }
}
