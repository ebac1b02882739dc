import XCTest
@testable import LipschitzModel
import LipschitzTestSupport

/// `SphereCover`: every unit vector is within the certified angle of a direction up to sign,
/// so max_t ‖y_tᵀJ‖ / cosine never falls below ‖J‖_2.
final class SphereCoverTests: XCTestCase {
    private func bestCosine(_ cover: SphereCover, _ u: [Double]) -> Double {
        let norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return cover.directions.map { y in abs(zip(y, u).reduce(0) { $0 + $1.0 * $1.1 }) / norm }.max()!
    }

    /// Random directions, and the cube's corners, edge midpoints and face centres (where the
    /// cells of neighbouring faces meet), are all covered; the directions are unit vectors.
    func testEveryDirectionIsCovered() throws {
        var rng = TestRandom(seed: 7)
        for m in [3, 4] {
            let cover = try XCTUnwrap(SphereCover.forOutputs(m))
            XCTAssertGreaterThan(cover.cosine, m == 3 ? 0.95 : 0.8)
            for y in cover.directions { XCTAssertEqual(y.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-14) }
            for _ in 0..<20_000 {
                let u = (0..<m).map { _ in rng.normal() }
                XCTAssertGreaterThanOrEqual(bestCosine(cover, u), cover.cosine)
            }
            // Points with coordinates in {−1, 0, 1}: corners of cells (0 and ±1 are grid lines for both).
            for code in 1..<Int(pow(3.0, Double(m))) {
                var v = code
                let u = (0..<m).map { _ -> Double in defer { v /= 3 }; return Double(v % 3 - 1) }
                if u.allSatisfy({ $0 == 0 }) { continue }
                XCTAssertGreaterThanOrEqual(bestCosine(cover, u), cover.cosine, "\(u)")
            }
        }
        XCTAssertNil(SphereCover.forOutputs(2))
        XCTAssertNil(SphereCover.forOutputs(5))
    }

    /// The bound it gives on random matrices, including rank-one ones aimed at the worst spots.
    func testBoundsTheSpectralNorm() throws {
        var rng = TestRandom(seed: 8)
        for m in [3, 4] {
            let cover = try XCTUnwrap(SphereCover.forOutputs(m))
            for trial in 0..<500 {
                let d = rng.int(1...6)
                var j = Matrix(rows: m, columns: d)
                if trial % 2 == 0 {
                    for t in j.storage.indices { j.storage[t] = rng.normal() }
                } else {  // u vᵀ: its norm is ‖u‖‖v‖, seen only through the directions
                    let u = (0..<m).map { _ in rng.normal() }, v = (0..<d).map { _ in rng.normal() }
                    for r in 0..<m { for c in 0..<d { j[r, c] = u[r] * v[c] } }
                }
                let sigma = try operatorNorm(j, p: .two)
                let directional = cover.directions.map { y in
                    vectorNorm((0..<d).map { c in (0..<m).reduce(0.0) { $0 + y[$1] * j[$1, c] } }, p: .two)
                }.max()!
                XCTAssertGreaterThanOrEqual(directional / cover.cosine, sigma * (1 - 1e-12))
                XCTAssertLessThanOrEqual(directional, sigma * (1 + 1e-12))
            }
        }
    }
}
