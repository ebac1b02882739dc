import ExactLipschitz
import LipschitzModel
import XCTest
import LipschitzTestSupport

/// Cases whose regions and slopes can be listed by hand.
final class HandComputedTests: XCTestCase {
    private func exact(_ net: ReLUNetwork, _ norm: LipschitzNorm = .two, box: InputBox? = nil) throws -> ExactReport {
        try ExactSearch.compute(net, options: ExactOptions(norms: [norm], box: box))
    }

    func testReluMinusReluIsZeroEverywhere() throws {
        // THEORY.md §1: the pattern (on, off) is feasible only at x = 0 and must not count.
        let report = try exact(network([([[1], [1]], [0, 0]), ([[1, -1]], [0])]))
        XCTAssertEqual(report.regions, 2)
        XCTAssertEqual(report.bounds[0].value, 0)
    }

    func testAbsoluteValue() throws {
        let report = try exact(network([([[1], [-1]], [0, 0]), ([[1, 1]], [0])]))
        XCTAssertEqual(report.regions, 2)
        XCTAssertEqual(report.bounds[0].value, 1)
    }

    func testListedSlopesInOneDimension() throws {
        // f = 2·ReLU(x − 1) − 3·ReLU(x − 2) + 0.5·ReLU(−x − 4): slopes −0.5, 0, 2, −1.
        let net = network([([[1], [1], [-1]], [-1, -2, -4]), ([[2, -3, 0.5]], [7])])
        let report = try exact(net)
        XCTAssertEqual(report.regions, 4)
        XCTAssertEqual(report.bounds[0].value, 2)
        let witness = try XCTUnwrap(report.bounds[0].witness)
        XCTAssertTrue((1...2).contains(witness.interiorPoint[0]))
        XCTAssertEqual(witness.jacobian, Matrix(rowArrays: [[2]]))
        // Over [2.5, 10] only the slope −1 remains.
        let local = try exact(net, box: try InputBox(lower: [2.5], upper: [10]))
        XCTAssertEqual(local.regions, 1)
        XCTAssertEqual(local.bounds[0].value, 1)
    }

    func testPurelyAffineNetwork() throws {
        let net = network([([[3, 0], [4, 5]], [1, 2])])
        for (norm, value) in [(LipschitzNorm.one, 7.0), (.infinity, 9), (.two, 45.0.squareRoot())] {
            let report = try exact(net, norm)
            XCTAssertEqual(report.regions, 1)
            assertRelativelyEqual(report.bounds[0].value, value)
        }
    }

    func testConstantNeurons() throws {
        // Neuron 2 has zero weights and bias 1 (always on), neuron 3 bias −1 (always off).
        let net = network([([[1, 0], [0, 0], [0, 0]], [0, 1, -1]), ([[1, 5, 7]], [0])])
        let report = try exact(net)
        XCTAssertEqual(report.regions, 2)
        XCTAssertEqual(report.bounds[0].value, 1)
        XCTAssertEqual(report.statistics.constantNeurons, 4)  // two neurons, on both sides of neuron 1
    }

    func testDeadSecondLayer() throws {
        // The second hidden layer is off everywhere: Φ is constant.
        let net = network([([[1], [-1]], [0, 1]), ([[-1, -1]], [-5]), ([[3]], [0])])
        let report = try exact(net)
        XCTAssertEqual(report.bounds[0].value, 0)
        XCTAssertEqual(report.regions, 3)
    }

    func testDuplicateOppositeParallelInOneDimension() throws {
        // Hyperplanes at 1 (twice, once reversed) and at 2: three regions.
        let net = network([([[1], [1], [-1], [2]], [-1, -1, 1, -4]), ([[1, 1, 1, 1]], [0])])
        let report = try exact(net)
        XCTAssertEqual(report.regions, 3)
        XCTAssertEqual(report.bounds[0].value, 4)  // x > 2: slopes 1 + 1 + 2
    }

    /// Multiplying every layer's weights by s (and layer k's biases by s^(k+1), so that every
    /// pre-activation is a positive multiple of the original) keeps the regions and multiplies
    /// the constant by s^L.
    func testScaleInvariance() throws {
        var rng = TestRandom(seed: 9)
        let net = randomNetwork([3, 8, 5, 1], using: &rng)
        let base = try exact(net)
        for s in [1e-3, 1e3] {
            let scaled = try ReLUNetwork(layers: net.layers.enumerated().map { k, layer in
                AffineLayer(weights: Matrix(rows: layer.weights.rows, columns: layer.weights.columns, storage: layer.weights.storage.map { $0 * s }),
                            biases: layer.biases.map { $0 * pow(s, Double(k + 1)) })
            })
            let report = try exact(scaled)
            XCTAssertEqual(report.regions, base.regions)
            assertRelativelyEqual(report.bounds[0].value, base.bounds[0].value * s * s * s)
            // Stretching the input space by 1/s: same regions, constant times s.
            let first = net.layers[0]
            let stretched = try ReLUNetwork(layers: [AffineLayer(weights: Matrix(rows: first.weights.rows, columns: first.weights.columns,
                                                                               storage: first.weights.storage.map { $0 * s }),
                                                                 biases: first.biases)] + net.layers.dropFirst())
            let report2 = try exact(stretched)
            XCTAssertEqual(report2.regions, base.regions)
            assertRelativelyEqual(report2.bounds[0].value, base.bounds[0].value * s)
        }
    }
}
