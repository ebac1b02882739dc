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

    /// Each shard decides alone whether the sweep applies. Four zero-bias hyperplanes meet at
    /// the origin, a vertex of four planes in R³ (an exact degeneracy, which the sweep leaves to
    /// the LP search): the shard whose lines hold it falls back to the LP search's frontier cut
    /// while the others finish their sweep parts, so the parts are not one partition, and the
    /// merge must refuse them, saying how to recover (found by the hostile sharding runs: 6 of
    /// 400 random networks); with `--method lp` every shard cuts alike.
    func testShardsThatFellBackFromTheSweepAreRefusedWithARemedy() throws {
        let net = network([
            ([[-0.039716941393172604, 0.7230289164210905, 0.2072784510886517], [-0.6188359907284439, -1.0089526097204549, -0.1456473936358552], [0.20755239847885093, -1.0357487515108952, -0.49432574188238765], [0.7921787806486636, -0.22139835529981047, 1.397056236189097], [-0.20883583272070289, -0.5, -0.41712696786156234], [0.0, 0.8915945607425421, -1.3557897749315349], [1.1042273313603244, -1.9831574777641858, -1.6538272445883684], [0.0, -0.2935856951902797, 0.09271869160467568], [0.17439592185780636, -0.62203813137401, -0.6313822811615049], [1.0, 1.7566139193546413, 0.10253314948377917]],
             [1.9605746712894094, 0.0, 0.0, 0.6082656953093127, 0.2897185411093964, 0.0, 0.15912302332907927, 0.0, 1.3102649887443747, 0.9811306955889746]),
            ([[1.9573470644535054, 0.23161883748125559, -2.2574702787927623, -0.8116921846464155, 1.0, 1.965129329870074, 2.1293548988128546, 0.43396918566898246, 0.8384521302592696, 0.15518243562105483], [0.31344274432716235, -1.6612335356404009, 1.5581876123111815, 0.34570294185366685, -0.653824354230176, 0.018689327169501297, 0.4008760902383832, -1.010838133595616, -2.148645130939518, 0.47883037740142625]],
             [-0.6192969765424741, -0.45902379734627596])])
        let box = try InputBox(uniform: -1, 1, dimension: 3)
        func parts(_ method: SearchMethod) throws -> [(place: String, document: ExactResultDocument)] {
            try (1...3).map { k in
                var options = ExactOptions(norms: [.two], box: box)
                options.shard = try Shard(index: k, count: 3)
                options.method = method
                let report = try ExactSearch.compute(net, options: options)
                return ("part-\(k)", ExactResultDocument(network: net, report: report, box: box, shard: options.shard, lowerBound: nil))
            }
        }
        let mixed = try parts(.automatic)
        XCTAssertEqual(Set(mixed.map(\.document.method)), ["arrangement", "lp"], "the case this test is about")
        XCTAssertThrowsError(try ShardMerge.merge(mixed)) { XCTAssertTrue("\($0)".contains("rerun every shard with --method lp"), "\($0)") }
        var whole = ExactOptions(norms: [.two], box: box)
        whole.method = .linearPrograms
        let truth = try ExactSearch.compute(net, options: whole)
        let merged = try ShardMerge.merge(try parts(.linearPrograms))
        XCTAssertTrue(merged.exact)
        assertRelativelyEqual(merged.lower!, truth.bounds[0].lower, 1e-12)
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
