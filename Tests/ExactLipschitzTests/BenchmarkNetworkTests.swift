import ExactLipschitz
import Foundation
import LipschitzModel
import XCTest
import LipschitzTestSupport

/// The published, trained networks of `instances/benchmarks/` (issue 10): branch and bound with
/// two threads reproduces every constant in `truth.json`, computed by independent implementations.
///
/// Networks that take more than a few seconds in a debug build are left to `make bench`
/// ("Published networks"), which runs all of them in release.
final class BenchmarkNetworkTests: XCTestCase {
    /// Files measured over a few seconds (debug build, 2 threads, `prune = true`, interval-Jacobian
    /// pruning, 2-core machine): wine 6.6 s, cartpole 18 s, double pendulum 139 s (abalone 1.1 s,
    /// single pendulum 0.9 s, iris and spiky 0.02 s run here). `make bench` runs them all.
    static let leftToTheBenchmark: Set<String> = [
        "exlipbab-wine_11x12x12x1.json",
        "nv-cartpole_nnet.json",
        "nv-controller_double_pendulum_more_robust.json",
    ]

    /// `instances/benchmarks/`, located from this file so that the tests never read outside the clone.
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("instances/benchmarks")

    static let norms: [(String, LipschitzNorm)] = [("1", .one), ("2", .two), ("inf", .infinity)]

    func testPublishedNetworksAgreeWithTruth() throws {
        let truthData = try Data(contentsOf: Self.folder.appendingPathComponent("truth.json"))
        let truth = try XCTUnwrap(JSONSerialization.jsonObject(with: truthData) as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(truth.count, 7)
        var checked = 0
        for entry in truth {
            let file = try XCTUnwrap(entry["file"] as? String)
            if Self.leftToTheBenchmark.contains(file) { continue }
            let net = try NetworkJSON.read(contentsOf: Self.folder.appendingPathComponent(file).path)
            if let shape = entry["shape"] as? String {
                XCTAssertEqual(net.architecture.map(String.init).joined(separator: "x"), shape, file)
            }
            let given = Self.norms.filter { entry[$0.0] != nil }
            XCTAssertFalse(given.isEmpty, file)
            var options = ExactOptions(norms: given.map(\.1))
            options.prune = true
            options.threads = 2
            let started = Date()
            let report = try ExactSearch.compute(net, options: options)
            let seconds = Date().timeIntervalSince(started)
            XCTAssertTrue(report.isExact, file)
            for (key, norm) in given {
                let expected = try XCTUnwrap((entry[key] as? NSNumber)?.doubleValue)
                let bound = try XCTUnwrap(report.bound(for: norm))
                assertRelativelyEqual(bound.value, expected, 1e-9, "\(file) ℓ\(key)")
                // The witness certifies the value: its Jacobian is Φ's at the interior point.
                let witness = try XCTUnwrap(bound.witness, file)
                XCTAssertEqual(net.activationPattern(at: witness.interiorPoint), witness.pattern, file)
                assertRelativelyEqual(try operatorNorm(witness.jacobian, p: norm), bound.value, 1e-12, file)
            }
            print("benchmark network \(file): \(String(format: "%.2f", seconds)) s")
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 4, "the quick published networks run in the tests")
    }

    /// Every test above checks the constants, which pruning never changes: a search that lost a
    /// pruning test (a node's own, before its split) still gives them, only slower. Abalone's
    /// one-thread search is deterministic: 450 nodes with the node test, 18,876 without it (only
    /// the tests after stabilising left), so a ceiling of 2,000 catches its loss.
    func testBranchAndBoundPrunesAtNodes() throws {
        let net = try NetworkJSON.read(contentsOf: Self.folder.appendingPathComponent("exlipbab-abalone_9x16x16x1.json").path)
        var options = ExactOptions(norms: [.two])
        options.prune = true
        options.threads = 1
        let report = try ExactSearch.compute(net, options: options)
        XCTAssertTrue(report.isExact)
        XCTAssertLessThan(report.statistics.nodes, 2_000)
        XCTAssertGreaterThan(report.statistics.prunedSubtrees, 0)
    }
}
