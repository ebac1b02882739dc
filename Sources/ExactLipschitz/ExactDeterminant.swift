import CGMP

/// The exact sign of the determinant of a small square matrix of doubles, with GMP integers:
/// the tie-breaker of the line sweep (`LineSweeper.resolveOrder` and the other exact fallbacks)
/// when a certified floating-point decision is too close to call.
///
/// Why it is exact. Every finite double is a rational m·2^e with an integer m, |m| < 2⁵³.
/// Multiplying a row by a positive power of two multiplies the determinant by it and keeps its
/// sign, so each row is scaled by 2^(−e_min) (e_min: the row's smallest exponent) and becomes
/// a row of integers m·2^(e − e_min), held exactly by GMP (`ScaledIntegers`). The sign of
/// the integer determinant is then found by Bareiss's fraction-free elimination (Bareiss 1968;
/// Cohen, *A Course in Computational Algebraic Number Theory*, Algorithm 2.2.6): after step k
/// every entry M_ij (i, j > k) is the (k + 2) × (k + 2) minor of rows 0…k, i and columns
/// 0…k, j of the (row-swapped) matrix, so the divisions by the previous pivot are exact and the
/// last entry is the determinant itself; a zero pivot is replaced by a later row with a non-zero
/// entry in its column (each swap flips the sign), and a column without one means the
/// determinant is exactly zero. Nothing is rounded, so the sign is the sign of the determinant of
/// the doubles as rationals.
///
/// One object per thread (it keeps its GMP integers between calls, so the rare calls allocate
/// only when a number outgrows its limbs); it is not shared.
final class ExactDeterminant {
    let capacity: Int
    private let cells: UnsafeMutablePointer<__mpz_struct>
    private let previous: UnsafeMutablePointer<__mpz_struct>
    private let product: UnsafeMutablePointer<__mpz_struct>

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        let count = self.capacity * self.capacity
        cells = .allocate(capacity: count)
        (previous, product) = (.allocate(capacity: 1), .allocate(capacity: 1))
        for i in 0..<count { cgmp_init(cells + i) }
        cgmp_init(previous); cgmp_init(product)
    }

    deinit {
        for i in 0..<(capacity * capacity) { cgmp_clear(cells + i) }
        cgmp_clear(previous); cgmp_clear(product)
        cells.deallocate(); previous.deallocate(); product.deallocate()
    }

    /// The sign (−1, 0 or 1) of det of the n × n matrix `rows` (row-major), n ≤ `capacity`;
    /// nil when an entry is not finite.
    func sign(_ rows: UnsafePointer<Double>, _ n: Int) -> Int? {
        precondition(n >= 1 && n <= capacity, "ExactDeterminant: size \(n) beyond \(capacity)")
        for i in 0..<n { guard load(row: rows + i * n, into: i, n) else { return nil } }
        return eliminate(n)
    }

    /// Convenience for tests and the rare callers with arrays.
    func sign(_ rows: [Double], _ n: Int) -> Int? {
        rows.withUnsafeBufferPointer { sign($0.baseAddress!, n) }
    }

    @inline(__always)
    private func cell(_ i: Int, _ j: Int, _ n: Int) -> UnsafeMutablePointer<__mpz_struct> { cells + i * n + j }

    /// Row i as integers (`ScaledIntegers`): scaling a row by a positive power of two keeps the
    /// determinant's sign.
    private func load(row: UnsafePointer<Double>, into i: Int, _ n: Int) -> Bool {
        ScaledIntegers.load(row, count: n, into: cell(i, 0, n)) != nil
    }

    /// Bareiss's elimination on the loaded n × n integer matrix; the determinant's sign.
    private func eliminate(_ n: Int) -> Int {
        var sign = 1
        cgmp_set_si(previous, 1)
        for k in 0..<n {
            if cgmp_sgn(cell(k, k, n)) == 0 {
                guard let r = ((k + 1)..<n).first(where: { cgmp_sgn(cell($0, k, n)) != 0 }) else { return 0 }
                for j in k..<n { cgmp_swap(cell(k, j, n), cell(r, j, n)) }
                sign = -sign
            }
            guard k + 1 < n else { break }
            for i in (k + 1)..<n {
                for j in (k + 1)..<n {
                    // M_ij ← (M_ij·M_kk − M_ik·M_kj) / previous pivot, an exact division.
                    cgmp_mul(product, cell(i, j, n), cell(k, k, n))
                    cgmp_submul(product, cell(i, k, n), cell(k, j, n))
                    cgmp_divexact(cell(i, j, n), product, previous)
                }
            }
            cgmp_swap(previous, cell(k, k, n))
            // The pivot now lives in `previous`; cell (k, k) is not read again.
        }
        return Int(cgmp_sgn(cell(n - 1, n - 1, n))) * sign
    }
}
