@testable import ExactLipschitz
import Foundation
import LipschitzModel
import LipschitzTestSupport
import XCTest

/// The shared frontier of the parallel LP search (`WorkFrontier`, `RegionEnumerator.run(_:cover:yield:)`)
/// and the influence order of the split neurons (`NeuronOrder`): subtrees cut up after every few
/// nodes and handed back must still give the 2^n brute force's constant with 1 and 2 threads
/// (deep, vector-valued, box-local and degenerate networks), a witness in the original numbering,
/// and after a stop an interval that holds the constant (with the pattern-space cap on).
final class WorkFrontierTests: XCTestCase {
    private func search(_ net: ReLUNetwork, norms: [LipschitzNorm], box: InputBox?, threads: Int,
                        slice: Int, maxRegions: Int? = nil) throws -> ExactReport {
        var options = ExactOptions(norms: norms, box: box)
        options.prune = true
        options.threads = threads
        options.method = .linearPrograms
        options.handBackSlice = slice
        // Pattern-space refinement of queued subtrees from the start or after a few nodes, with
        // budgets small enough to stop it midway (`ExactSearch.refine`).
        options.splitAfterNodes = slice % 2 == 0 ? 0 : 4
        options.splitBudget = 2 + 3 * slice
        // The pattern-space cap of the anytime interval (`PatternCap`) from the start, for up to
        // all the wall time: it must change no constant.
        options.patternCapShare = slice % 2 == 0 ? 1 : 0.25
        options.maxRegions = maxRegions
        return try ExactSearch.compute(net, options: options)
    }

    /// Two hidden layers or more; every third network has a duplicated and a zero first-layer
    /// neuron (degenerate arrangements), every fourth lives in a box.
    private func testNetwork(_ trial: Int, _ rng: inout TestRandom) throws -> (ReLUNetwork, InputBox?) {
        let d = rng.int(1...3)
        var widths = [d, rng.int(3...5), rng.int(2...4)]
        if trial % 2 == 0 { widths.append(rng.int(1...3)) }
        widths.append(rng.int(1...2))
        var net = randomNetwork(widths, using: &rng)
        if trial % 3 == 0 {
            var layers = net.layers.map { layer in
                ((0..<layer.weights.rows).map { layer.weights.row($0) }, layer.biases)
            }
            layers[0].0[1] = layers[0].0[0]; layers[0].1[1] = layers[0].1[0]
            layers[0].0[2] = Array(repeating: 0, count: d)
            net = network(layers, name: "degenerate-\(trial)")
        }
        let box = trial % 4 == 3 ? try randomBox(d, smallestSide: 0.2, spread: 2, using: &rng) : nil
        return (net, box)
    }

    func testHandedBackSubtreesAgreeWithBruteForce() throws {
        var rng = TestRandom(seed: 2026)
        for trial in 0..<60 {
            let (net, box) = try testNetwork(trial, &rng)
            let norms: [LipschitzNorm] = net.outputDimension == 1 ? [.one, .two, .infinity] : [.one, .infinity]
            let reference = try BruteForce.run(net, norms: norms, box: box)
            var values: [[Double]] = []
            for threads in [1, 2] {
                let report = try search(net, norms: norms, box: box, threads: threads, slice: 1 + trial % 3)
                let label = "trial \(trial) \(net.name), \(threads) threads, box \(box.map { "\($0)" } ?? "none")"
                XCTAssertTrue(report.isExact, label)
                for (n, norm) in norms.enumerated() {
                    assertRelativelyEqual(report.bounds[n].value, reference.best[n], 1e-9, "\(label) ℓ\(norm)")
                    if let witness = report.bounds[n].witness {
                        // Witnesses come back in the original numbering of the neurons.
                        XCTAssertEqual(net.activationPattern(at: witness.interiorPoint), witness.pattern, label)
                        XCTAssertEqual(net.jacobian(at: witness.interiorPoint), witness.jacobian, label)
                    }
                }
                values.append(report.bounds.map(\.value))
            }
            XCTAssertEqual(values[0], values[1], "trial \(trial): 1 and 2 threads give the same constants")
        }
    }

    /// A search stopped by a region limit bounds the subtrees still queued by their own bounds:
    /// the interval holds the constant and is no wider than the root's interval Jacobian.
    func testStoppedSearchIntervalHoldsTheConstant() throws {
        var rng = TestRandom(seed: 77)
        for trial in 0..<30 {
            let (net, box) = try testNetwork(trial, &rng)
            let reference = try BruteForce.run(net, norms: [.two], box: box)
            let root = try IntervalJacobian(network: net, states: net.hiddenWidths.map { Array(repeating: .unknown, count: $0) })
                .operatorNormBound(p: .two)
            for threads in [1, 2] {
                let report = try search(net, norms: [.two], box: box, threads: threads, slice: 2, maxRegions: 1 + trial % 3)
                let bound = report.bounds[0], label = "trial \(trial) \(net.name), \(threads) threads"
                XCTAssertLessThanOrEqual(bound.lower, reference.best[0] * (1 + 1e-9), label)
                XCTAssertGreaterThanOrEqual(bound.upper, reference.best[0] * (1 - 1e-9), label)
                XCTAssertLessThanOrEqual(bound.upper, root * (1 + 1e-9), label)
                if !report.isExact { XCTAssertEqual(report.stopReason, .maxRegions, label) }
            }
        }
    }

    /// The permuted network is the same function, and patterns map back to the original's.
    func testNeuronOrderKeepsTheFunction() throws {
        var rng = TestRandom(seed: 5)
        for trial in 0..<20 {
            let widths = [rng.int(1...4), rng.int(2...8), rng.int(2...8), rng.int(1...3)]
            let net = randomNetwork(widths, using: &rng)
            let order = NeuronOrder(influenceOf: net)
            let permuted = try order.apply(to: net)
            for k in order.permutation.indices { XCTAssertEqual(order.permutation[k].sorted(), Array(0..<widths[k + 1])) }
            for _ in 0..<10 {
                let x = (0..<widths[0]).map { _ in 3 * rng.normal() }
                let a = net.evaluate(x), b = permuted.evaluate(x)
                for (u, v) in zip(a, b) { XCTAssertEqual(u, v, accuracy: 1e-12 * (1 + abs(u)), "trial \(trial)") }
                XCTAssertEqual(order.original(permuted.activationPattern(at: x)), net.activationPattern(at: x), "trial \(trial)")
            }
        }
    }
}
