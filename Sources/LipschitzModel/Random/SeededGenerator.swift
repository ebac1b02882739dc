
/// xoshiro256** seeded through SplitMix64: a small, fast generator whose output for a
/// seed is fixed by this file alone (not by the platform's `SystemRandomNumberGenerator`),
/// so a seed names the same network on every machine.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var splitMix = seed
        state = (SplitMix64.next(&splitMix), SplitMix64.next(&splitMix), SplitMix64.next(&splitMix), SplitMix64.next(&splitMix))
    }

    public mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform on [0, 1) with 53 random bits.
    public mutating func nextUniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Standard normal by Marsaglia's polar method with `PortableMath.log`, so the value is the
    /// same on every IEEE-754 machine. Keeps the second normal of each accepted pair as a spare
    /// for the next call (half the uniforms of `nextPortableNormal`; the stream position then
    /// depends on the parity of earlier calls, which is why the networks' recipe uses the other).
    public mutating func nextNormal() -> Double {
        if let spare = spareNormal { spareNormal = nil; return spare }
        let draw = nextPolarPair()
        spareNormal = draw.v * draw.factor
        return draw.u * draw.factor
    }

    private var spareNormal: Double?
}
