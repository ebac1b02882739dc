@testable import ExactLipschitz
import Foundation
import LipschitzModel
import LipschitzTestSupport
import XCTest

/// Shards of the sweep (issue 13's hook) and stopped sweeps.
final class SweepShardAndStopTests: XCTestCase {
    /// The parts of shards 1…N tile the sweep order: each starts where the previous ended.
    func testPartsTileTheSweep() {
        for (planes, d) in [(9, 1), (12, 2), (15, 3), (11, 4), (30, 2)] {
            let lines = Subsets.binomial(planes, d - 1)
            for count in [1, 2, 3, 7, 50] {
                let parts = (1...count).map { SweepPartition.part(planes: planes, dimension: d, jacobianSize: d, shard: try! Shard(index: $0, count: count)) }
                XCTAssertEqual(parts.first?.startLine, 0)
                XCTAssertEqual(parts.first?.startOrdinal, 0)
                XCTAssertEqual(parts.last?.endLine, lines)
                XCTAssertEqual(parts.last?.endOrdinal, 0)
                for k in 1..<count {
                    XCTAssertEqual(parts[k].startLine, parts[k - 1].endLine)
                    XCTAssertEqual(parts[k].startOrdinal, parts[k - 1].endOrdinal)
                }
                // Every vertex (line, ordinal) in exactly one part.
                var rank = 0
                Subsets.forEach(n: planes, k: d - 1) { line in
                    let owned = planes - 1 - (line.last ?? -1)
                    var hits = [Int](repeating: 0, count: owned)
                    for part in parts { for j in part.ordinals(line: rank, owned: owned) { hits[j] += 1 } }
                    XCTAssertEqual(hits, [Int](repeating: 1, count: owned), "planes \(planes) d \(d) shards \(count) line \(line)")
                    rank += 1
                    return true
                }
            }
        }
    }

    /// Region counts add up over the shards and the largest shard constant is the constant.
    func testShardsAddUpToTheWhole() throws {
        var rng = TestRandom(seed: 121)
        for (d, n, box) in [(1, 500, false), (2, 60, false), (3, 20, true), (4, 12, false), (2, 15, true)] {
            let net = randomNetwork([d, n, 1 + n % 2], using: &rng)
            var options = ExactOptions(norms: [.two, .infinity])
            if box { options.box = try InputBox(uniform: -0.7, 0.9, dimension: d) }
            options.method = .arrangement
            options.threads = 2
            let whole = try ExactSearch.compute(net, options: options)
            for count in [2, 3, 8] {
                var regions = 0
                var best = [0.0, 0.0]
                for k in 1...count {
                    options.shard = try Shard(index: k, count: count)
                    let part = try ExactSearch.compute(net, options: options)
                    XCTAssertTrue(part.isExact)
                    regions += part.regions
                    for n in best.indices { best[n] = max(best[n], part.bounds[n].value) }
                }
                XCTAssertEqual(regions, whole.regions, "d \(d) N \(n) shards \(count)")
                for n in best.indices { assertRelativelyEqual(best[n], whole.bounds[n].value) }
            }
        }
    }

    /// A network the sweep cannot take (deep, or one hidden layer not in general position) is
    /// sharded by the LP search's frontier: the parts still add up to the whole search.
    func testShardsOfNetworksTheSweepCannotTakeUseTheLPFrontier() throws {
        var rng = TestRandom(seed: 123)
        let deep = randomNetwork([2, 4, 3, 1], using: &rng)
        let cone = network([([[1, 0], [0, 1], [1, 1]], [0, 0, 0]), ([[1, 2, 3]], [0])])  // not in general position
        for net in [deep, cone] {
            let whole = try ExactSearch.compute(net, options: ExactOptions())
            var regions = 0, best = 0.0
            for k in 1...3 {
                var options = ExactOptions()
                options.shard = try Shard(index: k, count: 3)
                let part = try ExactSearch.compute(net, options: options)
                XCTAssertEqual(part.method, .linearPrograms)
                XCTAssertTrue(part.isExact, "part \(k) finished")
                regions += part.regions
                best = max(best, part.bounds[0].value)
            }
            XCTAssertEqual(regions, whole.regions)
            assertRelativelyEqual(best, whole.bounds[0].value)
        }
    }

    /// A sweep stopped by a request, a time limit or a region limit reports a certified
    /// interval around the exact constant, also at widths the LP search cannot reach.
    func testStoppedSweepsGiveCertifiedIntervals() throws {
        var rng = TestRandom(seed: 122)
        for (d, n) in [(1, 200_000), (2, 400)] {
            let net = randomNetwork([d, n, 1], using: &rng)
            var options = ExactOptions(norms: [.two])
            options.threads = 2
            let exact = try ExactSearch.compute(net, options: options)
            XCTAssertTrue(exact.isExact)
            let truth = exact.bounds[0].value

            let polls = Counter()
            options.shouldStop = { polls.increment() > 3 }
            let stopped = try ExactSearch.compute(net, options: options)
            assertInterval(stopped, truth, .interrupted)

            options.shouldStop = nil
            options.maxRegions = 1000
            let limited = try ExactSearch.compute(net, options: options)
            assertInterval(limited, truth, .maxRegions)
            XCTAssertEqual(limited.regions, 1000)

            options.maxRegions = nil
            options.timeLimit = 1e-6  // the smallest limits stop during set-up
            assertInterval(try ExactSearch.compute(net, options: options), truth, .timeLimit)
        }
    }

    private func assertInterval(_ report: ExactReport, _ truth: Double, _ reason: StopReason,
                                file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(report.isExact, file: file, line: line)
        XCTAssertEqual(report.stopReason, reason, file: file, line: line)
        XCTAssertEqual(report.method, .arrangement, file: file, line: line)
        let bound = report.bounds[0]
        XCTAssertLessThanOrEqual(bound.lower, truth * (1 + 1e-12), file: file, line: line)
        XCTAssertGreaterThanOrEqual(bound.upper, truth * (1 - 1e-12), file: file, line: line)
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
}
