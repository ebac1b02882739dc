@testable import ExactLipschitz
import Foundation
import LipschitzModel
import LipschitzTestSupport
import XCTest

/// Branch and bound with neurons stabilised at a layer's first node (`RegionEnumerator.stabilise`):
/// a neuron whose far side the trusted LP finds empty is fixed without a split below. The
/// constants must equal the 2^n brute force on deep networks whose later layers have many
/// stable neurons (dead or always-on ones among them, globally and in boxes), and 1 and 2 threads
/// must give the same constant.
final class StabilisedSearchTests: XCTestCase {
    /// A deep network whose second hidden layer has a few neurons pushed far to one side
    /// (bias ±(3…8)·‖row‖), so that they are stable on many first-layer regions.
    private func skewedNetwork(_ widths: [Int], _ rng: inout TestRandom) -> ReLUNetwork {
        var layers: [([[Double]], [Double])] = []
        for k in 1..<widths.count {
            var w: [[Double]] = [], b: [Double] = []
            for _ in 0..<widths[k] {
                let row = (0..<widths[k - 1]).map { _ in rng.normal() }
                var bias = rng.normal()
                if k >= 2 && k < widths.count - 1 && rng.bool() {
                    let length = row.reduce(0) { $0 + abs($1) }
                    bias = (rng.bool() ? 1 : -1) * Double(rng.int(3...8)) * length
                }
                w.append(row); b.append(bias)
            }
            layers.append((w, b))
        }
        return network(layers, name: "skewed-\(widths)")
    }

    func testStabilisedSearchAgreesWithBruteForce() throws {
        var rng = TestRandom(seed: 1010)
        var stabilised = 0
        for trial in 0..<80 {
            let d = rng.int(1...3)
            var widths = [d, rng.int(3...5), rng.int(2...4)]
            if trial % 3 == 0 { widths.append(rng.int(1...2)) }
            widths.append(rng.int(1...2))
            let net = trial % 4 == 3 ? randomNetwork(widths, using: &rng) : skewedNetwork(widths, &rng)
            let box = trial % 5 == 4 ? try randomBox(d, smallestSide: 0.1, spread: 2, using: &rng) : nil
            stabilised += try assertPrunedSearchAgreesWithBruteForce(net, box: box, label: "trial \(trial) \(widths)").stabilisedNeurons
        }
        XCTAssertGreaterThan(stabilised, 30, "the networks exercise the stabilised neurons")
    }

    /// Layers wide enough for `stabilise` to run several times along a layer (every
    /// `stabiliseStride` neurons), so that later runs skip tests answered by balls an earlier run
    /// found (`farWitnesses`): globally, in boxes, and on networks with many stable neurons. The
    /// skipped tests may only leave signs uncertified: the constants must stay the brute force's.
    func testTestsAnsweredByKnownBallsKeepTheConstant() throws {
        var rng = TestRandom(seed: 2024)
        var answered = 0
        for trial in 0..<10 {
            let d = rng.int(2...3)
            var widths = [d, 8, rng.int(3...4)]
            if trial % 3 == 0 { widths.append(2) }
            widths.append(1)
            let net = trial % 4 == 3 ? randomNetwork(widths, using: &rng) : skewedNetwork(widths, &rng)
            let box = trial % 3 == 2 ? try randomBox(d, smallestSide: 0.5, spread: 3, using: &rng) : nil
            answered += try assertPrunedSearchAgreesWithBruteForce(net, box: box, label: "trial \(trial) \(widths)").witnessAnsweredTests
        }
        XCTAssertGreaterThan(answered, 0, "known balls answer some stabilising tests")
    }
}

/// Branch and bound (`prune`) with 1 and 2 threads against the 2^n brute force in ℓ1, ℓ2 and ℓ∞:
/// exact, equal to it to 1e-9 relative, and the same constants for both thread counts. Returns
/// the two runs' statistics, summed.
func assertPrunedSearchAgreesWithBruteForce(_ net: ReLUNetwork, box: InputBox?, label: String) throws -> EnumerationStatistics {
    let norms: [LipschitzNorm] = [.one, .two, .infinity]
    let reference = try BruteForce.run(net, norms: norms, box: box)
    var values: [[Double]] = []
    var statistics = EnumerationStatistics()
    for threads in [1, 2] {
        var options = ExactOptions(norms: norms, box: box)
        options.prune = true
        options.threads = threads
        options.relativeRadiusTolerance = 1e-7
        let report = try ExactSearch.compute(net, options: options)
        XCTAssertTrue(report.isExact, "\(label), \(threads) threads")
        for (n, norm) in norms.enumerated() {
            assertRelativelyEqual(report.bounds[n].value, reference.best[n], 1e-9,
                                  "\(label) ℓ\(norm) box \(box.map { "\($0)" } ?? "none"), \(threads) threads")
        }
        values.append(report.bounds.map(\.value))
        statistics.add(report.statistics)
    }
    XCTAssertEqual(values[0], values[1], "\(label): 1 and 2 threads give the same constants")
    return statistics
}
