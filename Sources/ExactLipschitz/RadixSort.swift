/// Sorting the crossings of one line by position: keys are doubles mapped to order-preserving
/// unsigned integers, values are plane indices.
enum CrossingSort {
    /// An unsigned integer whose order is the order of `x` (−0 sorts just below +0; NaN never occurs).
    @inline(__always)
    static func key(_ x: Double) -> UInt64 {
        let bits = x.bitPattern
        return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
    }

    /// Sorts `keys[0..<n]` ascending, permuting `values` alongside; `scratchKeys` and
    /// `scratchValues` hold n more. Least-significant-digit radix sort by bytes, skipping the
    /// bytes on which all keys agree (the sign and exponent often do): O(n) per pass. Short
    /// arrays use insertion sort.
    static func sort(_ keys: UnsafeMutablePointer<UInt64>, _ values: UnsafeMutablePointer<UInt32>, _ n: Int,
                     scratchKeys: UnsafeMutablePointer<UInt64>, scratchValues: UnsafeMutablePointer<UInt32>) {
        if n < 96 { insertionSort(keys, values, n); return }
        var counts = [Int](repeating: 0, count: 8 * 256)
        counts.withUnsafeMutableBufferPointer { c in
            for i in 0..<n {
                let k = keys[i]
                for b in 0..<8 { c[b * 256 + Int((k >> (8 * UInt64(b))) & 0xFF)] += 1 }
            }
            var sourceKeys = keys, sourceValues = values, targetKeys = scratchKeys, targetValues = scratchValues
            for b in 0..<8 {
                let histogram = c.baseAddress! + b * 256
                if (0..<256).contains(where: { histogram[$0] == n }) { continue }  // one digit: nothing moves
                var offset = 0
                for digit in 0..<256 { let count = histogram[digit]; histogram[digit] = offset; offset += count }
                let shift = 8 * UInt64(b)
                for i in 0..<n {
                    let k = sourceKeys[i]
                    let digit = Int((k >> shift) & 0xFF)
                    let to = histogram[digit]
                    histogram[digit] = to + 1
                    targetKeys[to] = k
                    targetValues[to] = sourceValues[i]
                }
                swap(&sourceKeys, &targetKeys)
                swap(&sourceValues, &targetValues)
            }
            if sourceKeys != keys {
                keys.update(from: sourceKeys, count: n)
                values.update(from: sourceValues, count: n)
            }
        }
    }

    static func insertionSort(_ keys: UnsafeMutablePointer<UInt64>, _ values: UnsafeMutablePointer<UInt32>, _ n: Int) {
        guard n > 1 else { return }
        for i in 1..<n {
            let k = keys[i], v = values[i]
            var j = i
            while j > 0 && keys[j - 1] > k {
                keys[j] = keys[j - 1]
                values[j] = values[j - 1]
                j -= 1
            }
            keys[j] = k
            values[j] = v
        }
    }
}
