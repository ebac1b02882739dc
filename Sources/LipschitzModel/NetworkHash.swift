extension ReLUNetwork {
    /// A fingerprint of the network's numbers: FNV-1a (64 bit) over the architecture and the
    /// bit pattern of every weight and bias, in layer order, as 16 hex digits. Equal networks
    /// have equal hashes on every machine (no `Hasher` seed, no formatting of numbers); the
    /// name is left out, so a renamed copy is the same network. It identifies, it does not
    /// authenticate: sharded results use it to refuse merging parts of different networks.
    public var contentHash: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ word: UInt64) {
            for byte in 0..<8 {
                hash ^= (word >> (8 * UInt64(byte))) & 0xff
                hash = hash &* 0x0000_0100_0000_01b3
            }
        }
        for size in architecture { mix(UInt64(size)) }
        for layer in layers {
            for value in layer.weights.storage { mix(value.bitPattern) }
            for value in layer.biases { mix(value.bitPattern) }
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
