import LipschitzModel
import LipschitzTestSupport
import XCTest

/// The package's one forward recurrence and one Jacobian kernel (`DenseNetwork`) against the
/// textbook formulas written out here with `Matrix` products, multiplied from the input side.
final class DenseNetworkTests: XCTestCase {
    func testJacobianMatchesTheProductFromTheInputSide() {
        var rng = TestRandom(seed: 314)
        // Both ways of `pullBack`: rows listed first, and short rows (cols · outputs ≤ 4: every
        // row multiplied, zero rows of g included) — [1, 300, 1], [2, 50, 2], [4, 6, 1], the
        // first layers of [1, 7, 5, 1] and [1, 1, 1].
        for widths in [[3, 5, 1], [4, 9, 7, 2], [2, 8, 8, 8, 3], [5, 1, 1], [6, 13, 4], [3, 2],
                       [1, 300, 1], [2, 50, 2], [4, 6, 1], [1, 7, 5, 1], [1, 1, 1]] {
            let net = uniformRandomNetwork(widths, using: &rng)
            for _ in 0..<20 {
                let pattern = ActivationPattern(layers: net.hiddenWidths.map { (0..<$0).map { _ in rng.bool() } })
                var j = net.layers[0].weights
                for k in 1..<net.layers.count {
                    for i in 0..<j.rows where !pattern.layers[k - 1][i] { for c in 0..<j.columns { j[i, c] = 0 } }
                    j = net.layers[k].weights * j
                }
                assertClose(net.jacobian(for: pattern), j, relative: 1e-13, absolute: 1e-13, "\(widths) \(pattern)")
            }
        }
    }

    /// One input, one hidden layer, one output: the 1 × 1 Jacobian formed on the fly from the
    /// pattern (`scalarJacobian`, the one-input sweep's witness) is, bit for bit, what the batch
    /// kernel gives the same point inside a batch of three (the general loops over points),
    /// zero weights and widths that are not multiples of four included; and the ℓ∞ norm of one
    /// column (four lanes) is the largest magnitude, as the row sums give it.
    func testOneInputJacobianIsTheBatchKernelsSum() throws {
        var rng = TestRandom(seed: 1618)
        for width in [1, 2, 3, 4, 5, 7, 8, 13, 1001] {
            var net = uniformRandomNetwork([1, width, 1], using: &rng)
            var w = net.layers[0].weights, v = net.layers[1].weights
            for i in 0..<width where rng.int(0...5) == 0 { w[i, 0] = 0 }
            for i in 0..<width where rng.int(0...5) == 0 { v[0, i] = 0 }
            net = try ReLUNetwork(layers: [AffineLayer(weights: w, biases: net.layers[0].biases),
                                           AffineLayer(weights: v, biases: net.layers[1].biases)])
            let dense = DenseNetwork(net)
            for _ in 0..<10 {
                let bits = (0..<width).map { _ in rng.bool() }
                let other1 = (0..<width).map { _ in rng.bool() }, other2 = (0..<width).map { _ in rng.bool() }
                // Point 1 of a batch of three: masks[i·3 + b].
                var masks = [UInt8](repeating: 0, count: 3 * width)
                for i in 0..<width { (masks[3 * i], masks[3 * i + 1], masks[3 * i + 2]) = (other1[i] ? 1 : 0, bits[i] ? 1 : 0, other2[i] ? 1 : 0) }
                let batch = dense.jacobian(fromBatch: dense.backward(masks: [masks], count: 3), point: 1, count: 3)
                let alone = net.jacobian(for: ActivationPattern(layers: [bits]))
                XCTAssertEqual(alone.storage.map(\.bitPattern), batch.storage.map(\.bitPattern), "width \(width)")
            }
            let column = w.storage.map { abs($0) }.max() ?? 0
            XCTAssertEqual(try operatorNorm(w, p: .infinity), column, "width \(width)")
        }
    }

    /// A batch gives each point what it gives alone, and what `W h + b` layer by layer gives.
    func testBatchedPreActivationsMatchTheAffineMaps() {
        var rng = TestRandom(seed: 2718)
        let net = uniformRandomNetwork([7, 6, 5, 2], using: &rng)
        let dense = DenseNetwork(net)
        let count = 9
        let points = (0..<count).map { _ in rng.vector(7, -3, 3) }
        var batch = [Double](repeating: 0, count: 7 * count)
        for (b, p) in points.enumerated() { for j in 0..<7 { batch[j * count + b] = p[j] } }
        let z = dense.preActivations(layer: 0, of: batch, count: count)
        for (b, p) in points.enumerated() {
            let expected = zip(net.layers[0].weights * p, net.layers[0].biases).map { $0 + $1 }
            let (hidden, output) = net.forwardPass(at: p)
            for i in 0..<6 {
                assertClose(z[i * count + b], expected[i])
                XCTAssertEqual(z[i * count + b], hidden[0][i], "batch of \(count) vs batch of one")
            }
            XCTAssertEqual(output, net.evaluate(p))
            XCTAssertEqual(net.activationPattern(at: p).layers, hidden.map { $0.map { $0 > 0 } })
        }
    }
}
