import XCTest
@testable import LipschitzModel
import LipschitzTestSupport

/// `PatternSplitBound`: never below the largest completion, never above its root's `JacobianBound`, and
/// with a budget large enough to split down to `JacobianBound`'s exhaustive leaves, exactly the
/// largest completion (so no leaf of the split tree is ever dropped).
extension JacobianBoundTests {
    func testPatternSplitSoundAndExactWhenFullySplit() throws {
        var rng = TestRandom(seed: 314)
        for widths in [[2, 4, 4, 1], [3, 3, 4, 2], [2, 3, 3, 3, 1], [3, 5, 4, 3], [2, 4, 5, 1]] {
            for trial in 0..<8 {
                let net = uniformRandomNetwork(widths, using: &rng)
                let states = trial == 0 ? allUnknown(net)
                                        : randomStates(net, rng: &rng, unknownShare: 7)
                let patterns = completions(states)
                let unknown = states.joined().filter { $0 == .unknown }.count
                for p in [LipschitzNorm.one, .two, .infinity] {
                    let truth = try patterns.map { try operatorNorm(net.jacobian(for: $0), p: p) }.max()!
                    for budget in [1, 3, 8, 40] {
                        for target in [0, truth / 2, truth, 2 * truth] {
                            let value = try PatternSplitBound.bound(network: net, states: states, p: p, target: target, budget: budget)
                            // Its root is this bound (which may stop early at the target).
                            let single = try JacobianBound.bound(network: net, states: states, p: p, target: target, hopelessRatio: .infinity)
                            let label = "\(widths) trial \(trial) ℓ\(p) budget \(budget) target \(target)"
                            XCTAssertGreaterThanOrEqual(value, truth * (1 - 1e-12), label)
                            XCTAssertLessThanOrEqual(value, single, label)
                        }
                    }
                    // Every node split down to at most 3 unknown neurons: 2^(unknown − 2) leaves.
                    let full = try PatternSplitBound.bound(network: net, states: states, p: p, target: 0,
                                                           budget: 1 << (unknown + 1))
                    assertRelativelyEqual(full, truth, 1e-9, "\(widths) trial \(trial) ℓ\(p) fully split")
                }
            }
        }
    }
}
