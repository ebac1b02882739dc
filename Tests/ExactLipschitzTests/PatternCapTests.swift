@testable import ExactLipschitz
import Foundation
import LipschitzModel
import LipschitzTestSupport
import XCTest

/// The pattern-space cap of branch and bound's anytime interval (`PatternCap`): searches stopped
/// at every stage (before the cap exists, while it falls, after its tree is done) report an
/// interval that holds the 2^n brute force's constant, with 1 and 2 threads, for ℓ1, ℓ2 and ℓ∞
/// and for vector outputs. (Scaling the cap by 0.9 made this test fail in one trial, by 0.5 in more: it sees the cap.)
final class PatternCapTests: XCTestCase {
    /// Stops a search once it has traced `points` intervals (one per finished subtree; the cap
    /// advances between subtrees, so after two it has had a turn).
    private final class StopAfter: @unchecked Sendable {
        private let lock = NSLock()
        private var traced = 0
        private let points: Int
        init(_ points: Int) { self.points = points }
        func trace() { lock.lock(); traced += 1; lock.unlock() }
        func shouldStop() -> Bool { lock.lock(); defer { lock.unlock() }; return traced >= points }
    }

    func testStoppedIntervalUnderTheCapHoldsTheConstant() throws {
        var rng = TestRandom(seed: 4242)
        for trial in 0..<24 {
            let d = rng.int(1...3)
            var widths = [d, rng.int(4...6), rng.int(3...5)]
            if trial % 2 == 1 { widths.append(rng.int(2...3)) }
            widths.append(trial % 4 == 3 ? 2 : 1)
            let net = randomNetwork(widths, using: &rng)
            let norms: [LipschitzNorm] = net.outputDimension == 1 ? [.one, .two, .infinity] : [.one, .infinity]
            let reference = try BruteForce.run(net, norms: norms, box: nil)
            for (k, points) in [1, 2, 3, 6, 20].enumerated() {
                var options = ExactOptions(norms: norms)
                options.prune = true
                options.method = .linearPrograms
                options.threads = 1 + (trial + k) % 2
                options.handBackSlice = 2
                options.splitAfterNodes = 0
                options.patternCapShare = 1
                let stop = StopAfter(points)
                options.trace = { _ in stop.trace() }
                options.shouldStop = { stop.shouldStop() }
                let report = try ExactSearch.compute(net, options: options)
                for (n, norm) in norms.enumerated() {
                    let bound = report.bounds[n], truth = reference.best[n]
                    let label = "trial \(trial) \(widths) ℓ\(norm) stopped after \(points) trace points, \(options.threads) threads"
                    XCTAssertLessThanOrEqual(bound.lower, truth * (1 + 1e-9), label)
                    XCTAssertGreaterThanOrEqual(bound.upper, truth * (1 - 1e-9), label)
                    if report.isExact { assertRelativelyEqual(bound.value, truth, 1e-9, label) }
                }
            }
        }
    }
}
