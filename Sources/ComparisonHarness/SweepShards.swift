import ExactLipschitz
import FoundationEssentials
import LipschitzModel

/// The partition of a comparison run (`compare --shard K/N`) into N parts of similar cost.
///
/// Networks are identified by their index in the run's canonical order (a sweep's cell-by-cell
/// order, a suite's sorted file names). Each is dealt, most expensive first (ties: lower index
/// first), to the part with the least cost so far (ties: the lower part) — the classic
/// longest-processing-time rule, within 4/3 of the best balance. The cost is the region bound
/// Σ_{i≤d} C(K, i) of the network's K hidden neurons: the exact search's work grows with the
/// regions, everything else in a comparison is cheap beside it. The rule uses nothing but the
/// costs, so every machine deals the same parts.
public enum WorkPartition {
    /// The indices part `shard` owns, in canonical order.
    public static func owned(costs: [Double], shard: Shard) -> [Int] {
        if shard.count == 1 { return Array(costs.indices) }
        let order = costs.indices.sorted { costs[$0] != costs[$1] ? costs[$0] > costs[$1] : $0 < $1 }
        var heap = PartHeap(count: shard.count)
        var mine: [Int] = []
        for index in order where heap.assign(cost: costs[index]) == shard.index - 1 { mine.append(index) }
        return mine.sorted()
    }

    /// The cost of one network: its region bound (as a double, so that it cannot overflow).
    public static func cost(inputDimension d: Int, hiddenNeurons k: Int) -> Double {
        Double(SweepPlan.regionBound(d: d, width: k, depth: 1))
    }

    /// A min-heap of (load, part): `assign` gives the next item to the least loaded part.
    private struct PartHeap {
        var items: [(load: Double, part: Int)]
        init(count: Int) { items = (0..<count).map { (0, $0) } }

        private func less(_ a: Int, _ b: Int) -> Bool {
            items[a].load != items[b].load ? items[a].load < items[b].load : items[a].part < items[b].part
        }

        mutating func assign(cost: Double) -> Int {
            let part = items[0].part
            items[0].load += cost
            var i = 0
            while true {  // sift down
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count, less(l, m) { m = l }
                if r < items.count, less(r, m) { m = r }
                if m == i { return part }
                items.swapAt(i, m)
                i = m
            }
        }
    }
}

/// What a part of a comparison run records about its place in the whole (the "shard" key of
/// `compare --shard K/N --json`).
public struct ComparisonShard: Sendable, Equatable {
    public let shard: Shard
    /// Networks in the whole run.
    public let networks: Int
    /// The canonical indices of this part's networks, in the order of its results.
    public let indices: [Int]
    /// False when the part was stopped (a signal) before all of its networks were run.
    public let complete: Bool

    public init(shard: Shard, networks: Int, indices: [Int], complete: Bool) {
        self.shard = shard
        self.networks = networks
        self.indices = indices
        self.complete = complete
    }

    var json: String {
        "{\"index\": \(shard.index), \"count\": \(shard.count), \"networks\": \(networks), \"complete\": \(complete), "
            + "\"indices\": [\(indices.map(String.init).joined(separator: ", "))]}"
    }
}
