@testable import ExactLipschitz
import Foundation
import LipschitzModel
import LipschitzTestSupport
import XCTest

/// The one-input path (`OneInputSweep`: one sort and one running sum) against the exact brute
/// force, the LP search and the general line sweep: every norm, vector outputs, boxes,
/// coincident and nearly coincident breakpoints, zero weights, ties of the maximum.
final class OneInputSweepTests: XCTestCase {
    private func norms(_ net: ReLUNetwork) -> [LipschitzNorm] {
        net.outputDimension == 1 ? [.one, .two, .infinity, .p(3)] : [.one, .two, .infinity]
    }

    /// The one-input path alone (nil when it declines).
    private func oneInput(_ net: ReLUNetwork, box: InputBox? = nil, threads: Int = 2) throws -> ExactReport? {
        var options = ExactOptions(norms: norms(net), box: box)
        options.threads = threads
        return try ExactSearch.searchOneInput(net, options: options, shared: SharedSearchState(norms: options.norms.count))
    }

    /// Constants, region count and witnesses against the brute force; the path must answer
    /// unless `mayDecline`.
    private func assertMatchesBruteForce(_ net: ReLUNetwork, box: InputBox? = nil, mayDecline: Bool = false,
                                         file: StaticString = #filePath, line: UInt = #line) throws {
        let truth = try ExactBruteForce.run(net, norms: norms(net), box: box)
        guard let report = try oneInput(net, box: box) else {
            XCTAssertTrue(mayDecline, "declined \(net.layers)", file: file, line: line)
            return
        }
        XCTAssertTrue(report.isExact, file: file, line: line)
        XCTAssertEqual(report.regions, truth.regions, "regions of \(net.layers)", file: file, line: line)
        for (n, bound) in report.bounds.enumerated() {
            assertRelativelyEqual(bound.value, truth.constants[n], 1e-9, "ℓ\(bound.norm) \(net.layers)", file: file, line: line)
            guard let witness = bound.witness else { XCTFail("no witness", file: file, line: line); continue }
            XCTAssertEqual(net.activationPattern(at: witness.interiorPoint), witness.pattern, file: file, line: line)
            XCTAssertGreaterThan(witness.radius, 0, file: file, line: line)
            if let box { XCTAssertTrue(box.contains(witness.interiorPoint), file: file, line: line) }
            assertRelativelyEqual(try operatorNorm(net.jacobian(for: witness.pattern), p: bound.norm), bound.value, 1e-12,
                                  file: file, line: line)
        }
    }

    func testRandomNetworksEveryNormAndVectorOutputs() throws {
        var rng = TestRandom(seed: 311)
        for _ in 0..<60 {
            try assertMatchesBruteForce(randomNetwork([1, rng.int(1...12), rng.int(1...3)], using: &rng))
        }
    }

    func testBoxLocal() throws {
        var rng = TestRandom(seed: 312)
        for trial in 0..<40 {
            let net = randomNetwork([1, rng.int(1...10), rng.int(1...2)], using: &rng)
            // Some boxes end exactly on a breakpoint (decided exactly: not a vertex inside).
            let w = net.layers[0].weights[0, 0], b = net.layers[0].biases[0]
            let lower = trial % 3 == 0 && w != 0 ? -b / w : rng.normal()
            let box = try InputBox(lower: [lower], upper: [lower + 0.1 + 2 * rng.uniform()])
            // A breakpoint just above the rounded end leaves a region no double lies in: declined
            // when it holds the maximum, and then the automatic search must agree.
            try assertMatchesBruteForce(net, box: box, mayDecline: trial % 3 == 0)
            var options = ExactOptions(norms: norms(net), box: box)
            options.threads = 2
            let automatic = try ExactSearch.compute(net, options: options)
            let truth = try ExactBruteForce.run(net, norms: norms(net), box: box)
            for (n, bound) in automatic.bounds.enumerated() { assertRelativelyEqual(bound.value, truth.constants[n]) }
        }
    }

    /// Duplicate, scaled and opposite neurons (coincident breakpoints: one vertex), zero
    /// weights and zero biases, dead neurons, breakpoints moved by a few ulps.
    func testDegenerateNetworks() throws {
        var rng = TestRandom(seed: 313)
        var answered = 0
        for trial in 0..<80 {
            var rows: [[Double]] = [], biases: [Double] = []
            for _ in 0..<rng.int(2...6) {
                let w = rng.normal(), b = trial % 5 == 0 ? 0 : rng.normal()
                switch rng.int(0...6) {
                case 0: rows += [[w], [w]]; biases += [b, b]                      // duplicate
                case 1: rows += [[w], [-w]]; biases += [b, -b]                    // opposite
                case 2: rows += [[w], [2 * w]]; biases += [b, 2 * b]              // the same breakpoint, scaled
                case 3: rows += [[0]]; biases += [trial % 2 == 0 ? 1 : -1]         // constant
                case 4: rows += [[w], [w]]; biases += [b, b == 0 ? 0x1p-40 : b.nextUp]  // an ulp apart
                case 5: rows += [[3], [0.3]]; biases += [-1, -0.1]                // 1/3 against 0.1/0.3
                default: rows.append([w]); biases.append(b)
                }
            }
            var out = (0..<rng.int(1...2)).map { _ in rows.map { _ in rng.normal() } }
            out[0][0] = 0  // a dead neuron
            let net = network([(rows, biases), (out, out.map { _ in 0 })])
            // Declined: every neuron constant without a box, or the maximum on an interval between
            // breakpoints an ulp apart (no double inside it).
            try assertMatchesBruteForce(net, mayDecline: true)
            if try oneInput(net) != nil { answered += 1 }
        }
        XCTAssertGreaterThan(answered, 55, "coincident breakpoints are decided, not declined")
    }

    /// The exact order of breakpoints whose quotients round alike.
    func testExactComparisons() {
        XCTAssertEqual(BreakpointOrder.compare(-1, 3, -2, 6), 0)           // 1/3 = 2/6
        XCTAssertEqual(BreakpointOrder.compare(1, -3, -1, 3), 0)           // opposite orientation
        XCTAssertEqual(BreakpointOrder.compare(-0.1, 0.3, -1, 3), 1)        // 0.1/0.3 > 1/3 in the doubles
        XCTAssertEqual(BreakpointOrder.compare(-1, 3, -0.1, 0.3), -1)
        XCTAssertEqual(BreakpointOrder.compare(-1, 3, with: 1.0 / 3), 1)   // 1/3 lies above its rounding
        XCTAssertEqual(BreakpointOrder.compare(-2, 1, with: 2), 0)
        XCTAssertEqual(BreakpointOrder.compare(0, 5, with: 0), 0)
        // Products that underflow or overflow: decided exactly (GMP) where the FMA test cannot.
        XCTAssertEqual(BreakpointOrder.compareProducts(1e-200, 1e-200, 1e-200, 1e-200), 0)
        XCTAssertEqual(BreakpointOrder.compareProducts(1e-200, 3e-200, 2e-200, 1e-200), 1)
        XCTAssertEqual(BreakpointOrder.compareProducts(0x1p-600, 0x1p-600, 0x1p-601, 0x1p-599.nextUp), -1)
        XCTAssertEqual(BreakpointOrder.compareProducts(1e200, 1e200, 1e200, 1e200.nextDown), 1)
        XCTAssertEqual(BreakpointOrder.compareProducts(1e-300, 1e-300, 0, 5), 1)
        XCTAssertNil(BreakpointOrder.compareProducts(.infinity, 1, .infinity, 1))  // not finite: undecided
        // A grid of breakpoints ±ulps apart, ordered as exact rationals would be.
        var rng = TestRandom(seed: 314)
        for _ in 0..<2000 {
            let w1 = Double(rng.int(1...50)) * (rng.bool() ? 1 : -1), w2 = Double(rng.int(1...50)) * (rng.bool() ? 1 : -1)
            let b1 = Double(rng.int(-99...99)), b2 = Double(rng.int(-99...99))
            // t = −b/w compared as integers: −b1/w1 − (−b2/w2) has the sign of (b2·w1 − b1·w2)·sign(w1·w2).
            let exact = (b2 * w1 - b1 * w2) * (w1 * w2 > 0 ? 1 : -1)
            XCTAssertEqual(BreakpointOrder.compare(b1, w1, b2, w2), exact > 0 ? 1 : (exact < 0 ? -1 : 0))
        }
    }

    /// Ties of the maximum: equal gradients on many intervals (zero output weights between
    /// them), and a network whose every interval scores the same.
    func testTiedMaxima() throws {
        let flat = network([([[1], [2], [-1], [0.5]], [0, 1, 2, -3]), ([[0, 0, 0, 0]], [0])])
        try assertMatchesBruteForce(flat)
        var rows: [[Double]] = [], out: [Double] = [], biases: [Double] = []
        for k in 0..<12 { rows.append([1]); biases.append(Double(k)); out.append(k % 2 == 0 ? 1 : -1) }
        try assertMatchesBruteForce(network([(rows, biases), ([out], [0])]))
        // 200 intervals with one of two gradients (more than the candidate limit): exact.
        rows = []; out = []; biases = []
        for k in 0..<200 { rows.append([1]); biases.append(Double(k)); out.append(k % 2 == 0 ? 1 : -1) }
        let many = network([(rows, biases), ([out], [0])])
        let report = try XCTUnwrap(try oneInput(many))
        XCTAssertTrue(report.isExact)
        XCTAssertEqual(report.regions, 201)
        assertRelativelyEqual(report.bounds[1].value, 1)
    }

    /// Wider networks: the LP search (small N) and the general line sweep (its shards, which the
    /// one-input path leaves to it) give the same constants and region counts.
    func testAgreesWithLPSearchAndGeneralSweep() throws {
        var rng = TestRandom(seed: 315)
        for (n, m) in [(30, 1), (40, 2), (2000, 1), (3000, 3)] {
            let net = randomNetwork([1, n, m], using: &rng)
            var options = ExactOptions(norms: norms(net))
            options.threads = 2
            let fast = try XCTUnwrap(try oneInput(net))
            XCTAssertEqual(fast.regions, n + 1)
            if n <= 40 {
                options.method = .linearPrograms
                let lp = try ExactSearch.compute(net, options: options)
                XCTAssertEqual(lp.regions, fast.regions)
                for (a, b) in zip(fast.bounds, lp.bounds) { assertRelativelyEqual(a.value, b.value) }
            }
            options.method = .arrangement
            var regions = 0, best = [Double](repeating: 0, count: options.norms.count)
            for k in 1...2 {
                options.shard = try Shard(index: k, count: 2)
                let part = try ExactSearch.compute(net, options: options)
                regions += part.regions
                for i in best.indices { best[i] = max(best[i], part.bounds[i].value) }
            }
            XCTAssertEqual(regions, fast.regions)
            for (a, b) in zip(fast.bounds, best) { assertRelativelyEqual(a.value, b) }
        }
    }

    /// One thread and two give the same answer and witness; a large width counts N + 1 regions.
    func testThreadsAndLargeWidth() throws {
        var rng = TestRandom(seed: 316)
        let net = randomNetwork([1, 300_000, 1], using: &rng)
        let one = try XCTUnwrap(try oneInput(net, threads: 1)), two = try XCTUnwrap(try oneInput(net, threads: 2))
        XCTAssertEqual(one.regions, 300_001)
        XCTAssertEqual(two.regions, 300_001)
        XCTAssertEqual(one.bounds[1].value, two.bounds[1].value)
        XCTAssertEqual(one.bounds[1].witness, two.bounds[1].witness)
    }
}
