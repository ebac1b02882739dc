@testable import ExactLipschitz
import LipschitzModel
import XCTest
import LipschitzTestSupport

/// One test per class of issue 9's "[exact] must never be wrong": whatever happens, a result is
/// either exact and right, or marked inexact with a certified interval that holds the truth.
final class SoundnessClassTests: XCTestCase {
    private let norms: [LipschitzNorm] = [.one, .two, .infinity]

    /// The reference: one thread, no pruning, nothing injected.
    private func reference(_ net: ReLUNetwork, box: InputBox? = nil) throws -> ExactReport {
        var options = ExactOptions(norms: norms, box: box)
        options.method = .linearPrograms
        let report = try ExactSearch.compute(net, options: options)
        XCTAssertTrue(report.isExact)
        return report
    }

    /// `report` is exact with the reference's constants, or inexact with intervals holding them.
    private func assertSound(_ report: ExactReport, _ truth: ExactReport, allowInexact: Bool,
                             _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        for (n, bound) in report.bounds.enumerated() {
            let value = truth.bounds[n].value
            XCTAssertLessThanOrEqual(bound.lower, bound.upper, what, file: file, line: line)
            if report.isExact {
                assertRelativelyEqual(bound.value, value, 1e-9, "\(what) ℓ\(bound.norm)", file: file, line: line)
            } else {
                XCTAssertTrue(allowInexact, "\(what): unexpectedly inexact", file: file, line: line)
                XCTAssertNotNil(report.stopReason, what, file: file, line: line)
                XCTAssertLessThanOrEqual(bound.lower, value * (1 + 1e-9), what, file: file, line: line)
                XCTAssertGreaterThanOrEqual(bound.upper, value * (1 - 1e-9), what, file: file, line: line)
            }
        }
    }

    /// GLPK failures in the floating-point LPs are recovered by the exact test: same answer,
    /// still exact. Failures of the exact test too give an honest interval at worst.
    func testInjectedSolverFailuresNeverGiveAWrongExactAnswer() throws {
        var rng = TestRandom(seed: 91)
        for trial in 0..<24 {
            let d = rng.int(1...3)
            let net = randomNetwork([d, rng.int(2...5), rng.int(1...4), rng.int(1...2)], using: &rng)
            let truth = try reference(net)
            for threads in [1, 2] {
                var options = ExactOptions(norms: norms)
                options.threads = threads
                options.prune = trial % 2 == 0
                options.injectedFailurePeriod = [2, 3, 5][trial % 3]
                let recovered = try ExactSearch.compute(net, options: options)
                XCTAssertTrue(recovered.isExact, "float failures alone must be recovered")
                assertSound(recovered, truth, allowInexact: false, "float failures, trial \(trial)")
                // Branch and bound may settle a tiny network with fewer solves than the period.
                if recovered.statistics.linearPrograms >= 2 * options.injectedFailurePeriod! {
                    XCTAssertGreaterThan(recovered.statistics.failedLinearPrograms, 0, "trial \(trial), \(threads) threads")
                }
                options.injectedExactFailurePeriod = 2
                assertSound(try ExactSearch.compute(net, options: options), truth, allowInexact: true,
                            "float and exact failures, trial \(trial)")
            }
        }
    }

    /// A part the solvers could not decide is bounded like a pruned subtree: when its certified
    /// bound is at most the best value it holds nothing above it and the answer stays exact (and
    /// right); otherwise the result is an interval that holds the truth. Exact failures are
    /// injected into branch and bound on random networks; both outcomes must occur.
    func testUndecidedPartsBelowTheBestLeaveTheAnswerExact() throws {
        var rng = TestRandom(seed: 94)
        var exactDespiteUndecided = 0, inexact = 0
        for trial in 0..<40 {
            let net = randomNetwork([rng.int(2...3), rng.int(4...6), rng.int(3...5), 1], using: &rng)
            let truth = try reference(net)
            var options = ExactOptions(norms: norms)
            options.threads = 1 + trial % 2
            options.injectedFailurePeriod = 1
            options.injectedExactFailurePeriod = [2, 3][trial % 2]
            let report = try ExactSearch.compute(net, options: options)
            assertSound(report, truth, allowInexact: true, "trial \(trial)")
            guard report.statistics.undecidedSubtrees > 0 else { continue }
            if report.isExact { exactDespiteUndecided += 1 } else { inexact += 1; XCTAssertEqual(report.stopReason, .undecided) }
        }
        XCTAssertGreaterThan(exactDespiteUndecided, 0, "no undecided part was ever below the best value")
        XCTAssertGreaterThan(inexact, 0, "no undecided part was ever above the best value")
    }

    /// The rule itself: exact only when every norm has a best value at least every undecided
    /// bound; a part without a bound (no worker could start) is never below it.
    private static let emptyWitness = RegionWitness(pattern: ActivationPattern(layers: []), interiorPoint: [], radius: 0,
                                                    jacobian: Matrix(rows: 0, columns: 0))

    func testUndecidedBoundsAgainstTheBestValue() {
        let state = SharedSearchState(norms: 2)
        XCTAssertFalse(state.undecidedMatters)
        state.markUndecided(bounds: [1, 2])
        XCTAssertTrue(state.undecidedMatters, "no best value yet")
        state.offer(1, norm: 0) { Self.emptyWitness }
        state.offer(2, norm: 1) { Self.emptyWitness }
        XCTAssertFalse(state.undecidedMatters, "bounds equal to the best values")
        state.markUndecided(bounds: [0.5, 2.000001])
        XCTAssertTrue(state.undecidedMatters, "one norm's bound above its best value")
        let unbounded = SharedSearchState(norms: 1)
        unbounded.offer(3, norm: 0) { Self.emptyWitness }
        unbounded.markUndecided(bounds: [])
        XCTAssertTrue(unbounded.undecidedMatters)
    }

    /// A stop requested before or during planning of the parallel search, or a tiny time limit,
    /// gives an inexact result with a sound interval, never "exact" with missing regions.
    func testStopsDuringPlanningAreNeverExact() throws {
        var rng = TestRandom(seed: 92)
        for trial in 0..<12 {
            let net = randomNetwork([3, 8, 8, 1], using: &rng)
            let truth = try reference(net)
            var options = ExactOptions(norms: norms)
            options.threads = 2
            if trial % 2 == 0 {
                options.shouldStop = { true }
            } else {
                options.timeLimit = 1e-6
            }
            let stopped = try ExactSearch.compute(net, options: options)
            XCTAssertFalse(stopped.isExact, "trial \(trial)")
            assertSound(stopped, truth, allowInexact: true, "stop during planning, trial \(trial)")
        }
    }

    /// A time limit counts from `startTime` (the process start, for the command line).
    func testTimeLimitCountsFromTheGivenStart() throws {
        var rng = TestRandom(seed: 93)
        let net = randomNetwork([2, 6, 1], using: &rng)
        var options = ExactOptions(norms: [.two])
        options.timeLimit = 5
        options.startTime = DispatchTime.now().uptimeNanoseconds - 10_000_000_000
        let report = try ExactSearch.compute(net, options: options)
        XCTAssertFalse(report.isExact)
        XCTAssertEqual(report.stopReason, .timeLimit)
    }

    /// No hidden layer: one region, the weight matrix's norm, on any thread count and method.
    func testNetworkWithoutHiddenLayer() throws {
        let net = network([([[3, 4]], [1])])
        for method in [SearchMethod.automatic, .linearPrograms, .plain] {
            for threads in [1, 2] {
                var options = ExactOptions(norms: norms, box: threads == 2 ? try InputBox(lower: [0, 0], upper: [1e-8, 1e8]) : nil)
                options.method = method
                options.threads = threads
                let report = try ExactSearch.compute(net, options: options)
                XCTAssertTrue(report.isExact)
                XCTAssertEqual(report.regions, 1)
                XCTAssertEqual(report.bounds.map(\.value), [4, 5, 7])
            }
        }
    }

    /// Depth that grows with the network never recurses: a 1-D net of width 30 000 searched by
    /// the LP enumerator (its path is 30 000 rows deep) ends cleanly at its time limit.
    func testVeryDeepSearchPathsDoNotExhaustTheStack() throws {
        let width = 30_000
        let rows = (0..<width).map { _ in [1.0] }
        let biases = (0..<width).map { -Double($0) }
        let net = network([(rows, biases), ([(0..<width).map { $0 % 2 == 0 ? 1.0 : -1.0 }], [0])])
        var options = ExactOptions(norms: [.two])
        options.method = .linearPrograms
        // A region limit, not a short time limit, ends it: the first region lies 30,000 frames
        // down, and on a loaded machine a 2 s limit could end before any (a flaky test). The
        // time limit only keeps a regression from hanging the suite.
        options.maxRegions = 3
        options.timeLimit = 300
        let report = try ExactSearch.compute(net, options: options)
        XCTAssertLessThanOrEqual(report.bounds[0].lower, report.bounds[0].upper)
        XCTAssertGreaterThan(report.regions, 0)
        XCTAssertEqual(report.stopReason, .maxRegions)
    }

    /// A hat far from the origin (the farthest hyperplane sets the global scale), thin boxes,
    /// boxes as wide as the doubles allow and tiny ones: every one exact and right. (A box whose
    /// bounds are subnormal can end as an honest interval: `glp_exact` cannot take its rows.)
    func testScaleExtremes() throws {
        let hat = { (shift: Double) in
            network([([[10], [10], [10]], [-shift, -shift - 10, -shift - 20]), ([[1, -2, 1]], [0])])
        }
        for shift in [0.0, 1e3, 1e6, 1e9, 1e12] {
            let report = try ExactSearch.compute(hat(shift), options: ExactOptions(norms: [.two]))
            XCTAssertTrue(report.isExact)
            XCTAssertEqual(report.bounds[0].value, 10, "hat at \(shift)")
            XCTAssertEqual(report.regions, 4, "hat at \(shift)")
        }
        let cases: [(Double, Double, Double)] = [(-1e8, 1e8, 10), (-1e308, 1e308, 10), (-1.7e308, 1.7e308, 10),
                                                 (0.5, 0.5 + 1e-12, 10), (1e-300, 2e-300, 10), (1.5, 1.5 + 4e-16, 10)]
        for (lo, hi, expected) in cases {
            for method in [SearchMethod.automatic, .linearPrograms, .plain] {
                var options = ExactOptions(norms: [.two], box: try InputBox(lower: [lo], upper: [hi]))
                options.method = method
                let report = try ExactSearch.compute(hat(0), options: options)
                XCTAssertTrue(report.isExact, "box [\(lo), \(hi)] \(method)")
                XCTAssertEqual(report.bounds[0].value, expected, "box [\(lo), \(hi)] \(method)")
            }
        }
    }

    /// Badly scaled networks whose LPs make the simplex cycle (weights of 4e-6 next to 3·10^4,
    /// coincident neurons; fuzz input `simplex-stall-badly-scaled`): a stalled solve fails
    /// within its iteration limit and is decided again (rebuilt, then exactly), so every method
    /// gives the brute force's constants and region count, exactly. The limit itself is tested
    /// in `LinearProgramTests.testIterationLimitEndsAStalledSolve`; before it, this network
    /// spent the float solver's 10 s time limit on one LP.
    func testBadlyScaledNetworkThatMadeTheSimplexStall() throws {
        let e = 3.9843749999999994e-06
        let net = network([
            ([[-e, 0, e], [-e, 0, 0], [0, -e, -e], [0, -e, -e]], [e, -e, -e, -e]),
            ([[-e, -e, -e, -e], [0, -e, -e, 0], [4, 0.08552681773098336, 0, -2.5], [e, -12.96875, -30.46875, 12.96875]],
             [-e, 0.5, 4, 4]),
            ([[0, -0.5, 31718.75, -e], [0.5, 0, -4, 0]], [-12.96875, -0.5]),
        ])
        let truth = try ExactBruteForce.run(net, norms: norms)
        for method in [SearchMethod.automatic, .linearPrograms, .plain] {
            for (threads, prune) in [(1, false), (2, false), (1, true), (2, true)] {
                var options = ExactOptions(norms: norms)
                (options.method, options.threads, options.prune) = (method, threads, prune)
                let report = try ExactSearch.compute(net, options: options)
                let what = "\(method), \(threads) threads, prune \(prune)"
                XCTAssertTrue(report.isExact, what)
                if !prune { XCTAssertEqual(report.regions, truth.regions, what) }
                for (m, bound) in report.bounds.enumerated() {
                    assertRelativelyEqual(bound.value, truth.constants[m], 1e-9, "\(what) ℓ\(bound.norm)")
                }
            }
        }
    }

    /// Rows spanning fewer than d directions: two equal input columns or a zero one (the cartpole
    /// controller repeats an input), so every row of the global search is blind to a direction.
    /// The search drops those directions from its LPs (`ColumnReduction`): the constants and the
    /// region count agree with the brute force, with 1 and 2 threads and with pruning, and the
    /// floating-point empty verdicts are trusted again (few exact decisions, as for a generic net).
    func testRowsSpanningFewerThanAllDirections() throws {
        var rng = TestRandom(seed: 93)
        var exactDecisions = 0, emptySides = 0
        for trial in 0..<30 {
            let d = rng.int(2...4)
            var net = randomNetwork([d, rng.int(3...6), rng.int(2...4), rng.int(1...2)], using: &rng)
            var w = net.layers[0].weights
            let k = rng.int(1...(d - 1)), j = rng.int(0...(k - 1))
            for r in 0..<w.rows { w[r, k] = trial % 3 == 0 ? 0 : w[r, j] }
            if d > 2, trial % 2 == 1 { for r in 0..<w.rows { w[r, 0] = w[r, d - 1] } }
            var layers = net.layers
            layers[0] = AffineLayer(weights: w, biases: layers[0].biases)
            net = try ReLUNetwork(name: "rank-deficient", layers: layers)
            let reference = try BruteForce.run(net, norms: norms)
            for (threads, prune) in [(1, false), (2, false), (1, true), (2, true)] {
                var options = ExactOptions(norms: norms)
                options.method = .linearPrograms
                options.threads = threads
                options.prune = prune
                let report = try ExactSearch.compute(net, options: options)
                XCTAssertTrue(report.isExact, "trial \(trial)")
                if !prune { XCTAssertEqual(report.regions, reference.regions, "trial \(trial) \(threads) threads") }
                for (n, bound) in report.bounds.enumerated() {
                    assertRelativelyEqual(bound.value, reference.best[n], 1e-9, "trial \(trial) ℓ\(bound.norm)")
                }
                if threads == 1 && !prune {
                    exactDecisions += report.statistics.exactDecisions
                    emptySides += report.statistics.emptySides
                }
            }
        }
        XCTAssertLessThan(exactDecisions * 4, emptySides, "empty verdicts should mostly be trusted")
    }

    /// Branch and bound on networks with several hidden layers, where the pruning bound uses
    /// state kept along the search path (signs certified at a layer's first node,
    /// `RegionEnumerator.stabilise`): state left from another region must never reach a bound.
    /// Every pruned run, 1 and 2 threads, with and without a box, against the unpruned search.
    func testPruningWithPathStateAcrossLayers() throws {
        var rng = TestRandom(seed: 94)
        for trial in 0..<40 {
            let d = rng.int(1...3)
            let net = randomNetwork([d, rng.int(3...6), rng.int(3...6), rng.int(2...5), rng.int(1...2)], using: &rng)
            let box = trial % 4 == 3 ? try InputBox(lower: Array(repeating: -1, count: d), upper: Array(repeating: 2, count: d)) : nil
            let truth = try reference(net, box: box)
            for threads in [1, 2] {
                var options = ExactOptions(norms: norms, box: box)
                options.method = .linearPrograms
                options.prune = true
                options.threads = threads
                assertSound(try ExactSearch.compute(net, options: options), truth, allowInexact: false, "trial \(trial), \(threads) threads")
            }
        }
    }
}
