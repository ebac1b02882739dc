import XCTest
import LipschitzModel
import LipschitzTestSupport

final class IntervalJacobianTests: XCTestCase {
    func testHandComputedBounds() throws {
        // 1 → 2 → 1: W0 = [[1], [-2]], W1 = [[3, 1]].
        let net = try ReLUNetwork(layers: [
            AffineLayer(weights: Matrix(rowArrays: [[1], [-2]]), biases: [0, 0]),
            AffineLayer(weights: Matrix(rowArrays: [[3, 1]]), biases: [0]),
        ])
        // Neuron 1 unknown (row in hull{0, 1}), neuron 2 active (row −2): J ∈ 3·[0, 1] − 2 = [−2, 1].
        let mixed = IntervalJacobian(network: net, states: [[.unknown, .active]])
        XCTAssertEqual(mixed.lower.rowArrays, [[-2]])
        XCTAssertEqual(mixed.upper.rowArrays, [[1]])
        XCTAssertEqual(mixed.magnitude.rowArrays, [[2]])
        XCTAssertEqual(try mixed.operatorNormBound(p: .two), 2)
        // Both unknown: 3·[0, 1] + [−2, 0] = [−2, 3].
        let open = IntervalJacobian(network: net, states: [[.unknown, .unknown]])
        XCTAssertEqual(open.lower.rowArrays, [[-2]])
        XCTAssertEqual(open.upper.rowArrays, [[3]])
        // Both inactive: J = 0.
        let off = IntervalJacobian(network: net, states: [[.inactive, .inactive]])
        XCTAssertEqual(off.lower.rowArrays, [[0]])
        XCTAssertEqual(off.upper.rowArrays, [[0]])
    }

    func testFullPatternGivesTheExactJacobian() {
        var rng = TestRandom(seed: 99)
        for widths in [[2, 3, 1], [3, 4, 4, 2], [2, 5, 3, 4, 3]] {
            let net = uniformRandomNetwork(widths, using: &rng)
            for _ in 0..<10 {
                let pattern = ActivationPattern(layers: net.hiddenWidths.map { n in (0..<n).map { _ in rng.bool() } })
                let states = pattern.layers.map { $0.map { $0 ? NeuronState.active : .inactive } }
                let bounds = IntervalJacobian(network: net, states: states)
                let j = net.jacobian(for: pattern)
                assertClose(bounds.lower, j, relative: 1e-13, absolute: 1e-14)
                assertClose(bounds.upper, j, relative: 1e-13, absolute: 1e-14)
            }
        }
    }

    /// Every completion of a random partial pattern has its Jacobian inside [lower, upper]
    /// and its norm below operatorNormBound.
    func testSoundForEveryCompletion() throws {
        var rng = TestRandom(seed: 2718)
        let architectures = [[2, 4, 1], [3, 3, 3, 2], [2, 3, 3, 3, 1], [4, 5, 3], [1, 4, 4, 1]]
        var completionsChecked = 0
        for widths in architectures {
            let net = uniformRandomNetwork(widths, using: &rng)
            for _ in 0..<8 {
                let states: [[NeuronState]] = net.hiddenWidths.map { n in
                    (0..<n).map { _ in [NeuronState.active, .inactive, .unknown][rng.int(0...2)] }
                }
                let bounds = IntervalJacobian(network: net, states: states)
                XCTAssertEqual(bounds.lower.rows, net.outputDimension)
                XCTAssertEqual(bounds.lower.columns, net.inputDimension)
                for (lo, hi) in zip(bounds.lower.storage, bounds.upper.storage) { XCTAssertLessThanOrEqual(lo, hi) }
                var norms: [LipschitzNorm] = [.one, .two, .infinity]
                if net.outputDimension == 1 { norms += [.p(3), .p(1.5)] }
                let normBounds = try norms.map { try bounds.operatorNormBound(p: $0) }

                let unknown = states.enumerated().flatMap { k, layer in
                    layer.enumerated().compactMap { i, s in s == .unknown ? (k, i) : nil }
                }
                XCTAssertLessThanOrEqual(unknown.count, 12)
                for mask in 0..<(1 << unknown.count) {
                    var pattern = states.map { $0.map { $0 == .active } }
                    for (bit, (k, i)) in unknown.enumerated() { pattern[k][i] = (mask >> bit) & 1 == 1 }
                    let j = net.jacobian(for: ActivationPattern(layers: pattern))
                    for idx in j.storage.indices {
                        let slack = 1e-12 * (1 + abs(j.storage[idx]))
                        XCTAssertGreaterThanOrEqual(j.storage[idx], bounds.lower.storage[idx] - slack, "entry \(idx), states \(states)")
                        XCTAssertLessThanOrEqual(j.storage[idx], bounds.upper.storage[idx] + slack, "entry \(idx), states \(states)")
                    }
                    for (p, bound) in zip(norms, normBounds) {
                        let n = try operatorNorm(j, p: p)
                        XCTAssertLessThanOrEqual(n, bound * (1 + 1e-12) + 1e-12, "ℓ\(p) for \(pattern)")
                    }
                    completionsChecked += 1
                }
            }
        }
        XCTAssertGreaterThan(completionsChecked, 200)
    }
}

final class InputBoxTests: XCTestCase {
    func testValidBox() throws {
        let box = try InputBox(lower: [-1, 0, 2], upper: [1, 0.5, 3])
        XCTAssertEqual(box.dimension, 3)
        XCTAssertEqual(box.center, [0, 0.25, 2.5])
        XCTAssertEqual(box.widths, [2, 0.5, 1])
        XCTAssertTrue(box.contains([0, 0, 2]))
        XCTAssertTrue(box.contains([1, 0.5, 3]), "the boundary belongs to the box")
        XCTAssertFalse(box.contains([0, 0.6, 2]))
        XCTAssertFalse(box.contains([0, 0]))
        XCTAssertNoThrow(try box.check(inputs: 3))
        let uniform = try InputBox(uniform: -2, 2, dimension: 2)
        XCTAssertEqual(uniform.lower, [-2, -2])
        XCTAssertEqual(uniform.upper, [2, 2])
    }

    func testInvalidBoxes() {
        func badBox(_ body: () throws -> InputBox, file: StaticString = #filePath, line: UInt = #line) {
            guard let error = expectError(InputError.self, file: file, line: line, body) else { return }
            guard case .badBox = error else { return XCTFail("got \(error)", file: file, line: line) }
            XCTAssertTrue(error.description.hasPrefix("bad box"), file: file, line: line)
        }
        badBox { try InputBox(lower: [0, 1], upper: [1, 1]) }      // lower == upper
        badBox { try InputBox(lower: [0, 2], upper: [1, 1]) }      // lower > upper
        badBox { try InputBox(lower: [.nan], upper: [1]) }
        badBox { try InputBox(lower: [0], upper: [.nan]) }
        badBox { try InputBox(lower: [-.infinity], upper: [1]) }
        badBox { try InputBox(lower: [0, 0], upper: [1]) }         // lengths differ
        badBox { try InputBox(lower: [], upper: []) }
        badBox { try InputBox(uniform: 1, -1, dimension: 2) }
        let error = expectError(InputError.self) { try InputBox(lower: [0, 5], upper: [1, 4]) }
        XCTAssertTrue(error?.description.contains("dimension 2") ?? false, "\(String(describing: error))")
    }

    func testDimensionCheck() throws {
        let box = try InputBox(uniform: 0, 1, dimension: 2)
        let error = expectError(InputError.self) { try box.check(inputs: 3) }
        guard case .badBox(let why)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertTrue(why.contains("2") && why.contains("3"), why)
    }

    func testParseInterval() throws {
        let (lo, hi) = try InputBox.parseInterval("-1,1")
        XCTAssertEqual(lo, -1)
        XCTAssertEqual(hi, 1)
        let spaced = try InputBox.parseInterval(" -0.5 , 2.25 ")
        XCTAssertEqual(spaced.0, -0.5)
        XCTAssertEqual(spaced.1, 2.25)
        let exponent = try InputBox.parseInterval("-1e-3,1e3")
        XCTAssertEqual(exponent.0, -0.001)
        XCTAssertEqual(exponent.1, 1000)
        for text in ["1,-1", "1,1", "a,b", "1", "", "1,", ",1", "1,2,3", "nan,1", "-inf,1", "0;1"] {
            let error = expectError(InputError.self) { try InputBox.parseInterval(text) }
            guard case .badBox(let why)? = error else { XCTFail("\"\(text)\": got \(String(describing: error))"); continue }
            XCTAssertTrue(why.contains("\"\(text)\""), "the message quotes the input: \(why)")
        }
    }
}
