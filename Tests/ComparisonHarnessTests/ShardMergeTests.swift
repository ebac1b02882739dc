import ComparisonHarness
import ExactLipschitz
import Foundation
import LipschitzModel
import LipschitzTestSupport
import LipschitzTestSupport
import XCTest

/// `compare --shard K/N` and `lipschitz merge`: the parts of a run merge into the unsharded report.
final class ComparisonShardTests: XCTestCase {
    /// Every index in exactly one part, and the longest-processing-time deal keeps the parts'
    /// costs within the largest single cost of each other.
    func testWorkPartitionCoversOnceAndBalances() throws {
        let costs = (0..<200).map { i in Double(SweepPlan.regionBound(d: 1 + i % 4, width: 4 + 4 * (i % 7), depth: 1)) }
        for n in [1, 2, 3, 8, 13] {
            var owner = [Int?](repeating: nil, count: costs.count)
            var loads: [Double] = []
            for k in 1...n {
                let mine = WorkPartition.owned(costs: costs, shard: try Shard(index: k, count: n))
                XCTAssertEqual(mine, mine.sorted())
                for i in mine { XCTAssertNil(owner[i], "index \(i) in two parts"); owner[i] = k }
                loads.append(mine.map { costs[$0] }.reduce(0, +))
            }
            XCTAssertFalse(owner.contains { $0 == nil }, "N \(n): an index in no part")
            XCTAssertLessThanOrEqual(loads.max()! - loads.min()!, costs.max()!, "N \(n): \(loads)")
        }
    }

    /// Mask what may differ between runs: the timings.
    private func timeless(_ json: String) -> String {
        json.replacingOccurrences(of: #""(exact_)?seconds": (\{[^}]*\}|[-0-9.e]+|null)"#, with: "T", options: .regularExpression)
    }

    private func timelessCSV(_ csv: String) -> String {
        let rows = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let keep = rows[0].indices.filter { !rows[0][$0].hasSuffix("seconds") }
        return rows.map { row in keep.map { String(row[$0]) }.joined(separator: ",") }.joined(separator: "\n")
    }

    func testMergedEqualsUnshardedExceptTimings() throws {
        let plan = try SweepPlan(dimensions: [1, 2], widths: [3, 5], depths: [1, 2], biases: [.normal, .zero], trials: 2, seed: 3)
        let settings = HarnessSettings(norms: [.two, .infinity], theorySamples: 2000)
        let harness = Harness(settings: settings, methods: ComparedMethod.estimators([.sampled, .layerProduct], samples: 50, seed: 1))
        let origin = "test sweep"
        let whole = ComparisonReport(results: try harness.run(count: plan.networkCount, case: plan.comparisonCase(at:)),
                                     settings: settings, origin: origin)
        let costs = plan.cells.flatMap { cell in
            Array(repeating: WorkPartition.cost(inputDimension: cell.d, hiddenNeurons: cell.width * cell.depth), count: plan.trials)
        }
        let n = 3
        let parts = try (1...n).reversed().map { k -> ComparisonMerge.Part in
            let shard = try Shard(index: k, count: n)
            let owned = WorkPartition.owned(costs: costs, shard: shard)
            let results = try harness.run(count: owned.count, case: { try plan.comparisonCase(at: owned[$0]) })
            let report = ComparisonReport(results: results, settings: settings, origin: origin,
                                          shard: ComparisonShard(shard: shard, networks: plan.networkCount, indices: owned, complete: true))
            return try ComparisonMerge.read(Data(report.json().utf8), place: "part-\(k).json")
        }
        let merged = try ComparisonMerge.merge(parts)
        XCTAssertEqual(timeless(merged.json()), timeless(whole.json()))
        XCTAssertEqual(timelessCSV(merged.csv()), timelessCSV(whole.csv()))
        XCTAssertEqual(ComparisonPlot.svg(merged), ComparisonPlot.svg(whole))

        // Missing, duplicated and mismatched parts are refused with one line.
        XCTAssertThrowsError(try ComparisonMerge.merge(Array(parts.dropFirst()))) { XCTAssertTrue("\($0)".contains("is missing")) }
        XCTAssertThrowsError(try ComparisonMerge.merge(parts + [parts[0]])) { XCTAssertTrue("\($0)".contains("given twice")) }
        let other = ComparisonReport(results: parts[0].report.results, settings: settings, origin: "another sweep",
                                     shard: parts[0].shard)
        let stranger = try ComparisonMerge.read(Data(other.json().utf8), place: "other.json")
        XCTAssertThrowsError(try ComparisonMerge.merge([stranger] + parts.dropFirst())) { XCTAssertTrue("\($0)".contains("differs")) }
        XCTAssertThrowsError(try ComparisonMerge.read(Data(whole.json().utf8), place: "whole.json")) {
            XCTAssertTrue("\($0)".contains("nothing to merge"))
        }
    }
}
