import CGMP
import Glibc
import LipschitzModel

/// The Jacobian W_L D_{L−1} W_{L−1} ⋯ D_0 W_0 of an activation pattern in exact integer
/// arithmetic (GMP), each entry then rounded toward zero to a double: what a region's value
/// rests on when the floating-point product may have cancelled (`RegionJacobian`).
///
/// Why it is exact. Layer k's weights are the integers Z_k times 2^(e_k) (`ScaledIntegers`:
/// e_k is the smallest exponent − 52 over its non-zero weights). The product of the Z_k (masked
/// by the pattern's 0/1 indicators) is an integer matrix, held exactly, and J = that product
/// times 2^(Σ e_k). The product is formed
/// from the output side, one m-row block per layer (m outputs), so the work is m·Σ n_{k+1}·n_k
/// multiply-adds of integers of about (53 + the layer's exponent range) bits per layer.
///
/// The rounding. `mpz_get_d_2exp` truncates an integer to a double mantissa in [0.5, 1) with
/// its exponent, so each entry is within 2⁻⁵² of its exact value relative, and the scaling by
/// 2^(Σ e_k) is exact while the result is a normal double. An entry beyond the doubles' range, or
/// non-zero and below the smallest normal double (where the scaling would round absolutely), is
/// not representable to that accuracy: the whole result is then nil.
enum ExactJacobian {
    /// The rounded exact Jacobian of `pattern`'s region (outputs × inputs); nil when a non-zero
    /// entry is not representable as a normal double.
    static func rounded(_ network: ReLUNetwork, pattern: ActivationPattern) -> Matrix? {
        let layers = network.layers
        let m = network.outputDimension
        let last = layers.count - 1
        // rows: m × (the current layer's input width), as integers; exponent: Σ e_k so far.
        var (rows, exponent) = scaled(layers[last].weights)
        var width = layers[last].inputDimension
        for k in stride(from: last - 1, through: 0, by: -1) {
            let weights = layers[k].weights
            let active = pattern.layers[k]
            let (z, e) = scaled(weights)
            let next = allocate(m * weights.columns)
            for r in 0..<m {
                for i in 0..<width where active[i] && cgmp_sgn(rows + r * width + i) != 0 {
                    for j in 0..<weights.columns where cgmp_sgn(z + i * weights.columns + j) != 0 {
                        cgmp_addmul(next + r * weights.columns + j, rows + r * width + i, z + i * weights.columns + j)
                    }
                }
            }
            release(z, count: weights.rows * weights.columns)
            release(rows, count: m * width)
            rows = next
            width = weights.columns
            exponent += e
        }
        defer { release(rows, count: m * width) }
        var storage = [Double](repeating: 0, count: m * width)
        for index in storage.indices {
            guard cgmp_sgn(rows + index) != 0 else { continue }
            var power = 0
            let mantissa = cgmp_get_d_2exp(&power, rows + index)  // |mantissa| in [0.5, 1)
            let total = power + exponent
            // |value| = |mantissa|·2^total lies in [2^(total − 1), 2^total): normal iff −1021 ≤ total ≤ 1024.
            guard total >= -1021 && total <= 1024 else { return nil }
            storage[index] = scalbn(mantissa, total)
        }
        return Matrix(rows: m, columns: width, storage: storage)
    }

    /// A layer's weights as integers Z with W = Z·2^e (row-major), and e (`ScaledIntegers`;
    /// a network's numbers are finite).
    private static func scaled(_ weights: Matrix) -> (UnsafeMutablePointer<__mpz_struct>, Int) {
        let z = allocate(weights.storage.count)
        let e = weights.storage.withUnsafeBufferPointer { ScaledIntegers.load($0.baseAddress!, count: $0.count, into: z) }
        return (z, e ?? 0)
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<__mpz_struct> {
        let p = UnsafeMutablePointer<__mpz_struct>.allocate(capacity: max(1, count))
        for i in 0..<count { cgmp_init(p + i) }
        return p
    }

    private static func release(_ p: UnsafeMutablePointer<__mpz_struct>, count: Int) {
        for i in 0..<count { cgmp_clear(p + i) }
        p.deallocate()
    }
}
