/// Increasing k-subsets of `0..<n` in lexicographic order, by rank or one after another.
///
/// The sweep names its lines by the (d − 1)-subsets of the planes; ranks let workers and shards
/// start anywhere in that order without walking to it.
enum Subsets {
    /// C(n, k), saturating at `Int.max` (only ever compared with ranks that fit).
    static func binomial(_ n: Int, _ k: Int) -> Int {
        guard k >= 0, k <= n else { return 0 }
        let k = min(k, n - k)
        var result = 1
        for i in 0..<k {
            let (product, overflow) = result.multipliedReportingOverflow(by: n - i)
            if overflow { return Int.max }
            result = product / (i + 1)  // exact: a product of i + 1 consecutive integers
        }
        return result
    }

    /// The subset of rank `rank` (0-based, lexicographic) among the k-subsets of `0..<n`.
    static func unrank(_ rank: Int, n: Int, k: Int) -> [Int] {
        var subset: [Int] = []
        subset.reserveCapacity(k)
        var rank = rank, next = 0
        for position in 0..<k {
            // Skip every subset whose element at `position` is below the answer's.
            while true {
                let withNext = binomial(n - next - 1, k - position - 1)
                if rank < withNext { break }
                rank -= withNext
                next += 1
            }
            subset.append(next)
            next += 1
        }
        return subset
    }

    /// Moves `subset` to its lexicographic successor among the k-subsets of `0..<n`; false
    /// after the last one (the subset is then left unchanged).
    @discardableResult
    static func advance(_ subset: inout [Int], n: Int) -> Bool {
        let k = subset.count
        var i = k - 1
        while i >= 0 && subset[i] == n - k + i { i -= 1 }
        if i < 0 { return false }
        subset[i] += 1
        for j in (i + 1)..<k { subset[j] = subset[j - 1] + 1 }
        return true
    }

    /// Calls `body` with every k-subset of `0..<n` in order; stops when it returns false.
    @discardableResult
    static func forEach(n: Int, k: Int, body: ([Int]) -> Bool) -> Bool {
        guard k >= 0, k <= n else { return true }
        var subset = Array(0..<k)
        repeat {
            if !body(subset) { return false }
        } while advance(&subset, n: n)
        return true
    }
}
