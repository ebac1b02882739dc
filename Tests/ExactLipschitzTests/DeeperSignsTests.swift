@testable import ExactLipschitz
import Foundation
import LipschitzModel
import LipschitzTestSupport
import XCTest

/// Signs of deeper layers certified before the search reaches them (`DeeperSigns`, used by
/// `RegionEnumerator.stabiliseDeeper` with a certified box around a node's region): every sign
/// the kernel certifies must hold at every point of the region, and branch and bound with those
/// signs in its pruning bound (and the splits they skip) must keep the brute-force constants on
/// deep networks, degenerate and box-local ones among them, with 1 and 2 threads.
final class DeeperSignsTests: XCTestCase {
    /// Boxes around points, some neurons of the first layer known by their sign at the centre
    /// (the region is the box where they hold): every certified sign, of every layer, holds at
    /// sampled points of that region.
    func testCertifiedSignsHoldAtSampledPointsOfTheRegion() {
        var rng = TestRandom(seed: 2027)
        var certified = 0, deeperCertified = 0, checked = 0
        for trial in 0..<200 {
            let d = rng.int(1...4)
            let widths = [d] + (0..<rng.int(2...4)).map { _ in rng.int(2...8) } + [1]
            let net = trial % 3 == 0 ? uniformRandomNetwork(widths, using: &rng) : randomNetwork(widths, using: &rng)
            let centre = (0..<d).map { _ in 2 * rng.normal() }
            let half = (0..<d).map { _ in 0.01 + (trial % 2 == 0 ? 0.3 : 3) * rng.uniform() }
            let box = (lower: zip(centre, half).map { $0 - $1 }, upper: zip(centre, half).map { $0 + $1 })
            let first = net.layers[0]
            let atCentre = net.forwardPass(at: centre).hidden
            var known: [[Bool?]] = net.hiddenWidths.map { Array(repeating: nil, count: $0) }
            for i in 0..<first.outputDimension where rng.int(0...2) == 0 { known[0][i] = atCentre[0][i] > 0 }
            let signs = DeeperSigns(network: net, biasScale: 1).signs(
                layer: 0, matrix: first.weights, offset: first.biases,
                rowError: Array(repeating: 0, count: first.outputDimension),
                offsetError: Array(repeating: 0, count: first.outputDimension), box: box, known: known)
            XCTAssertEqual(signs.map(\.count), net.hiddenWidths)
            certified += signs.joined().compactMap { $0 }.count
            deeperCertified += signs.dropFirst().joined().compactMap { $0 }.count
            for _ in 0..<300 {
                let x = (0..<d).map { box.lower[$0] + (box.upper[$0] - box.lower[$0]) * rng.uniform() }
                let hidden = net.forwardPass(at: x).hidden
                // Only points of the region: the known signs hold there.
                guard (0..<first.outputDimension).allSatisfy({ i in known[0][i].map { active in (hidden[0][i] > 0) == active } ?? true }) else { continue }
                checked += 1
                for (k, layer) in signs.enumerated() {
                    for (i, sign) in layer.enumerated() {
                        guard let active = sign else { continue }
                        XCTAssertEqual(hidden[k][i] > 0, active, "trial \(trial) \(widths): neuron \(i) of layer \(k) at \(x)")
                        if active { XCTAssertGreaterThan(hidden[k][i], 0) } else { XCTAssertLessThan(hidden[k][i], 0) }
                    }
                }
            }
        }
        XCTAssertGreaterThan(deeperCertified, 100, "the boxes are small enough to certify deeper signs")
        XCTAssertGreaterThan(certified, deeperCertified)
        XCTAssertGreaterThan(checked, 10_000)
    }

    /// Infinite box ends (a coordinate unbounded on the region) give no sign through a non-zero
    /// weight and never NaN; a zero column keeps the rest.
    func testUnboundedCoordinatesCertifyNothingThroughThem() {
        let net = network([([[1, 0], [0, 1], [0, 0]], [5, -5, 1]), ([[1, 1, 0], [0, 0, 1]], [0, -3]), ([[1, 1]], [0])])
        let signs = DeeperSigns(network: net, biasScale: 1).signs(
            layer: 0, matrix: net.layers[0].weights, offset: net.layers[0].biases,
            rowError: [0, 0, 0], offsetError: [0, 0, 0],
            box: (lower: [-Double.infinity, -1], upper: [Double.infinity, 1]), known: [[nil, nil, nil], [nil, nil]])
        XCTAssertEqual(signs[0], [nil, false, true])
        // Neuron 0 of layer 1 sees the unbounded first neuron; neuron 1 is 1 − 3 < 0.
        XCTAssertEqual(signs[1], [nil, false])
    }

    /// Deep networks (three or four hidden layers, a degenerate first layer in some), globally and
    /// in boxes: the constants equal the 2^n brute force with 1 and 2 threads, and the deeper
    /// signs are exercised.
    func testSearchWithDeeperSignsAgreesWithBruteForce() throws {
        var rng = TestRandom(seed: 3031)
        var deeper = 0
        for trial in 0..<60 {
            let d = rng.int(1...3)
            var layers: [([[Double]], [Double])] = []
            if trial % 4 == 1 {
                layers.append(degenerateHiddenLayer(dimension: d, groups: 2, trial: trial, using: &rng))
            } else {
                let n = rng.int(3...5)
                layers.append(((0..<n).map { _ in (0..<d).map { _ in rng.normal() } }, (0..<n).map { _ in rng.normal() }))
            }
            let depth = trial % 3 == 0 ? 3 : 2
            for k in 0..<depth {
                let n = k == depth - 1 ? rng.int(1...2) : rng.int(2...4)
                let fanIn = layers.last!.0.count
                layers.append(((0..<n).map { _ in (0..<fanIn).map { _ in rng.normal() } }, (0..<n).map { _ in 2 * rng.normal() }))
            }
            let net = network(layers, name: "deep-\(trial)")
            guard net.hiddenNeuronCount <= 14 else { continue }
            let box = trial % 2 == 1 ? try randomBox(d, smallestSide: 0.1, spread: 2, using: &rng) : nil
            deeper += try assertPrunedSearchAgreesWithBruteForce(net, box: box, label: "trial \(trial) \(net.architecture)").deeperStabilisedNeurons
        }
        XCTAssertGreaterThan(deeper, 20, "the networks exercise the deeper signs")
    }
}
