/// A dense real matrix stored row by row.
///
/// A value type: copies are cheap until written (the storage is a Swift array).
public struct Matrix: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let rows: Int
    public let columns: Int
    /// Row-major entries; `storage.count == rows * columns`.
    public var storage: [Double]

    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && columns >= 0)
        self.rows = rows
        self.columns = columns
        self.storage = Array(repeating: value, count: rows * columns)
    }

    public init(rows: Int, columns: Int, storage: [Double]) {
        precondition(rows >= 0 && columns >= 0 && storage.count == rows * columns)
        self.rows = rows
        self.columns = columns
        self.storage = storage
    }

    /// Builds a matrix from equally long rows (the caller has checked raggedness).
    public init(rowArrays: [[Double]], columns: Int? = nil) {
        let c = columns ?? rowArrays.first?.count ?? 0
        precondition(rowArrays.allSatisfy { $0.count == c })
        self.init(rows: rowArrays.count, columns: c, storage: rowArrays.flatMap { $0 })
    }

    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, columns: n)
        for i in 0..<n { m[i, i] = 1 }
        return m
    }

    @inlinable public subscript(row: Int, column: Int) -> Double {
        get { storage[row * columns + column] }
        set { storage[row * columns + column] = newValue }
    }

    public func row(_ i: Int) -> [Double] {
        Array(storage[(i * columns)..<((i + 1) * columns)])
    }

    public var rowArrays: [[Double]] { (0..<rows).map(row) }

    /// The entrywise absolute value |M| (exact: no rounding).
    public var absolute: Matrix {
        Matrix(rows: rows, columns: columns, storage: storage.map { abs($0) })
    }

    public var transposed: Matrix {
        var t = Matrix(rows: columns, columns: rows)
        for i in 0..<rows { for j in 0..<columns { t[j, i] = self[i, j] } }
        return t
    }

    public static func * (lhs: Matrix, rhs: Matrix) -> Matrix {
        precondition(lhs.columns == rhs.rows, "matrix product: inner dimensions differ")
        var out = Matrix(rows: lhs.rows, columns: rhs.columns)
        lhs.storage.withUnsafeBufferPointer { a in
            rhs.storage.withUnsafeBufferPointer { b in
                out.storage.withUnsafeMutableBufferPointer { c in
                    for i in 0..<lhs.rows {
                        for k in 0..<lhs.columns {
                            let aik = a[i * lhs.columns + k]
                            if aik == 0 { continue }
                            let bRow = k * rhs.columns, cRow = i * rhs.columns
                            for j in 0..<rhs.columns { c[cRow + j] += aik * b[bRow + j] }
                        }
                    }
                }
            }
        }
        return out
    }

    public static func * (lhs: Matrix, rhs: [Double]) -> [Double] {
        precondition(lhs.columns == rhs.count, "matrix-vector product: dimensions differ")
        var out = [Double](repeating: 0, count: lhs.rows)
        for i in 0..<lhs.rows {
            var s = 0.0
            let base = i * lhs.columns
            for j in 0..<lhs.columns { s += lhs.storage[base + j] * rhs[j] }
            out[i] = s
        }
        return out
    }

    public var description: String {
        "[" + rowArrays.map { "[" + $0.map { "\($0)" }.joined(separator: ", ") + "]" }.joined(separator: ", ") + "]"
    }
}
