import FoundationEssentials

/// Best-first branch and bound over the unknown indicators of a partial pattern, in pattern
/// space (no geometry, no LP), that can be advanced a little at a time: its `bound` is sound
/// after every step and only falls. `PatternSplitBound` runs one to a budget; the exact search
/// keeps one over the whole network as a cap on its anytime interval (`PatternCap`).
///
/// ## Why it is sound
///
/// Fixing an unknown neuron to active in one child and inactive in the other splits the set of
/// completions of a partial pattern into two disjoint sets, so the completions of the root are
/// the union of those of the leaves of any such tree, and max over them of ‖J‖ is the largest
/// leaf maximum. Every leaf is bounded by `JacobianBound.bound` (sound for every completion of
/// its states; a child also keeps its parent's bound, which holds for its completions too), so
/// the largest leaf bound is a sound bound for the root. A leaf bounded by at most the target is
/// closed (kept only as `closedMaximum`); the open leaves keep the bounds they have whenever
/// the work stops. Nothing depends on which completions are real regions: it bounds a superset,
/// like `JacobianBound`.
///
/// ## Representation
///
/// The unknown neurons are split in one fixed `order`, so a leaf is the number t of them
/// decided and t bits (active = 1): a few words, not a pattern, which lets a long-lived tree
/// hold hundreds of thousands of leaves. The open leaves form a binary max-heap on their bounds.
public final class PatternBoundTree {
    public let network: ReLUNetwork
    public let p: LipschitzNorm
    /// The partial pattern at the root.
    public let root: [[NeuronState]]
    /// The root's unknown neurons (layer, index), in the order they are split.
    public let order: [(layer: Int, index: Int)]
    /// The root's bound: the answer never exceeds it.
    public let rootBound: Double
    /// `JacobianBound.bound` calls so far, the root's included.
    public private(set) var evaluations = 1
    /// The largest bound of a closed leaf (−∞ when none is).
    public private(set) var closedMaximum = -Double.infinity
    /// At most this many open leaves: at the cap the tree stops splitting (its bound still holds).
    public let leafCapacity: Int
    private var open: [Leaf] = []
    private let cache: FoldCache?

    struct Leaf {
        var decided: Int
        var bits: [UInt64]
        var bound: Double
    }

    /// Which unknown neurons a root's tree splits first.
    public enum SplitOrder: Sendable {
        /// The deepest hidden layer first (measured slower than the first layer first, both from
        /// the root and inside the search's subtrees: `PatternSplitBound`, `PatternCap`).
        case deepestLayerFirst
        /// The first hidden layer first, in index order (the LP search's order; `PatternCap` and
        /// `PatternSplitBound`).
        case shallowestLayerFirst
    }

    /// The tree of one leaf, the root, bounded with target `target` (see `advance`).
    public init(network: ReLUNetwork, states: [[NeuronState]], p: LipschitzNorm, order: SplitOrder, target: Double,
                leafCapacity: Int = 1 << 18, cache: FoldCache? = nil) throws {
        self.network = network
        self.p = p
        self.root = states
        self.leafCapacity = leafCapacity
        self.cache = cache
        let layers = order == .deepestLayerFirst ? Array(states.indices.reversed()) : Array(states.indices)
        self.order = layers.flatMap { k in states[k].indices.filter { states[k][$0] == .unknown }.map { (layer: k, index: $0) } }
        rootBound = try JacobianBound.bound(network: network, states: states, p: p, target: target,
                                            hopelessRatio: .infinity, cache: cache)
        let leaf = Leaf(decided: 0, bits: Array(repeating: 0, count: (self.order.count + 63) / 64), bound: rootBound)
        if rootBound <= target { closedMaximum = rootBound } else { open = [leaf] }
    }

    /// A sound bound on ‖J‖_{p→p} over every completion of the root: the largest bound of an
    /// open leaf, or of a closed one when none is open; never above the root's bound.
    public var bound: Double { min(rootBound, max(closedMaximum, open.first?.bound ?? -.infinity)) }

    /// Open leaves now.
    public var openLeaves: Int { open.count }

    /// Whether splitting can still lower `bound`: an open leaf has more than
    /// `JacobianBound.defaultExhaustiveLimit` unknown neurons (with fewer its bound is the exact
    /// maximum over its completions), and the leaf capacity is not reached.
    public var canAdvance: Bool {
        guard let top = open.first else { return false }
        return order.count - top.decided > JacobianBound.defaultExhaustiveLimit && open.count < leafCapacity
    }

    /// Splits the open leaf of largest bound, best first, at most `evaluations` more bounds;
    /// leaves bounded by at most `target` are closed. `shouldStop`, asked before every split,
    /// ends the work early. The target may differ from call to call (a search's best value
    /// rises): a leaf closed earlier was at most an earlier target, and is never reopened.
    public func advance(target: Double, evaluations budget: Int, shouldStop: (() -> Bool)? = nil) throws {
        let limit = evaluations + budget
        while evaluations + 2 <= limit, canAdvance, !(shouldStop?() ?? false) {
            let parent = popTop()
            if parent.bound <= target { closedMaximum = max(closedMaximum, parent.bound); continue }
            do { try split(parent, target: target) } catch {
                push(parent)  // its bound holds for both children: the tree stays sound
                throw error
            }
        }
    }

    /// Bounds both children of a popped leaf, keeping those above `target` open.
    private func split(_ parent: Leaf, target: Double) throws {
        for active in [true, false] {
            var child = parent
            child.decided += 1
            if active { child.bits[parent.decided / 64] |= 1 << UInt64(parent.decided % 64) }
            evaluations += 1
            child.bound = min(parent.bound, try JacobianBound.bound(network: network, states: states(of: child), p: p,
                                                                     target: target, hopelessRatio: .infinity, cache: cache))
            if child.bound <= target { closedMaximum = max(closedMaximum, child.bound) } else { push(child) }
        }
    }

    /// The root's states with the leaf's decided neurons fixed.
    private func states(of leaf: Leaf) -> [[NeuronState]] {
        var states = root
        for t in 0..<leaf.decided {
            let (k, i) = order[t]
            states[k][i] = leaf.bits[t / 64] & (1 << UInt64(t % 64)) != 0 ? .active : .inactive
        }
        return states
    }

    // MARK: - The max-heap of open leaves

    private func push(_ leaf: Leaf) {
        open.append(leaf)
        var child = open.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard open[parent].bound < open[child].bound else { break }
            open.swapAt(parent, child)
            child = parent
        }
    }

    private func popTop() -> Leaf {
        let top = open[0]
        let last = open.removeLast()
        guard !open.isEmpty else { return top }
        open[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var largest = parent
            if left < open.count, open[left].bound > open[largest].bound { largest = left }
            if right < open.count, open[right].bound > open[largest].bound { largest = right }
            guard largest != parent else { return top }
            open.swapAt(parent, largest)
            parent = largest
        }
    }
}
