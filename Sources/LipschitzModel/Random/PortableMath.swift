/// Elementary functions built from IEEE-754 `+ − × ÷` and `sqrt` only.
///
/// Those five operations are correctly rounded on every conforming machine, while the
/// platform's `log` (glibc, Darwin's libm, …) may differ in the last bit. Random networks and
/// the estimates' sample points are promised to be bit-identical everywhere for a seed, so no
/// sampler of `SeededGenerator` calls libm (pinned bit patterns in `SeededGeneratorTests`).
/// Accuracy is a few ulps, far below anything a sampler can notice; the point is determinism.
public enum PortableMath {
    /// ln 2 split into a high part with trailing zero bits (exact when multiplied by a small
    /// integer exponent) and a low correction, as in fdlibm.
    private static let ln2High = 6.93147180369123816490e-01
    private static let ln2Low = 1.90821492927058770002e-10

    /// The natural logarithm of a positive, finite `x` (NaN for anything else).
    public static func log(_ x: Double) -> Double {
        guard x > 0, x.isFinite else { return x == 0 ? -.infinity : .nan }
        // x = m · 2^e with m in [1, 2); subnormals are scaled up first.
        var value = x
        var exponent = 0
        if value < Double.leastNormalMagnitude {
            value *= 0x1p54
            exponent -= 54
        }
        let bits = value.bitPattern
        exponent += Int((bits >> 52) & 0x7FF) - 1023
        var m = Double(bitPattern: (bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000)
        // Move m into [√½, √2) so that t = (m−1)/(m+1) is at most 0.172.
        if m > 1.4142135623730951 {
            m /= 2
            exponent += 1
        }
        // ln m = 2·atanh(t) = 2(t + t³/3 + t⁵/5 + …); t² ≤ 0.0295, so 14 terms reach 1e-21.
        let t = (m - 1) / (m + 1)
        let t2 = t * t
        var term = t
        var sum = 0.0
        var k = 1.0
        for _ in 0..<14 {
            sum += term / k
            term *= t2
            k += 2
        }
        let e = Double(exponent)
        return e * ln2High + (2 * sum + e * ln2Low)
    }
}

extension SeededGenerator {
    /// One accepted draw of Marsaglia's polar method: (u, v) uniform in the unit disc without
    /// its centre, s = u² + v², and factor = √(−2 ln s / s), so that u·factor and v·factor are
    /// independent standard normals. Only `+ − × ÷`, `sqrt` and `PortableMath.log`: the same bits
    /// on every IEEE-754 machine. Both normal samplers draw through here.
    mutating func nextPolarPair() -> (u: Double, v: Double, factor: Double) {
        while true {
            let u = 2 * nextUniform() - 1, v = 2 * nextUniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 { return (u, v, (-2 * PortableMath.log(s) / s).squareRoot()) }
        }
    }

    /// Standard normal, the first of a polar pair (`nextPolarPair`); keeps no spare: two
    /// uniforms per attempt, the second normal discarded, so the stream position after a draw
    /// does not depend on earlier calls' parity (what the random networks' recipe needs).
    public mutating func nextPortableNormal() -> Double {
        let draw = nextPolarPair()
        return draw.u * draw.factor
    }

    /// Uniform on the open interval (0, 1): never 0, for logarithms.
    public mutating func nextOpenUniform() -> Double {
        while true {
            let u = nextUniform()
            if u > 0 { return u }
        }
    }
}
