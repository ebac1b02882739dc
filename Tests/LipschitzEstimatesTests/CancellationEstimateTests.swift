import ExactLipschitz
import LipschitzEstimates
import LipschitzModel
import LipschitzTestSupport
import XCTest

/// Lower bounds on networks whose weight products cancel: the float Jacobian can exceed the
/// exact one by its rounding bound (`ReLUNetwork.jacobianRoundingBound`), which is then charged
/// (`EstimateTolerances.roundingCharge`), so the bound stays below the constant.
final class CancellationEstimateTests: XCTestCase {
    /// Φ(x) = a·relu(x) − b·relu(e·x) with fl(b·e) rounded down and a = fl(b·e) + one ulp: the
    /// float slope for x > 0 is that ulp, the exact one a − b·e smaller. Several b, e.
    func testLowerBoundsStayBelowTheConstant() throws {
        var checked = 0
        for k in 0..<400 where checked < 6 {
            let b = 7e15 + Double(k), e = 1 + Double(1 + k % 7) * 0x1p-52
            let product = b * e
            guard product.addingProduct(-b, e) < 0 else { continue }  // fl(b·e) < b·e: rounded down
            let a = product.nextUp
            let net = network([([[1.0], [e]], [0, 0]), ([[a, -b]], [0])], name: "overestimate \(k)")
            XCTAssertGreaterThan(a - product, a.addingProduct(-b, e), "the float slope exceeds the exact one")
            let truth = try ExactSearch.compute(net, options: ExactOptions(norms: [.two]))
            XCTAssertTrue(truth.isExact)
            assertRelativelyEqual(truth.bounds[0].lower, abs(a.addingProduct(-b, e)))
            for method in [EstimationMethod.sampled, .localSearch] {
                let estimate = try LipschitzEstimator.estimate(net, methods: [method], options: EstimateOptions(norm: .two, samples: 50))[0]
                XCTAssertLessThanOrEqual(estimate.value, truth.bounds[0].lower, "\(method) k \(k)")
                XCTAssertTrue(estimate.notes.contains("charged"), estimate.notes)
            }
            checked += 1
        }
        XCTAssertEqual(checked, 6)
    }

    /// Ordinary networks: nothing is charged, the value is ‖J(point)‖ bit for bit.
    func testOrdinaryValuesAreUnchanged() throws {
        var rng = TestRandom(seed: 77)
        for widths in [[2, 8, 1], [3, 5, 4, 2], [1, 20, 1]] {
            let net = randomNetwork(widths, using: &rng)
            for method in [EstimationMethod.sampled, .localSearch] {
                let estimate = try LipschitzEstimator.estimate(net, methods: [method], options: EstimateOptions(norm: .two, samples: 100))[0]
                let point = try XCTUnwrap(estimate.point)
                XCTAssertEqual(estimate.value, try operatorNorm(net.jacobian(at: point), p: .two))
                XCTAssertFalse(estimate.notes.contains("charged"))
            }
        }
    }
}
