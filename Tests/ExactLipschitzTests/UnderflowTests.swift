import ExactLipschitz
import Foundation
import LipschitzModel
import LipschitzTestSupport
import XCTest

/// Products of weights that underflow. The search forms each layer's pre-activation map as
/// products of weights (`RegionEnumerator.advanceLayer`); a product of non-zero doubles can
/// round to 0 (1e-200 · 1e-200), and such a row was taken for an exact zero: a neuron that
/// switches was fixed as constant and inactive, its regions were lost, and
/// Φ(x) = c·relu(b·relu(a·x + β)) with a = b = 1e-200, c = 1e300 was certified "exact" with
/// constant 0 instead of |c·b·a| = 1e-100. The exact test's composed rows (`ComposedRows`)
/// likewise took an underflowed product, whose FMA residual also rounds to 0, for an exact one.
///
/// Expected values are computed by hand (the brute force's rational simplex cannot take rows
/// scaled by 2^700): with β > 0 the first neuron is active on x > −β/a, and the second,
/// b·relu(a·x + β) with b > 0, exactly where the first is; globally there are 2 regions, with
/// Jacobians 0 and c·b·a; in a box where a·x + β > 0 throughout, 1 region.
final class UnderflowTests: XCTestCase {
    private let configurations: [(SearchMethod, Bool, Int)] = [SearchMethod.automatic, .linearPrograms, .plain].flatMap { m in
        [false, true].flatMap { p in [1, 2].map { (m, p, $0) } }
    }

    func testChainsWhoseWeightProductsUnderflow() throws {
        var rng = TestRandom(seed: 913)
        var exact = 0, inexact = 0
        for trial in 0..<12 {
            let a = pow(10, -155 - 60 * rng.uniform()), b = pow(10, -155 - 60 * rng.uniform())
            let c = pow(10, 250 + 50 * rng.uniform()) * (rng.bool() ? 1 : -1)
            let beta = pow(10, -2 + 4 * rng.uniform())
            XCTAssertEqual(a * b * 0x1p60 * 0x1p60, 0, "the product must underflow")
            let d = rng.int(1...2)
            // Extra inputs get zero weights: the same regions in every dimension.
            let first = [[a] + Array(repeating: 0.0, count: d - 1)]
            let net = network([(first, [beta]), ([[b]], [0]), ([[c]], [0])], name: "underflow \(trial)")
            let expected = abs(c * b) * a
            let box = try InputBox(uniform: -beta / a / 2, beta / a / 2, dimension: d)
            for (method, prune, threads) in configurations {
                for (domain, regions) in [(nil, 2), (box, 1)] as [(InputBox?, Int)] {
                    var options = ExactOptions(norms: [.one, .two, .infinity], box: domain)
                    options.method = method
                    options.prune = prune
                    options.threads = threads
                    let label = "trial \(trial), d \(d), \(method), prune \(prune), \(threads) threads, \(domain == nil ? "global" : "box")"
                    let report = try ExactSearch.compute(net, options: options)
                    if report.isExact {
                        exact += 1
                        for bound in report.bounds {
                            // Relative only (`assertRelativelyEqual` has an absolute floor far above 1e-100).
                            XCTAssertLessThanOrEqual(abs(bound.value - expected), 1e-9 * expected, "\(bound.value) vs \(expected), \(label)")
                        }
                        if !prune { XCTAssertEqual(report.regions, regions, label) }
                    } else {
                        inexact += 1
                        // An honest interval is allowed (the exact simplex may refuse such rows); it must hold the constant.
                        for bound in report.bounds {
                            XCTAssertLessThanOrEqual(bound.lower, expected * (1 + 1e-9), label)
                            XCTAssertGreaterThanOrEqual(bound.upper, expected * (1 - 1e-9), label)
                        }
                    }
                }
            }
        }
        // Today every one is an honest interval: the exact simplex refuses rows scaled beyond 2^600
        // (`LinearProgram.largestExactMagnitude`), and the neuron whose row underflowed needs it.
        print("UnderflowTests: \(exact) exact, \(inexact) honest intervals")
    }
}
