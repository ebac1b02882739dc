@testable import ExactLipschitz
import LinearProgramming
import LipschitzModel
import LipschitzTestSupport
import XCTest

/// `StabilityCertificate`: its bound on an affine function over rows in a box is never below the
/// function's maximum over the rows relaxed by their slacks, whatever multipliers it is given
/// (GLPK's duals, random ones, none), and with GLPK's duals it is tight; and branch and bound with
/// stable verdicts proved by it keeps the brute force's constants.
final class StabilityCertificateTests: XCTestCase {
    /// Box rows for [−M, M]^d and rows with random unit normals holding a common random point (so
    /// that the polytope is not empty), as the LP sees them.
    private func randomRows(_ d: Int, _ count: Int, reach: Double, _ rng: inout TestRandom) -> [(normal: [Double], offset: Double, relativeError: Double)] {
        var rows: [(normal: [Double], offset: Double, relativeError: Double)] = []
        for j in 0..<d {
            var e = Array(repeating: 0.0, count: d)
            e[j] = 1; rows.append((e, reach, 0))
            e[j] = -1; rows.append((e, reach, 0))
        }
        let point = (0..<d).map { _ in rng.uniform(-reach / 2, reach / 2) }
        for _ in 0..<count {
            var normal = (0..<d).map { _ in rng.normal() }
            let length = normal.reduce(0) { $0 + $1 * $1 }.squareRoot()
            normal = normal.map { $0 / length }
            let offset = -zip(normal, point).reduce(0) { $0 + $1.0 * $1.1 } + rng.uniform(0, reach / 4)
            rows.append((normal, offset, rng.bool() ? 0 : 1e-10))
        }
        return rows
    }

    /// max c·y + c0 over a_i·y + β_i + shift_i ≥ 0 (GLPK), and the rows' duals.
    private func maximum(_ rows: [(normal: [Double], offset: Double, relativeError: Double)], shift: [Double],
                         objective: [Double], constant: Double) throws -> (value: Double, duals: [Double]) {
        let lp = try LinearProgram(columns: objective.count, optimisation: .maximise)
        try lp.setObjective(objective)
        for (i, row) in rows.enumerated() { try lp.addRow(row.normal, .atLeast(-(row.offset + shift[i]))) }
        let solution = try lp.solve()
        XCTAssertEqual(solution.status, .optimal)
        return (solution.objective + constant, lp.rowDuals())
    }

    /// Multipliers not one per row (a row added or removed behind the certificate's back) give no
    /// bound: +∞, so the LP test decides, never a crash or a bound from misaligned rows.
    func testDualsNotOnePerRowGiveNoBound() {
        var rng = TestRandom(seed: 78)
        let rows = randomRows(2, 3, reach: 1, &rng)
        let certificate = StabilityCertificate(rows: rows, reach: [1, 1])
        for count in [0, rows.count - 1, rows.count + 1] {
            let bound = certificate.bound(objective: [1, 0], constant: -100, constantError: 0, duals: Array(repeating: -1, count: count))
            XCTAssertEqual(bound, .infinity, "\(count) duals for \(rows.count) rows")
        }
        XCTAssertEqual(certificate.bound(objective: [1, 0, 0], constant: -100, constantError: 0, duals: Array(repeating: 0, count: rows.count)), .infinity)
        XCTAssertLessThan(certificate.bound(objective: [1, 0], constant: -100, constantError: 0, duals: Array(repeating: 0, count: rows.count)), 0)
    }

    func testBoundIsNeverBelowTheMaximumAndTightWithTheDuals() throws {
        var rng = TestRandom(seed: 77)
        for trial in 0..<300 {
            let d = rng.int(1...4), reach = [1.0, 30, 1e4][trial % 3]
            let rows = randomRows(d, rng.int(1...12), reach: reach, &rng)
            let certificate = StabilityCertificate(rows: rows, reach: Array(repeating: reach, count: d))
            let objective = (0..<d).map { _ in rng.normal() }, constant = rng.normal() * reach
            let constantError = certificate.slack(relativeError: 1e-10, offset: constant)
            let relaxed = try maximum(rows, shift: certificate.rows.map(\.slack), objective: objective, constant: constant + constantError)
            let plain = try maximum(rows, shift: Array(repeating: 0, count: rows.count), objective: objective, constant: constant)
            let accuracy = 1e-8 * (1 + reach) * (1 + objective.reduce(0) { $0 + abs($1) })
            var candidates = [plain.duals, relaxed.duals, Array(repeating: 0, count: rows.count)]
            candidates.append((0..<rows.count).map { _ in rng.uniform(-3, 1) })
            for (k, duals) in candidates.enumerated() {
                let bound = certificate.bound(objective: objective, constant: constant, constantError: constantError, duals: duals)
                XCTAssertGreaterThanOrEqual(bound, relaxed.value - accuracy, "trial \(trial), multipliers \(k)")
            }
            let tight = certificate.bound(objective: objective, constant: constant, constantError: constantError, duals: plain.duals)
            XCTAssertLessThanOrEqual(tight, relaxed.value + accuracy + 1e-6 * (1 + abs(relaxed.value)), "trial \(trial): GLPK's duals prove the maximum")
        }
    }

    /// A function whose maximum over the rows is 0 (a neuron touching the region) is never proved
    /// negative, and one just below 0 by less than the rows' slack neither.
    func testNoProofWhenTheFunctionReachesZero() throws {
        var rng = TestRandom(seed: 78)
        for trial in 0..<200 {
            let d = rng.int(2...4), reach = 10.0
            let rows = randomRows(d, rng.int(2...10), reach: reach, &rng)
            let certificate = StabilityCertificate(rows: rows, reach: Array(repeating: reach, count: d))
            let objective = (0..<d).map { _ in rng.normal() }
            let top = try maximum(rows, shift: Array(repeating: 0, count: rows.count), objective: objective, constant: 0)
            for constant in [-top.value, -top.value - 1e-12 * reach] {
                let bound = certificate.bound(objective: objective, constant: constant, constantError: 0, duals: top.duals)
                XCTAssertGreaterThanOrEqual(bound, -1e-9 * reach, "trial \(trial)")
            }
        }
    }

    /// Deep networks globally and in boxes: stable verdicts proved by the certificate (counted)
    /// keep the constants equal to the brute force's, with 1 and 2 threads.
    func testCertifiedStableVerdictsKeepTheConstant() throws {
        var rng = TestRandom(seed: 4242)
        var certified = 0
        for trial in 0..<12 {
            let d = rng.int(1...3)
            let widths = [d, rng.int(4...6), rng.int(4...6), rng.int(2...3), 1]
            let net = randomNetwork(widths, using: &rng)
            let box = trial % 2 == 0 ? try randomBox(d, smallestSide: 0.2, spread: 3, using: &rng) : nil
            certified += try assertPrunedSearchAgreesWithBruteForce(net, box: box, label: "trial \(trial) \(widths)").certifiedStableTests
        }
        XCTAssertGreaterThan(certified, 0, "the certificate decides some stabilising tests")
    }

    /// Layer 0: x1, x2, x1 − x2 (a region's corner at the origin); layer 1: −h1 − h2 + s touches
    /// the region {x1 > 0, x2 > 0} at its corner when s = 0, −h1 + s along the edge x1 = 0, and
    /// h3 − h1 − s is 0 on {x1 > x2 > 0}'s edge x2 = 0. A positive s opens regions of width s.
    private func touchingNetwork(shift: Double, name: String) -> ReLUNetwork {
        network([
            ([[1, 0], [0, 1], [1, -1]], [0, 0, 0]),
            ([[-1, -1, 0], [-1, 0, 0], [-1, 0, 1], [1, 1, 0.5]], [shift, shift, -shift, 0.25]),
            ([[1, -2, 0.5, 1]], [0]),
        ], name: name)
    }

    /// Neurons of the second layer whose hyperplane touches a first-layer region without entering
    /// it (at a vertex, along an edge, or after a rounding-sized shift): the maximum over the region
    /// is within the decision band of 0, so the far-side LP test decides (counted), and the
    /// constants stay the brute force's, in boxes and globally, with 1 and 2 threads. (A positive
    /// shift of 1e-12 or 1e-9 opens a region that thin, which the floating-point brute force's
    /// radius tolerance misses: those shifts are held to the exact reference below.)
    func testTouchingNeuronsFallBackToTheLPTest() throws {
        var fallbacks = 0
        for (trial, shift) in [0.0, -1e-12, -1e-9].enumerated() {
            let net = touchingNetwork(shift: shift, name: "touching-\(trial)")
            for box in [try InputBox(lower: [-1, -1], upper: [1, 1]), try InputBox(lower: [-0.5, -2], upper: [3, 0.25]), nil] {
                fallbacks += try assertPrunedSearchAgreesWithBruteForce(net, box: box, label: "touching \(trial)").maximumFallbacks
            }
        }
        XCTAssertGreaterThan(fallbacks, 0, "maxima near 0 go to the LP test")
    }

    /// The same networks shifted by +1e-12 and +1e-9: regions that thin (0 < x1 < s, a strip where
    /// the ℓ1 constant is 3.5 instead of 1.5 at s = 0) are found by branch and bound, in boxes
    /// and globally, with 1 and 2 threads, as the exact rational reference finds them.
    func testThinRegionsOpenedByPositiveShiftsAgreeWithTheExactReference() throws {
        let norms: [LipschitzNorm] = [.one, .two, .infinity]
        for shift in [1e-12, 1e-9] {
            let net = touchingNetwork(shift: shift, name: "thin-\(shift)")
            for box in [try InputBox(lower: [-1, -1], upper: [1, 1]), nil] {
                let truth = try ExactBruteForce.run(net, norms: norms, box: box)
                if box == nil { XCTAssertEqual(truth.constants[0], 3.5, "the strip 0 < x1 < \(shift) counts") }
                for threads in [1, 2] {
                    var options = ExactOptions(norms: norms, box: box)
                    (options.prune, options.threads) = (true, threads)
                    let report = try ExactSearch.compute(net, options: options)
                    XCTAssertTrue(report.isExact, "shift \(shift), \(threads) threads")
                    for n in norms.indices {
                        assertRelativelyEqual(report.bounds[n].value, truth.constants[n], 1e-9, "shift \(shift) ℓ\(norms[n]) box \(box == nil ? "none" : "[-1, 1]²"), \(threads) threads")
                    }
                }
            }
        }
    }
}
