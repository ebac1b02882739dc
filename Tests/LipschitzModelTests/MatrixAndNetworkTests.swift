import XCTest
import LipschitzModel
import LipschitzTestSupport

final class MatrixTests: XCTestCase {
    func testProductOfKnownMatrices() {
        let a = Matrix(rowArrays: [[1, 2, 3], [4, 5, 6]])
        let b = Matrix(rowArrays: [[7, 8], [9, 10], [11, 12]])
        let c = a * b
        XCTAssertEqual(c.rows, 2)
        XCTAssertEqual(c.columns, 2)
        XCTAssertEqual(c.rowArrays, [[58, 64], [139, 154]])
        XCTAssertEqual((b * a).rowArrays, [[39, 54, 69], [49, 68, 87], [59, 82, 105]])
    }

    func testProductWithZerosAndIdentity() {
        let a = Matrix(rowArrays: [[0, 2], [0, 0], [-1, 0]])
        let b = Matrix(rowArrays: [[5, -3, 1], [2, 4, 0]])
        XCTAssertEqual((a * b).rowArrays, [[4, 8, 0], [0, 0, 0], [-5, 3, -1]])
        XCTAssertEqual(Matrix.identity(3) * a, a)
        XCTAssertEqual(a * Matrix.identity(2), a)
        XCTAssertEqual(Matrix.identity(2).rowArrays, [[1, 0], [0, 1]])
    }

    func testMatrixVectorProduct() {
        let a = Matrix(rowArrays: [[1, -2, 0.5], [0, 3, -1]])
        XCTAssertEqual(a * [2.0, 1, 4], [2, -1])
        XCTAssertEqual(Matrix(rowArrays: [[2, 3]]) * [-1.0, 1], [1])
    }

    func testTransposeAndAccessors() {
        let a = Matrix(rowArrays: [[1, 2, 3], [4, 5, 6]])
        let t = a.transposed
        XCTAssertEqual(t.rows, 3)
        XCTAssertEqual(t.columns, 2)
        XCTAssertEqual(t.rowArrays, [[1, 4], [2, 5], [3, 6]])
        XCTAssertEqual(t.transposed, a)
        XCTAssertEqual(a.row(1), [4, 5, 6])
        XCTAssertEqual(a[1, 2], 6)
        XCTAssertEqual(a.storage, [1, 2, 3, 4, 5, 6])
        var m = a
        m[0, 1] = -7
        XCTAssertEqual(m.row(0), [1, -7, 3])
        XCTAssertEqual(a.row(0), [1, 2, 3], "value semantics: the original is unchanged")
        XCTAssertEqual(Matrix(rows: 2, columns: 3, repeating: 1.5).storage, Array(repeating: 1.5, count: 6))
        XCTAssertEqual(Matrix(rowArrays: [[1, 2], [3, 4]]).description, "[[1.0, 2.0], [3.0, 4.0]]")
    }

    func testRandomProductIdentities() {
        var rng = TestRandom(seed: 1)
        for _ in 0..<20 {
            let (m, k, n, p) = (rng.int(1...5), rng.int(1...5), rng.int(1...5), rng.int(1...5))
            let a = rng.matrix(m, k), b = rng.matrix(k, n), c = rng.matrix(n, p)
            // (AB)ᵀ = BᵀAᵀ and (AB)C = A(BC).
            assertClose((a * b).transposed, b.transposed * a.transposed)
            assertClose((a * b) * c, a * (b * c), relative: 1e-12, absolute: 1e-12)
            // A x agrees with A times x as a column, and with a naive triple loop.
            let x = rng.vector(k)
            let column = Matrix(rows: k, columns: 1, storage: x)
            XCTAssertEqual((a * column).storage.count, m)
            assertClose(Matrix(rows: m, columns: 1, storage: a * x), a * column)
            var naive = Matrix(rows: m, columns: n)
            for i in 0..<m { for j in 0..<n { for l in 0..<k { naive[i, j] += a[i, l] * b[l, j] } } }
            assertClose(a * b, naive)
        }
    }
}

final class NetworkTests: XCTestCase {
    /// Φ(x) = [1 1] ReLU([[1, 0], [0, -1]] x + [0, 1]) − 1, by hand.
    private func smallNetwork() throws -> ReLUNetwork {
        try ReLUNetwork(name: "small", layers: [
            AffineLayer(weights: Matrix(rowArrays: [[1, 0], [0, -1]]), biases: [0, 1]),
            AffineLayer(weights: Matrix(rowArrays: [[1, 1]]), biases: [-1]),
        ])
    }

    func testEvaluateByHand() throws {
        let net = try smallNetwork()
        XCTAssertEqual(net.evaluate([2, 0]), [2 + 1 - 1])
        XCTAssertEqual(net.evaluate([-3, 0.5]), [0 + 0.5 - 1])
        XCTAssertEqual(net.evaluate([-3, 4]), [-1])
        XCTAssertEqual(net.inputDimension, 2)
        XCTAssertEqual(net.outputDimension, 1)
        XCTAssertEqual(net.hiddenWidths, [2])
        XCTAssertEqual(net.hiddenNeuronCount, 2)
        XCTAssertEqual(net.architecture, [2, 2, 1])
        XCTAssertEqual(net.name, "small")
    }

    func testActivationPatternByHand() throws {
        let net = try smallNetwork()
        XCTAssertEqual(net.activationPattern(at: [2, 0]), ActivationPattern(layers: [[true, true]]))
        XCTAssertEqual(net.activationPattern(at: [-1, 2]), ActivationPattern(layers: [[false, false]]))
        // A pre-activation of exactly 0 counts as inactive.
        XCTAssertEqual(net.activationPattern(at: [0, 1]), ActivationPattern(layers: [[false, false]]))
        XCTAssertEqual(net.activationPattern(at: [1, 2]).description, "10")
        XCTAssertEqual(ActivationPattern(layers: [[true, false], [false, true, true]]).description, "10|011")
    }

    func testJacobianByHand() throws {
        let net = try smallNetwork()
        XCTAssertEqual(net.jacobian(for: ActivationPattern(layers: [[true, true]])).rowArrays, [[1, -1]])
        XCTAssertEqual(net.jacobian(for: ActivationPattern(layers: [[true, false]])).rowArrays, [[1, 0]])
        XCTAssertEqual(net.jacobian(for: ActivationPattern(layers: [[false, false]])).rowArrays, [[0, 0]])
        XCTAssertEqual(net.jacobian(at: [-1, 0]).rowArrays, [[0, -1]])
    }

    func testDeepJacobianByHand() throws {
        // 1 → 2 → 2 → 1; with everything active J = W2 W1 W0.
        let w0 = Matrix(rowArrays: [[2], [-1]])
        let w1 = Matrix(rowArrays: [[1, 3], [-2, 1]])
        let w2 = Matrix(rowArrays: [[1, -1]])
        let net = try ReLUNetwork(layers: [
            AffineLayer(weights: w0, biases: [0, 0]),
            AffineLayer(weights: w1, biases: [0, 0]),
            AffineLayer(weights: w2, biases: [0]),
        ])
        XCTAssertEqual(net.jacobian(for: ActivationPattern(layers: [[true, true], [true, true]])), w2 * w1 * w0)
        // Only neuron 1 of layer 1 and neuron 2 of layer 2: J = 1·(-1)·... by hand:
        // D0 W0 = [[2],[0]]; W1 D0 W0 = [[2],[-4]]; D1 (…) = [[0],[-4]]; W2 (…) = [[4]].
        XCTAssertEqual(net.jacobian(for: ActivationPattern(layers: [[true, false], [false, true]])).rowArrays, [[4]])
        // x = 1: layer 1 = (2, -1) → (2, 0); layer 2 = (2, -4) → (2, 0); output 2.
        XCTAssertEqual(net.evaluate([1]), [2])
        XCTAssertEqual(net.activationPattern(at: [1]).description, "10|10")
        XCTAssertEqual(net.jacobian(at: [1]).rowArrays, [[2]])
    }

    /// The Jacobian of the pattern at a random point matches central finite differences,
    /// for deep networks with vector outputs.
    func testJacobianMatchesFiniteDifferences() {
        var rng = TestRandom(seed: 42)
        let architectures = [[3, 5, 1], [2, 4, 4, 3], [4, 6, 5, 4, 2], [1, 3, 3, 3, 3, 1], [5, 8, 2]]
        var checked = 0
        for widths in architectures {
            let net = uniformRandomNetwork(widths, using: &rng)
            for _ in 0..<25 {
                let x = rng.vector(widths[0], -2, 2)
                let pattern = net.activationPattern(at: x)
                let j = net.jacobian(for: pattern)
                XCTAssertEqual(j.rows, widths.last!)
                XCTAssertEqual(j.columns, widths[0])
                let h = 1e-6
                var samePiece = true
                var fd = Matrix(rows: j.rows, columns: j.columns)
                for c in 0..<widths[0] {
                    var xp = x, xm = x
                    xp[c] += h
                    xm[c] -= h
                    if net.activationPattern(at: xp) != pattern || net.activationPattern(at: xm) != pattern {
                        samePiece = false
                        break
                    }
                    let yp = net.evaluate(xp), ym = net.evaluate(xm)
                    for r in 0..<j.rows { fd[r, c] = (yp[r] - ym[r]) / (2 * h) }
                }
                guard samePiece else { continue }
                checked += 1
                assertClose(j, fd, relative: 1e-6, absolute: 1e-7, "at \(x) for \(widths)")
                // On its piece Φ is affine: Φ(x + d) − Φ(x) = J d for a small step d.
                let d = rng.vector(widths[0], -1e-7, 1e-7)
                let xd = zip(x, d).map(+)
                if net.activationPattern(at: xd) == pattern {
                    let diff = zip(net.evaluate(xd), net.evaluate(x)).map(-)
                    let jd = j * d
                    for (a, b) in zip(diff, jd) { assertClose(a, b, relative: 1e-5, absolute: 1e-12) }
                }
            }
        }
        XCTAssertGreaterThan(checked, 80, "too few points away from kinks were checked")
    }

    func testJacobianAtEqualsJacobianForPattern() {
        var rng = TestRandom(seed: 7)
        let net = uniformRandomNetwork([3, 4, 4, 2], using: &rng)
        for _ in 0..<20 {
            let x = rng.vector(3)
            XCTAssertEqual(net.jacobian(at: x), net.jacobian(for: net.activationPattern(at: x)))
        }
    }

    func testInitialiserValidation() {
        let good = AffineLayer(weights: Matrix(rowArrays: [[1, 2]]), biases: [0])
        XCTAssertEqual(expectError(NetworkError.self) { try ReLUNetwork(layers: []) }, .emptyLayerList)
        XCTAssertEqual(expectError(NetworkError.self) {
            try ReLUNetwork(layers: [good, AffineLayer(weights: Matrix(rowArrays: [[1, 2]]), biases: [0])])
        }, .dimensionMismatch(.init(layer: 1), inputs: 2, previousOutputs: 1))
        XCTAssertEqual(expectError(NetworkError.self) {
            try ReLUNetwork(layers: [AffineLayer(weights: Matrix(rowArrays: [[1, 2]]), biases: [0, 1])])
        }, .biasCountMismatch(.init(layer: 0), biases: 2, rows: 1))
        XCTAssertEqual(expectError(NetworkError.self) {
            try ReLUNetwork(layers: [good, AffineLayer(weights: Matrix(rows: 0, columns: 1), biases: [])])
        }, .emptyLayer(.init(layer: 1)))
        XCTAssertEqual(expectError(NetworkError.self) {
            try ReLUNetwork(layers: [AffineLayer(weights: Matrix(rowArrays: [[1, .nan]]), biases: [0])])
        }, .nonFinite(.init(layer: 0, row: 0, column: 1, field: "weights")))
        XCTAssertEqual(expectError(NetworkError.self) {
            try ReLUNetwork(layers: [good, AffineLayer(weights: Matrix(rowArrays: [[1], [2]]), biases: [0, -.infinity])])
        }, .nonFinite(.init(layer: 1, row: 1, field: "biases")))
    }

    func testPlaceDescriptionIsOneBasedWithPath() {
        XCTAssertEqual(NetworkError.Place(layer: 1, row: 4, field: "weights").description,
                       "layer 2, row 5 (layers[1].weights[4])")
        XCTAssertEqual(NetworkError.Place(layer: 0, row: 2, column: 3, field: "weights").description,
                       "layer 1, row 3, column 4 (layers[0].weights[2][3])")
        XCTAssertEqual(NetworkError.Place(layer: 2).description, "layer 3 (layers[2])")
        XCTAssertEqual(NetworkError.Place(layer: 0, row: 1, field: "biases").description,
                       "layer 1, row 2 (layers[0].biases[1])")
    }
}
