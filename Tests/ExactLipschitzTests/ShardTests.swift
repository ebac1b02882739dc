import Foundation
@testable import ExactLipschitz
import LipschitzModel
import LipschitzTestSupport
import XCTest

/// `exact --shard K/N`: the parts cover the search exactly once, and merged == unsharded.
final class ShardTests: XCTestCase {
    /// Every shard of every N, as `ExactResultDocument`s (what `exact --shard … --json` writes).
    private func shards(_ net: ReLUNetwork, _ n: Int, box: InputBox? = nil, norm: LipschitzNorm = .two,
                        configure: (inout ExactOptions) -> Void = { _ in }) throws -> [(place: String, document: ExactResultDocument)] {
        try (1...n).map { k in
            var options = ExactOptions(norms: [norm], box: box)
            options.shard = try Shard(index: k, count: n)
            options.threads = k % 2 + 1  // the partition may not depend on the thread count
            options.method = .linearPrograms  // the frontier partition (the sweep's: SweepShardAndStopTests)
            configure(&options)
            let report = try ExactSearch.compute(net, options: options)
            XCTAssertEqual(report.method, .linearPrograms)
            return ("part-\(k)", ExactResultDocument(network: net, report: report, box: box,
                                                     shard: options.shard, lowerBound: options.lowerBounds[norm]))
        }
    }

    /// Random networks of depth 1 to 3, global and box-local: the shards' frontiers are one
    /// partition (disjoint, covering), their regions add up to the unsharded count, and the
    /// merge gives the unsharded constant.
    func testMergedEqualsUnsharded() throws {
        var rng = TestRandom(seed: 1313)
        let shapes = [[2, 6, 1], [3, 5, 4, 2], [2, 4, 3, 3, 1], [3, 7, 1]]
        for (i, shape) in shapes.enumerated() {
            for local in [false, true] {
                let net = randomNetwork(shape, using: &rng)
                let box = local ? try InputBox(uniform: -0.5, 0.5, dimension: shape[0]) : nil
                var whole = ExactOptions(norms: [.two], box: box)
                whole.method = .linearPrograms
                let truth = try ExactSearch.compute(net, options: whole)
                XCTAssertTrue(truth.isExact)
                for n in [2, 3, 5] {
                    let parts = try shards(net, n, box: box)
                    XCTAssertEqual(parts.map(\.document.regions).reduce(0, +), truth.regions, "shape \(i) local \(local) N \(n)")
                    XCTAssertEqual(parts.map { $0.document.partition!.owned }.reduce(0, +), parts[0].document.partition!.parts)
                    let merged = try ShardMerge.merge(parts)
                    XCTAssertTrue(merged.exact)
                    XCTAssertEqual(merged.regions, truth.regions)
                    XCTAssertTrue(merged.regionsComplete)
                    assertRelativelyEqual(merged.lower!, truth.bounds[0].lower, 1e-12)
                    XCTAssertEqual(merged.upper, merged.lower)
                    XCTAssertFalse(parts.contains { $0.document.exact }, "a part alone is never the constant")
                }
            }
        }
    }

    /// The frontier subtrees dealt to the shards are disjoint and together the whole frontier.
    func testFrontierDealtExactlyOnce() throws {
        var rng = TestRandom(seed: 77)
        let net = randomNetwork([3, 6, 5, 1], using: &rng)
        for n in [1, 2, 4, 7] {
            var seen: [[Bool]: Int] = [:]
            var total = 0
            for k in 1...n {
                var options = ExactOptions()
                options.shard = try Shard(index: k, count: n)
                let shared = SharedSearchState(norms: 1)
                let (tasks, partition) = try FrontierPartition.tasks(net, options: options, shared: shared)
                total = partition.parts
                for task in tasks {
                    let prefix = task.pattern.flatMap { $0 }.prefix(task.depth)
                    seen[Array(prefix), default: 0] += 1
                }
            }
            XCTAssertEqual(seen.count, total, "N \(n)")
            XCTAssertTrue(seen.values.allSatisfy { $0 == 1 }, "N \(n): a subtree in two shards")
        }
    }

    func testMergeRefusesMissingDuplicateAndMismatchedShards() throws {
        var rng = TestRandom(seed: 9)
        let net = randomNetwork([2, 5, 3, 1], using: &rng)
        let parts = try shards(net, 3)
        XCTAssertThrowsError(try ShardMerge.merge(Array(parts.prefix(2)))) { XCTAssertTrue("\($0)".contains("shard 3/3 is missing")) }
        XCTAssertThrowsError(try ShardMerge.merge(parts + [parts[1]])) { XCTAssertTrue("\($0)".contains("given twice")) }
        let other = try shards(randomNetwork([2, 5, 3, 1], using: &rng), 3)
        XCTAssertThrowsError(try ShardMerge.merge([parts[0], parts[1], other[2]])) { XCTAssertTrue("\($0)".contains("the network")) }
        let inf = try shards(net, 3, norm: .infinity)
        XCTAssertThrowsError(try ShardMerge.merge([parts[0], parts[1], inf[2]])) { XCTAssertTrue("\($0)".contains("the norm")) }
        let local = try shards(net, 3, box: try InputBox(uniform: -1, 1, dimension: 2))
        XCTAssertThrowsError(try ShardMerge.merge([parts[0], parts[1], local[2]])) { XCTAssertTrue("\($0)".contains("the domain")) }
        let four = try shards(net, 4)
        XCTAssertThrowsError(try ShardMerge.merge([parts[0], parts[1], four[2]])) { XCTAssertTrue("\($0)".contains("number of shards")) }
        XCTAssertThrowsError(try ShardMerge.merge([]))
    }

    /// A shard stopped early (a region limit here; a time limit or SIGTERM alike) still gives a
    /// certified interval, and the merge of it is an honest interval around the constant.
    func testStoppedShardGivesHonestInterval() throws {
        var rng = TestRandom(seed: 21)
        let net = randomNetwork([2, 8, 6, 1], using: &rng)
        let truth = try ExactSearch.compute(net, options: ExactOptions()).bounds[0].lower
        var parts = try shards(net, 3)
        parts[1] = try shards(net, 3) { $0.maxRegions = 1 }[1]
        XCTAssertFalse(parts[1].document.partComplete)
        XCTAssertEqual(parts[1].document.stopped, StopReason.maxRegions.rawValue)
        let merged = try ShardMerge.merge(parts)
        XCTAssertFalse(merged.exact)
        XCTAssertEqual(merged.stopped, StopReason.maxRegions.rawValue)
        XCTAssertLessThanOrEqual(merged.lower!, truth * (1 + 1e-12))
        XCTAssertGreaterThanOrEqual(merged.upper!, truth * (1 - 1e-12))
    }

    /// `--lower-bound X` only prunes: at or below the constant the answer stays exact; above it,
    /// the result is the interval [best found, X], never exact and never X as the constant.
    func testLowerBoundOnlyPrunes() throws {
        var rng = TestRandom(seed: 4)
        for shape in [[2, 6, 1], [3, 5, 4, 1]] {
            let net = randomNetwork(shape, using: &rng)
            let truth = try ExactSearch.compute(net, options: ExactOptions())
            let constant = truth.bounds[0].lower
            for (seed, reachable) in [(constant, true), (0.5 * constant, true), (1.5 * constant, false)] {
                var options = ExactOptions()
                options.prune = true
                options.lowerBounds = [.two: seed]
                let report = try ExactSearch.compute(net, options: options)
                XCTAssertEqual(report.isExact, reachable, "seed \(seed), constant \(constant)")
                assertRelativelyEqual(report.bounds[0].lower, constant, 1e-12)
                if !reachable {
                    XCTAssertEqual(report.stopReason, .lowerBoundNotReached)
                    XCTAssertEqual(report.bounds[0].upper, seed)
                }
                // Sharded and seeded: a part that does not reach the seed is settled by another that does.
                let parts = try shards(net, 3) { $0.prune = true; $0.lowerBounds = [.two: seed] }
                let merged = try ShardMerge.merge(parts)
                XCTAssertEqual(merged.exact, reachable)
                assertRelativelyEqual(merged.lower!, constant, 1e-12)
                if !reachable { XCTAssertEqual(merged.upper, seed) }
            }
        }
    }

    /// What `exact --json` writes is what `merge` reads, every double bit for bit.
    func testDocumentRoundTrip() throws {
        var rng = TestRandom(seed: 5)
        let net = randomNetwork([3, 5, 2], using: &rng)
        for document in try shards(net, 2).map(\.document) {
            let text = document.jsonText
            let back = try ExactResultDocument.read(Data(text.utf8), place: "x")
            XCTAssertEqual(back, document)
            XCTAssertEqual(back.jsonText, text)
        }
        XCTAssertThrowsError(try ExactResultDocument.read(Data("{\"network\": 1}".utf8), place: "bad.json")) {
            XCTAssertTrue("\($0)".hasPrefix("bad.json: "))
            XCTAssertFalse("\($0)".contains("\n"))
        }
    }

    func testPlainCannotBeSharded() throws {
        var rng = TestRandom(seed: 2)
        let net = randomNetwork([2, 4, 1], using: &rng)
        for method in [SearchMethod.plain] {
            var options = ExactOptions()
            options.method = method
            options.shard = try Shard(index: 1, count: 2)
            XCTAssertThrowsError(try ExactSearch.compute(net, options: options))
        }
    }
}
