import Foundation
import LipschitzModel

/// The tests' generator: the raw SplitMix64 stream (the model's one `SplitMix64` step),
/// deliberately not the package's `SeededGenerator` (xoshiro256**) nor its samplers, so that a
/// fault in the package's sampling cannot hide itself in the data that tests it. Every test
/// target draws from this one copy.
///
/// `normal()` uses Box–Muller with the platform's `log` and `cos`: test data need determinism
/// on one machine only, not the bit-identical portability promised for the package's samplers.
public struct TestRandom: RandomNumberGenerator {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 { SplitMix64.next(&state) }

    /// Uniform on [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform on [lo, hi).
    public mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * uniform() }

    /// Standard normal (Box–Muller, one of the pair).
    public mutating func normal() -> Double {
        let u = max(uniform(), 1e-300), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }

    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    public mutating func bool() -> Bool { next() & 1 == 1 }

    /// Doubles of all magnitudes (10^-8 … 10^8, either sign) with full 53-bit mantissas, so that
    /// printing and parsing are exercised.
    public mutating func anyMagnitude() -> Double {
        let mantissa = Double(next() >> 11) / Double(1 << 53)
        let sign: Double = next() & 1 == 0 ? 1 : -1
        return sign * mantissa * pow(10, Double(int(-8...8)))
    }

    public mutating func vector(_ n: Int, _ lo: Double = -1, _ hi: Double = 1) -> [Double] {
        (0..<n).map { _ in uniform(lo, hi) }
    }

    public mutating func matrix(_ rows: Int, _ columns: Int, _ lo: Double = -1, _ hi: Double = 1) -> Matrix {
        Matrix(rows: rows, columns: columns, storage: vector(rows * columns, lo, hi))
    }
}
