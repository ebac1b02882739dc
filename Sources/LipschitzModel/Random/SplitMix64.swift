/// SplitMix64 (Steele, Lea & Flood 2014), the package's one copy: a 64-bit state advanced by
/// the golden-ratio increment and finalised by a bijective mixer. It seeds `SeededGenerator`,
/// derives the seeds of a sweep's networks (`RandomNetworkGenerator.derivedSeed`) and drives
/// the tests' own generator (`LipschitzTestSupport.TestRandom`).
public enum SplitMix64 {
    /// Advances `state` and returns the next output.
    public static func next(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The output that follows state `x`: a well-mixed 64-bit hash of `x`.
    public static func mix(_ x: UInt64) -> UInt64 {
        var state = x
        return next(&state)
    }
}
