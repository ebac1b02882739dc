import LipschitzModel

/// Exact comparisons of the breakpoints t = −b/w of one-input neurons (w ≠ 0), from the
/// network's own doubles.
///
/// The computed t̂ = fl(−b/w) is the correctly rounded quotient, and rounding is monotone
/// (x ≤ y ⇒ fl(x) ≤ fl(y)), so t̂_i < t̂_j proves t_i < t_j and t̂ < c proves t < c for a
/// double c: the order of different computed breakpoints is exact. Only equal computed values
/// need the exact test, which compares products: x₁y₁ against x₂y₂ is decided by their rounded
/// values when these differ (monotonicity again) and otherwise by the products' rounding
/// errors fma(x, y, −fl(xy)), which are exact doubles when no underflow intervenes (the error
/// of a product is representable once |fl(xy)| ≥ 2⁻⁹⁶⁹; Boldo & Muller). The rest (products
/// that overflow or underflow) is decided as the 2 × 2 determinant det[x₁ x₂; y₂ y₁] =
/// x₁y₁ − x₂y₂ in integers (`ExactDeterminant`); only non-finite inputs are undecided: nil.
enum BreakpointOrder {
    /// The sign of x₁y₁ − x₂y₂ in exact arithmetic, or nil when an input is not finite.
    static func compareProducts(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double) -> Int? {
        let p1 = x1 * y1, p2 = x2 * y2
        if p1 < p2 { return -1 }
        if p1 > p2 { return 1 }
        guard p1.isFinite, abs(p1) >= 0x1p-969 || p1 == 0 else { return exactly(x1, y1, x2, y2) }
        if p1 == 0 {
            // Both rounded to zero: zero exactly when a factor is zero on each side.
            guard (x1 == 0 || y1 == 0) && (x2 == 0 || y2 == 0) else { return exactly(x1, y1, x2, y2) }
            return 0
        }
        let e1 = (-p1).addingProduct(x1, y1), e2 = (-p2).addingProduct(x2, y2)
        return e1 < e2 ? -1 : (e1 > e2 ? 1 : 0)
    }

    /// The rare products beyond the FMA test, with GMP integers (a kernel per call: thread-safe).
    @inline(never)
    private static func exactly(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double) -> Int? {
        ExactDeterminant(capacity: 2).sign([x1, x2, y2, y1], 2)
    }

    /// The sign of t_i − t_j for t = −b/w (both w ≠ 0): (b_j w_i − b_i w_j)/(w_i w_j).
    static func compare(_ bi: Double, _ wi: Double, _ bj: Double, _ wj: Double) -> Int? {
        guard let s = compareProducts(bj, wi, bi, wj) else { return nil }
        return (wi > 0) == (wj > 0) ? s : -s
    }

    /// The sign of t − c for t = −b/w (w ≠ 0) and a double c: −(c·w + b)/w.
    static func compare(_ b: Double, _ w: Double, with c: Double) -> Int? {
        guard let s = compareProducts(c, w, -b, 1) else { return nil }
        return w > 0 ? -s : s
    }

    /// The computed breakpoint, −0 made +0 so that equal values have equal keys.
    @inline(__always)
    static func breakpoint(_ b: Double, _ w: Double) -> Double { -b / w + 0.0 }
}

/// Where a neuron's breakpoint lies relative to the open domain (lo, hi).
enum BreakpointSide {
    /// t ≤ lo: crossed before the domain starts (its step is in the starting gradient).
    case crossed
    /// lo < t < hi: a vertex of the sweep.
    case inside
    /// t ≥ hi: never crossed.
    case beyond
}

/// The breakpoints inside the domain in certified order, packed as UInt64: the high
/// 64 − `indexBits` bits of the order-preserving key of t̂ (`CrossingSort.key`), then the
/// neuron's index. `joined` lists the sorted positions whose breakpoint equals (exactly) the
/// one before: coincident breakpoints are one vertex. `spare` is a second buffer of the same
/// size (the sort's target, with the entries as its scratch; `swapBuffers` makes it the entries).
struct OneInputBreakpoints {
    var count = 0
    let indexBits: Int
    /// The radix sort orders the entries by their bits `sortShift..<64` alone, the top
    /// `sortedKeyBits` bits of the key (sign, exponent, 27 bits of mantissa: three passes of 13
    /// bits); entries equal there (breakpoints within about 2⁻²⁷ relative, rare) are put in
    /// order afterwards by their whole value and, where the packed key bits are equal too, exactly.
    let sortShift: Int
    static let sortedKeyBits = 39
    private(set) var entries: UnsafeMutablePointer<UInt64>
    private(set) var spare: UnsafeMutablePointer<UInt64>
    /// Ascending positions p with t(entry p) = t(entry p − 1) exactly.
    var joined: [Int] = []
    /// Distinct breakpoints inside the domain: the vertices.
    var vertices = 0

    init(neurons: Int) {
        indexBits = max(1, Int.bitWidth - max(1, neurons - 1).leadingZeroBitCount)
        sortShift = max(indexBits, 64 - Self.sortedKeyBits)
        entries = .allocate(capacity: max(1, neurons))
        spare = .allocate(capacity: max(1, neurons))
    }

    func deallocate() { entries.deallocate(); spare.deallocate() }

    mutating func swapBuffers() { swap(&entries, &spare) }

    @inline(__always) var mask: UInt64 { (1 << UInt64(indexBits)) - 1 }

    @inline(__always) func index(_ position: Int) -> Int { Int(truncatingIfNeeded: entries[position] & mask) }

    @inline(__always) func pack(_ t: Double, _ index: Int) -> UInt64 {
        ((CrossingSort.key(t) >> UInt64(indexBits)) << UInt64(indexBits)) | UInt64(index)
    }

    /// True when entries p − 1 and p share their truncated keys (then only the full values decide).
    @inline(__always) func sameHighBits(_ p: Int) -> Bool { (entries[p] ^ entries[p - 1]) >> UInt64(indexBits) == 0 }

    /// True when entries p − 1 and p share the bits the radix sort orders by.
    @inline(__always) func sameSortedBits(_ p: Int) -> Bool { (entries[p] ^ entries[p - 1]) >> UInt64(sortShift) == 0 }

    /// The index in `joined` of the first joined position ≥ p (binary search).
    func firstJoin(atOrAfter p: Int) -> Int {
        var low = 0, high = joined.count
        while low < high { let mid = (low + high) / 2; if joined[mid] < p { low = mid + 1 } else { high = mid } }
        return low
    }
}
