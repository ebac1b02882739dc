import ExactLipschitz
import LipschitzModel
import XCTest
import LipschitzTestSupport

/// The enumerator against the 2^n brute force on a few hundred random tiny networks.
final class BruteForceTests: XCTestCase {
    private func check(_ net: ReLUNetwork, box: InputBox? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        var norms: [LipschitzNorm] = [.one, .two, .infinity]
        if net.outputDimension == 1 { norms.append(.p(3)); norms.append(.p(1.5)) }
        let reference = try BruteForce.run(net, norms: norms, box: box)
        var options = ExactOptions(norms: norms, box: box)
        options.relativeRadiusTolerance = 1e-7
        let report = try ExactSearch.compute(net, options: options)
        XCTAssertTrue(report.isExact)
        XCTAssertEqual(report.regions, reference.regions, "\(net.architecture) \(net.layers)", file: file, line: line)
        for (m, norm) in norms.enumerated() {
            assertRelativelyEqual(report.bounds[m].value, reference.best[m], 1e-9, "ℓ\(norm) \(net.architecture)", file: file, line: line)
        }
    }

    func testShallowNetworks() throws {
        var rng = TestRandom(seed: 1)
        for trial in 0..<120 {
            let d = rng.int(1...3), n = rng.int(1...8), m = rng.int(1...2)
            try check(randomNetwork([d, n, m], using: &rng, biasScale: trial % 5 == 0 ? 0 : 1))
        }
    }

    func testDeepNetworks() throws {
        var rng = TestRandom(seed: 2)
        for _ in 0..<100 {
            let d = rng.int(1...3)
            let depth = rng.int(2...3)
            var widths = [d]
            for _ in 0..<depth { widths.append(rng.int(1...(depth == 2 ? 4 : 3))) }
            widths.append(rng.int(1...3))
            try check(randomNetwork(widths, using: &rng))
        }
    }

    func testBoxLocalNetworks() throws {
        var rng = TestRandom(seed: 3)
        for _ in 0..<60 {
            let d = rng.int(1...3)
            let net = randomNetwork([d, rng.int(2...6), rng.int(1...3), 1], using: &rng)
            let box = try randomBox(d, smallestSide: 0.1, spread: 2, using: &rng)
            try check(net, box: box)
        }
    }

    /// Duplicate, opposite and parallel hyperplanes and dead or always-on neurons.
    func testDegenerateNetworks() throws {
        var rng = TestRandom(seed: 4)
        for trial in 0..<60 {
            let d = rng.int(1...3)
            var rows: [[Double]] = [], biases: [Double] = []
            for _ in 0..<rng.int(2...6) {
                let w = (0..<d).map { _ in rng.normal() }, b = rng.normal()
                switch rng.int(0...5) {
                case 0: rows += [w, w]; biases += [b, b]                                   // duplicate
                case 1: rows += [w, w.map { -$0 }]; biases += [b, -b]                      // opposite
                case 2: rows += [w, w.map { 2 * $0 }]; biases += [b, 2 * b + 1]            // parallel
                case 3: rows.append(Array(repeating: 0, count: d)); biases.append(trial % 2 == 0 ? 1 : -1) // constant
                case 4: rows.append(w); biases.append(0)                                   // through the origin
                default: rows.append(w); biases.append(b)
                }
            }
            let out = (0..<rng.int(1...2)).map { _ in rows.map { _ in rng.normal() } }
            let net = network([(rows, biases), (out, out.map { _ in rng.normal() })])
            try check(net)
        }
    }
}
