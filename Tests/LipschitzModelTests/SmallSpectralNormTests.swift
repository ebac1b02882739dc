import XCTest
@testable import LipschitzModel
import LipschitzTestSupport

/// `SmallSpectralNorm` (Jacobi on the Gram matrix of a Jacobian with 2 or 3 rows or columns)
/// against `dgesvd` (`largestSingularValue`), an independent method, on every shape it takes,
/// across the exponent range it accepts, and on the spectra where eigenvalue methods are weakest
/// (equal, clustered, rank one); and its hand-over to `dgesvd` outside that range.
final class SmallSpectralNormTests: XCTestCase {
    /// Its documented accuracy is about 1e-13 relative; `dgesvd`'s is of the same order.
    private let tolerance = 2e-13

    private func assertAgrees(_ j: Matrix, _ label: String, file: StaticString = #filePath, line: UInt = #line) throws {
        guard let value = SmallSpectralNorm.value(j) else { return XCTFail("\(label): not taken", file: file, line: line) }
        let reference = try largestSingularValue(j)
        XCTAssertLessThanOrEqual(abs(value - reference), tolerance * reference, "\(label): \(value) against dgesvd's \(reference)", file: file, line: line)
        // `operatorNorm` answers with it, bit for bit.
        XCTAssertEqual(try operatorNorm(j, p: .two).bitPattern, value.bitPattern, label, file: file, line: line)
    }

    func testAgreesWithDgesvdOnEveryShapeAndScale() throws {
        var rng = TestRandom(seed: 41)
        var shapes: [(Int, Int)] = []
        for k in 2...3 {
            for long in [2, 3, 4, 5, 6, 9, 16, 40, 100, 256] { shapes += [(k, long), (long, k)] }
        }
        for (rows, columns) in shapes {
            for trial in 0..<12 {
                // Mixed scales within the matrix (trained networks), some exact zeros, and the
                // whole matrix scaled across the accepted exponent range.
                let scale = pow(2.0, [-400.0, -120, -20, 0, 20, 120, 400][trial % 7])
                let entries = (0..<(rows * columns)).map { _ in
                    rng.int(0...7) == 0 ? 0 : scale * rng.normal() * pow(10, rng.uniform(-3, 3))
                }
                try assertAgrees(Matrix(rows: rows, columns: columns, storage: entries), "\(rows)×\(columns) trial \(trial)")
            }
        }
    }

    func testEqualClusteredAndRankOneSpectra() throws {
        var rng = TestRandom(seed: 42)
        for trial in 0..<50 {
            let long = rng.int(2...20)
            let u = (0..<long).map { _ in rng.normal() }
            // Rank one: every row a multiple of u.
            let multiples = (0..<3).map { _ in rng.normal() }
            try assertAgrees(Matrix(rowArrays: multiples.map { m in u.map { m * $0 } }), "rank one, trial \(trial)")
            // Orthogonal rows of equal norm (σ₁ = σ₂ = σ₃): Householder reflection rows of I − 2vvᵀ.
            let v = (0..<long).map { _ in rng.normal() }
            let vv = v.reduce(0) { $0 + $1 * $1 }
            let reflection = (0..<min(3, long)).map { i in (0..<long).map { c in (i == c ? 1 : 0) - 2 * v[i] * v[c] / vv } }
            let equal = Matrix(rowArrays: reflection)
            try assertAgrees(equal, "equal singular values, trial \(trial)")
            XCTAssertEqual(SmallSpectralNorm.value(equal)!, 1, accuracy: 1e-14)
            // Clustered: equal up to a relative 1e-15...1e-8.
            let gap = pow(10, rng.uniform(-15, -8))
            try assertAgrees(Matrix(rowArrays: reflection.enumerated().map { i, row in row.map { $0 * (1 + Double(i) * gap) } }),
                             "clustered by \(gap), trial \(trial)")
        }
    }

    func testKnownValuesAndZeroRows() throws {
        try assertAgrees(Matrix(rowArrays: [[3, 0], [4, 5]]), "[[3, 0], [4, 5]]")
        XCTAssertEqual(SmallSpectralNorm.value(Matrix(rowArrays: [[3, 0], [4, 5]]))!, 45.0.squareRoot(), accuracy: 1e-15 * 7)
        XCTAssertEqual(SmallSpectralNorm.value(Matrix(rowArrays: [[0, 0, 0], [0, -7, 0], [0, 0, 0]]))!, 7)
        XCTAssertEqual(SmallSpectralNorm.value(Matrix(rowArrays: [[2, 0, 0, 0], [0, 0, 5, 0], [0, 0, 0, 0]]))!, 5)
        // One entry dwarfs the rest by 200 orders: the small ones' squares underflow harmlessly.
        try assertAgrees(Matrix(rowArrays: [[1e100, 1e-100, 0], [3e-100, 2e99, 1]]), "mixed 1e±100")
    }

    /// Outside its range it declines, and `operatorNorm` is `dgesvd`'s answer as before.
    func testDeclinesOutsideItsRange() throws {
        let declined: [(String, Matrix)] = [
            ("4 × 5", Matrix(rows: 4, columns: 5, storage: (0..<20).map { Double($0) })),
            ("3 × 257", Matrix(rows: 3, columns: 257, storage: (0..<771).map { sin(Double($0)) })),
            ("an entry 1e151", Matrix(rowArrays: [[1e151, 1], [2, 3]])),
            ("largest entry 1e-141", Matrix(rowArrays: [[1e-141, 0], [0, 5e-142]])),
            ("all zero", Matrix(rows: 3, columns: 2)),
        ]
        for (label, j) in declined {
            XCTAssertNil(SmallSpectralNorm.value(j), label)
            XCTAssertEqual(try operatorNorm(j, p: .two).bitPattern, try largestSingularValue(j).bitPattern, label)
        }
        let withNaN = Matrix(rowArrays: [[1, .nan], [0, 2]])
        XCTAssertNil(SmallSpectralNorm.value(withNaN))
        XCTAssertThrowsError(try operatorNorm(withNaN, p: .two))
    }
}
