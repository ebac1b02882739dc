import LipschitzModel

/// Small dense linear algebra for the arrangement search: lines cut out by d − 1 hyperplanes,
/// d × d solves and a rank test. (The crossings' order is not decided here: `CertifiedLine`.)

/// The line where d − 1 hyperplanes `a_i·x + β_i = 0` meet: `x(t) = point + t·direction`.
///
/// Built by modified Gram–Schmidt, applied twice, on the rows: `A = L·Q` with Q's rows
/// orthonormal and L lower triangular. Then `point = Qᵀz` with `L z = −β` is the point of the
/// line nearest the origin, `direction` is a unit vector orthogonal to every row, and any y in
/// the span of the rows is `Aᵀλ` with `Lᵀλ = Q y` (`coefficients`). The smallest diagonal of L
/// over its row's length measures how far the rows are from dependent: 1/it (`condition`)
/// scales every rounding error below.
struct LineFrame<T: BinaryFloatingPoint> {
    let dimension: Int
    private(set) var q: [T]
    private(set) var l: [T]
    private(set) var point: [T]
    /// A unit vector along the line (computed on demand: the sweep's hot path measures the line
    /// by `CertifiedLine` and needs only Q, L and the pivot from here).
    var direction: [T] { complement() }
    /// The smallest relative pivot of the Gram–Schmidt (1 for d = 1).
    private(set) var smallestPivot: T = 1

    /// `rows` holds d − 1 rows of length d (not necessarily unit); nil when a pivot is exactly 0.
    init?(rows: [T], offsets: [T], dimension d: Int) {
        dimension = d
        let k = d - 1
        q = rows
        l = [T](repeating: 0, count: k * k)
        point = [T](repeating: 0, count: d)
        // q's rows are orthonormalised in place, then point = Qᵀz with L z = −β.
        if k > 0 {
            let pivot = q.withUnsafeMutableBufferPointer { qb in
                l.withUnsafeMutableBufferPointer { lb in Self.orthonormalise(qb.baseAddress!, lb.baseAddress!, dimension: d) }
            }
            guard let pivot else { return nil }
            smallestPivot = pivot
        }
        var z = [T](repeating: 0, count: max(1, k))
        for i in 0..<k {
            var s = -offsets[i]
            for j in 0..<i { s -= l[i * k + j] * z[j] }
            z[i] = s / l[i * k + i]
        }
        for i in 0..<k { for c in 0..<d { point[c] += z[i] * q[i * d + c] } }
    }

    /// Modified Gram–Schmidt, applied twice, on the d − 1 rows (length d) at `q`, in place:
    /// afterwards they are Q's orthonormal rows and `l` (k × k, zero on entry) holds L. Returns
    /// the smallest relative pivot (a row's residual over its length, 1 for no rows); nil when
    /// a pivot is exactly 0. The one kernel of the frame, also run by the sweep on its own
    /// scratch buffers for the per-line pivot test alone (`LineSweeper.setUp`).
    static func orthonormalise(_ q: UnsafeMutablePointer<T>, _ l: UnsafeMutablePointer<T>, dimension d: Int) -> T? {
        let k = d - 1
        var smallest: T = 1
        for i in 0..<k {
            var length: T = 0, largest: T = 0
            for c in 0..<d { largest = max(largest, abs(q[i * d + c])) }
            guard largest > 0 else { return nil }
            for c in 0..<d { let t = q[i * d + c] / largest; length += t * t }
            length = largest * length.squareRoot()
            for _ in 0..<2 {
                for j in 0..<i {
                    var dot: T = 0
                    for c in 0..<d { dot += q[j * d + c] * q[i * d + c] }
                    for c in 0..<d { q[i * d + c] -= dot * q[j * d + c] }
                    l[i * k + j] += dot
                }
            }
            var n: T = 0
            for c in 0..<d { n += q[i * d + c] * q[i * d + c] }
            n = n.squareRoot()
            guard n > 0 else { return nil }
            l[i * k + i] = n
            smallest = min(smallest, n / length)
            for c in 0..<d { q[i * d + c] /= n }
        }
        return smallest
    }

    /// A unit vector orthogonal to Q's rows: the coordinate axis farthest from their span,
    /// with that span projected out twice.
    private func complement() -> [T] {
        let d = dimension, k = d - 1
        var axis = 0, farthest: T = -1
        for c in 0..<d {
            var inSpan: T = 0
            for i in 0..<k { inSpan += q[i * d + c] * q[i * d + c] }
            if 1 - inSpan > farthest { farthest = 1 - inSpan; axis = c }
        }
        var r = [T](repeating: 0, count: d)
        r[axis] = 1
        for _ in 0..<2 {
            for i in 0..<k {
                var dot: T = 0
                for c in 0..<d { dot += q[i * d + c] * r[c] }
                for c in 0..<d { r[c] -= dot * q[i * d + c] }
            }
        }
        let n = Self.length(r)
        return r.map { $0 / n }
    }

    /// Q·y: the components of y along the rows' orthonormal basis.
    func project(_ y: UnsafePointer<T>, into out: UnsafeMutablePointer<T>) {
        let d = dimension
        for i in 0..<(d - 1) {
            var s: T = 0
            for c in 0..<d { s += q[i * d + c] * y[c] }
            out[i] = s
        }
    }

    /// λ with `Lᵀλ = projected` (in place): the coefficients of y = Aᵀλ from `projected` = Q y.
    func coefficients(_ projected: UnsafeMutablePointer<T>) {
        let k = dimension - 1
        for i in stride(from: k - 1, through: 0, by: -1) {
            var s = projected[i]
            for j in (i + 1)..<max(i + 1, k) { s -= l[j * k + i] * projected[j] }
            projected[i] = s / l[i * k + i]
        }
    }

    /// ‖v‖₂ with scaling, in T (the model's `vectorNorm` takes Doubles only; callers outside
    /// this generic frame use `vectorNorm`).
    static func length(_ v: [T]) -> T {
        let largest = v.reduce(T(0)) { max($0, abs($1)) }
        guard largest > 0 else { return 0 }
        return largest * v.reduce(T(0)) { let t = $1 / largest; return $0 + t * t }.squareRoot()
    }
}

enum SmallLinearAlgebra {
    /// Solves the n×n system (row-major) in place by Gaussian elimination with partial
    /// pivoting; the solution replaces `b`. Returns the smallest pivot's magnitude, or nil when
    /// a pivot is exactly zero.
    static func solveInPlace<T: FloatingPoint>(_ a: inout [T], _ b: inout [T], _ n: Int) -> T? {
        var smallest = T.infinity
        for col in 0..<n {
            var pivot = col
            for r in (col + 1)..<max(col + 1, n) where abs(a[r * n + col]) > abs(a[pivot * n + col]) { pivot = r }
            if a[pivot * n + col] == 0 { return nil }
            smallest = min(smallest, abs(a[pivot * n + col]))
            if pivot != col {
                for c in 0..<n { a.swapAt(pivot * n + c, col * n + c) }
                b.swapAt(pivot, col)
            }
            let p = a[col * n + col]
            for r in (col + 1)..<max(col + 1, n) {
                let f = a[r * n + col] / p
                if f == 0 { continue }
                for c in col..<n { a[r * n + c] -= f * a[col * n + c] }
                b[r] -= f * b[col]
            }
        }
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = b[r]
            for c in (r + 1)..<max(r + 1, n) { s -= a[r * n + c] * b[c] }
            b[r] = s / a[r * n + r]
        }
        return smallest
    }

    /// Whether the unit vectors `normals` (count × d, flat) span R^d, by Gram–Schmidt with a
    /// tolerance of 1e-8 on the residual of each.
    static func normalsSpan(_ normals: UnsafeBufferPointer<Double>, dimension d: Int) -> Bool {
        var basis: [[Double]] = []
        var start = 0
        while start + d <= normals.count {
            var v = Array(normals[start..<(start + d)])
            start += d
            for b in basis {
                let dot = zip(v, b).reduce(0) { $0 + $1.0 * $1.1 }
                for c in v.indices { v[c] -= dot * b[c] }
            }
            let length = vectorNorm(v, p: .two)
            if length > 1e-8 {
                basis.append(v.map { $0 / length })
                if basis.count == d { return true }
            }
        }
        return basis.count == d
    }

    /// Whether two rows are exactly parallel as rational vectors: every 2×2 minor
    /// u_i v_j − u_j v_i is zero, decided exactly by comparing the two products together with
    /// their rounding errors (FMA). Products too small for an exact error term are not trusted.
    static func exactlyParallel(_ u: UnsafePointer<Double>, _ v: UnsafePointer<Double>, _ d: Int) -> Bool {
        for i in 0..<d {
            for j in (i + 1)..<max(i + 1, d) {
                let p1 = u[i] * v[j], p2 = u[j] * v[i]
                if p1 == 0 && p2 == 0 {
                    if (u[i] == 0 || v[j] == 0) && (u[j] == 0 || v[i] == 0) { continue }
                    return false  // underflow
                }
                guard abs(p1) > 0x1p-960, abs(p2) > 0x1p-960 else { return false }
                let r1 = fmaError(u[i], v[j], p1), r2 = fmaError(u[j], v[i], p2)
                if p1 != p2 || r1 != r2 { return false }
            }
        }
        return true
    }

    /// The exact rounding error of `a·b` computed as `product` (TwoProduct by FMA).
    @inline(__always)
    static func fmaError(_ a: Double, _ b: Double, _ product: Double) -> Double {
        (-product).addingProduct(a, b)
    }
}
