import LipschitzModel

/// The network's signal between two ReLUs: a tensor whose entries are affine functions
/// of the segment's input (the graph input, or the output of the last ReLU).
///
/// Row `i` of `linear` and entry `i` of `offset` give the tensor's `i`-th entry in
/// row-major order. Folding every affine node into this one map is what turns
/// "MatMul then Add" or "Gemm then Gemm" into a single layer.
struct AffineTensor {
    var shape: [Int]
    var linear: Matrix
    var offset: [Double]
    /// True while no node has changed any value (only reshapes): a ReLU here is a repeat.
    var isIdentity: Bool

    static func identity(shape: [Int]) -> AffineTensor {
        let n = shape.reduce(1, *)
        return AffineTensor(shape: shape, linear: .identity(n), offset: Array(repeating: 0, count: n), isIdentity: true)
    }

    var count: Int { offset.count }

    func reshaped(_ newShape: [Int]) -> AffineTensor {
        precondition(newShape.reduce(1, *) == count)
        var t = self
        t.shape = newShape
        return t
    }

    /// The rows at `indices`, as a matrix and an offset vector.
    func gather(_ indices: [Int]) -> (Matrix, [Double]) {
        let cols = linear.columns
        var storage: [Double] = []
        storage.reserveCapacity(indices.count * cols)
        for r in indices { storage += linear.storage[(r * cols)..<((r + 1) * cols)] }
        return (Matrix(rows: indices.count, columns: cols, storage: storage), indices.map { offset[$0] })
    }

    /// Swaps the two axes of a 2-D tensor (Gemm's transA/transB).
    func transposed2D() -> AffineTensor {
        precondition(shape.count == 2)
        let (r, c) = (shape[0], shape[1])
        var order: [Int] = []
        order.reserveCapacity(count)
        for j in 0..<c { for i in 0..<r { order.append(i * c + j) } }
        let (m, o) = gather(order)
        return AffineTensor(shape: [c, r], linear: m, offset: o, isIdentity: false)
    }
}

/// An elementwise operation of the signal with a constant.
enum ElementwiseOp {
    case add, subtract, reverseSubtract, multiply, divide
}

enum TensorMath {
    /// The most values a signal tensor may have. The reader keeps an n × n map per tensor
    /// (n = segment input width), so this bounds memory to about 128 MB; exact analysis is
    /// hopeless far below it anyway.
    static let maximumSignalValues = 4096
    /// The most values a constant tensor may declare (a 4096 × 4096 weight matrix).
    static let maximumConstantValues = 4096 * 4096

    /// The product of `dims`, or nil when it overflows or exceeds `limit`.
    static func product(_ dims: [Int], limit: Int) -> Int? {
        var n = 1
        for d in dims {
            guard d >= 0 else { return nil }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow, p <= limit else { return nil }
            n = p
        }
        return n
    }

    /// The number of values of a signal of this shape, refused when too large.
    static func signalCount(_ shape: [Int]) throws -> Int {
        guard let n = product(shape, limit: maximumSignalValues) else {
            throw ONNXProblem("a tensor of shape \(shape) is too large for this reader (at most \(maximumSignalValues) values)")
        }
        return n
    }

    /// The numpy/ONNX multidirectional broadcast of two shapes.
    static func broadcast(_ a: [Int], _ b: [Int]) throws -> [Int] {
        let rank = max(a.count, b.count)
        let pa = Array(repeating: 1, count: rank - a.count) + a
        let pb = Array(repeating: 1, count: rank - b.count) + b
        return try (0..<rank).map { i in
            if pa[i] == pb[i] || pb[i] == 1 { return pa[i] }
            if pa[i] == 1 { return pb[i] }
            throw ONNXProblem("shapes \(a) and \(b) do not broadcast")
        }
    }

    /// For every row-major index of `target`, the index of the entry of a tensor of shape
    /// `source` that broadcasting puts there.
    static func broadcastMap(from source: [Int], to target: [Int]) -> [Int] {
        let rank = target.count
        let padded = Array(repeating: 1, count: rank - source.count) + source
        var sourceStrides = Array(repeating: 0, count: rank)
        var step = 1
        for i in (0..<rank).reversed() {
            sourceStrides[i] = padded[i] == 1 ? 0 : step
            step *= padded[i]
        }
        let total = target.reduce(1, *)
        var out = Array(repeating: 0, count: total)
        var index = Array(repeating: 0, count: rank)
        for flat in 0..<total {
            var s = 0
            for i in 0..<rank { s += index[i] * sourceStrides[i] }
            out[flat] = s
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < target[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return out
    }

    /// `t op c` (or `c − t` for reverseSubtract), broadcasting both.
    static func elementwise(_ t: AffineTensor, _ op: ElementwiseOp, constant c: [Double], shape cShape: [Int]) throws -> AffineTensor {
        let outShape = try broadcast(t.shape, cShape)
        _ = try signalCount(outShape)
        let tMap = broadcastMap(from: t.shape, to: outShape)
        let cMap = broadcastMap(from: cShape, to: outShape)
        let cols = t.linear.columns
        var linear = Matrix(rows: tMap.count, columns: cols)
        var offset = Array(repeating: 0.0, count: tMap.count)
        for o in 0..<tMap.count {
            let r = tMap[o], v = c[cMap[o]]
            let source = t.linear.storage[(r * cols)..<((r + 1) * cols)]
            let row: [Double]
            switch op {
            case .add:
                row = Array(source); offset[o] = t.offset[r] + v
            case .subtract:
                row = Array(source); offset[o] = t.offset[r] - v
            case .reverseSubtract:
                row = source.map { -$0 }; offset[o] = v - t.offset[r]
            case .multiply:
                row = source.map { $0 * v }; offset[o] = t.offset[r] * v
            case .divide:
                guard v != 0 else { throw ONNXProblem("divides by a constant 0") }
                row = source.map { $0 / v }; offset[o] = t.offset[r] / v
            }
            linear.storage.replaceSubrange((o * cols)..<((o + 1) * cols), with: row)
        }
        return AffineTensor(shape: outShape, linear: linear, offset: offset, isIdentity: false)
    }

    /// A constant's values reordered as its 2-D transpose.
    static func transpose(_ values: [Double], rows: Int, columns: Int) -> [Double] {
        var out = Array(repeating: 0.0, count: values.count)
        for i in 0..<rows { for j in 0..<columns { out[j * rows + i] = values[i * columns + j] } }
        return out
    }

    /// How MatMul sees an operand: as `rows × columns`, promoted from 1-D, and its leading
    /// (batch) dimensions, which must all be 1 here.
    private struct MatrixView {
        let rows: Int, columns: Int, promoted: Bool, prefix: [Int]
    }

    private static func view(_ shape: [Int], isLeft: Bool) throws -> MatrixView {
        switch shape.count {
        case 0: throw ONNXProblem("MatMul of a scalar")
        case 1: return isLeft ? MatrixView(rows: 1, columns: shape[0], promoted: true, prefix: [])
                              : MatrixView(rows: shape[0], columns: 1, promoted: true, prefix: [])
        default:
            let prefix = Array(shape.dropLast(2))
            guard prefix.allSatisfy({ $0 == 1 }) else {
                throw ONNXProblem("batched MatMul over shape \(shape) is not supported (leading dimensions must be 1)")
            }
            return MatrixView(rows: shape[shape.count - 2], columns: shape[shape.count - 1], promoted: false, prefix: prefix)
        }
    }

    private static func outputShape(_ l: MatrixView, _ r: MatrixView) throws -> [Int] {
        guard l.columns == r.rows else {
            throw ONNXProblem("inner dimensions differ: \(l.rows)×\(l.columns) times \(r.rows)×\(r.columns)")
        }
        let prefix = l.prefix.count >= r.prefix.count ? l.prefix : r.prefix
        let shape = prefix + (l.promoted ? [] : [l.rows]) + (r.promoted ? [] : [r.columns])
        _ = try signalCount(shape)
        return shape
    }

    /// `t × C` with numpy matmul semantics (C constant).
    static func matmul(_ t: AffineTensor, times c: [Double], shape cShape: [Int]) throws -> AffineTensor {
        let l = try view(t.shape, isLeft: true), r = try view(cShape, isLeft: false)
        let outShape = try outputShape(l, r)
        let (m, k, p) = (l.rows, l.columns, r.columns)
        let cT = Matrix(rows: p, columns: k, storage: transpose(c, rows: k, columns: p))
        let cols = t.linear.columns
        var linear = Matrix(rows: m * p, columns: cols)
        var offset = Array(repeating: 0.0, count: m * p)
        for i in 0..<m {
            let (slice, sliceOffset) = t.gather(Array((i * k)..<((i + 1) * k)))
            let part = cT * slice
            let partOffset = cT * sliceOffset
            linear.storage.replaceSubrange((i * p * cols)..<((i + 1) * p * cols), with: part.storage)
            offset.replaceSubrange((i * p)..<((i + 1) * p), with: partOffset)
        }
        return AffineTensor(shape: outShape, linear: linear, offset: offset, isIdentity: false)
    }

    /// `C × t` with numpy matmul semantics (C constant).
    static func matmul(_ c: [Double], shape cShape: [Int], times t: AffineTensor) throws -> AffineTensor {
        let l = try view(cShape, isLeft: true), r = try view(t.shape, isLeft: false)
        let outShape = try outputShape(l, r)
        let (m, k, p) = (l.rows, l.columns, r.columns)
        let cm = Matrix(rows: m, columns: k, storage: c)
        let cols = t.linear.columns
        var linear = Matrix(rows: m * p, columns: cols)
        var offset = Array(repeating: 0.0, count: m * p)
        for j in 0..<p {
            let (column, columnOffset) = t.gather((0..<k).map { $0 * p + j })
            let part = cm * column
            let partOffset = cm * columnOffset
            for i in 0..<m {
                let o = i * p + j
                linear.storage.replaceSubrange((o * cols)..<((o + 1) * cols), with: part.row(i))
                offset[o] = partOffset[i]
            }
        }
        return AffineTensor(shape: outShape, linear: linear, offset: offset, isIdentity: false)
    }

    static func scaled(_ t: AffineTensor, by s: Double) -> AffineTensor {
        if s == 1 { return t }
        var out = t
        for i in out.linear.storage.indices { out.linear.storage[i] *= s }
        for i in out.offset.indices { out.offset[i] *= s }
        out.isIdentity = false
        return out
    }
}
