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
}

/// An LSD radix sort of packed entries by their bits `low..<64` alone, stably (entries equal
/// there keep their order), for `OneInputBreakpoints`: digits of at most 13 bits, as few passes
/// as that allows and the bits shared evenly among them (39 bits: three of 13; 44: four of 11),
/// one counting pass for every digit, digits on which all entries agree skipped.
///
/// It runs in two steps so that two sorts can share two buffers: `gather` reads the entries
/// from segments of one buffer and writes them, moved by the first digit, to `out` in the
/// other; `finish` applies the remaining digits between `out` and a scratch range of the first
/// buffer, which the other sort may still be reading until its own `gather` has returned.
struct HighBitsSort {
    let shift: UInt64, digits: Int, digitBits: Int, radix: Int
    private let histogram: UnsafeMutablePointer<Int>
    /// The first digit `finish` applies, and the entries gathered.
    private var next = 0, count = 0

    init(from low: Int) {
        shift = UInt64(low)
        digits = (64 - low + 12) / 13
        digitBits = digits > 0 ? (64 - low + digits - 1) / digits : 0
        radix = 1 << digitBits
        histogram = .allocate(capacity: max(1, digits * radix))
    }

    func deallocate() { histogram.deallocate() }

    /// Counts every digit of the segments' entries and writes them to out[0..<n] (n their total),
    /// moved by the lowest digit on which they differ (copied when they agree on every digit).
    mutating func gather(_ segments: [(start: UnsafePointer<UInt64>, count: Int)], into out: UnsafeMutablePointer<UInt64>) {
        count = segments.reduce(0) { $0 + $1.count }
        histogram.initialize(repeating: 0, count: max(1, digits * radix))
        for segment in segments { countDigits(segment.start, segment.count) }
        next = 0
        while next < digits {
            let digit = next
            next += 1
            guard offsets(digit) else { continue }
            // The offsets are the whole sort's: the segments fill one output.
            for segment in segments { move(segment.start, segment.count, into: out, digit: digit) }
            return
        }
        var written = 0
        for segment in segments { (out + written).update(from: segment.start, count: segment.count); written += segment.count }
    }

    /// The digits after the one `gather` applied, between out and scratch (n entries each);
    /// the sorted entries end in out.
    func finish(_ out: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>) {
        var source = out, target = scratch
        for digit in next..<digits {
            guard offsets(digit) else { continue }
            move(source, count, into: target, digit: digit)
            swap(&source, &target)
        }
        if source != out { out.update(from: source, count: count) }
    }

    private func countDigits(_ entries: UnsafePointer<UInt64>, _ n: Int) {
        let mask = UInt64(radix - 1), bits = UInt64(digitBits)
        if digits == 3 {
            // The usual case (39 bits), unrolled: the loop over digits cost as much as the counts.
            let h0 = histogram, h1 = histogram + radix, h2 = histogram + 2 * radix
            for i in 0..<n {
                let k = entries[i] >> shift
                h0[Int(k & mask)] += 1
                h1[Int((k >> bits) & mask)] += 1
                h2[Int((k >> (2 * bits)) & mask)] += 1
            }
            return
        }
        for i in 0..<n {
            let k = entries[i] >> shift
            for digit in 0..<digits { histogram[digit * radix + Int((k >> UInt64(digit * digitBits)) & mask)] += 1 }
        }
    }

    /// Turns the digit's counts into starting offsets; false when one value holds every entry
    /// (nothing would move: the digit is skipped).
    private func offsets(_ digit: Int) -> Bool {
        let counts = histogram + digit * radix
        var offset = 0
        for value in 0..<radix {
            let c = counts[value]
            if c == count { return false }
            counts[value] = offset
            offset += c
        }
        return true
    }

    /// Moves n entries to their digit's next offset in `target` (a stable counting pass).
    private func move(_ source: UnsafePointer<UInt64>, _ n: Int, into target: UnsafeMutablePointer<UInt64>, digit: Int) {
        let counts = histogram + digit * radix, mask = UInt64(radix - 1)
        let digitShift = shift + UInt64(digit * digitBits)
        for i in 0..<n {
            let e = source[i]
            let value = Int((e >> digitShift) & mask)
            target[counts[value]] = e
            counts[value] += 1
        }
    }
}
