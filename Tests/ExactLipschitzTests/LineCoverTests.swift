@testable import ExactLipschitz
import Foundation
import LipschitzModel
import LipschitzTestSupport
import XCTest

/// The covering rule of the sweep's lines for d ≥ 3 (`LineCover`): every vertex is handled on
/// exactly one walked line, and the covered sweep gives the classic sweep's (sharded: the
/// classic rule) and the brute force's constants and region counts, also on degenerate
/// arrangements and in boxes.
final class LineCoverTests: XCTestCase {
    /// Every d-subset of the planes (a vertex) has exactly one of its (d − 1)-subsets walked
    /// and handling the remaining plane.
    func testEveryVertexIsHandledOnExactlyOneWalkedLine() throws {
        for d in 3...6 {
            let cover = try XCTUnwrap(LineCover(dimension: d))
            var walked = 0, lines = 0
            for planes in d...(d + 8) {
                _ = Subsets.forEach(n: planes, k: d) { vertex in
                    var handlers = 0
                    for k in vertex {
                        let line = vertex.filter { $0 != k }
                        if LineCover.handles(cover.role(line), last: line.last!, plane: k, groups: cover.groups) { handlers += 1 }
                    }
                    XCTAssertEqual(handlers, 1, "d \(d), vertex \(vertex)")
                    return true
                }
                _ = Subsets.forEach(n: planes, k: d - 1) { line in
                    lines += 1
                    if cover.role(line) != .skipped { walked += 1 }
                    return true
                }
            }
            XCTAssertLessThan(walked, lines, "d \(d): some lines are not walked")
        }
        XCTAssertNil(LineCover(dimension: 2))
        XCTAssertNotNil(LineCover.forSweep(dimension: 4, shard: .whole))
        XCTAssertNil(LineCover.forSweep(dimension: 3, shard: try Shard(index: 1, count: 2)), "shards keep the classic rule")
    }

    private func compute(_ net: ReLUNetwork, norms: [LipschitzNorm], box: InputBox? = nil, method: SearchMethod = .arrangement,
                         shard: Shard = .whole) throws -> ExactReport {
        var options = ExactOptions(norms: norms, box: box)
        options.method = method
        options.threads = 2
        options.shard = shard
        return try ExactSearch.compute(net, options: options)
    }

    /// The search's answer (either method) is exact and the brute force's: regions and constants.
    @discardableResult
    private func assertAgreesWithBruteForce(_ net: ReLUNetwork, norms: [LipschitzNorm], _ message: String) throws -> ExactReport {
        let report = try compute(net, norms: norms, method: .automatic)
        let truth = try ExactBruteForce.run(net, norms: norms, box: nil)
        XCTAssertTrue(report.isExact, message)
        XCTAssertEqual(report.regions, truth.regions, message)
        for (i, bound) in report.bounds.enumerated() { assertRelativelyEqual(bound.value, truth.constants[i], 1e-9, message) }
        return report
    }

    /// In general position: Σ_{i≤d} C(N, i) regions, and the classic rule's regions and
    /// constants (two shards, merged), globally and in a box, for scalar and vector outputs.
    func testCoveredSweepMatchesTheClassicSweep() throws {
        var rng = TestRandom(seed: 131)
        for (d, n) in [(3, 30), (4, 18)] {
            for (outputs, boxed) in [(1, false), (2, true)] {
                let net = randomNetwork([d, n, outputs], using: &rng)
                let box = boxed ? try InputBox(uniform: -0.8, 1.1, dimension: d) : nil
                let norms: [LipschitzNorm] = [.one, .two, .infinity]
                let whole = try compute(net, norms: norms, box: box)
                XCTAssertEqual(whole.method, .arrangement)
                XCTAssertTrue(whole.isExact)
                if !boxed { XCTAssertEqual(whole.regions, (0...d).reduce(0) { $0 + Subsets.binomial(n, $1) }, "d \(d) N \(n)") }
                var regions = 0, best = norms.map { _ in 0.0 }
                for k in 1...2 {
                    let part = try compute(net, norms: norms, box: box, shard: try Shard(index: k, count: 2))
                    regions += part.regions
                    for i in best.indices { best[i] = max(best[i], part.bounds[i].value) }
                }
                XCTAssertEqual(whole.regions, regions, "d \(d) N \(n) box \(boxed)")
                for i in best.indices { assertRelativelyEqual(whole.bounds[i].value, best[i], 1e-12, "d \(d) ℓ\(norms[i])") }
            }
        }
    }

    /// Duplicate, opposite and parallel planes, zero rows and d + 1 planes through one point at d = 3, 4:
    /// the covered sweep answers where it can certify, the LP search otherwise, and both agree
    /// with the brute force.
    func testDegenerateArrangementsAgreeWithTheBruteForce() throws {
        var rng = TestRandom(seed: 132)
        var swept = 0
        for trial in 0..<16 {
            let d = 3 + trial % 2
            let (rows, biases) = degenerateHiddenLayer(dimension: d, groups: rng.int(2...3), trial: trial, using: &rng)
            let out = [rows.map { _ in rng.normal() }]
            let report = try assertAgreesWithBruteForce(network([(rows, biases), (out, [0])]), norms: [.two, .infinity], "trial \(trial)")
            if report.method == .arrangement { swept += 1 }
        }
        XCTAssertGreaterThan(swept, 0, "the covered sweep handles some degenerate arrangements itself")
    }

    /// Nearly dependent planes (normals within 1e-14 … 1e-6 of each other, so that some lines'
    /// Gram–Schmidt pivots fall below the routing threshold or just above it, where the
    /// certified direction decides whether the Gram–Schmidt is run): swept or refused, the
    /// answer is the brute force's.
    func testNearlyDependentPlanesAreSweptOrRefused() throws {
        var rng = TestRandom(seed: 133)
        var methods = Set<String>()
        for trial in 0..<12 {
            let d = 3 + trial % 2
            var rows: [[Double]] = [], biases: [Double] = []
            for _ in 0..<(d + 2) { rows.append((0..<d).map { _ in rng.normal() }); biases.append(rng.normal()) }
            let gap = [1e-14, 1e-11, 1e-9, 1e-6][trial % 4]
            // Perturbed in every entry: a difference along one axis would make the box's faces
            // parallel to the pair's lines, a degeneracy of its own.
            let near = rows[0].map { $0 + gap * rng.normal() }
            rows.insert(near, at: 1 + trial % 3)
            biases.insert(rng.normal(), at: 1 + trial % 3)
            if trial % 3 == 0 {  // a third plane nearly in the span of the first two
                rows.append(zip(rows[0], rows[2]).map { $0 + $1 + gap * rng.normal() })
                biases.append(rng.normal())
            }
            let net = network([(rows, biases), ([rows.map { _ in rng.normal() }], [0])])
            let report = try assertAgreesWithBruteForce(net, norms: [.two], "trial \(trial)")
            methods.insert("\(report.method)")
        }
        XCTAssertEqual(methods.count, 2, "some networks swept, some refused: \(methods)")
    }
}
