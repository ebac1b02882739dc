@testable import ExactLipschitz
import Foundation
import LipschitzModel
import LipschitzTestSupport
import XCTest

/// The one-input path's kernels against straightforward versions of themselves: the sort (the
/// negative breakpoints and the others apart) against an exact comparison sort, the two-part walk against one forward
/// walk, joined compensated sums against exact integer sums, and the pattern read off the
/// certified point against the sorted order; on random, duplicate-breakpoint and
/// extreme-magnitude inputs, below and above the size where the halves run on two threads.
final class OneInputKernelTests: XCTestCase {
    private func sweep(_ net: ReLUNetwork, box: InputBox? = nil, threads: Int) -> OneInputSweep {
        let options = ExactOptions(norms: [.two], box: box)
        let monitor = SweepMonitor(options: options, shared: SharedSearchState(norms: 1), check: { false })
        return OneInputSweep(network: net, box: box, norms: [.two], monitor: monitor, threads: threads)
    }

    /// One input, one output: breakpoints of several kinds, `n` neurons.
    private func inputs(_ n: Int, seed: UInt64) -> [(String, ReLUNetwork)] {
        var rng = TestRandom(seed: seed)
        func net(_ w: [Double], _ b: [Double]) -> ReLUNetwork {
            network([(w.map { [$0] }, b), ([w.map { _ in rng.normal() }], [0])])
        }
        let w = (0..<n).map { _ in rng.normal() }, b = (0..<n).map { _ in rng.normal() }
        // Duplicates, scaled copies, ulp neighbours and zero weights: many equal keys.
        var dw: [Double] = [], db: [Double] = []
        while dw.count < n {
            let x = rng.normal(), c = Double(rng.int(-3...3))
            switch rng.int(0...4) {
            case 0: dw += [x, x]; db += [c, c]
            case 1: dw += [x, 2 * x]; db += [c, 2 * c]
            case 2: dw += [x, x]; db += [c + 0.5, (c + 0.5).nextUp]
            case 3: dw += [0]; db += [c]
            default: dw += [x]; db += [0]
            }
        }
        // Magnitudes from 1e-150 to 1e150 (breakpoints over 300 decades).
        let ew = (0..<n).map { _ in rng.normal() * pow(10, Double(rng.int(-150...150))) }
        let eb = (0..<n).map { _ in rng.normal() * pow(10, Double(rng.int(-150...150))) }
        // One sign only (t = −b/w): every breakpoint negative, every one positive, every one 0
        // (the sort's negative or other part empty).
        let negative = zip(w, b).map { abs($1) * ($0 > 0 ? 1 : -1) }, positive = negative.map { -$0 }
        return [("random", net(w, b)), ("duplicates", net(Array(dw.prefix(n)), Array(db.prefix(n)))), ("extreme", net(ew, eb)),
                ("negative", net(w, negative)), ("positive", net(w, positive)), ("zero", net(w, w.map { _ in 0 }))]
    }

    /// The sorted neurons and joined positions, or nil when declined.
    private func ordered(_ s: OneInputSweep) -> (order: [Int], joined: [Int])? {
        guard s.collect(), s.order() else { return nil }
        return ((0..<s.breakpoints.count).map { s.breakpoints.index($0) }, s.breakpoints.joined)
    }

    func testOrderMatchesExactComparisonSort() throws {
        for n in [3, 40, 1 << 16 + 37] {
            for (name, net) in inputs(n, seed: UInt64(n)) {
                let w = net.layers[0].weights.storage, b = net.layers[0].biases
                let reference = w.indices.filter { w[$0] != 0 }.sorted { i, j in
                    let s = BreakpointOrder.compare(b[i], w[i], b[j], w[j])!
                    return s != 0 ? s < 0 : i < j
                }
                let joined = reference.indices.dropFirst().filter {
                    BreakpointOrder.compare(b[reference[$0]], w[reference[$0]], b[reference[$0 - 1]], w[reference[$0 - 1]]) == 0
                }
                for threads in [1, 2] {
                    let s = sweep(net, threads: threads)
                    defer { s.release() }
                    let got = try XCTUnwrap(ordered(s), "\(name) n=\(n)")
                    XCTAssertEqual(got.order, reference, "\(name) n=\(n) threads=\(threads)")
                    XCTAssertEqual(got.joined, Array(joined), "\(name) n=\(n) threads=\(threads)")
                }
            }
        }
    }

    /// Every interval is scored once, by one part, within the two walks' error bounds of a
    /// single forward walk over all steps; a boxed search too.
    func testTwoPartWalkMatchesForwardWalk() throws {
        for n in [1, 2, 25, 1 << 16 + 5] {
            for (name, net) in inputs(n, seed: UInt64(100 + n)) {
                for box in [nil, try InputBox(lower: [-0.5], upper: [0.7])] {
                    let s = sweep(net, box: box, threads: 2)
                    defer { s.release() }
                    guard s.collect(), s.order() else { XCTFail("\(name) declined"); continue }
                    let total = s.breakpoints.vertices + 1
                    let plan = OneInputWalkPlan(s, intervals: total)
                    var values = [Double?](repeating: nil, count: total), sums = [s.startSum, s.endSum]
                    for part in 0..<2 {
                        s.gatherSteps(plan, forward: part == 0)
                        _ = s.scalarWalk(plan, forward: part == 0, &sums[part]) { j, value in
                            XCTAssertNil(values[j], "interval \(j) scored twice")
                            values[j] = value
                        }
                    }
                    var reference = s.startSum, j = 0
                    let joined = Set(s.breakpoints.joined)
                    let check = { (value: Double) in
                        let bound = max(sums[0].error(), sums[1].error()) + reference.error() + 1e-15 * abs(value)
                        XCTAssertEqual(values[j] ?? .nan, value, accuracy: bound, "\(name) n=\(n) interval \(j)")
                    }
                    check(reference.value)
                    for p in 0..<s.breakpoints.count {
                        reference.add(Double(bitPattern: s.steps[p]))
                        if joined.contains(p + 1) { continue }
                        j += 1
                        check(reference.value)
                    }
                    XCTAssertEqual(j, total - 1)
                }
            }
        }
    }

    /// A walk limited below the interval count is the forward part alone: past 65,536 intervals
    /// (where it polls the stop test) and across runs of coincident breakpoints, its values are
    /// bit for bit a running sum of the steps in order, one per vertex.
    func testLimitedForwardWalkIsTheRunningSum() throws {
        let n = 1 << 16 + 5
        for (name, net) in inputs(n, seed: 77).prefix(2) {
            let s = sweep(net, threads: 2)
            defer { s.release() }
            guard s.collect(), s.order() else { XCTFail("\(name) declined"); continue }
            let intervals = s.breakpoints.vertices
            let plan = OneInputWalkPlan(s, intervals: intervals)
            XCTAssertEqual(plan.backward, 0)
            s.gatherSteps(plan, forward: true)
            var values: [Double] = [], sum = s.startSum
            let walked = s.scalarWalk(plan, forward: true, &sum) { j, value in
                XCTAssertEqual(j, values.count, "\(name): intervals in order")
                values.append(value)
            }
            XCTAssertEqual(walked, intervals, name)
            var reference = s.startSum, expected = [reference.value]
            let joined = Set(s.breakpoints.joined)
            for p in 0..<s.breakpoints.count where expected.count < intervals {
                reference.add(Double(bitPattern: s.steps[p]))
                if !joined.contains(p + 1) { expected.append(reference.value) }
            }
            XCTAssertEqual(values.map(\.bitPattern), expected.map(\.bitPattern), name)
            XCTAssertEqual(sum.value.bitPattern, reference.value.bitPattern, name)
        }
    }

    /// Sums joined from parts keep their proven bound: against exact integer sums (terms are
    /// multiples of 2⁻²⁰ below 2³⁰, so 1000 of them sum exactly in Int).
    func testJoinedCompensatedSumsKeepTheirBound() {
        var rng = TestRandom(seed: 7)
        for _ in 0..<200 {
            let terms = (0..<1000).map { _ in Int(rng.normal() * pow(2, Double(rng.int(10...49)))) }
            let exact = terms.reduce(0, +)
            var parts = [CompensatedSum(), CompensatedSum(), CompensatedSum()]
            for (k, t) in terms.enumerated() { parts[k % 3].add(Double(t) * 0x1p-20) }
            var joined = parts[0]
            joined.add(parts[1])
            joined.add(parts[2])
            XCTAssertEqual(joined.terms, 1000 + 4)
            let reference = Double(exact) * 0x1p-20
            let slack = Tolerances.unitRoundoff * (abs(reference) + abs(joined.value))
            XCTAssertLessThanOrEqual(abs(joined.value - reference), joined.error() + slack)
        }
    }

    /// The pattern read off the certified point equals the sorted order's; the point lies in
    /// the interval and its ball holds no breakpoint, decided exactly.
    func testCertifiedCellsAgreeWithSortedPatterns() throws {
        var rng = TestRandom(seed: 11)
        var certified = 0
        for trial in 0..<30 {
            let (_, net) = inputs(rng.int(1...30), seed: UInt64(200 + trial))[trial % 3]
            let box = trial % 2 == 0 ? nil : try InputBox(lower: [-1], upper: [1.5])
            let s = sweep(net, box: box, threads: 1)
            defer { s.release() }
            guard s.collect(), s.order() else { continue }
            let w = net.layers[0].weights.storage, b = net.layers[0].biases
            for j in 0...s.breakpoints.vertices {
                let cell = s.cell(j)
                XCTAssertEqual(cell.bits, s.sortedPattern(j), "trial \(trial) interval \(j)")
                guard let ball = s.certifiedBall(cell) else { continue }
                let x = ball.center[0], r = ball.radius
                certified += 1
                for i in w.indices where w[i] != 0 {
                    let side = try XCTUnwrap(BreakpointOrder.compare(b[i], w[i], with: x))
                    XCTAssertNotEqual(side, 0)
                    XCTAssertEqual(cell.bits[i], (w[i] > 0) == (side < 0), "trial \(trial) neuron \(i)")
                    let outside = side < 0 ? BreakpointOrder.compare(b[i], w[i], with: x - r)! <= 0
                        : BreakpointOrder.compare(b[i], w[i], with: x + r)! >= 0
                    XCTAssertTrue(outside, "trial \(trial): a breakpoint inside the ball")
                }
                if let box { XCTAssertTrue(box.lower[0] <= x - r && x + r <= box.upper[0]) }
            }
        }
        XCTAssertGreaterThan(certified, 200)
    }
}
