import XCTest
@testable import LipschitzModel
import LipschitzTestSupport

/// `PatternBoundTree`, advanced a little at a time as the search's cap does: after every step
/// its bound is at least the largest completion (whatever the targets, rising or falling, and
/// the leaf capacity), never above the root's bound, never rising; fully advanced with target 0
/// it is exactly the largest completion (no leaf is ever dropped), in both split orders.
extension JacobianBoundTests {
    func testPatternBoundTreeSoundAtEveryStep() throws {
        var rng = TestRandom(seed: 2718)
        for widths in [[2, 4, 4, 1], [3, 3, 4, 2], [2, 3, 3, 3, 1], [3, 5, 4, 3], [1, 4, 3, 2]] {
            for trial in 0..<6 {
                let net = uniformRandomNetwork(widths, using: &rng)
                let states = trial % 2 == 0 ? allUnknown(net)
                                            : randomStates(net, rng: &rng, unknownShare: 7)
                let unknown = states.joined().filter { $0 == .unknown }.count
                for p in [LipschitzNorm.one, .two, .infinity] {
                    let truth = try largestCompletion(net, states, p: p)
                    for order in [PatternBoundTree.SplitOrder.shallowestLayerFirst, .deepestLayerFirst] {
                        let label = "\(widths) trial \(trial) ℓ\(p) \(order)"
                        let tree = try PatternBoundTree(network: net, states: states, p: p, order: order, target: 0,
                                                        leafCapacity: trial == 5 ? 3 : 1 << 18)
                        var last = tree.rootBound
                        // Targets as a search's best value moves: below, at and above the truth.
                        for (step, target) in [0, truth / 2, truth, 0, 2 * truth, truth * 0.9].enumerated() {
                            try tree.advance(target: target, evaluations: 1 + step * 3)
                            XCTAssertGreaterThanOrEqual(tree.bound, truth * (1 - 1e-12), "\(label) step \(step)")
                            XCTAssertLessThanOrEqual(tree.bound, last, "\(label) step \(step): the bound only falls")
                            XCTAssertLessThanOrEqual(tree.openLeaves, tree.leafCapacity, label)
                            last = tree.bound
                        }
                        guard trial != 5 else { continue }
                        let full = try PatternBoundTree(network: net, states: states, p: p, order: order, target: 0)
                        try full.advance(target: 0, evaluations: 1 << (unknown + 1))
                        XCTAssertFalse(full.canAdvance, label)
                        assertRelativelyEqual(full.bound, truth, 1e-9, "\(label) fully split")
                    }
                }
            }
        }
    }

    /// A tree whose work is stopped before the first split keeps the root's bound.
    func testPatternBoundTreeStoppedKeepsItsBound() throws {
        var rng = TestRandom(seed: 99)
        let net = uniformRandomNetwork([3, 6, 5, 1], using: &rng)
        let states = allUnknown(net)
        let tree = try PatternBoundTree(network: net, states: states, p: .two, order: .shallowestLayerFirst, target: 0)
        try tree.advance(target: 0, evaluations: 1000) { true }
        XCTAssertEqual(tree.bound, tree.rootBound)
        XCTAssertEqual(tree.evaluations, 1)
    }
}
