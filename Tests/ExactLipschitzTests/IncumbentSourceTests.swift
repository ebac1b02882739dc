@testable import ExactLipschitz
import Foundation
import LipschitzModel
import LipschitzTestSupport
import XCTest

/// Incumbents from outside the search (`ExactOptions.localSearch`, run during branch and bound,
/// and `startingPoints`) only prune: whatever points they return — not finite, the wrong
/// dimension, outside the box, on a hyperplane, or far away — the constant is the 2^n brute
/// force's, with 1 and 2 threads; and deep narrow networks do not pay a pruning test per neuron.
final class IncumbentSourceTests: XCTestCase {
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func increment() { lock.lock(); count += 1; lock.unlock() }
        var value: Int { lock.lock(); defer { lock.unlock() }; return count }
    }

    /// Returns garbage of kind `kind % 7` for a network with `d` inputs and `box`.
    private static func garbage(_ kind: Int, start: [Double], d: Int, box: InputBox?) -> [Double]? {
        switch kind % 7 {
        case 0: return Array(repeating: .nan, count: d)
        case 1: return Array(repeating: 0.5, count: d + 1)  // wrong dimension
        case 2: return (box?.upper ?? Array(repeating: 1e300, count: d)).map { $0 + 1e3 }  // outside the box
        case 3: return Array(repeating: 0, count: d)  // the origin: on hyperplanes of bias-free neurons
        case 4: return start.map { $0 * 1e12 }  // far away
        case 5: return nil
        default: return [Double](repeating: .infinity, count: d)
        }
    }

    func testGarbageIncumbentsNeverChangeTheConstant() throws {
        var rng = TestRandom(seed: 77)
        let calls = Counter()
        for trial in 0..<24 {
            let d = rng.int(1...3)
            var widths = [d, rng.int(3...5), rng.int(2...4)]
            if trial % 2 == 0 { widths.append(rng.int(2...3)) }
            widths.append(1)
            var layers = randomNetwork(widths, using: &rng).layers.map { layer in
                ((0..<layer.weights.rows).map { layer.weights.row($0) }, layer.biases)
            }
            if trial % 3 == 0 { layers[0].1[0] = 0 }  // a hyperplane through the origin
            let net = network(layers, name: "garbage-\(trial)")
            let box = trial % 4 == 1 ? try randomBox(d, smallestSide: 0.5, spread: 1, using: &rng) : nil
            let norms: [LipschitzNorm] = [.one, .two, .infinity]
            let truth = try ExactBruteForce.run(net, norms: norms, box: box).constants
            for threads in [1, 2] {
                var options = ExactOptions(norms: norms, box: box)
                options.prune = true
                options.threads = threads
                options.method = .linearPrograms
                options.handBackSlice = 2
                let kind = trial, fixedBox = box
                options.startingPoints = (0..<7).compactMap { Self.garbage($0, start: Array(repeating: 1, count: d), d: d, box: box) }
                options.localSearch = { start, _, _ in
                    calls.increment()
                    return Self.garbage(kind + calls.value, start: start, d: d, box: fixedBox)
                }
                let report = try ExactSearch.compute(net, options: options)
                let label = "trial \(trial), \(threads) threads, box \(box.map { "\($0)" } ?? "none")"
                XCTAssertTrue(report.isExact, label)
                for n in norms.indices { assertRelativelyEqual(report.bounds[n].value, truth[n], 1e-9, "\(label) ℓ\(norms[n])") }
            }
        }
        XCTAssertGreaterThan(calls.value, 0, "the search never asked for an incumbent")
    }

    /// A source that returns a good point (the maximising region's witness) raises the incumbent
    /// during the search: the constant and the witness's value stay right with 1 and 2 threads.
    func testCertifiedIncumbentsFromTheSourceAgreeAcrossThreads() throws {
        var rng = TestRandom(seed: 78)
        for trial in 0..<12 {
            let net = randomNetwork([2, rng.int(4...6), rng.int(3...5), rng.int(2...4), 1], using: &rng)
            var reference = ExactOptions(norms: [.two])
            reference.method = .linearPrograms
            let truth = try ExactSearch.compute(net, options: reference)
            let target = truth.bounds[0].witness!.interiorPoint
            var values: [Double] = []
            for threads in [1, 2] {
                var options = ExactOptions(norms: [.two])
                options.prune = true
                options.threads = threads
                options.handBackSlice = 3
                options.localSearch = { _, _, _ in target }
                let report = try ExactSearch.compute(net, options: options)
                XCTAssertTrue(report.isExact, "trial \(trial)")
                let witness = try XCTUnwrap(report.bounds[0].witness)
                assertRelativelyEqual(try operatorNorm(witness.jacobian, p: .two), report.bounds[0].value, 1e-12, "trial \(trial)")
                values.append(report.bounds[0].value)
            }
            assertRelativelyEqual(values[0], truth.bounds[0].value, 1e-9, "trial \(trial), 1 thread")
            XCTAssertEqual(values[0], values[1], "trial \(trial): 1 and 2 threads")
        }
    }

    /// A network hundreds of layers deep and two neurons wide, where almost every neuron is
    /// decided without a split: branch and bound (its planning included) tests pruning once per
    /// node that follows a split, not once per neuron (each test costs O(network)), and agrees
    /// with the full enumeration with 1 and 2 threads.
    func testDeepNarrowNetworkTestsPruningPerSplitNotPerNeuron() throws {
        let net = randomNetwork([1] + Array(repeating: 2, count: 300) + [1], seed: 5)
        var full = ExactOptions(norms: [.two])
        full.method = .linearPrograms
        let truth = try ExactSearch.compute(net, options: full)
        XCTAssertTrue(truth.isExact)
        for threads in [1, 2] {
            var options = ExactOptions(norms: [.two])
            options.prune = true
            options.threads = threads
            let report = try ExactSearch.compute(net, options: options)
            XCTAssertTrue(report.isExact)
            assertRelativelyEqual(report.bounds[0].value, truth.bounds[0].value, 1e-9, "\(threads) threads")
            let s = report.statistics
            XCTAssertGreaterThan(s.nodes, 1000, "the network should need long chains of decided neurons")
            XCTAssertLessThan(s.pruningTests * 10, s.nodes, "\(threads) threads: \(s.pruningTests) pruning tests for \(s.nodes) nodes")
        }
    }

    /// A network 400 layers deep and one neuron wide, every neuron a split (past
    /// `ExactSearch.fullBoundCostCap`: planned subtrees get the staged bound and nodes skip the
    /// relaxation): branch and bound agrees with the full enumeration with 1 and 2 threads.
    func testVeryDeepWidthOneNetworkAgreesWithFullEnumeration() throws {
        let layers: [([[Double]], [Double])] = (0..<401).map { (k: Int) -> ([[Double]], [Double]) in
            let weight: Double = 1 + 0.0005 * Double(k % 5)
            let bias: Double = k == 0 ? 0 : 0.1
            return ([[weight]], [bias])
        }
        let net = network(layers, name: "chain-400")
        XCTAssertGreaterThan(ExactSearch.fullBoundCost(net), ExactSearch.fullBoundCostCap)
        var full = ExactOptions(norms: [.one, .two])
        full.method = .linearPrograms
        let truth = try ExactSearch.compute(net, options: full)
        XCTAssertTrue(truth.isExact)
        XCTAssertGreaterThan(truth.bounds[1].value, 1)
        for threads in [1, 2] {
            var options = ExactOptions(norms: [.one, .two])
            options.prune = true
            options.threads = threads
            let report = try ExactSearch.compute(net, options: options)
            XCTAssertTrue(report.isExact)
            for n in 0..<2 { assertRelativelyEqual(report.bounds[n].value, truth.bounds[n].value, 1e-9, "\(threads) threads") }
        }
    }
}
