import XCTest
@testable import LipschitzModel
import LipschitzTestSupport

/// `GramEigenvalueBound` (λ_max ≤ ‖G⁴‖_F^{1/4}) against `dgesvd` (an independent method): never
/// below the largest eigenvalue, never above d^{1/8} times it, equal to it for rank one and
/// exactly d^{1/8} times it for an equal spectrum, across scales where G⁴ would under- or
/// overflow without the trace scaling, and +∞ (no bound) outside its range.
final class GramEigenvalueBoundTests: XCTestCase {
    /// The bound for G = AᵀA (A given by rows), through the kernel's own buffers.
    private func bound(_ a: Matrix) -> Double {
        let d = a.columns
        var g = [Double](repeating: 0, count: d * d)
        for i in 0..<a.rows { for p in 0..<d { for q in 0..<d { g[p * d + q] += a[i, p] * a[i, q] } } }
        var scratch = [Double](repeating: .nan, count: 2 * d * d)
        return g.withUnsafeMutableBufferPointer { gb in
            scratch.withUnsafeMutableBufferPointer { sb in
                GramEigenvalueBound.largestEigenvalue(gb.baseAddress!, d: d, scratch: sb.baseAddress!)
            }
        }
    }

    func testBetweenTheLargestEigenvalueAndItsEighthRootMultiple() throws {
        var rng = TestRandom(seed: 808)
        for trial in 0..<300 {
            let d = rng.int(1...GramEigenvalueBound.largestDimension), n = rng.int(1...30)
            let scale = pow(2.0, [-200.0, -60, 0, 60, 200][trial % 5])
            let a = Matrix(rows: n, columns: d, storage: (0..<(n * d)).map { _ in
                rng.int(0...5) == 0 ? 0 : scale * rng.normal() * pow(10, rng.uniform(-2, 2))
            })
            let sigma = try largestSingularValue(a), lambda = sigma * sigma
            let value = bound(a)
            XCTAssertGreaterThanOrEqual(value, lambda, "trial \(trial): \(n)×\(d)")
            XCTAssertLessThanOrEqual(value, pow(Double(d), 0.125) * lambda * (1 + 1e-10), "trial \(trial): \(n)×\(d)")
        }
    }

    func testRankOneIsExactAndAnEqualSpectrumIsTheWorstCase() throws {
        var rng = TestRandom(seed: 809)
        for d in [1, 2, 5, 11, 32] {
            let v = (0..<d).map { _ in rng.normal() }
            let norm2 = v.reduce(0) { $0 + $1 * $1 }
            let rankOne = bound(Matrix(rows: 1, columns: d, storage: v))
            XCTAssertGreaterThanOrEqual(rankOne, norm2, "d \(d)")
            XCTAssertLessThanOrEqual(rankOne, norm2 * (1 + 1e-11), "d \(d)")
            // A = 3·I: G = 9·I, every eigenvalue 9.
            let identity = Matrix(rows: d, columns: d, storage: (0..<(d * d)).map { $0 % (d + 1) == 0 ? 3 : 0 })
            let equal = bound(identity)
            XCTAssertEqual(equal, 9 * pow(Double(d), 0.125), accuracy: 1e-11 * equal, "d \(d)")
        }
    }

    func testScalesThatWouldUnderflowOrOverflowAndTheLimits() throws {
        // G = s²·I: its fourth power is s⁸·I, far outside the doubles for s = 1e±150.
        for s in [1e-150, 1e-100, 1e100, 1e150] {
            let d = 6
            let a = Matrix(rows: d, columns: d, storage: (0..<(d * d)).map { $0 % (d + 1) == 0 ? s : 0 })
            let value = bound(a)
            XCTAssertGreaterThanOrEqual(value, s * s, "scale \(s)")
            XCTAssertEqual(value, s * s * pow(Double(d), 0.125), accuracy: 1e-11 * value, "scale \(s)")
        }
        XCTAssertEqual(bound(Matrix(rows: 3, columns: 4)), 0, "G = 0")
        XCTAssertEqual(bound(Matrix(rows: 1, columns: 3, storage: [1, .nan, 2])), .infinity, "NaN")
        XCTAssertEqual(bound(Matrix(rows: 1, columns: 3, storage: [1, .infinity, 2])), .infinity, "∞")
        XCTAssertEqual(bound(Matrix(rows: 1, columns: 33, storage: Array(repeating: 1, count: 33))), .infinity, "d > 32")
    }
}
