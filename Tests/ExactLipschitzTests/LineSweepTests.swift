@testable import ExactLipschitz
import Foundation
import LipschitzModel
import LipschitzTestSupport
import XCTest

/// The line sweep for one hidden layer (issue 11) against the exact brute force of
/// `LipschitzTestSupport` and the LP search: constants in every norm, region counts, witnesses,
/// degenerate arrangements, boxes, stops and shards.
final class LineSweepTests: XCTestCase {
    private func norms(_ net: ReLUNetwork) -> [LipschitzNorm] {
        net.outputDimension == 1 ? [.one, .two, .infinity, .p(3)] : [.one, .two, .infinity]
    }

    private func sweep(_ net: ReLUNetwork, box: InputBox? = nil, method: SearchMethod = .arrangement,
                       threads: Int = 2, shard: Shard = .whole) throws -> ExactReport {
        var options = ExactOptions(norms: norms(net), box: box)
        options.method = method
        options.threads = threads
        options.shard = shard
        return try ExactSearch.compute(net, options: options)
    }

    /// Constants, region count and witnesses against the brute force.
    private func assertMatchesBruteForce(_ net: ReLUNetwork, box: InputBox? = nil, method: SearchMethod = .arrangement,
                                         file: StaticString = #filePath, line: UInt = #line) throws {
        let report = try sweep(net, box: box, method: method)
        let truth = try ExactBruteForce.run(net, norms: norms(net), box: box)
        XCTAssertTrue(report.isExact, file: file, line: line)
        XCTAssertEqual(report.regions, truth.regions, "regions of \(net.architecture)", file: file, line: line)
        for (n, bound) in report.bounds.enumerated() {
            assertRelativelyEqual(bound.value, truth.constants[n], 1e-9, "ℓ\(bound.norm) \(net.architecture)", file: file, line: line)
            // The sweep's witnesses carry a certified ball, except a cell too thin for a double
            // inside it (a near-tie), which the exact test certifies with radius 0, as in the LP search.
            if let witness = bound.witness, report.method == .arrangement {
                XCTAssertGreaterThanOrEqual(witness.radius, 0, file: file, line: line)
                if witness.radius > 0 {
                    XCTAssertEqual(net.activationPattern(at: witness.interiorPoint), witness.pattern, "\(report.method)", file: file, line: line)
                }
                if let box { XCTAssertTrue(box.contains(witness.interiorPoint), file: file, line: line) }
            }
        }
    }

    func testRandomNetworksEveryNormAndVectorOutputs() throws {
        var rng = TestRandom(seed: 111)
        for _ in 0..<40 {
            let d = rng.int(1...4), n = rng.int(d...12), m = rng.int(1...3)
            try assertMatchesBruteForce(randomNetwork([d, n, m], using: &rng))
        }
    }

    func testBoxLocal() throws {
        var rng = TestRandom(seed: 112)
        for _ in 0..<30 {
            let d = rng.int(1...3)
            let net = randomNetwork([d, rng.int(d...10), rng.int(1...2)], using: &rng)
            let box = try randomBox(d, smallestSide: 0.1, spread: 2, using: &rng)
            try assertMatchesBruteForce(net, box: box)
        }
    }

    /// Parallel, duplicate and opposite hyperplanes, several through one point, zero rows and
    /// dead neurons: the sweep answers where it can certify, the LP search otherwise, and both
    /// agree with the brute force.
    func testDegenerateArrangements() throws {
        var rng = TestRandom(seed: 113)
        var swept = 0
        for trial in 0..<60 {
            let d = rng.int(1...3)
            let (rows, biases) = degenerateHiddenLayer(dimension: d, groups: rng.int(2...5), trial: trial, using: &rng)
            var out = (0..<rng.int(1...2)).map { _ in rows.map { _ in rng.normal() } }
            out[0][0] = 0  // a dead neuron
            let net = network([(rows, biases), (out, out.map { _ in 0 })])
            try assertMatchesBruteForce(net, method: .automatic)
            if try sweep(net, method: .automatic).method == .arrangement { swept += 1 }
        }
        XCTAssertGreaterThan(swept, 20, "the sweep itself handles exactly parallel and duplicate planes")
    }

    /// Nearly but not exactly coincident crossings, and crossings that differ only in the
    /// last bits of the normalised planes, are ordered from the network's own numbers.
    func testCloseCrossingsInOneDimension() throws {
        // Breakpoints −b/w: 1/3 and 0.1/0.3 differ in the last bits; 0.5 twice is a true tie.
        let close = network([([[3], [0.3], [1], [-1]], [-1, -0.1, 0.25, 0.7]), ([[1, -2, 0.5, 1.5]], [0])])
        try assertMatchesBruteForce(close, method: .automatic)
        let tie = network([([[2], [4], [1]], [-1, -2, 0.3]), ([[1, -1, 2]], [0])])
        try assertMatchesBruteForce(tie, method: .automatic)
    }

    /// In general position the regions are Σ_{i≤d} C(N, i), counted at large N.
    func testRegionCountsAtLargeWidth() throws {
        var rng = TestRandom(seed: 114)
        for (d, n) in [(1, 100_000), (2, 300), (3, 60)] {
            let net = randomNetwork([d, n, 1], using: &rng)
            var options = ExactOptions()
            options.threads = 2
            let report = try ExactSearch.compute(net, options: options)
            XCTAssertEqual(report.method, .arrangement)
            XCTAssertTrue(report.isExact)
            let expected = (0...d).reduce(0) { $0 + Subsets.binomial(n, $1) }
            XCTAssertEqual(report.regions, expected, "d = \(d), N = \(n)")
        }
    }

    /// Agreement with the LP search on networks too wide for the brute force.
    func testAgreesWithLPSearch() throws {
        var rng = TestRandom(seed: 115)
        for (d, n) in [(1, 40), (2, 25), (3, 14), (4, 10), (5, 8)] {
            let net = randomNetwork([d, n, 1 + n % 2], using: &rng)
            let swept = try sweep(net)
            let reference = try sweep(net, method: .linearPrograms, threads: 1)
            XCTAssertEqual(swept.regions, reference.regions)
            for (a, b) in zip(swept.bounds, reference.bounds) { assertRelativelyEqual(a.value, b.value) }
        }
    }

    /// A network of near ties: the automatic search (sweep or LP) must match the brute force,
    /// and the sweep alone must either refuse (nil) or, when exact (true), match it too.
    private func sweptOrRefused(_ net: ReLUNetwork, file: StaticString = #filePath, line: UInt = #line) throws -> Bool? {
        try assertMatchesBruteForce(net, method: .automatic, file: file, line: line)
        do {
            let report = try sweep(net, method: .arrangement)
            guard report.isExact else { return false }
            let truth = try ExactBruteForce.run(net, norms: norms(net))
            XCTAssertEqual(report.regions, truth.regions, file: file, line: line)
            for (n, bound) in report.bounds.enumerated() { assertRelativelyEqual(bound.value, truth.constants[n], 1e-9, file: file, line: line) }
            return true
        } catch ExactError.arrangementNotApplicable {
            return nil
        }
    }

    /// Near ties (the class of the crossing-order bound): groups of d + 1 planes through one
    /// point, then moved by a few ulps or up to 10⁻¹¹ relative, so that crossings on a line lie
    /// within ulps of each other and in either order. The sweep orders them exactly
    /// (`LineTies`): it must answer, exactly and as the brute force, every network whose groups
    /// are not exactly concurrent (checked with rational determinants); a truly concurrent group
    /// may send the network to the LP search (`.automatic` still matches the brute force).
    func testNearTieCrossingsAreOrderedExactly() throws {
        var rng = TestRandom(seed: 116)
        var swept = 0, concurrent = 0
        let kernel = ExactDeterminant(capacity: 4)
        for _ in 0..<48 {
            let d = rng.int(1...3)
            var rows: [[Double]] = [], biases: [Double] = []
            var tie = false
            for _ in 0..<rng.int(1...2) {
                let point = (0..<d).map { _ in rng.normal() }
                for _ in 0...d {
                    let w = (0..<d).map { _ in rng.normal() }
                    var b = -zip(w, point).reduce(0) { $0 + $1.0 * $1.1 }
                    // a few ulps, or 10⁻¹⁶…10⁻¹² relative: from unresolvable to certainly apart
                    for _ in 0..<rng.int(0...3) { b = rng.int(0...1) == 0 ? b.nextUp : b.nextDown }
                    if rng.int(0...1) == 0 { b += b * Double(rng.int(1...9)) * pow(10, -Double(rng.int(12...16))) }
                    rows.append(w); biases.append(b)
                }
                let group = rows.indices.suffix(d + 1).flatMap { rows[$0] + [biases[$0]] }
                if kernel.sign(group, d + 1) == 0 { tie = true }
            }
            for _ in 0..<rng.int(0...3) { rows.append((0..<d).map { _ in rng.normal() }); biases.append(rng.normal()) }
            let out = (0..<rng.int(1...2)).map { _ in rows.map { _ in rng.normal() } }
            let net = network([(rows, biases), (out, out.map { _ in 0 })])
            let answer = try sweptOrRefused(net)
            if tie { concurrent += 1 } else { XCTAssertEqual(answer, true, "a near tie in general position is swept exactly") }
            if answer == true { swept += 1 }
        }
        XCTAssertGreaterThan(swept, 40)
        XCTAssertLessThan(concurrent, 8, "most groups are near ties, not exact ones")
    }

    /// The certified line's algebra on a line and planes whose crossings are known exactly:
    /// the position is the crossing's coordinate x_s and the rate's sign its direction.
    func testCertifiedLinePositions() throws {
        // Line x₁ = 2x₀ (plane 2x₀ − x₁ = 0); planes x₀ = 1 and x₀ + x₁ = 6 (crossing at x₀ = 2).
        let net = network([([[2, -1], [1, 0], [1, 1]], [0, -1, -6]), ([[1, 1, 1]], [0])])
        let arrangement = try XCTUnwrap(Arrangement(network: net))
        let sweeper = LineSweeper(arrangement: arrangement, norms: [.two], control: SweepControl(shouldStop: { false }, claim: nil))
        guard case .ready = sweeper.setUp([0]) else { return XCTFail("line") }
        XCTAssertNotNil(sweeper.crossings([0]))
        let s = sweeper.certified.axis
        XCTAssertEqual(s, 1, "x₁ changes fastest along the line")
        XCTAssertEqual(sweeper.position[1], 2, accuracy: 1e-15)  // at x₀ = 1: x₁ = 2
        XCTAssertEqual(sweeper.position[2], 4, accuracy: 1e-15)  // at x₀ = 2: x₁ = 4
        XCTAssertGreaterThan(sweeper.rate[1], 0)
        XCTAssertGreaterThan(sweeper.rate[2], 0)
        XCTAssertLessThan(sweeper.radius[1], 1e-14)
    }

    /// Near ties of the lowest-vertex rule: normals equal or within ulps of the sweep's
    /// functional c (and of c minus another normal), so that a coefficient λ of c at some
    /// vertex is zero or nearly so. The sweep must certify every sign it uses or refuse.
    func testFunctionalNearlyInAFaceSpanIsCertifiedOrRefused() throws {
        var rng = TestRandom(seed: 117)
        var swept = 0, refused = 0
        for trial in 0..<24 {
            let d = 2 + trial % 2
            let sweeper = LineSweeper(arrangement: try XCTUnwrap(Arrangement(network: randomNetwork([d, d + 1, 1], using: &rng))),
                                      norms: [.two], control: SweepControl(shouldStop: { false }, claim: nil))
            let c = sweeper.functional
            var rows: [[Double]] = [], biases: [Double] = []
            let other = (0..<d).map { _ in rng.normal() }
            let scale = 0.5 + rng.uniform()
            var near = c.map { $0 * scale }
            if trial % 3 != 0 { near[rng.int(0...(d - 1))] = rng.int(0...1) == 0 ? near[0].nextUp : near[0].nextDown }
            rows += [near, other, zip(c, other).map { $0 - $1 }]
            biases += [rng.normal(), rng.normal(), rng.normal()]
            for _ in 0..<rng.int(1...4) { rows.append((0..<d).map { _ in rng.normal() }); biases.append(rng.normal()) }
            let out = [rows.map { _ in rng.normal() }]
            let net = network([(rows, biases), (out, [0])])
            switch try sweptOrRefused(net) {
            case true?: swept += 1
            case nil: refused += 1
            default: break
            }
        }
        XCTAssertGreaterThan(swept, 0, "signs certified apart from the ties")
        XCTAssertGreaterThan(refused, 0, "some coefficients too close to zero to certify")
    }
}
