import CLAPACKE
import FoundationEssentials
import Glibc

/// The ℓp norm used on both input and output space: Lip_p(Φ) = max over regions of ‖J‖_{p→p}.
public enum LipschitzNorm: Hashable, Sendable, CustomStringConvertible {
    case one
    case two
    case infinity
    /// A real p with 1 < p < ∞, p ≠ 2: only for scalar outputs (‖∇Φ‖ in the dual norm).
    case p(Double)

    /// Parses "1", "2", "inf" (also "infinity", "∞", "Inf") or a real number ≥ 1.
    public init(parsing text: String) throws {
        let t = text.trimmingWhitespaces().lowercased()
        switch t {
        case "inf", "infinity", "∞", "+inf": self = .infinity; return
        default: break
        }
        guard let value = Double(t), value.isFinite, value >= 1 else { throw InputError.badNorm(text) }
        self.init(exponent: value)
    }

    /// The norm with exponent `value` ≥ 1 (`.infinity` for `Double.infinity`).
    public init(exponent value: Double) {
        precondition(value >= 1, "p must be at least 1")
        if value == 1 { self = .one } else if value == 2 { self = .two }
        else if value == .infinity { self = .infinity } else { self = .p(value) }
    }

    public var exponent: Double {
        switch self {
        case .one: return 1
        case .two: return 2
        case .infinity: return .infinity
        case .p(let p): return p
        }
    }

    /// The Hölder conjugate q with 1/p + 1/q = 1.
    public var dual: LipschitzNorm {
        switch self {
        case .one: return .infinity
        case .two: return .two
        case .infinity: return .one
        case .p(let p): return LipschitzNorm(exponent: p / (p - 1))
        }
    }

    /// "1", "2", "inf" or the number.
    public var description: String {
        switch self {
        case .one: return "1"
        case .two: return "2"
        case .infinity: return "inf"
        case .p(let p): return p == p.rounded() && abs(p) < 1e15 ? String(Int(p)) : "\(p)"
        }
    }

    /// Whether ‖J‖_{p→p} is computable for a Jacobian with `outputs` rows.
    public func check(outputs: Int) throws {
        if case .p = self, outputs > 1 { throw InputError.normNeedsScalarOutput(p: description, outputs: outputs) }
    }
}

/// ‖v‖_p, computed with scaling so that tiny or huge entries neither underflow nor overflow.
public func vectorNorm(_ v: [Double], p: LipschitzNorm) -> Double {
    v.withUnsafeBufferPointer { vectorNorm($0, p: p) }
}

/// ‖v‖_p on a raw buffer (for hot loops that keep their vectors in scratch memory).
public func vectorNorm(_ v: UnsafeBufferPointer<Double>, p: LipschitzNorm) -> Double {
    let largest = v.reduce(0) { max($0, abs($1)) }
    guard largest > 0 else { return v.contains { $0.isNaN } ? .nan : 0 }
    guard largest.isFinite else { return largest }  // an infinite entry: the norm is infinite
    switch p {
    case .infinity: return largest
    case .one: return v.reduce(0) { $0 + abs($1) }
    case .two:
        let s = v.reduce(0) { let t = $1 / largest; return $0 + t * t }
        return largest * s.squareRoot()
    case .p(let e):
        let s = v.reduce(0) { $0 + pow(abs($1) / largest, e) }
        return largest * pow(s, 1 / e)
    }
}

/// A number that grows with ‖v‖_p, cheaper than the norm: Σ|v_i| (ℓ1), Σ v_i² (ℓ2), max|v_i|
/// (ℓ∞); for other p the norm itself. Hot loops compare these and take the norm only of a
/// winner. Without scaling, ℓ2's squares overflow above about 1e154 and lose digits below
/// about 1e-150: callers use it only when their entries are known to lie well inside that range
/// (`proxyIsSafe`).
@inlinable @inline(__always)
public func normProxy(_ v: UnsafeBufferPointer<Double>, p: LipschitzNorm) -> Double {
    switch p {
    case .one:
        var s = 0.0
        for x in v { s += abs(x) }
        return s
    case .two:
        var s = 0.0
        for x in v { s += x * x }
        return s
    case .infinity:
        var s = 0.0
        for x in v { s = max(s, abs(x)) }
        return s
    case .p: return vectorNorm(v, p: p)
    }
}

/// Whether `normProxy` orders vectors whose entries are bounded by `largestEntry` and whose
/// proxy is at least `smallestProxy` as their norms (no overflow or loss in the squares).
public func proxyIsSafe(largestEntry: Double, smallestProxy: Double) -> Bool {
    largestEntry < 1e150 && (smallestProxy == 0 || smallestProxy > 1e-280)
}

/// Why an operator norm could not be computed.
public enum NormError: Error, CustomStringConvertible {
    case lapackFailed(info: Int32)
    public var description: String { "LAPACK dgesvd did not converge (info \(info))" }
    private var info: Int32 { if case .lapackFailed(let i) = self { return i }; return 0 }
}

/// ‖J‖_{p→p}: ℓ1 is the largest column sum, ℓ∞ the largest row sum, ℓ2 the largest singular
/// value (the Euclidean norm when J is a vector, Jacobi on the Gram matrix when its shorter side
/// is 2 or 3 (`SmallSpectralNorm`), else LAPACK `dgesvd`), and for other p the
/// dual norm of the gradient (scalar outputs only; NP-hard otherwise).
public func operatorNorm(_ j: Matrix, p: LipschitzNorm) throws -> Double {
    try p.check(outputs: j.rows)
    switch p {
    case .one:
        // Column sums, accumulated row by row over the row-major storage (no strided reads).
        var sums = [Double](repeating: 0, count: j.columns)
        j.storage.withUnsafeBufferPointer { a in
            for r in 0..<j.rows {
                for c in 0..<j.columns { sums[c] += abs(a[r * j.columns + c]) }
            }
        }
        return sums.reduce(0) { max($0, $1) }
    case .infinity:
        // Row sums over the raw storage: the exact search's overflow check runs this on 10^6 × 1
        // layers, where the checked subscript cost a third of a millisecond per 2·10^5 rows.
        return j.storage.withUnsafeBufferPointer { a in
            if j.columns == 1 { return largestMagnitude(a) }
            var best = 0.0
            for r in 0..<j.rows {
                var s = 0.0
                for c in 0..<j.columns { s += abs(a[r * j.columns + c]) }
                best = max(best, s)
            }
            return best
        }
    case .two:
        if j.rows == 1 || j.columns == 1 { return vectorNorm(j.storage, p: .two) }
        return try SmallSpectralNorm.value(j) ?? largestSingularValue(j)
    case .p:
        return vectorNorm(j.storage, p: p.dual)
    }
}

/// max |a_i| (0 when empty), four entries at a time (SIMD): the maximum is exact, so the order
/// changes nothing (as the row sums of one column, it is the ℓ∞ norm's one-lane `max(best, s)`).
/// A network's numbers are finite; a NaN entry is never selected here either.
public func largestMagnitude(_ a: UnsafeBufferPointer<Double>) -> Double {
    var lanes = SIMD4<Double>(repeating: 0)
    var i = 0
    if let base = UnsafeRawPointer(a.baseAddress) {
        while i + 4 <= a.count {
            let x = base.loadUnaligned(fromByteOffset: i * 8, as: SIMD4<Double>.self)
            let magnitude = unsafeBitCast(unsafeBitCast(x, to: SIMD4<UInt64>.self) & 0x7FFF_FFFF_FFFF_FFFF, to: SIMD4<Double>.self)
            lanes = lanes.replacing(with: magnitude, where: magnitude .> lanes)
            i += 4
        }
    }
    var best = max(max(lanes[0], lanes[1]), max(lanes[2], lanes[3]))
    while i < a.count { best = max(best, abs(a[i])); i += 1 }
    return best
}

/// σ_max(J) by LAPACK's `dgesvd` (singular values only).
///
/// Exactly the `dgesvd` call that `LAPACKE_dgesvd(LAPACK_ROW_MAJOR, "N", "N", …)` makes, with
/// the same arguments, so the same bits: LAPACKE refuses a NaN entry (info −6), transposes the
/// row-major matrix into a column-major copy (leading dimension max(1, m)), asks `dgesvd` for
/// its optimal workspace and runs it with that much. The wrapper paid for the query and two
/// allocations on every call, a third of the time on the small Jacobians the searches take by
/// the thousand; here the optimal size is asked once per shape (`SVDWorkspace`).
public func largestSingularValue(_ j: Matrix) throws -> Double {
    if j.storage.allSatisfy({ $0 == 0 }) { return 0 }
    if j.storage.contains(where: { $0.isNaN }) { throw NormError.lapackFailed(info: -6) }
    let m = Int32(j.rows), n = Int32(j.columns), lda = max(1, m)
    var a = [Double](repeating: 0, count: Int(lda) * j.columns)
    for r in 0..<j.rows {
        for c in 0..<j.columns { a[c * Int(lda) + r] = j.storage[r * j.columns + c] }
    }
    var s = [Double](repeating: 0, count: Int(min(m, n)))
    var unusedU = 0.0, unusedVT = 0.0
    let job = CChar(UInt8(ascii: "N"))
    let lwork = try SVDWorkspace.optimalSize(rows: m, columns: n)
    var work = [Double](repeating: 0, count: Int(lwork))
    let info = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, job, job, m, n, &a, lda, &s, &unusedU, 1, &unusedVT, 1, &work, lwork)
    guard info == 0 else { throw NormError.lapackFailed(info: info) }
    return s[0]
}

/// `dgesvd`'s optimal workspace for singular values only, by shape: what LAPACKE's workspace
/// query returns (a function of m and n alone), asked once per shape and shared by all threads.
enum SVDWorkspace {
    private static let lock = Lock()
    nonisolated(unsafe) private static var sizes: [Int64: Int32] = [:]

    static func optimalSize(rows m: Int32, columns n: Int32) throws -> Int32 {
        let key = Int64(m) << 32 | Int64(n)
        lock.lock(); defer { lock.unlock() }
        if let known = sizes[key] { return known }
        var a = 0.0, s = 0.0, unusedU = 0.0, unusedVT = 0.0, query = 0.0
        let job = CChar(UInt8(ascii: "N"))
        let info = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, job, job, m, n, &a, max(1, m), &s, &unusedU, 1, &unusedVT, 1, &query, -1)
        guard info == 0 else { throw NormError.lapackFailed(info: info) }
        let size = Int32(query)
        sizes[key] = size
        return size
    }
}
