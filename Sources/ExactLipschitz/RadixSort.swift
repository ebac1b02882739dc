/// Sorting the crossings of one line by position.
///
/// Each crossing is packed into one UInt64: the high 32 bits of its position's order-preserving
/// key, then its plane index. Sorting these orders the crossings by position up to ties in the
/// high bits (positions within about 2⁻²⁰ relative of each other), which one insertion pass
/// comparing the full positions then repairs: nearly sorted input makes that pass O(n).
enum CrossingSort {
    /// An unsigned integer whose order is the order of `x` (−0 sorts just below +0; NaN never occurs).
    @inline(__always)
    static func key(_ x: Double) -> UInt64 {
        let bits = x.bitPattern
        return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
    }

    /// The packed entry of plane `index` at `position`.
    @inline(__always)
    static func pack(_ position: Double, _ index: Int) -> UInt64 {
        (key(position) & 0xFFFF_FFFF_0000_0000) | UInt64(truncatingIfNeeded: index)
    }

    @inline(__always)
    static func index(_ packed: UInt64) -> Int { Int(truncatingIfNeeded: packed & 0xFFFF_FFFF) }

    /// Sorts `entries[0..<n]` by position (`positions[index]`); `scratch` holds n more and
    /// `histogram` 4 × 256 counters. Radix sort by the four key bytes, skipping bytes on which
    /// all keys agree, for long arrays; the standard sort for short ones; then the repair pass.
    static func sort(_ entries: UnsafeMutablePointer<UInt64>, _ n: Int, positions: UnsafePointer<Double>,
                     scratch: UnsafeMutablePointer<UInt64>, histogram: UnsafeMutablePointer<Int>) {
        if n < 256 {
            quickSort(entries, 0, n - 1)
        } else {
            radixSortHighWord(entries, n, scratch: scratch, histogram: histogram)
        }
        // Repair ties of the high key bits by the full positions.
        var i = 1
        while i < n {
            let e = entries[i], t = positions[index(e)]
            var j = i
            while j > 0 && positions[index(entries[j - 1])] > t {
                entries[j] = entries[j - 1]
                j -= 1
            }
            entries[j] = e
            i += 1
        }
    }

    /// Quicksort of `entries[low...high]` (median of three, insertion sort below 16 entries),
    /// recursing into the smaller part only: depth O(log n). The partition (Lomuto's, pivot
    /// moved to the end) swaps every entry with the boundary and advances the boundary by the
    /// comparison's result: no branch on the data, whose random order would defeat the branch
    /// predictor. Entries are distinct (the plane index is packed in), so parts shrink.
    private static func quickSort(_ entries: UnsafeMutablePointer<UInt64>, _ low: Int, _ high: Int) {
        var low = low, high = high
        while high - low >= 16 {
            let mid = low + (high - low) / 2
            if entries[mid] < entries[low] { swapEntries(entries, mid, low) }
            if entries[high] < entries[low] { swapEntries(entries, high, low) }
            if entries[high] < entries[mid] { swapEntries(entries, high, mid) }
            swapEntries(entries, mid, high)  // the median is the pivot, at the end
            let pivot = entries[high]
            var boundary = low
            for i in low..<high {
                let e = entries[i]
                entries[i] = entries[boundary]
                entries[boundary] = e
                boundary += e < pivot ? 1 : 0
            }
            swapEntries(entries, boundary, high)
            // entries[low..<boundary] < pivot = entries[boundary] < entries[(boundary + 1)...high]
            if boundary - low < high - boundary {
                quickSort(entries, low, boundary - 1); low = boundary + 1
            } else {
                quickSort(entries, boundary + 1, high); high = boundary - 1
            }
        }
        if high > low {
            for i in (low + 1)...high {
                let e = entries[i]
                var j = i
                while j > low && entries[j - 1] > e { entries[j] = entries[j - 1]; j -= 1 }
                entries[j] = e
            }
        }
    }

    @inline(__always)
    private static func swapEntries(_ entries: UnsafeMutablePointer<UInt64>, _ i: Int, _ j: Int) {
        let t = entries[i]; entries[i] = entries[j]; entries[j] = t
    }

    /// Sorts packed entries by their high 32 bits, then by index (no repair pass): for keys that
    /// are hashes rather than positions.
    static func sortPacked(_ entries: inout [UInt64]) {
        let n = entries.count
        guard n > 1 else { return }
        var scratch = [UInt64](repeating: 0, count: n), histogram = [Int](repeating: 0, count: 4 * 256)
        entries.withUnsafeMutableBufferPointer { e in
            scratch.withUnsafeMutableBufferPointer { s in
                histogram.withUnsafeMutableBufferPointer { h in
                    // Low word first (a stable radix pass per byte), then the high word.
                    for shift in stride(from: 0, to: 32, by: 8) { bytePass(e.baseAddress!, s.baseAddress!, n, shift: UInt64(shift), histogram: h.baseAddress!) }
                    radixSortHighWord(e.baseAddress!, n, scratch: s.baseAddress!, histogram: h.baseAddress!)
                }
            }
        }
    }

    private static func bytePass(_ entries: UnsafeMutablePointer<UInt64>, _ scratch: UnsafeMutablePointer<UInt64>, _ n: Int,
                                 shift: UInt64, histogram: UnsafeMutablePointer<Int>) {
        histogram.update(repeating: 0, count: 256)
        for i in 0..<n { histogram[Int((entries[i] >> shift) & 0xFF)] += 1 }
        var offset = 0
        for digit in 0..<256 { let c = histogram[digit]; histogram[digit] = offset; offset += c }
        for i in 0..<n {
            let digit = Int((entries[i] >> shift) & 0xFF)
            scratch[histogram[digit]] = entries[i]
            histogram[digit] += 1
        }
        entries.update(from: scratch, count: n)
    }

    private static func radixSortHighWord(_ entries: UnsafeMutablePointer<UInt64>, _ n: Int,
                                          scratch: UnsafeMutablePointer<UInt64>, histogram: UnsafeMutablePointer<Int>) {
        histogram.update(repeating: 0, count: 4 * 256)
        for i in 0..<n {
            let k = entries[i] >> 32
            for b in 0..<4 { histogram[b * 256 + Int((k >> (8 * UInt64(b))) & 0xFF)] += 1 }
        }
        var source = entries, target = scratch
        for b in 0..<4 {
            let counts = histogram + b * 256
            var single = false
            for digit in 0..<256 where counts[digit] == n { single = true }
            if single { continue }  // one digit: nothing moves
            var offset = 0
            for digit in 0..<256 { let c = counts[digit]; counts[digit] = offset; offset += c }
            let shift = 32 + 8 * UInt64(b)
            for i in 0..<n {
                let e = source[i]
                let digit = Int((e >> shift) & 0xFF)
                target[counts[digit]] = e
                counts[digit] += 1
            }
            swap(&source, &target)
        }
        if source != entries { entries.update(from: source, count: n) }
    }

    /// Sorts `entries[0..<n]` by their bits `low..<64` alone, stably (entries equal there keep
    /// their order): LSD radix with digits of at most 13 bits, as few passes as that allows and
    /// the bits shared evenly among them (39 bits: three of 13; 44: four of 11), one counting
    /// pass for every digit, digits on which all entries agree skipped. `scratch` holds n more.
    /// For packed keys (`OneInputBreakpoints`).
    static func sortHighBits(_ entries: UnsafeMutablePointer<UInt64>, _ n: Int, from low: Int, scratch: UnsafeMutablePointer<UInt64>) {
        let digits = (64 - low + 12) / 13
        guard digits > 0 else { return }
        let digitBits = (64 - low + digits - 1) / digits, radix = 1 << digitBits, mask = UInt64(radix - 1)
        guard n > 1 else { return }
        let histogram = UnsafeMutablePointer<Int>.allocate(capacity: digits * radix)
        defer { histogram.deallocate() }
        histogram.initialize(repeating: 0, count: digits * radix)
        let shift = UInt64(low)
        for i in 0..<n {
            let k = entries[i] >> shift
            for digit in 0..<digits { histogram[digit * radix + Int((k >> UInt64(digit * digitBits)) & mask)] += 1 }
        }
        var source = entries, target = scratch
        for digit in 0..<digits {
            let counts = histogram + digit * radix
            var offset = 0, single = false
            for value in 0..<radix {
                let c = counts[value]
                if c == n { single = true; break }
                counts[value] = offset
                offset += c
            }
            if single { continue }  // one value: nothing moves
            let digitShift = shift + UInt64(digit * digitBits)
            for i in 0..<n {
                let e = source[i]
                let value = Int((e >> digitShift) & mask)
                target[counts[value]] = e
                counts[value] += 1
            }
            swap(&source, &target)
        }
        if source != entries { entries.update(from: source, count: n) }
    }
}
