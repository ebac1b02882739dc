import FoundationEssentials
import Glibc

/// Unit directions y_1, …, y_K in R^m such that every unit vector u has some t with
/// |y_t · u| ≥ `cosine`: a covering of the sphere up to sign, for bounding a spectral norm by
/// scalar ones. For any m × d matrix J with top left singular vector u and singular value σ,
/// ‖y_tᵀ J‖_2 ≥ |y_t · u| σ (y_tᵀJ = Σ_i (y_t·u_i) σ_i v_iᵀ with orthonormal v_i), so
///
///     ‖J‖_2 ≤ max_t ‖y_tᵀ J‖_2 / cosine,
///
/// and the same holds for a maximum over any set of matrices.
///
/// ## The construction, and why `cosine` is certified
///
/// Radially project u (or −u: the bound does not see the sign) onto the cube [−1, 1]^m: it lands
/// on a face x_f = +1 for f the coordinate of largest magnitude. Each such face is cut into
/// n^{m−1} cells by the grid g_k = tan(−π/4 + kπ/2n) (equal angles, so the cells near the cube's
/// edges are not the widest); y_t is the normalised point of the cell at its middle angles. The set
/// of points within angle α < π/2 of y_t is a convex cone, so a cell whose 2^{m−1} corners lie in
/// it lies in it entirely (the cell is their convex hull): the covering cosine is the smallest
/// cosine between a cell's direction and its corners, over all cells. That minimum is computed in
/// floating point from exact enough data (|error| well below 1e-14), and `cosine` is it less
/// 1e-12, so the true covering cosine is at least `cosine`. The endpoints ±1 are set exactly, so
/// the cells cover each face.
public struct SphereCover: Sendable {
    public let directions: [[Double]]
    public let cosine: Double

    /// The cover used for m outputs (m ≥ 3): cells per face edge n = 4 for m = 3 (48 directions,
    /// cosine ≈ 0.959) and 2 for m = 4 (32 directions, ≈ 0.813); nil for other m (more directions
    /// than the bound is worth, or m ≤ 2 where a circle of directions serves).
    public static func forOutputs(_ m: Int) -> SphereCover? {
        switch m {
        case 3: return three
        case 4: return four
        default: return nil
        }
    }

    private static let three = SphereCover(dimension: 3, cellsPerEdge: 4)
    private static let four = SphereCover(dimension: 4, cellsPerEdge: 2)

    init(dimension m: Int, cellsPerEdge n: Int) {
        precondition(m >= 2 && n >= 1)
        var grid = (0...n).map { tan(-Double.pi / 4 + Double($0) * .pi / Double(2 * n)) }
        grid[0] = -1
        grid[n] = 1
        let middle = (0..<n).map { tan(-Double.pi / 4 + (Double($0) + 0.5) * .pi / Double(2 * n)) }
        var directions: [[Double]] = []
        var worst = 1.0
        for face in 0..<m {
            for cell in 0..<Self.power(n, m - 1) {
                let index = Self.digits(cell, base: n, count: m - 1)
                var y = index.map { middle[$0] }
                y.insert(1, at: face)
                let norm = y.reduce(0) { $0 + $1 * $1 }.squareRoot()
                y = y.map { $0 / norm }
                for corner in 0..<(1 << (m - 1)) {
                    var p = index.enumerated().map { k, i in grid[i + ((corner >> k) & 1)] }
                    p.insert(1, at: face)
                    let length = p.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    worst = min(worst, zip(y, p).reduce(0) { $0 + $1.0 * $1.1 } / length)
                }
                directions.append(y)
            }
        }
        self.directions = directions
        cosine = worst - 1e-12
    }

    private static func power(_ base: Int, _ exponent: Int) -> Int { (0..<exponent).reduce(1) { r, _ in r * base } }

    private static func digits(_ value: Int, base: Int, count: Int) -> [Int] {
        var v = value
        return (0..<count).map { _ in defer { v /= base }; return v % base }
    }
}
