@testable import ExactLipschitz
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

    /// Region values formed in floating point can underflow: Φ(x) = c·relu(b·relu(a·x + 1)) with
    /// a = 1e300, b = c = 1e-300 has Jacobian c·b·a = 1e-300 for x > −1e-300, but the model's
    /// kernel pulls back from the output, c·b = 1e-600 rounds to 0, and every region read 0: the
    /// search (and the brute force, which shares the kernel) certified 0 as exact. Now such a
    /// network gives an interval holding 1e-300 (`UnderflowSlack.qualify`), and ordinary networks
    /// (no product of consecutive layers' weights below 2⁻⁹⁶⁹) are unaffected.
    func testRegionValuesThatUnderflowInTheKernelAreNotExact() throws {
        for (a, b, c) in [(1e300, 1e-300, 1e-300), (1e250, 1e-200, -1e-160), (1e200, 1e-170, 1e-180)] {
            let net = network([([[a]], [1]), ([[b]], [0]), ([[c]], [0])], name: "kernel underflow")
            let expected = abs(c * a) * b  // in this order no product underflows
            XCTAssertGreaterThan(expected, 0)
            for (method, prune, threads) in configurations {
                for box in [nil, try InputBox(uniform: -1, 1, dimension: 1)] {
                    var options = ExactOptions(norms: [.one, .two, .infinity], box: box)
                    options.method = method
                    options.prune = prune
                    options.threads = threads
                    let label = "\(a) \(b) \(c), \(method), prune \(prune), \(threads) threads, box \(box != nil)"
                    let report = try ExactSearch.compute(net, options: options)
                    for bound in report.bounds {
                        if report.isExact {
                            XCTAssertLessThanOrEqual(abs(bound.value - expected), 1e-9 * expected, "\(bound.value) vs \(expected), \(label)")
                        } else {
                            XCTAssertLessThanOrEqual(bound.lower, expected * (1 + 1e-9), label)
                            XCTAssertGreaterThanOrEqual(bound.upper, expected * (1 - 1e-9), label)
                        }
                    }
                }
            }
        }
        // Found by the d = 1 hostile runs against an exact rational oracle: every region decided
        // exactly, and the only non-zero Jacobian (−6.0070303187404185e-304, for x < −259.75,
        // from 1e290 and two weights of 1e-300) formed as 0, so "exact" 0 was reported.
        let found = network([([[0.0], [-0.48670021728906154]], [1.4492902266502825, 1.0]),
                           ([[0.5799788007290183, 1e+290], [0.0, -0.9278968112811747], [0.17276733367559682, 1.0], [-0.28998940036450915, -5e+289]], [0.0, 0.0, 0.3144362804831673, -0.0]),
                           ([[0.0, 0.0, 0.0, 0.0], [-0.0, -0.0, -0.0, -0.0], [12342362.105773862, -0.7182519502773186, 0.014002568937928945, 0.0]], [1.0, -0.5, 0.9386737713872066]),
                           ([[0.09954853069763892, -1.4834979675932947, 1e-300]], [-0.25681338307753676]),
                           ([[0.0], [1e-300], [0.0]], [-0.3340493332019106, -0.655544067396316, 0.29663000553239594])])
        let truth = 6.0070303187404185e-304
        for norm in [LipschitzNorm.one, .two, .infinity] {
            let report = try ExactSearch.compute(found, options: ExactOptions(norms: [norm]))
            XCTAssertEqual(report.regions, 3)
            XCTAssertFalse(report.isExact && report.bounds[0].value < truth * (1 - 1e-9), "\(norm): exact \(report.bounds[0].value)")
            XCTAssertLessThanOrEqual(report.bounds[0].lower, truth * (1 + 1e-9))
            XCTAssertGreaterThanOrEqual(report.bounds[0].upper, truth * (1 - 1e-9))
        }
        // An ordinary network is not touched: no risk, no slack.
        let ordinary = randomNetwork([2, 5, 4, 1], seed: 914)
        XCTAssertEqual(UnderflowSlack.bound(ordinary), 0)
        XCTAssertTrue(try ExactSearch.compute(ordinary, options: ExactOptions(norms: [.two])).isExact)
    }

    /// The overflow refusal (d · ∏ ‖W_k‖_∞ not below 1e290) settled from bounds first decides as
    /// the row sums do: random magnitudes around the threshold, wide rows (the bound far above the
    /// sum) included; and `compute` refuses exactly those.
    func testOverflowCheckDecidesAsTheRowSums() throws {
        var rng = TestRandom(seed: 290)
        var refused = 0, settledByRowSums = 0
        for trial in 0..<200 {
            let widths = [rng.int(1...3), rng.int(1...200), rng.int(1...3)]
            let scales = [pow(10, Double(rng.int(140...150))), pow(10, Double(rng.int(140...150)))]
            var layers: [AffineLayer] = []
            for k in 0..<2 {
                let rows = widths[k + 1], columns = widths[k]
                // A few large entries among small ones: row sums far below columns × max.
                let storage = (0..<rows * columns).map { _ in rng.normal() * (rng.int(0...2) == 0 ? scales[k] : 1) }
                layers.append(AffineLayer(weights: Matrix(rows: rows, columns: columns, storage: storage), biases: Array(repeating: 0, count: rows)))
            }
            let net = try ReLUNetwork(layers: layers)
            var product = Double(net.inputDimension)
            for layer in layers { product *= max(1e-300, try operatorNorm(layer.weights, p: .infinity)) }
            let expected = !(product.isFinite && product < 1e290)
            var bound = Double(net.inputDimension)
            for layer in layers { bound *= max(1e-300, Double(layer.weights.columns) * (layer.weights.storage.map { abs($0) }.max() ?? 0) * 1.001) }
            if !expected && !(bound < 1e290) { settledByRowSums += 1 }
            XCTAssertEqual(try ExactSearch.jacobiansCouldOverflow(net), expected, "trial \(trial): \(product)")
            if expected {
                refused += 1
                XCTAssertThrowsError(try ExactSearch.compute(net, options: ExactOptions(norms: [.two]))) { error in
                    XCTAssertEqual(error as? ExactError, .overflow)
                }
            }
        }
        print("overflow check: \(refused) of 200 refused, \(settledByRowSums) accepted by the row sums after the bound")
        XCTAssertGreaterThan(settledByRowSums, 5, "the bound alone does not decide every case")
        XCTAssertGreaterThan(refused, 20, "both outcomes drawn")
        XCTAssertLessThan(refused, 180, "both outcomes drawn")
    }
}
