@testable import ExactLipschitz
import Foundation
import LipschitzModel
import LipschitzTestSupport
import XCTest

/// Zero-bias networks with one hidden layer (a central arrangement: every plane through the
/// origin), answered through the two affine sections {x_j = ±1} (`CentralArrangement.swift`),
/// against the exact brute force and the LP search.
final class CentralArrangementTests: XCTestCase {
    private func norms(_ net: ReLUNetwork) -> [LipschitzNorm] {
        net.outputDimension == 1 ? [.one, .two, .infinity, .p(3)] : [.one, .two, .infinity]
    }

    private func compute(_ net: ReLUNetwork, method: SearchMethod, timeLimit: Double? = nil) throws -> ExactReport {
        var options = ExactOptions(norms: norms(net))
        options.method = method
        options.threads = 2
        options.timeLimit = timeLimit
        return try ExactSearch.compute(net, options: options)
    }

    private func zeroBias(_ rows: [[Double]], outputs: Int, using rng: inout TestRandom) -> ReLUNetwork {
        let out = (0..<outputs).map { _ in rows.map { _ in rng.normal() } }
        return network([(rows, rows.map { _ in 0 }), (out, out.map { _ in rng.normal() })])
    }

    /// Constants, region count and witness against the brute force, constants against the LP
    /// search; the central path must be the one that answered.
    private func assertAgrees(_ net: ReLUNetwork, file: StaticString = #filePath, line: UInt = #line) throws {
        let report = try compute(net, method: .arrangement)
        let truth = try ExactBruteForce.run(net, norms: norms(net))
        let lp = try compute(net, method: .linearPrograms)
        XCTAssertTrue(report.isExact, file: file, line: line)
        XCTAssertEqual(report.method, .arrangement, file: file, line: line)
        XCTAssertEqual(report.regions, truth.regions, "regions of \(net.architecture)", file: file, line: line)
        for (n, bound) in report.bounds.enumerated() {
            assertRelativelyEqual(bound.value, truth.constants[n], 1e-9, "ℓ\(bound.norm) brute force \(net.architecture)", file: file, line: line)
            assertRelativelyEqual(bound.value, lp.bounds[n].value, 1e-9, "ℓ\(bound.norm) LP \(net.architecture)", file: file, line: line)
            if let witness = bound.witness {
                XCTAssertEqual(net.activationPattern(at: witness.interiorPoint), witness.pattern, file: file, line: line)
                XCTAssertGreaterThan(witness.radius, 0, file: file, line: line)
            }
        }
    }

    func testRandomZeroBiasNetworksEveryNormAndVectorOutputs() throws {
        var rng = TestRandom(seed: 311)
        for _ in 0..<40 {
            let d = rng.int(1...4), n = rng.int(d...12), m = rng.int(1...3)
            let rows = (0..<n).map { _ in (0..<d).map { _ in rng.normal() } }
            try assertAgrees(zeroBias(rows, outputs: m, using: &rng))
        }
    }

    /// Normals along a coordinate axis (constant on a section, or the plane {x_j = 0} itself),
    /// all-zero rows and small integer weights: exact where the sections are in general
    /// position, the LP search otherwise, always agreeing with the brute force.
    func testAxisParallelAndZeroRows() throws {
        var rng = TestRandom(seed: 312)
        var central = 0
        for trial in 0..<30 {
            let d = rng.int(2...4)
            var rows = (0..<rng.int(d...8)).map { _ in (0..<d).map { _ in rng.normal() } }
            var axis = [Double](repeating: 0, count: d)
            axis[rng.int(0...(d - 1))] = trial % 2 == 0 ? 1.5 : -0.5
            rows.insert(axis, at: rng.int(0...rows.count))
            if trial % 3 == 0 { rows.append(Array(repeating: 0, count: d)) }
            let net = zeroBias(rows, outputs: rng.int(1...2), using: &rng)
            let report = try compute(net, method: .automatic)
            let truth = try ExactBruteForce.run(net, norms: norms(net))
            XCTAssertTrue(report.isExact)
            XCTAssertEqual(report.regions, truth.regions, "\(rows)")
            for (n, bound) in report.bounds.enumerated() { assertRelativelyEqual(bound.value, truth.constants[n], 1e-9, "\(rows)") }
            if report.method == .arrangement { central += 1 }
        }
        XCTAssertGreaterThan(central, 20, "axis-parallel normals are constants of the section, not a reason to give up")
    }

    /// Three normals in one plane (w₃ = w₁ + w₂): their planes share a line, so on a section
    /// their lines meet in one point (no precision separates it) or, when the line lies in
    /// {x_j = 0}, coincide in the restricted arrangement of the count. Either is degenerate and
    /// the LP search answers, unless a normal along e_j makes the count M = 0 without recursion;
    /// never a wrong count and never an interval in place of the exact answer.
    func testDependentNormalsFallBackExactly() throws {
        var rng = TestRandom(seed: 316)
        for _ in 0..<20 {
            let w1 = (0..<3).map { _ in Double(rng.int(-3...3)) }, w2 = (0..<3).map { _ in Double(rng.int(-3...3)) }
            let w3 = zip(w1, w2).map { $0 + $1 }
            var rows = [w1, w2, w3] + (0..<3).map { _ in (0..<3).map { _ in rng.normal() } }
            rows = rows.filter { $0.contains { $0 != 0 } }
            let net = zeroBias(rows, outputs: 1, using: &rng)
            let report = try compute(net, method: .automatic)
            let truth = try ExactBruteForce.run(net, norms: norms(net))
            XCTAssertTrue(report.isExact)
            XCTAssertEqual(report.regions, truth.regions)
            for (n, bound) in report.bounds.enumerated() { assertRelativelyEqual(bound.value, truth.constants[n], 1e-9, "\(rows)") }
        }
    }

    /// In general position a central arrangement of N planes in R^d has 2 Σ_{i<d} C(N−1, i) regions.
    func testRegionCountsOfGenericCentralArrangements() throws {
        var rng = TestRandom(seed: 313)
        for (d, n) in [(1, 1000), (2, 500), (3, 120), (4, 30)] {
            let rows = (0..<n).map { _ in (0..<d).map { _ in rng.normal() } }
            let report = try compute(zeroBias(rows, outputs: 1, using: &rng), method: .arrangement)
            XCTAssertTrue(report.isExact)
            XCTAssertEqual(report.regions, 2 * (0..<d).reduce(0) { $0 + Subsets.binomial(n - 1, $1) }, "d = \(d), N = \(n)")
        }
    }

    /// A network with one non-zero bias is not central: the ordinary sweep answers it.
    func testMixedBiasesKeepTheOrdinaryPath() throws {
        var rng = TestRandom(seed: 314)
        let rows = (0..<8).map { _ in (0..<3).map { _ in rng.normal() } }
        let central = zeroBias(rows, outputs: 1, using: &rng)
        var layers = central.layers
        var biases = layers[0].biases
        biases[3] = 0.25
        layers[0] = AffineLayer(weights: layers[0].weights, biases: biases)
        let mixed = try ReLUNetwork(layers: layers)
        let shared = SharedSearchState(norms: 1, start: nil, floors: nil)
        XCTAssertNil(try ExactSearch.searchCentral(mixed, options: ExactOptions(), shared: shared))
        XCTAssertNotNil(try ExactSearch.searchCentral(central, options: ExactOptions(), shared: shared))
        try assertAgrees(central)
    }

    /// A stop inside the sweep gives a certified interval, never "exact".
    func testTimeLimitGivesCertifiedInterval() throws {
        var rng = TestRandom(seed: 315)
        let rows = (0..<150).map { _ in (0..<4).map { _ in rng.normal() } }
        let net = zeroBias(rows, outputs: 1, using: &rng)
        let report = try compute(net, method: .arrangement, timeLimit: 0.01)
        XCTAssertFalse(report.isExact)
        for bound in report.bounds { XCTAssertLessThanOrEqual(bound.lower, bound.upper) }
        let full = try compute(net, method: .arrangement)
        XCTAssertTrue(full.isExact)
        for (n, bound) in report.bounds.enumerated() {
            XCTAssertLessThanOrEqual(bound.lower, full.bounds[n].value * (1 + 1e-12))
            XCTAssertGreaterThanOrEqual(bound.upper, full.bounds[n].value * (1 - 1e-12))
        }
    }
}
