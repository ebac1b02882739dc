import CGMP
import LipschitzModel

/// The exact Jacobian of an activation pattern, W_L D_{L−1} W_{L−1} ⋯ D_0 W_0, in GMP rationals,
/// and the pattern's region values ‖J‖_{p→p} from it: the brute force's values, independent of
/// the package's floating-point Jacobian kernel (`ReLUNetwork.jacobian(for:)`) and of
/// ExactLipschitz.
///
/// Why. A float product of weights can cancel: Φ(x) = a·relu(x) − b·relu(e·x) with b = 7e15,
/// e = 1 + 2⁻⁵², a = fl(b·e) has slope a − b·e = 2 − 7e15·2⁻⁵² ≈ 0.4457 for x > 0, but the float
/// Jacobian is a − fl(b·e) = 0. Here every double is converted exactly (`mpq_set_d` is exact for
/// finite doubles) and every sum and product is exact, so such a Jacobian is never lost.
///
/// Values, per norm (J exact, m × d):
/// - ℓ1 (largest column sum of |J|) and ℓ∞ (largest row sum): summed exactly, then rounded to
///   the nearest double (one rounding: relative error ≤ 2⁻⁵³).
/// - ℓ2 for a row or a column (the Euclidean norm of the vector): the exact sum of squares, scaled
///   by a power of two into [1/4, 4m·d), rounded, square-rooted and scaled back (relative error
///   about 2⁻⁵²; no underflow or overflow of the squares).
/// - ℓ2 of a matrix (largest singular value) and a general p (scalar outputs: the dual norm of
///   the gradient): the package's `operatorNorm` on the correctly rounded entries (entrywise
///   relative rounding ≤ 2⁻⁵³ moves those norms by a relative ~1e-16 times a small factor).
///
/// Not thread-safe (each object keeps GMP rationals); one object per network and thread.
public final class RationalJacobian {
    public let network: ReLUNetwork
    /// W_0 … W_L as exact rationals.
    private let weights: [RationalMatrix]
    private let scratch = RationalScratch()

    public init(_ network: ReLUNetwork) {
        self.network = network
        weights = network.layers.map { RationalMatrix($0.weights) }
    }

    /// One region's exact Jacobian rounded entry by entry to the nearest double, and its values
    /// for the requested norms, in order.
    public struct Region: Sendable, Equatable {
        public let jacobian: Matrix
        public let values: [Double]
    }

    /// The pattern's Jacobian (rounded) and ‖J‖ for each of `norms`; throws when a norm needs a
    /// scalar output and the network has several.
    public func evaluate(_ pattern: ActivationPattern, norms: [LipschitzNorm]) throws -> Region {
        let exact = product(pattern)
        let rounded = exact.rounded(scratch)
        var values: [Double] = []
        for norm in norms { values.append(try value(exact, rounded: rounded, norm)) }
        return Region(jacobian: rounded, values: values)
    }

    /// The pattern's exact Jacobian, each entry rounded to the nearest double (ties to even).
    public func jacobian(for pattern: ActivationPattern) -> Matrix { product(pattern).rounded(scratch) }

    /// ‖J‖_{p→p} of the pattern's exact Jacobian.
    public func value(for pattern: ActivationPattern, norm: LipschitzNorm) throws -> Double {
        try evaluate(pattern, norms: [norm]).values[0]
    }

    /// Convenience: one pattern's values without keeping the object.
    public static func values(_ network: ReLUNetwork, pattern: ActivationPattern, norms: [LipschitzNorm]) throws -> [Double] {
        try RationalJacobian(network).evaluate(pattern, norms: norms).values
    }

    /// W_L D_{L−1} W_{L−1} ⋯ D_0 W_0 exactly, formed from the input side: J ← W_{k+1} D_k J.
    private func product(_ pattern: ActivationPattern) -> RationalMatrix {
        precondition(pattern.layers.map(\.count) == network.hiddenWidths, "pattern does not fit the network")
        var j = weights[0].copy()
        for (k, active) in pattern.layers.enumerated() {
            let w = weights[k + 1]
            let next = RationalMatrix(rows: w.rows, columns: j.columns)
            for i in 0..<w.rows {
                for h in 0..<w.columns where active[h] && cgmpq_sgn(w.cell(i, h)) != 0 {
                    for c in 0..<j.columns where cgmpq_sgn(j.cell(h, c)) != 0 {
                        cgmpq_mul(scratch.a, w.cell(i, h), j.cell(h, c))
                        cgmpq_add(next.cell(i, c), next.cell(i, c), scratch.a)
                    }
                }
            }
            j = next
        }
        return j
    }

    private func value(_ j: RationalMatrix, rounded: Matrix, _ norm: LipschitzNorm) throws -> Double {
        try norm.check(outputs: j.rows)
        switch norm {
        case .one:
            return largestSum(j, count: j.columns, length: j.rows) { c, r in j.cell(r, c) }
        case .infinity:
            return largestSum(j, count: j.rows, length: j.columns) { r, c in j.cell(r, c) }
        case .two:
            if j.rows == 1 || j.columns == 1 { return euclidean(j) }
            return try operatorNorm(rounded, p: .two)
        case .p:
            return try operatorNorm(rounded, p: norm)
        }
    }

    /// max over `count` lines of Σ |entries| (exact), rounded to the nearest double.
    private func largestSum(_ j: RationalMatrix, count: Int, length: Int,
                            _ entry: (Int, Int) -> UnsafeMutablePointer<__mpq_struct>) -> Double {
        let best = scratch.b, sum = scratch.c, magnitude = scratch.a
        cgmpq_set_si(best, 0, 1)
        for line in 0..<count {
            cgmpq_set_si(sum, 0, 1)
            for k in 0..<length {
                cgmpq_abs(magnitude, entry(line, k))
                cgmpq_add(sum, sum, magnitude)
            }
            if cgmpq_cmp(sum, best) > 0 { cgmpq_set(best, sum) }
        }
        return scratch.nearest(best)
    }

    /// The Euclidean norm of all entries: with 2^e near the largest |entry|, the exact
    /// Σ (x·2^−e)² is rounded once, square-rooted and scaled back by 2^e.
    private func euclidean(_ j: RationalMatrix) -> Double {
        let largest = scratch.b, magnitude = scratch.a, sum = scratch.c
        cgmpq_set_si(largest, 0, 1)
        for i in 0..<j.count {
            cgmpq_abs(magnitude, j.cells + i)
            if cgmpq_cmp(magnitude, largest) > 0 { cgmpq_set(largest, magnitude) }
        }
        guard cgmpq_sgn(largest) != 0 else { return 0 }
        // 2^(e−1) ≤ largest < 2^(e+1) with e = bits(num) − bits(den).
        let e = Int(cgmpq_num_bits(largest)) - Int(cgmpq_den_bits(largest))
        cgmpq_set_si(sum, 0, 1)
        for i in 0..<j.count {
            cgmpq_mul(magnitude, j.cells + i, j.cells + i)
            cgmpq_add(sum, sum, magnitude)
        }
        if e > 0 { cgmpq_div_2exp(sum, sum, UInt(2 * e)) } else if e < 0 { cgmpq_mul_2exp(sum, sum, UInt(-2 * e)) }
        let root = scratch.nearest(sum).squareRoot()
        return Double(sign: .plus, exponent: e, significand: root)
    }
}

/// A matrix of GMP rationals (row-major), freed with the object.
final class RationalMatrix {
    let rows: Int, columns: Int
    let cells: UnsafeMutablePointer<__mpq_struct>
    var count: Int { rows * columns }

    init(rows: Int, columns: Int) {
        (self.rows, self.columns) = (rows, columns)
        cells = .allocate(capacity: max(1, rows * columns))
        for i in 0..<(rows * columns) { cgmpq_init(cells + i) }
    }

    /// Every double exactly (`mpq_set_d` is exact for finite doubles).
    convenience init(_ m: Matrix) {
        self.init(rows: m.rows, columns: m.columns)
        for (i, x) in m.storage.enumerated() {
            precondition(x.isFinite, "RationalMatrix: \(x) is not finite")
            cgmpq_set_d(cells + i, x)
        }
    }

    deinit {
        for i in 0..<count { cgmpq_clear(cells + i) }
        cells.deallocate()
    }

    @inline(__always) func cell(_ r: Int, _ c: Int) -> UnsafeMutablePointer<__mpq_struct> { cells + r * columns + c }

    func copy() -> RationalMatrix {
        let m = RationalMatrix(rows: rows, columns: columns)
        for i in 0..<count { cgmpq_set(m.cells + i, cells + i) }
        return m
    }

    /// Each entry rounded to the nearest double.
    func rounded(_ scratch: RationalScratch) -> Matrix {
        Matrix(rows: rows, columns: columns, storage: (0..<count).map { scratch.nearest(cells + $0) })
    }
}

/// A few GMP rationals for intermediate results, and correct rounding.
final class RationalScratch {
    let a: UnsafeMutablePointer<__mpq_struct>, b: UnsafeMutablePointer<__mpq_struct>, c: UnsafeMutablePointer<__mpq_struct>
    private let candidate: UnsafeMutablePointer<__mpq_struct>, distance: UnsafeMutablePointer<__mpq_struct>
    private let bestDistance: UnsafeMutablePointer<__mpq_struct>
    private var all: [UnsafeMutablePointer<__mpq_struct>] { [a, b, c, candidate, distance, bestDistance] }

    init() {
        let p = UnsafeMutablePointer<__mpq_struct>.allocate(capacity: 6)
        for i in 0..<6 { cgmpq_init(p + i) }
        (a, b, c, candidate, distance, bestDistance) = (p, p + 1, p + 2, p + 3, p + 4, p + 5)
    }

    deinit {
        for p in all { cgmpq_clear(p) }
        a.deallocate()
    }

    /// q rounded to the nearest double, ties to even (±∞ beyond the largest finite double's
    /// rounding threshold). `mpq_get_d` truncates toward zero; its result and both neighbours are
    /// compared exactly with q, so the answer does not depend on how it rounds.
    func nearest(_ q: UnsafeMutablePointer<__mpq_struct>) -> Double {
        let guess = cgmpq_get_d(q)
        if guess.isInfinite || guess.magnitude == .greatestFiniteMagnitude {
            // The threshold 2^1024 − 2^970 (halfway to 2^1024) rounds to ∞ (the even side).
            cgmpq_set_d(candidate, .greatestFiniteMagnitude)
            cgmpq_set_d(distance, 0x1p970)
            cgmpq_add(candidate, candidate, distance)
            cgmpq_abs(distance, q)
            if cgmpq_cmp(distance, candidate) >= 0 { return cgmpq_sgn(q) < 0 ? -.infinity : .infinity }
            if guess.isInfinite { return cgmpq_sgn(q) < 0 ? -.greatestFiniteMagnitude : .greatestFiniteMagnitude }
        }
        var best = guess
        cgmpq_set_d(candidate, guess)
        cgmpq_sub(bestDistance, q, candidate)
        cgmpq_abs(bestDistance, bestDistance)
        for x in [guess.nextDown, guess.nextUp] where x.isFinite {
            cgmpq_set_d(candidate, x)
            cgmpq_sub(distance, q, candidate)
            cgmpq_abs(distance, distance)
            let order = cgmpq_cmp(distance, bestDistance)
            if order < 0 || (order == 0 && x.significandBitPattern & 1 == 0 && best.significandBitPattern & 1 == 1) {
                best = x
                cgmpq_set(bestDistance, distance)
            }
        }
        return best == 0 ? 0 : best  // no −0
    }
}
