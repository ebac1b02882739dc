@testable import LipschitzTestSupport
import LipschitzModel
import XCTest

/// The brute force's exact region values (`RationalJacobian`): exact where the floating-point
/// kernel cancels to 0, correctly rounded, and the same as the kernel on ordinary networks.
final class RationalJacobianTests: XCTestCase {
    private func net(_ layers: [([[Double]], [Double])]) -> ReLUNetwork {
        try! ReLUNetwork(layers: layers.map { AffineLayer(weights: Matrix(rowArrays: $0.0), biases: $0.1) })
    }

    private let norms: [LipschitzNorm] = [.one, .two, .infinity]

    /// instances/known-defects/cancel-big.json: Φ(x) = a·relu(x) − b·relu(e·x), b = 7e15,
    /// e = 1 + 2⁻⁵², a = fl(b·e). The slope for x > 0 is a − b·e = 2 − 7e15·2⁻⁵² exactly; the
    /// kernel forms a − fl(b·e) = 0.
    func testCancellingProductIsExact() throws {
        let b = 7e15, e = 1 + 0x1p-52, a = b * e
        XCTAssertEqual(a, 7000000000000002)
        let network = net([([[1], [e]], [0, 0]), ([[a, -b]], [0])])
        let both = ActivationPattern(layers: [[true, true]])
        XCTAssertEqual(network.jacobian(for: both).storage, [0], "the float kernel cancels (the defect)")
        let slope = a.addingProduct(-b, e)  // a − b·e, one rounding (FMA)
        XCTAssertEqual(slope, 0.44568776552478084)
        let exact = RationalJacobian(network)
        XCTAssertEqual(exact.jacobian(for: both).storage, [slope])
        XCTAssertEqual(try exact.evaluate(both, norms: norms + [.p(3)]).values, [slope, slope, slope, slope])
        XCTAssertEqual(exact.jacobian(for: ActivationPattern(layers: [[false, false]])).storage, [0])
        XCTAssertEqual(exact.jacobian(for: ActivationPattern(layers: [[true, false]])).storage, [a])

        let truth = try ExactBruteForce.run(network, norms: norms)
        XCTAssertEqual(truth.regions, 2)
        XCTAssertEqual(truth.constants, [slope, slope, slope])
    }

    /// A single product w₁·w₀ is correctly rounded in IEEE arithmetic: the rational route must
    /// give the same bits, for every magnitude (subnormal results, underflow to 0, overflow to ∞
    /// and ties included).
    func testSingleProductsRoundLikeIEEE() throws {
        var rng = TestRandom(seed: 71)
        var cases: [(Double, Double)] = [(0x1p-1074, 0.5), (0x1p-1074, 1.5), (0x1.8p-1070, 0x1.0000000000001p-3),
                                         (1e308, 10), (-1e308, 10), (0x1.fffffffffffffp1023, 1 + 0x1p-52), (3, 1.0 / 3)]
        for _ in 0..<400 {
            let x = Double(sign: rng.bool() ? .minus : .plus, exponent: rng.int(-1070...1020), significand: 1 + rng.uniform())
            let y = Double(sign: rng.bool() ? .minus : .plus, exponent: rng.int(-1070...1020), significand: 1 + rng.uniform())
            cases.append((x, y))
        }
        for (w0, w1) in cases {
            let network = net([([[w0]], [0]), ([[w1]], [0])])
            let got = RationalJacobian(network).jacobian(for: ActivationPattern(layers: [[true]])).storage[0]
            let want = w1 * w0
            // Same bits, except that an underflow to zero is +0 (the exact value has no sign of zero).
            XCTAssertTrue(got.bitPattern == want.bitPattern || (got.bitPattern == 0 && want == 0), "\(w1) · \(w0): \(got) vs \(want)")
        }
    }

    /// ℓ2 of a vector by the scaled exact sum of squares: no underflow or overflow of squares.
    func testEuclideanNormAtExtremeMagnitudes() throws {
        for scale in [1e-300, 1e-200, 1e-150, 1.0, 1e150, 1e200, 1e300] {
            let network = net([([[3 * scale, 4 * scale]], [0]), ([[1]], [0])])
            let values = try RationalJacobian(network).evaluate(ActivationPattern(layers: [[true]]), norms: norms)
            assertClose(values.values[1], 5 * scale, relative: 1e-15, absolute: 0)
            assertClose(values.values[0], 4 * scale, relative: 1e-15, absolute: 0)  // ℓ1: largest column
            assertClose(values.values[2], 7 * scale, relative: 1e-15, absolute: 0)  // ℓ∞: row sum
            // A column (one input, two outputs) too.
            let column = net([([[scale]], [0]), ([[3], [-4]], [0, 0])])
            let c = try RationalJacobian(column).evaluate(ActivationPattern(layers: [[true]]), norms: norms)
            assertClose(c.values[1], 5 * scale, relative: 1e-15, absolute: 0)
            assertClose(c.values[0], 7 * scale, relative: 1e-15, absolute: 0)
            assertClose(c.values[2], 4 * scale, relative: 1e-15, absolute: 0)
        }
    }

    /// On ordinary networks (no cancellation to speak of) the exact values are the kernel's to
    /// rounding, for every pattern, every norm and depth, vector outputs included.
    func testAgreesWithTheFloatingPointKernelOnOrdinaryNetworks() throws {
        var rng = TestRandom(seed: 72)
        for _ in 0..<60 {
            let d = rng.int(1...3), outputs = rng.int(1...3)
            var widths = [d]
            for _ in 0..<rng.int(1...3) { widths.append(rng.int(1...4)) }
            widths.append(outputs)
            let network = randomNetwork(widths, using: &rng)
            let exact = RationalJacobian(network)
            let normsHere = outputs == 1 ? norms + [.p(3), .p(1.5)] : norms
            for _ in 0..<8 {
                let pattern = ActivationPattern(layers: network.hiddenWidths.map { (0..<$0).map { _ in rng.bool() } })
                let float = network.jacobian(for: pattern)
                let region = try exact.evaluate(pattern, norms: normsHere)
                assertClose(region.jacobian, float, relative: 1e-12, absolute: 1e-13)
                for (m, norm) in normsHere.enumerated() {
                    assertClose(region.values[m], try operatorNorm(float, p: norm), relative: 1e-12, absolute: 1e-13, "ℓ\(norm)")
                }
            }
        }
    }

    func testRefusesAGeneralNormForVectorOutputs() {
        let network = net([([[1], [-1]], [0, 0]), ([[1, 1], [1, 0]], [0, 0])])
        XCTAssertThrowsError(try RationalJacobian(network).evaluate(ActivationPattern(layers: [[true, true]]), norms: [.p(3)]))
        XCTAssertNoThrow(try RationalJacobian(network).evaluate(ActivationPattern(layers: [[true, true]]), norms: [.one, .two, .infinity]))
    }
}
