import CLAPACKE
import XCTest
import LipschitzModel
import LipschitzTestSupport

/// `largestSingularValue` makes the `dgesvd` call of `LAPACKE_dgesvd` itself (without the
/// wrapper's per-call workspace query and allocations): the same bits, so no constant, witness
/// or statistic of any search changes. Held here against the wrapper on every small shape the
/// searches meet, wide and tall, with entries of very different scales.
final class SingularValueTests: XCTestCase {
    /// What the code did before: LAPACKE's row-major wrapper.
    private func wrapper(_ j: Matrix) -> (value: Double, info: Int32) {
        var a = j.storage
        var s = [Double](repeating: 0, count: min(j.rows, j.columns))
        var superb = [Double](repeating: 0, count: max(1, min(j.rows, j.columns) - 1))
        var u = 0.0, vt = 0.0
        let job = CChar(UInt8(ascii: "N"))
        let info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, job, job, Int32(j.rows), Int32(j.columns), &a, Int32(j.columns), &s, &u, 1, &vt, 1, &superb)
        return (s.first ?? 0, info)
    }

    func testSameBitsAsTheLAPACKEWrapper() throws {
        var rng = TestRandom(seed: 2026)
        var shapes: [(Int, Int)] = []
        for r in 1...7 { for c in 1...7 { shapes.append((r, c)) } }
        shapes += [(3, 40), (40, 3), (16, 25), (25, 16), (64, 64)]
        for (rows, columns) in shapes {
            for trial in 0..<20 {
                // Entries of mixed scales (trained networks: 1e-3 to 1e3), some exact zeros.
                let scale = pow(10.0, Double(trial % 7) - 3)
                let entries = (0..<(rows * columns)).map { _ in rng.int(0...9) == 0 ? 0 : scale * rng.normal() * pow(10, rng.uniform(-2, 2)) }
                let j = Matrix(rows: rows, columns: columns, storage: entries)
                let expected = wrapper(j)
                XCTAssertEqual(expected.info, 0)
                let value = try largestSingularValue(j)
                XCTAssertEqual(value.bitPattern, expected.value.bitPattern, "\(rows)×\(columns), trial \(trial): \(value) against \(expected.value)")
            }
        }
    }

    /// A NaN entry: refused with LAPACKE's own status (−6, the matrix argument), as before.
    func testNaNIsRefusedAsTheWrapperRefusedIt() {
        let j = Matrix(rowArrays: [[1, .nan], [0, 2]])
        XCTAssertEqual(wrapper(j).info, -6)
        XCTAssertThrowsError(try largestSingularValue(j)) { error in
            guard case NormError.lapackFailed(let info) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(info, -6)
        }
    }
}
