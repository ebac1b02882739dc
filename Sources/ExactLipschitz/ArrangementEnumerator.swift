import Foundation
import LipschitzModel

/// Exact search for networks with one hidden layer, by the geometry of hyperplane arrangements
/// instead of linear programs.
///
/// The regions are the cells of the arrangement of the hidden neurons' hyperplanes (merged when
/// two neurons share one). When the normals span R^d every cell is pointed, so it has a vertex
/// (d hyperplanes meeting), and around a simple vertex the cells are exactly its 2^d sign
/// completions; every other hyperplane's sign is read off at the vertex. Visiting all vertices
/// therefore visits every cell (the maximum needs nothing more). To count each cell once, the
/// search works inside a box (the user's, or one containing every vertex, which every cell
/// meets) where all cells are bounded: a generic linear functional c has a unique minimising
/// vertex on each cell, and at a simple vertex exactly one completion has it there — the one
/// whose signs make c a non-negative combination of the signed normals.
///
/// Anything not in general position within tolerance (more than d hyperplanes through a vertex,
/// a vertex on the box's boundary, normals not spanning R^d, nearly singular systems) makes
/// `run` return nil; the caller then uses the LP enumeration, which needs no such assumption.
struct ArrangementEnumerator {
    /// One distinct hyperplane `a·x + β = 0` (‖a‖ = 1) or a box face; positive side = `a·x + β > 0`.
    private struct Hyperplane {
        var normal: [Double]
        var offset: Double
        /// The Jacobian contributed by its neurons when x is on the positive / negative side.
        var positive: [Double]
        var negative: [Double]
        /// Neurons (index, orientation): neuron i is active on side σ iff σ·orientation > 0.
        var members: [(Int, Double)]
        var isBoxFace: Bool
    }

    struct Outcome {
        /// False when the arrangement is not in general position: use the LP search instead.
        var generalPosition = true
        /// False when `shouldStop` ended the search early.
        var complete = true
        var regions = 0
        var vertices = 0
        var best: [Double]
        var bestPattern: [[Bool]?]
        var bestPoint: [[Double]]
    }

    private let network: ReLUNetwork
    private let norms: [LipschitzNorm]
    private let dimension: Int
    private let outputs: Int
    private var planes: [Hyperplane] = []
    /// Jacobian of neurons that are constant (zero weights) and active.
    private var constantJacobian: [Double]
    private var constantPattern: [Bool]
    private let threads: Int

    init?(network: ReLUNetwork, norms: [LipschitzNorm], box: InputBox?, threads: Int) {
        guard network.layers.count == 2 else { return nil }
        self.network = network
        self.norms = norms
        self.threads = max(1, threads)
        dimension = network.inputDimension
        outputs = network.outputDimension
        let hidden = network.layers[0], output = network.layers[1]
        let n = hidden.outputDimension
        constantJacobian = Array(repeating: 0, count: outputs * dimension)
        constantPattern = Array(repeating: false, count: n)

        // Group neurons by hyperplane (unit normal with its first non-zero entry positive).
        var keyed: [(normal: [Double], offset: Double, neuron: Int, orientation: Double)] = []
        for i in 0..<n {
            let w = hidden.weights.row(i)
            let length = vectorNorm(w, p: .two)
            if length == 0 {
                if hidden.biases[i] > 0 {
                    constantPattern[i] = true
                    for r in 0..<outputs { for c in 0..<dimension { constantJacobian[r * dimension + c] += output.weights[r, i] * w[c] } }
                }
                continue
            }
            let first = w.first { $0 != 0 }!
            let orientation: Double = first > 0 ? 1 : -1
            keyed.append((w.map { orientation * $0 / length }, orientation * hidden.biases[i] / length, i, orientation))
        }
        keyed.sort { lhs, rhs in
            for j in 0..<lhs.normal.count where lhs.normal[j] != rhs.normal[j] { return lhs.normal[j] < rhs.normal[j] }
            return lhs.offset < rhs.offset
        }
        let same = { (a: [Double], b: [Double], x: Double, y: Double) -> Bool in
            zip(a, b).allSatisfy { abs($0 - $1) <= 1e-12 } && abs(x - y) <= 1e-12 * max(1, abs(x), abs(y))
        }
        for entry in keyed {
            if let last = planes.last, same(last.normal, entry.normal, last.offset, entry.offset) {
                planes[planes.count - 1].members.append((entry.neuron, entry.orientation))
            } else {
                planes.append(Hyperplane(normal: entry.normal, offset: entry.offset, positive: [], negative: [],
                                         members: [(entry.neuron, entry.orientation)], isBoxFace: false))
            }
        }
        // Near-duplicates that are not identical would make near-degenerate vertices: the LP decides.
        for k in planes.indices {
            var positive = Array(repeating: 0.0, count: outputs * dimension), negative = positive
            for (i, orientation) in planes[k].members {
                let w = hidden.weights.row(i)
                for r in 0..<outputs {
                    let v = output.weights[r, i]
                    for c in 0..<dimension {
                        if orientation > 0 { positive[r * dimension + c] += v * w[c] } else { negative[r * dimension + c] += v * w[c] }
                    }
                }
            }
            planes[k].positive = positive
            planes[k].negative = negative
        }
        guard Self.normalsSpan(planes.map(\.normal), dimension: dimension) else { return nil }

        let arrangementCount = planes.count
        let bounds: InputBox
        if let box {
            bounds = box
        } else {
            // A box holding every vertex strictly inside: each cell meets it, and in one piece.
            var radius = 0.0
            guard Self.forEachSubset(count: arrangementCount, size: dimension, body: { subset in
                guard let v = Self.solve(subset.map { planes[$0].normal }, subset.map { -planes[$0].offset }) else { return true }
                radius = max(radius, v.reduce(0) { max($0, abs($1)) })
                return true
            }) else { return nil }
            let r = 2 * radius + 1
            guard let b = try? InputBox(uniform: -r, r, dimension: dimension) else { return nil }
            bounds = b
        }
        for i in 0..<dimension {
            var e = Array(repeating: 0.0, count: dimension)
            e[i] = 1
            let zero = Array(repeating: 0.0, count: outputs * dimension)
            planes.append(Hyperplane(normal: e, offset: -bounds.lower[i], positive: zero, negative: zero, members: [], isBoxFace: true))
            e[i] = -1
            planes.append(Hyperplane(normal: e, offset: bounds.upper[i], positive: zero, negative: zero, members: [], isBoxFace: true))
        }
        scale = bounds.widths.reduce(0) { max($0, $1) }
    }

    private var scale: Double = 1

    /// Number of distinct hyperplanes plus box faces: the range of first elements for `run`.
    var itemCount: Int { planes.count }

    /// Visits every vertex whose subset's smallest element is `first` (workers split the
    /// search by first element).
    func run(first: Int, shouldStop: () -> Bool) -> Outcome {
        let count = planes.count
        // A generic direction: no simple relation to axis-aligned box faces or to random normals.
        let functional: [Double] = (0..<dimension).map { i -> Double in
            let x = Double(i + 1)
            return 1 + 0.618_033_988_749_894_9 * x.squareRoot() + 0.1 * x * x
        }
        let tolerance = 1e-9 * scale
        let m = outputs * dimension
        var outcome = Outcome(best: Array(repeating: -1, count: norms.count),
                              bestPattern: Array(repeating: nil, count: norms.count),
                              bestPoint: Array(repeating: [], count: norms.count))
        var degenerate = false
        var stopped = false
        var jacobian = Array(repeating: 0.0, count: m)
        var completion = jacobian
        var sides = Array(repeating: 0.0, count: count)
        var visited = 0
        Self.forEachSubset(count: count, size: dimension, first: first) { subset in
            visited += 1
            if visited & 1023 == 0, shouldStop() { stopped = true; return false }
            let rows = subset.map { planes[$0].normal }
            guard let v = Self.solve(rows, subset.map { -planes[$0].offset }) else { return true }
            // Signs of every other hyperplane at v.
            jacobian = constantJacobian
            var inSubset = 0
            for k in 0..<count {
                if inSubset < subset.count && subset[inSubset] == k { inSubset += 1; sides[k] = 0; continue }
                let plane = planes[k]
                var s = plane.offset
                for c in 0..<dimension { s += plane.normal[c] * v[c] }
                if abs(s) <= tolerance { degenerate = true; return false }
                if plane.isBoxFace {
                    if s < 0 { return true }  // outside the box
                    continue
                }
                sides[k] = s
                let add = s > 0 ? plane.positive : plane.negative
                for j in 0..<m { jacobian[j] += add[j] }
            }
            guard let lambda = Self.solve(Self.transpose(rows), functional) else { degenerate = true; return false }
            if lambda.contains(where: { abs($0) <= 1e-12 }) { degenerate = true; return false }
            outcome.vertices += 1
            if zip(subset, lambda).allSatisfy({ !planes[$0].isBoxFace || $1 > 0 }) { outcome.regions += 1 }
            // Every sign completion of the arrangement hyperplanes through v is a cell.
            let free = subset.filter { !planes[$0].isBoxFace }
            for mask in 0..<(1 << free.count) {
                completion = jacobian
                for (bit, k) in free.enumerated() {
                    let add = (mask >> bit) & 1 == 1 ? planes[k].positive : planes[k].negative
                    for j in 0..<m { completion[j] += add[j] }
                }
                let matrix = Matrix(rows: outputs, columns: dimension, storage: completion)
                for (n, norm) in norms.enumerated() {
                    guard let value = try? operatorNorm(matrix, p: norm), value.isFinite else { degenerate = true; return false }
                    if value > outcome.best[n] {
                        outcome.best[n] = value
                        outcome.bestPattern[n] = pattern(sides: sides, free: free, mask: mask)
                        outcome.bestPoint[n] = interiorPoint(vertex: v, subset: subset, free: free, mask: mask, sides: sides)
                    }
                }
            }
            return true
        }
        outcome.generalPosition = !degenerate
        outcome.complete = !stopped
        return outcome
    }

    /// The activation pattern of the cell with the given signs.
    private func pattern(sides: [Double], free: [Int], mask: Int) -> [Bool] {
        var bits = constantPattern
        var side = sides
        for (bit, k) in free.enumerated() { side[k] = (mask >> bit) & 1 == 1 ? 1 : -1 }
        for (k, plane) in planes.enumerated() where !plane.isBoxFace {
            for (i, orientation) in plane.members { bits[i] = side[k] * orientation > 0 }
        }
        return bits
    }

    /// A point inside the cell: from the vertex along a direction into the cone, half-way to the
    /// nearest other hyperplane.
    private func interiorPoint(vertex: [Double], subset: [Int], free: [Int], mask: Int, sides: [Double]) -> [Double] {
        let signs = subset.map { k -> Double in
            guard let bit = free.firstIndex(of: k) else { return 1 }
            return (mask >> bit) & 1 == 1 ? 1 : -1
        }
        guard let u = Self.solve(subset.map { planes[$0].normal }, signs) else { return vertex }
        var step = Double.infinity
        for (k, plane) in planes.enumerated() where !subset.contains(k) {
            var s = plane.offset, rate = 0.0
            for c in 0..<dimension { s += plane.normal[c] * vertex[c]; rate += plane.normal[c] * u[c] }
            if s * rate < 0 { step = min(step, -s / rate) }
        }
        if !step.isFinite { step = 1 }
        return zip(vertex, u).map { $0 + step / 2 * $1 }
    }

    // MARK: - Small dense linear algebra

    static func transpose(_ rows: [[Double]]) -> [[Double]] {
        guard let n = rows.first?.count else { return [] }
        return (0..<n).map { c in rows.map { $0[c] } }
    }

    /// Solves the square system by Gaussian elimination with partial pivoting; nil when a pivot
    /// is below 1e-10 (rows are unit normals, so that means parallel or nearly so).
    static func solve(_ rows: [[Double]], _ rhs: [Double]) -> [Double]? {
        let n = rhs.count
        var a = rows
        var b = rhs
        for col in 0..<n {
            var pivot = col
            for r in (col + 1)..<max(col + 1, n) where abs(a[r][col]) > abs(a[pivot][col]) { pivot = r }
            if abs(a[pivot][col]) < 1e-10 { return nil }
            if pivot != col { a.swapAt(pivot, col); b.swapAt(pivot, col) }
            let p = a[col][col]
            for r in (col + 1)..<max(col + 1, n) {
                let f = a[r][col] / p
                if f == 0 { continue }
                for c in col..<n { a[r][c] -= f * a[col][c] }
                b[r] -= f * b[col]
            }
        }
        var x = Array(repeating: 0.0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = b[r]
            for c in (r + 1)..<max(r + 1, n) { s -= a[r][c] * x[c] }
            x[r] = s / a[r][r]
        }
        return x
    }

    static func normalsSpan(_ normals: [[Double]], dimension: Int) -> Bool {
        // Rank by elimination with a tolerance on unit vectors.
        var basis: [[Double]] = []
        for var v in normals {
            for b in basis {
                let dot = zip(v, b).reduce(0) { $0 + $1.0 * $1.1 }
                for c in v.indices { v[c] -= dot * b[c] }
            }
            let length = vectorNorm(v, p: .two)
            if length > 1e-8 {
                basis.append(v.map { $0 / length })
                if basis.count == dimension { return true }
            }
        }
        return basis.count == dimension
    }

    /// Calls `body` with every increasing `size`-subset of `0..<count` (only those starting
    /// with `first` when given); stops when it returns false.
    @discardableResult
    static func forEachSubset(count: Int, size: Int, first: Int? = nil, body: ([Int]) -> Bool) -> Bool {
        guard size <= count, size > 0 else { return true }
        if let first {
            guard first <= count - size else { return true }
            if size == 1 { return body([first]) }
            return forEachSubset(count: count - first - 1, size: size - 1) { rest in
                body([first] + rest.map { $0 + first + 1 })
            }
        }
        var subset = Array(0..<size)
        while true {
            if !body(subset) { return false }
            var i = size - 1
            while i >= 0 && subset[i] == count - size + i { i -= 1 }
            if i < 0 { return true }
            subset[i] += 1
            for j in (i + 1)..<size { subset[j] = subset[j - 1] + 1 }
        }
    }
}
