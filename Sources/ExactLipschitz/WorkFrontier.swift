import FoundationEssentials
import LipschitzModel

/// The pending subtrees of the parallel LP search, shared by its workers: a priority queue,
/// largest certified subtree bound first (ties: the older item first, so one thread always
/// takes the same order).
///
/// A worker takes the top item, searches it depth first and, when asked to yield (another
/// worker is idle, or the item has run its slice of nodes), hands the rest of its subtree back
/// as new items (`RegionEnumerator.run(_:yield:)`): the undecided sides of its path, each with
/// its own bound. That is work stealing (an idle thread gets part of a large subtree) and
/// best-first search over subtrees (the item with the largest bound, the one that holds the
/// anytime upper bound up, is refined next), so the certified interval narrows while a large
/// subtree is searched, not only when it ends.
///
/// Bookkeeping of the interval: an item's bounds are registered in `SharedSearchState` as
/// pending when it is queued and removed only after its children are registered
/// (`SharedSearchState.finishTask`), so at any time every region not yet offered lies in a
/// pending item, a pruned subtree (below the best value) or a part bounded as unexplored.
final class WorkFrontier: @unchecked Sendable {
    struct Item {
        let id: Int
        /// Certified bounds (per norm) on ‖J‖ over every region of the subtree.
        let bounds: [Double]
        let task: SearchTask
        /// How `bounds` was computed: the staged bound capped by the parent's (`.staged`), every
        /// stage of `JacobianBound` (`.full`), or branching in pattern space on top (`.split`).
        var refinement = Refinement.staged
    }

    private let condition = Condition()
    private var heap: [Item] = []
    private var running = 0
    private var waiting = 0
    private var nextID = 0

    enum Refinement: Int, Comparable {
        case staged, full, split
        static func < (a: Refinement, b: Refinement) -> Bool { a.rawValue < b.rawValue }
    }

    /// Items for `tasks`, with fresh ids, not yet queued: the caller registers them as pending
    /// first (`publish` then makes them available).
    func reserve(_ tasks: [(bounds: [Double], task: SearchTask)], refinement: Refinement = .staged) -> [Item] {
        condition.lock(); defer { condition.unlock() }
        return tasks.map { entry -> Item in
            defer { nextID += 1 }
            return Item(id: nextID, bounds: entry.bounds, task: entry.task, refinement: refinement)
        }
    }

    /// The largest first bound still queued (−∞ when none).
    var topBound: Double {
        condition.lock(); defer { condition.unlock() }
        return heap.first?.bounds[0] ?? -.infinity
    }

    func publish(_ items: [Item]) {
        condition.lock(); defer { condition.unlock() }
        for item in items { push(item) }
        if !items.isEmpty { condition.broadcast() }
    }

    /// The item with the largest bound; waits while the queue is empty and another worker may
    /// still hand work back; nil when the queue is empty and no worker is running.
    func take() -> Item? {
        condition.lock(); defer { condition.unlock() }
        while heap.isEmpty {
            if running == 0 { return nil }
            waiting += 1
            condition.wait()
            waiting -= 1
        }
        running += 1
        return pop()
    }

    /// The worker that took an item is done with it (its children, if any, already added).
    func finish() {
        condition.lock(); defer { condition.unlock() }
        running -= 1
        condition.broadcast()
    }

    /// Whether a worker is waiting for work: a running item should hand part of itself back.
    var hasIdleWorker: Bool {
        condition.lock(); defer { condition.unlock() }
        return waiting > 0
    }

    // MARK: - Binary heap

    private static func before(_ a: Item, _ b: Item) -> Bool {
        a.bounds[0] != b.bounds[0] ? a.bounds[0] > b.bounds[0] : a.id < b.id
    }

    private func push(_ item: Item) {
        heap.append(item)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private func pop() -> Item {
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var first = parent
            if left < heap.count, Self.before(heap[left], heap[first]) { first = left }
            if right < heap.count, Self.before(heap[right], heap[first]) { first = right }
            if first == parent { break }
            heap.swapAt(parent, first)
            parent = first
        }
        return top
    }
}
