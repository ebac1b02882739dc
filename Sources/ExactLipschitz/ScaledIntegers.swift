import CGMP

/// Doubles as GMP integers under one common power of two, exactly: the input of the exact
/// determinant (`ExactDeterminant`, a row at a time) and of the exact Jacobian
/// (`ExactJacobian`, a layer at a time).
///
/// Every finite double x is m·2^e with an integer m, |m| < 2⁵³ (e = exponent − 52, for normal and
/// subnormal doubles alike). With e_min the smallest such e over the non-zero values, each x
/// becomes the integer m·2^(e − e_min) (at most 2098 bits), and x = that integer · 2^(e_min).
enum ScaledIntegers {
    /// Writes the `count` doubles at `values` into the initialised integers at `target`, scaled by
    /// 2^(−e_min); returns e_min (0 when every value is 0), or nil when a value is not finite.
    static func load(_ values: UnsafePointer<Double>, count: Int, into target: UnsafeMutablePointer<__mpz_struct>) -> Int? {
        var lowest = Int.max
        for j in 0..<count {
            let x = values[j]
            guard x.isFinite else { return nil }
            if x != 0 { lowest = min(lowest, Int(x.exponent) - 52) }
        }
        for j in 0..<count {
            let x = values[j]
            guard x != 0 else { cgmp_set_si(target + j, 0); continue }
            let e = Int(x.exponent) - 52
            // |x|·2^(−e) = significand·2⁵² < 2⁵³: an integer, exactly representable, so the conversion is exact.
            let m = Int(x.magnitude.significand * 0x1p52)
            cgmp_set_si(target + j, x < 0 ? -m : m)
            cgmp_mul_2exp(target + j, target + j, UInt(e - lowest))
        }
        return lowest == Int.max ? 0 : lowest
    }
}
