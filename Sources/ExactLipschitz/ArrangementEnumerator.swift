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
    }

    private let network: ReLUNetwork
    private let norms: [LipschitzNorm]
    private let dimension: Int
    private let outputs: Int
    private var planes: [Hyperplane] = []
    /// Jacobian of neurons that are constant (zero weights) and active.
    private var constantJacobian: [Double]
    private var constantPattern: [Bool]
    /// The problem's length scale (as in the LP search), the floor of the rounding estimate.
    private var lengthUnit: Double = 1
    // The planes again, flat, for the hot loop: normals (count × d), offsets, flips (count × m·d).
    private var normals: [Double] = []
    private var offsets: [Double] = []
    /// Per plane, the Jacobian change from its negative to its positive side.
    private var positiveMinusNegative: [Double] = []
    /// Planes before this index are the network's; box faces follow.
    private var arrangementCount = 0

    init?(network: ReLUNetwork, norms: [LipschitzNorm], box: InputBox?, shouldStop: () -> Bool = { false }) {
        guard network.layers.count == 2 else { return nil }
        self.network = network
        self.norms = norms
        dimension = network.inputDimension
        outputs = network.outputDimension
        let hidden = network.layers[0], output = network.layers[1]
        let n = hidden.outputDimension
        constantJacobian = Array(repeating: 0, count: outputs * dimension)
        constantPattern = Array(repeating: false, count: n)

        // Group neurons by hyperplane (unit normal with its first non-zero entry positive).
        var keyed: [(normal: [Double], offset: Double, neuron: Int, orientation: Double, raw: [Double])] = []
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
            keyed.append((w.map { orientation * $0 / length }, orientation * hidden.biases[i] / length, i, orientation,
                          (w + [hidden.biases[i]]).map { orientation * $0 }))
        }
        keyed.sort { lhs, rhs in
            for j in 0..<lhs.normal.count where lhs.normal[j] != rhs.normal[j] { return lhs.normal[j] < rhs.normal[j] }
            return lhs.offset < rhs.offset
        }
        // Only neurons whose weights and bias are identical (up to one sign) share a hyperplane;
        // nearly equal ones stay apart, so the thin cell between them is not lost (their
        // near-degenerate vertices then send the network to the LP search).
        var lastRaw: [Double] = []
        for entry in keyed {
            defer { lastRaw = entry.raw }
            if planes.last != nil, lastRaw == entry.raw {
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
            let flatNormals = planes.flatMap(\.normal), flatOffsets = planes.map(\.offset)
            let d = dimension
            var system = Array(repeating: 0.0, count: d * d), rhs = Array(repeating: 0.0, count: d)
            var visited = 0
            let finished = Self.forEachSubset(count: arrangementCount, size: d) { subset in
                visited += 1
                if visited & 1023 == 0 && shouldStop() { return false }
                for (r, k) in subset.enumerated() {
                    for c in 0..<d { system[r * d + c] = flatNormals[k * d + c] }
                    rhs[r] = -flatOffsets[k]
                }
                if Self.solveInPlace(&system, &rhs, d) != nil { radius = max(radius, rhs.reduce(0) { max($0, abs($1)) }) }
                return true
            }
            guard finished else { return nil }
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
        lengthUnit = box.map { $0.halfWidths.reduce(0) { max($0, $1) } } ?? network.lengthScale
        normals = planes.flatMap(\.normal)
        offsets = planes.map(\.offset)
        positiveMinusNegative = zip(planes.flatMap(\.positive), planes.flatMap(\.negative)).map { $0 - $1 }
        self.arrangementCount = arrangementCount
        // Every plane starts on its negative side; `run` adds the flips.
        for plane in planes where !plane.isBoxFace {
            for e in 0..<(outputs * dimension) { constantJacobian[e] += plane.negative[e] }
        }
    }

    /// Σ values[k] over the k with selectors[k] > 0, four lanes at a time (a plain loop would
    /// not vectorise: floating-point sums may not be reordered without being asked).
    @inline(__always)
    private static func sumWherePositive(_ values: UnsafePointer<Double>, _ selectors: UnsafePointer<Double>, _ count: Int) -> Double {
        var lanes = SIMD4<Double>(repeating: 0)
        let zero = SIMD4<Double>(repeating: 0)
        var k = 0
        while k + 4 <= count {
            let v = UnsafeRawPointer(values + k).loadUnaligned(as: SIMD4<Double>.self)
            let s = UnsafeRawPointer(selectors + k).loadUnaligned(as: SIMD4<Double>.self)
            lanes += v.replacing(with: zero, where: s .<= zero)
            k += 4
        }
        var sum = lanes.sum()
        while k < count {
            if selectors[k] > 0 { sum += values[k] }
            k += 1
        }
        return sum
    }

    /// min over k of |sides[k]| − tolerance·(magnitude + |β_k|), four lanes at a time.
    @inline(__always)
    private static func smallestMargin(_ sides: UnsafePointer<Double>, _ absB: UnsafePointer<Double>,
                                       _ tolerance: Double, _ magnitude: Double, _ count: Int) -> Double {
        var lanes = SIMD4<Double>(repeating: .infinity)
        var k = 0
        while k + 4 <= count {
            let s = UnsafeRawPointer(sides + k).loadUnaligned(as: SIMD4<Double>.self)
            let b = UnsafeRawPointer(absB + k).loadUnaligned(as: SIMD4<Double>.self)
            let margin = s.replacing(with: -s, where: s .< 0) - tolerance * (magnitude + b)
            lanes = pointwiseMin(lanes, margin)
            k += 4
        }
        var result = lanes.min()
        while k < count {
            result = min(result, abs(sides[k]) - tolerance * (magnitude + absB[k]))
            k += 1
        }
        return result
    }

    private static func buffer(_ array: [Double]) -> UnsafeMutablePointer<Double> {
        let p = UnsafeMutablePointer<Double>.allocate(capacity: max(1, array.count))
        p.initialize(from: array, count: array.count)
        return p
    }

    /// ‖v‖_p for the scalar-output case, on a raw buffer.
    private static func norm(_ v: UnsafeBufferPointer<Double>, _ p: LipschitzNorm) -> Double {
        switch p {
        case .one: return v.reduce(0) { $0 + abs($1) }
        case .infinity: return v.reduce(0) { max($0, abs($1)) }
        case .two:
            let largest = v.reduce(0) { max($0, abs($1)) }
            guard largest > 0, largest.isFinite else { return largest }
            return largest * v.reduce(0) { let t = $1 / largest; return $0 + t * t }.squareRoot()
        case .p(let e):
            let largest = v.reduce(0) { max($0, abs($1)) }
            guard largest > 0, largest.isFinite else { return largest }
            return largest * pow(v.reduce(0) { $0 + pow(abs($1) / largest, e) }, 1 / e)
        }
    }


    /// Number of distinct hyperplanes plus box faces: the range of first elements for `run`.
    var itemCount: Int { planes.count }

    /// Visits every vertex whose subset's smallest element is `first` (workers split the
    /// search by first element). The hot loop works on flat buffers.
    func run(first: Int, shouldStop: () -> Bool) -> Outcome {
        let d = dimension, count = planes.count, m = outputs * dimension
        var outcome = Outcome(best: Array(repeating: -1, count: norms.count), bestPattern: Array(repeating: nil, count: norms.count))
        guard first + d <= count else { return outcome }
        // A generic direction: no simple relation to axis-aligned box faces or to random normals.
        let functional: [Double] = (0..<d).map { i -> Double in
            let x = Double(i + 1)
            return 1 + 0.618_033_988_749_894_9 * x.squareRoot() + 0.1 * x * x
        }
        let functionalSize = vectorNorm(functional, p: .two)
        let relativeTolerance = 1e-10
        let dualNorms = norms.map(\.dual)
        var subset = Array(first..<(first + d))
        var system = Array(repeating: 0.0, count: d * d)
        var rhs = Array(repeating: 0.0, count: d)
        // Raw buffers for the hot loop (no bounds checks, no copy-on-write checks).
        // Each worker has its own copies: shared arrays would bounce their reference counts
        // between cores on every access.
        let a = Self.buffer(normals), b = Self.buffer(offsets), flip = Self.buffer(positiveMinusNegative)
        let base = Self.buffer(constantJacobian)
        // Column-major copies for the vectorised loops: aT[c·count + k] = normal_k[c],
        // flipT[e·arrangementCount + k] = flip_k[e].
        let aT = Self.buffer((0..<(d * count)).map { i in normals[(i % count) * d + i / count] })
        let flipT = Self.buffer((0..<(m * arrangementCount)).map { i in positiveMinusNegative[(i % arrangementCount) * m + i / arrangementCount] })
        let absB = Self.buffer(offsets.map { abs($0) })
        let sides = UnsafeMutablePointer<Double>.allocate(capacity: count)
        let x = UnsafeMutablePointer<Double>.allocate(capacity: d)
        let j = UnsafeMutablePointer<Double>.allocate(capacity: m)
        defer {
            for p in [a, b, flip, base, aT, flipT, absB, sides, x, j] { p.deallocate() }
        }
        let faceStart = arrangementCount
        var free: [Int] = []
        var bestVertex: [[Double]?] = Array(repeating: nil, count: norms.count)
        var bestFree: [[Int]] = Array(repeating: [], count: norms.count)
        var bestMask = Array(repeating: 0, count: norms.count)
        var visited = 0
        let scalar = outputs == 1

        subsets: while true {
            visited += 1
            if visited & 1023 == 1, shouldStop() { outcome.complete = false; break }
            process: do {
                // The vertex: A_S v = −β_S.
                for r in 0..<d {
                    let k = subset[r]
                    for c in 0..<d { system[r * d + c] = a[k * d + c] }
                    rhs[r] = -b[k]
                }
                guard let smallestPivot = Self.solveInPlace(&system, &rhs, d) else { break process }
                var magnitude = lengthUnit
                for c in 0..<d { x[c] = rhs[c]; magnitude = max(magnitude, abs(rhs[c])) }
                // The vertex is accurate to about ε·|v|/(smallest pivot); a side is accurate to
                // that plus ε·|β|.
                magnitude /= smallestPivot
                // Every plane's side at v, in loops the compiler vectorises: sides = β + Aᵀ-columns · v.
                for k in 0..<count { sides[k] = b[k] }
                for c in 0..<d {
                    let column = aT + c * count, xc = x[c]
                    for k in 0..<count { sides[k] += column[k] * xc }
                }
                // Planes through v are decided by the completions below, not here.
                for r in 0..<d { sides[subset[r]] = .infinity }
                // Within 1e-10·(|v|/pivot + |β|) of zero: checked again in extended precision.
                let closest = Self.smallestMargin(sides, absB, relativeTolerance, magnitude, count)
                if closest <= 0 {
                    // Too close to call in double precision: decide in extended precision, which
                    // also tells a vertex on more than d planes from a random near miss.
                    guard let refined = refinedSides(subset: subset) else { outcome.generalPosition = false; break subsets }
                    for k in 0..<count { sides[k] = refined[k] }
                }
                var outside = false
                for k in faceStart..<count where sides[k] < 0 { outside = true }
                if outside { break process }
                // The Jacobian: every plane starts negative; those on their positive side flip.
                for e in 0..<m { j[e] = base[e] + Self.sumWherePositive(flipT + e * arrangementCount, sides, arrangementCount) }
                for r in 0..<d where subset[r] < faceStart {
                    for e in 0..<m { j[e] -= flipT[e * arrangementCount + subset[r]] }
                }
                // c = Σ λ_j a_j: the cell whose signs agree with λ has its c-lowest vertex here.
                for r in 0..<d {
                    for c in 0..<d { system[c * d + r] = a[subset[r] * d + c] }
                    rhs[r] = functional[r]
                }
                guard Self.solveInPlace(&system, &rhs, d) != nil else { outcome.generalPosition = false; break subsets }
                var counted = true
                free.removeAll(keepingCapacity: true)
                for r in 0..<d {
                    if abs(rhs[r]) <= 1e-12 * functionalSize { outcome.generalPosition = false; break subsets }
                    if subset[r] >= faceStart {
                        if rhs[r] < 0 { counted = false }
                    } else {
                        free.append(subset[r])
                    }
                }
                outcome.vertices += 1
                if counted { outcome.regions += 1 }
                // Every sign completion of the planes through v is a cell: start all negative,
                // then walk the completions in Gray-code order, one plane flipping per step.
                var mask = 0
                for step in 0..<(1 << free.count) {
                    if step > 0 {
                        let bit = step.trailingZeroBitCount
                        let k = free[bit]
                        mask ^= 1 << bit
                        let sign: Double = (mask >> bit) & 1 == 1 ? 1 : -1
                        for e in 0..<m { j[e] += sign * flip[k * m + e] }
                    }
                    let jacobian = UnsafeBufferPointer(start: j, count: m)
                    for n in 0..<dualNorms.count {
                        let value: Double
                        if scalar {
                            value = Self.norm(jacobian, dualNorms[n])  // ‖∇Φ‖ in the dual norm
                        } else {
                            guard let v = try? operatorNorm(Matrix(rows: outputs, columns: d, storage: Array(jacobian)), p: norms[n]) else {
                                outcome.generalPosition = false; break subsets
                            }
                            value = v
                        }
                        guard value.isFinite else { outcome.generalPosition = false; break subsets }
                        if value > outcome.best[n] {
                            outcome.best[n] = value
                            bestVertex[n] = Array(UnsafeBufferPointer(start: x, count: d))
                            bestFree[n] = free
                            bestMask[n] = mask
                        }
                    }
                }
            }
            // Next subset with the same first element.
            var i = d - 1
            while i >= 1 && subset[i] == count - d + i { i -= 1 }
            if i < 1 { break }
            subset[i] += 1
            for j in (i + 1)..<d { subset[j] = subset[j - 1] + 1 }
        }
        if outcome.generalPosition {
            for n in norms.indices {
                if let v = bestVertex[n] { outcome.bestPattern[n] = pattern(at: v, free: bestFree[n], mask: bestMask[n]) }
            }
        }
        return outcome
    }

    /// Every plane's side at the vertex of `subset`, computed in 80-bit extended precision
    /// from the same (double) planes, with the subset's planes set to +∞; nil when another plane
    /// passes through the vertex to within 1e-13·(|v| + |β|), i.e. up to the rounding of the
    /// planes themselves: the vertex is degenerate.
    private func refinedSides(subset: [Int]) -> [Double]? {
        #if arch(x86_64) && !os(Windows)
        typealias Wide = Float80
        #else
        typealias Wide = Double
        #endif
        let d = dimension, count = planes.count
        var a = [Wide](repeating: 0, count: d * d), b = [Wide](repeating: 0, count: d)
        for (r, k) in subset.enumerated() {
            for c in 0..<d { a[r * d + c] = Wide(normals[k * d + c]) }
            b[r] = -Wide(offsets[k])
        }
        guard Self.solveInPlace(&a, &b, d, singular: Wide.leastNonzeroMagnitude) != nil else { return nil }  // only an exact zero pivot
        let magnitude = b.reduce(Wide(lengthUnit)) { max($0, abs($1)) }
        var sides = [Double](repeating: .infinity, count: count)
        for k in 0..<count where !subset.contains(k) {
            var side = Wide(offsets[k])
            for c in 0..<d { side += Wide(normals[k * d + c]) * b[c] }
            if abs(side) <= 1e-13 * (magnitude + abs(Wide(offsets[k]))) { return nil }
            sides[k] = Double(side)
        }
        return sides
    }

    /// The activation pattern of the cell at vertex `v` whose planes through v have the signs in `mask`.
    private func pattern(at v: [Double], free: [Int], mask: Int) -> [Bool] {
        var bits = constantPattern
        for (k, plane) in planes.enumerated() where !plane.isBoxFace {
            let side: Double
            if let bit = free.firstIndex(of: k) {
                side = (mask >> bit) & 1 == 1 ? 1 : -1
            } else {
                side = plane.offset + zip(plane.normal, v).reduce(0) { $0 + $1.0 * $1.1 }
            }
            for (i, orientation) in plane.members { bits[i] = side * orientation > 0 }
        }
        return bits
    }

    /// Solves the n×n system (row-major) in place by Gaussian elimination with partial
    /// pivoting; the solution replaces `b`. Returns the smallest pivot's magnitude (a measure of
    /// conditioning), or nil when a pivot is below `singular` (rows are unit normals, so the
    /// default 1e-10 means parallel or nearly so). Generic so that the extended-precision recheck
    /// runs the same elimination.
    static func solveInPlace<T: FloatingPoint>(_ a: inout [T], _ b: inout [T], _ n: Int,
                                               singular: T = T(1) / T(10_000_000_000)) -> T? {
        var smallest = T.infinity
        for col in 0..<n {
            var pivot = col
            for r in (col + 1)..<max(col + 1, n) where abs(a[r * n + col]) > abs(a[pivot * n + col]) { pivot = r }
            if abs(a[pivot * n + col]) < singular { return nil }
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

    // MARK: - Small dense linear algebra

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
