@testable import LipschitzTestSupport
import LipschitzModel
import XCTest

/// The reference must itself be right: hand-computed constants and region counts, each
/// answered both with and without prefix pruning.
final class ExactBruteForceTests: XCTestCase {
    private let norms: [LipschitzNorm] = [.one, .two, .infinity]

    private func net(_ layers: [([[Double]], [Double])]) -> ReLUNetwork {
        try! ReLUNetwork(layers: layers.map { AffineLayer(weights: Matrix(rowArrays: $0.0), biases: $0.1) })
    }

    /// Runs with and without pruning, checks they agree, returns the pruned result.
    private func solve(_ network: ReLUNetwork, box: InputBox? = nil, file: StaticString = #filePath,
                       line: UInt = #line) throws -> ExactBruteForce.Result {
        let pruned = try ExactBruteForce.run(network, norms: norms, box: box)
        let full = try ExactBruteForce.run(network, norms: norms, box: box, pruneEmptyPrefixes: false)
        XCTAssertEqual(pruned, full, "pruning changed the answer", file: file, line: line)
        return pruned
    }

    private func assertResult(_ r: ExactBruteForce.Result, regions: Int, _ constants: [Double],
                              file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.regions, regions, "regions", file: file, line: line)
        for (got, want) in zip(r.constants, constants) {
            XCTAssertEqual(got, want, accuracy: 1e-12 * max(1, abs(want)), file: file, line: line)
        }
    }

    func testAbsoluteValue() throws {
        let r = try solve(net([([[1], [-1]], [0, 0]), ([[1, 1]], [0])]))
        assertResult(r, regions: 2, [1, 1, 1])
    }

    func testReluMinusReluHasTwoRegionsAndConstantZero() throws {
        let r = try solve(net([([[1], [1]], [0, 0]), ([[1, -1]], [0])]))
        assertResult(r, regions: 2, [0, 0, 0])
        XCTAssertEqual(Set(r.patterns.map(\.description)), ["11", "00"])
    }

    /// Kinks at 1e8, 1e8 + 1, 1e8 + 2: slopes 0, 10, −10, 0.
    func testFarAwayHat() throws {
        let r = try solve(net([([[10], [10], [10]], [-1e9, -1e9 - 10, -1e9 - 20]), ([[1, -2, 1]], [0])]))
        assertResult(r, regions: 4, [10, 10, 10])
    }

    /// Kinks 1e-12 apart: the sliver between them has slope 1. glp_exact would round
    /// 1 + 1e-12 to 1 (relative 1e-9) unless the rows are scaled to integers.
    func testSliverBetweenNearlyEqualKinks() throws {
        let r = try solve(net([([[1], [1]], [-1, -(1 + 1e-12)]), ([[1, -1]], [0])]))
        assertResult(r, regions: 3, [1, 1, 1])
    }

    /// Box [0, 1] × [0, 1e-8]: the lines x₂ = 5e-9 and x₁ = 0.5 cut it into four regions; the
    /// line x₂ = 2e-8 misses it. Gradient (2·[x₁ > 0.5], [x₂ > 5e-9]) inside.
    func testThinBox() throws {
        let network = net([([[0, 1], [1, 0], [0, 1]], [-5e-9, -0.5, -2e-8]), ([[1, 2, 100]], [0])])
        let inside = try solve(network, box: try InputBox(lower: [0, 0], upper: [1, 1e-8]))
        assertResult(inside, regions: 4, [2, 5.0.squareRoot(), 3])
        let global = try solve(network)
        assertResult(global, regions: 6, [101, (4.0 + 101 * 101).squareRoot(), 103])
        // A box that is a sliver of the sliver: only the corner region x₁ > 0.5, x₂ < 5e-9.
        let corner = try solve(network, box: try InputBox(lower: [0.75, 1e-9], upper: [0.75 + 1e-8, 2e-9]))
        assertResult(corner, regions: 1, [2, 2, 2])
    }

    /// h₁ = ReLU(a x + b), h₂ = ReLU(2a x + 2b) (exactly twice h₁); the second layer sees
    /// 2h₁ − h₂ ≡ 0, so neurons reading it with biases 0, −1, 0.5 are constant (inactive,
    /// inactive, active) and cut nothing; a fourth copies h₁. Two regions, slope a.
    func testConstantByExactCancellationInSecondLayer() throws {
        let a = 0.1, b = 0.3
        let network = net([
            ([[a], [2 * a]], [b, 2 * b]),
            ([[2, -1], [2, -1], [2, -1], [1, 0]], [0, -1, 0.5, 0]),
            ([[100, 100, 7, 1]], [0]),
        ])
        let r = try solve(network)
        assertResult(r, regions: 2, [a, a, a])
        XCTAssertEqual(Set(r.patterns.map(\.description)), ["11|0011", "00|0010"])
    }

    /// Four copies of ReLU(x) weighted 1, 2⁻⁶⁰, −1, −2⁻⁶⁰: the sum cancels exactly, but in
    /// floating point (1 + 2⁻⁶⁰) − 1 − 2⁻⁶⁰ = −2⁻⁶⁰. The neuron is constant 0 (inactive) and
    /// must not cut the region x > 0 away.
    func testCancellationThatFloatingPointMisses() throws {
        let tiny = 0x1p-60
        XCTAssertNotEqual(1 + tiny - 1 - tiny, 0)
        let network = net([
            ([[1], [1], [1], [1]], [0, 0, 0, 0]),
            ([[1, tiny, -1, -tiny], [1, 0, 0, 0]], [0, 0]),
            ([[5, 1]], [0]),
        ])
        let r = try solve(network)
        assertResult(r, regions: 2, [1, 1, 1])
        XCTAssertEqual(Set(r.patterns.map(\.description)), ["1111|01", "0000|00"])
    }

    func testZeroWeightNeuronIsDecidedByItsBias() throws {
        let r = try solve(net([([[0, 0], [1, 0], [0, 0]], [1, 0, -1]), ([[5, 1, 7]], [0])]))
        assertResult(r, regions: 2, [1, 1, 1])
        XCTAssertEqual(Set(r.patterns.map(\.description)), ["110", "100"])
    }

    func testNoHiddenLayer() throws {
        let r = try solve(net([([[3, 4]], [1])]))
        assertResult(r, regions: 1, [4, 5, 7])
        let boxed = try solve(net([([[3, 4]], [1])]), box: try InputBox(lower: [0, 0], upper: [1e-8, 1e8]))
        assertResult(boxed, regions: 1, [4, 5, 7])
    }

    /// Every line through the origin at 45° steps: 2n sectors, all meeting at one point.
    func testConcurrentLines() throws {
        let r = try solve(net([([[1, 0], [0, 1], [1, 1], [1, -1]], [0, 0, 0, 0]), ([[1, 1, 1, 1]], [0])]))
        XCTAssertEqual(r.regions, 8)
    }

    func testIntegralScale() throws {
        XCTAssertEqual(try RationalLP.integralScale([1, 2, 0]), 1)
        XCTAssertEqual(try RationalLP.integralScale([0.5, 3]), 2)
        let s = try RationalLP.integralScale([1 + 1e-12, 1e9, 5e-9])
        for v in [1 + 1e-12, 1e9, 5e-9] { XCTAssertEqual((v * s).rounded(), v * s) }
        XCTAssertThrowsError(try RationalLP.integralScale([.infinity]))
        XCTAssertThrowsError(try RationalLP.integralScale([1e300, 1e-300]))
    }

    func testRefusesBigNetworksAndBadInput() {
        let big = net([(Array(repeating: [1.0], count: 17), Array(repeating: 0.0, count: 17)), ([Array(repeating: 1.0, count: 17)], [0])])
        XCTAssertThrowsError(try ExactBruteForce.run(big, norms: [.two]))
        let small = net([([[1], [-1]], [0, 0]), ([[1, 1], [1, 0]], [0, 0])])
        XCTAssertThrowsError(try ExactBruteForce.run(small, norms: [.p(3)]))
        XCTAssertThrowsError(try ExactBruteForce.run(small, norms: [.two], box: try InputBox(lower: [0, 0], upper: [1, 1])))
    }
}
