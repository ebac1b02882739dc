import Foundation
import ExactLipschitz
import LipschitzModel
import XCTest
import LipschitzTestSupport

/// Every search method, with pruning on or off and on one or two threads, must give the same
/// constant (1e-9 relative) and, without pruning, the same region count.
final class MethodAgreementTests: XCTestCase {
    private let norms: [LipschitzNorm] = [.one, .two, .infinity]

    private func run(_ net: ReLUNetwork, _ method: SearchMethod, threads: Int = 1, prune: Bool = false,
                     box: InputBox? = nil) throws -> ExactReport {
        var options = ExactOptions(norms: net.outputDimension == 1 ? norms + [.p(3)] : norms, box: box)
        options.method = method
        options.threads = threads
        options.prune = prune
        return try ExactSearch.compute(net, options: options)
    }

    private func assertAgree(_ net: ReLUNetwork, box: InputBox? = nil, expectArrangement: Bool? = nil,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try run(net, .linearPrograms, box: box)
        XCTAssertEqual(reference.method, .linearPrograms)
        var variants: [(String, ExactReport)] = [
            ("plain", try run(net, .plain, box: box)),
            ("lp, 2 threads", try run(net, .linearPrograms, threads: 2, box: box)),
            ("automatic", try run(net, .automatic, box: box)),
            ("automatic, 2 threads", try run(net, .automatic, threads: 2, box: box)),
        ]
        if let expectArrangement {
            XCTAssertEqual(variants[2].1.method == .arrangement, expectArrangement, "arrangement used", file: file, line: line)
        }
        for (name, report) in variants {
            XCTAssertTrue(report.isExact, name, file: file, line: line)
            XCTAssertEqual(report.regions, reference.regions, "\(name) \(net.architecture)", file: file, line: line)
        }
        variants.append(("lp, pruned", try run(net, .linearPrograms, prune: true, box: box)))
        variants.append(("lp, pruned, 2 threads", try run(net, .linearPrograms, threads: 2, prune: true, box: box)))
        for (name, report) in variants {
            for (m, bound) in report.bounds.enumerated() {
                assertRelativelyEqual(bound.value, reference.bounds[m].value, 1e-9, "\(name) ℓ\(bound.norm)", file: file, line: line)
                if let witness = bound.witness {
                    XCTAssertEqual(net.activationPattern(at: witness.interiorPoint), witness.pattern, name, file: file, line: line)
                }
            }
        }
    }

    func testFixtures() throws {
        let folder = packageRoot.appendingPathComponent("instances/fixtures")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") && $0 != "truth.json" }
        XCTAssertGreaterThanOrEqual(files.count, 15)
        for file in files.sorted() {
            try assertAgree(try NetworkJSON.read(contentsOf: folder.appendingPathComponent(file).path))
        }
    }

    func testShallowRandomNetworks() throws {
        var rng = TestRandom(seed: 11)
        for _ in 0..<40 {
            let d = rng.int(1...4), n = rng.int(1...12), m = rng.int(1...2)
            try assertAgree(randomNetwork([d, n, m], using: &rng), expectArrangement: n >= d ? true : nil)
        }
    }

    func testShallowBoxLocal() throws {
        var rng = TestRandom(seed: 12)
        for _ in 0..<25 {
            let d = rng.int(1...3)
            let net = randomNetwork([d, rng.int(2...10), 1], using: &rng)
            try assertAgree(net, box: try randomBox(d, smallestSide: 0.2, spread: 2, using: &rng))
        }
    }

    func testDeepRandomNetworks() throws {
        var rng = TestRandom(seed: 13)
        for _ in 0..<15 {
            let d = rng.int(1...3)
            try assertAgree(randomNetwork([d, rng.int(2...6), rng.int(2...5), rng.int(1...2)], using: &rng))
        }
    }

    /// Duplicate and opposite neurons are merged by the arrangement search; concurrent
    /// hyperplanes (no biases) go through the central-arrangement path.
    func testDegenerateNetworks() throws {
        var rng = TestRandom(seed: 14)
        for trial in 0..<20 {
            let d = rng.int(1...3)
            var rows: [[Double]] = [], biases: [Double] = []
            for _ in 0..<rng.int(2...5) {
                let w = (0..<d).map { _ in rng.normal() }, b = rng.normal()
                switch rng.int(0...3) {
                case 0: rows += [w, w]; biases += [b, b]
                case 1: rows += [w, w.map { -$0 }]; biases += [b, -b]
                case 2: rows.append(Array(repeating: 0, count: d)); biases.append(trial % 2 == 0 ? 1 : -1)
                default: rows.append(w); biases.append(trial % 3 == 0 ? 0 : b)
                }
            }
            let out = (0..<rng.int(1...2)).map { _ in rows.map { _ in rng.normal() } }
            try assertAgree(network([(rows, biases), (out, out.map { _ in 0 })]))
        }
        // All hyperplanes through the origin: three lines cut the plane into 6 cones, answered
        // by the central-arrangement path (CentralArrangementTests has the rest).
        let cone = network([([[1, 0], [0, 1], [1, 1]], [0, 0, 0]), ([[1, 2, 3]], [0])])
        let answered = try run(cone, .arrangement)
        XCTAssertEqual(answered.method, .arrangement)
        XCTAssertEqual(answered.regions, 6)
        try assertAgree(cone, expectArrangement: true)
    }

    /// In general position a one-hidden-layer network in R^d has Σ_{i≤d} C(N, i) regions.
    func testRegionCountMatchesArrangementFormula() throws {
        var rng = TestRandom(seed: 15)
        for (d, n) in [(1, 30), (2, 60), (3, 30), (4, 14)] {
            let net = randomNetwork([d, n, 1], using: &rng)
            var options = ExactOptions()
            options.threads = 2
            let report = try ExactSearch.compute(net, options: options)
            XCTAssertEqual(report.method, .arrangement)
            var expected = 0, binomial = 1
            for i in 0...d {
                expected += binomial
                binomial = binomial * (n - i) / (i + 1)
            }
            XCTAssertEqual(report.regions, expected, "d = \(d), N = \(n)")
        }
    }
}
