@testable import ExactLipschitz
import Foundation
import LipschitzModel
import LipschitzTestSupport
import XCTest

/// The class of failure of instances/known-defects: a region's Jacobian W_L D ⋯ D W_0 formed in
/// floating point, where the weight products cancel, rounds to 0 (or to noise), and a wrong
/// constant was reported as exact. The recipe: a pair of neurons (s, β) and (e·s, e·β) with s and
/// β powers of two (so e·s and e·β are exact and the two neurons are the same hyperplane, always
/// active together), e = 1 + k·2⁻⁵² or 1 − k·2⁻⁵³, and output weights a = fl(b·e) and −b: in
/// floating point a·s − fl(b·(e·s)) = s·(a − fl(b·e)) = 0, exactly the slope is s·(a − b·e) ≠ 0.
/// The other neurons' output weights are of the size of that slope, so that it decides the
/// constant. A second recipe: two identical general neurons (u, β) with output weights a and −b,
/// whose exact slope (a − b)·u the float products fl(a·u) − fl(b·u) get wrong by up to 100 %.
///
/// Every search path meets them: one input (the one-input walk), d = 2, 3 with biases (the line
/// sweep), zero biases (the central arrangement), deeper networks (branch and bound, the LP
/// search with and without pruning, the plain search, 1 and 2 threads), a box, vector outputs
/// (ℓ1, ℓ2, ℓ∞) and scalar outputs (ℓ1, ℓ2, ℓ∞ and ℓ3).
///
/// The reference is `ExactBruteForce`: regions decided by GLPK's rational simplex, region values
/// from the exact rational Jacobian (`RationalJacobian`), independent of ExactLipschitz. A
/// result must be exact and within 1e-9 of it, or an interval holding it. For these small
/// networks an exact answer is expected (`expectExact`): the exact constant is computable from
/// the regions' exact Jacobians, and an interval would be a loss, not a defect.
final class CancellationTests: XCTestCase {
    // MARK: - Configurations and the assertion

    private struct Configuration: CustomStringConvertible {
        let method: SearchMethod
        let prune: Bool
        let threads: Int
        var description: String { "\(method.rawValue), prune \(prune), \(threads) thread\(threads == 1 ? "" : "s")" }
    }

    /// Networks with one hidden layer: the arrangement paths (one input, sweep, central).
    private let automatic = [Configuration(method: .automatic, prune: false, threads: 1),
                             Configuration(method: .automatic, prune: false, threads: 2)]
    /// One hidden layer under `--method arrangement`: a sweep that cannot be trusted hands a
    /// small network to the LP search instead of failing.
    private let explicitArrangement = [Configuration(method: .arrangement, prune: false, threads: 2)]
    /// Deeper networks: branch and bound (automatic + prune), the LP search without pruning, the
    /// plain search; 1 and 2 threads.
    private let branchAndBound = [Configuration(method: .automatic, prune: true, threads: 1),
                                  Configuration(method: .automatic, prune: true, threads: 2),
                                  Configuration(method: .linearPrograms, prune: false, threads: 1),
                                  Configuration(method: .linearPrograms, prune: false, threads: 2),
                                  Configuration(method: .plain, prune: false, threads: 1),
                                  Configuration(method: .plain, prune: true, threads: 2)]

    /// The fix is expected to give exact answers on every network here (see the class comment).
    private let expectExact = true

    private func norms(_ net: ReLUNetwork) -> [LipschitzNorm] {
        net.outputDimension == 1 ? [.one, .two, .infinity, .p(3)] : [.one, .two, .infinity]
    }

    /// What one network's checks found: the methods that answered, and whether the float kernel
    /// alone (the brute force's old values) is wrong on it.
    private struct Outcome {
        var methods: [SearchMethod] = []
        var floatIsWrong = false
        var truth: [Double] = []
    }

    /// Runs the search in every configuration and holds it to the exact brute force: exact
    /// and within 1e-9 relative (1e-300 absolute when the truth is 0), or a sound interval.
    @discardableResult
    private func check(_ net: ReLUNetwork, box: InputBox? = nil, configurations: [Configuration], expectExact: Bool? = nil,
                       _ label: String, file: StaticString = #filePath, line: UInt = #line) throws -> Outcome {
        let norms = norms(net)
        let truth = try ExactBruteForce.run(net, norms: norms, box: box)
        var outcome = Outcome(truth: truth.constants)
        outcome.floatIsWrong = try floatKernelIsWrong(net, norms: norms, patterns: truth.patterns, truth: truth.constants)
        for configuration in configurations {
            var options = ExactOptions(norms: norms, box: box)
            options.method = configuration.method
            options.prune = configuration.prune
            options.threads = configuration.threads
            let what = "\(label), \(configuration)"
            let report: ExactReport
            do { report = try ExactSearch.compute(net, options: options) } catch ExactError.arrangementNotApplicable where configuration.method == .arrangement {
                continue  // not in general position (an exact tie): the refusal is the documented answer
            }
            outcome.methods.append(report.method)
            assertSound(report, truth: truth.constants, expectExact: expectExact ?? self.expectExact, what, file: file, line: line)
        }
        return outcome
    }

    private func assertSound(_ report: ExactReport, truth: [Double], expectExact: Bool, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        for (n, bound) in report.bounds.enumerated() {
            let t = truth[n]
            if report.isExact {
                let error = abs(bound.lower - t)
                XCTAssertLessThanOrEqual(error, t == 0 ? 1e-300 : 1e-9 * t,
                                         "WRONG EXACT ℓ\(bound.norm): \(bound.lower) [exact], truth \(t) (\(what))", file: file, line: line)
            } else {
                XCTAssertLessThanOrEqual(bound.lower, t * (1 + 1e-12), "ℓ\(bound.norm): lower \(bound.lower) above the truth \(t) (\(what))", file: file, line: line)
                XCTAssertGreaterThanOrEqual(bound.upper, t * (1 - 1e-12), "ℓ\(bound.norm): upper \(bound.upper) below the truth \(t) (\(what))", file: file, line: line)
            }
        }
        if expectExact {
            XCTAssertTrue(report.isExact, "INTERVAL where an exact answer is expected: \(report.bounds.map { "ℓ\($0.norm) [\($0.lower), \($0.upper)]" }), \(report.stopReason?.rawValue ?? "-") (\(what))", file: file, line: line)
        }
    }

    /// Whether max over the regions of ‖float Jacobian‖ differs from the truth by more than 1e-9
    /// relative in some norm: the network really is one whose float products cancel.
    private func floatKernelIsWrong(_ net: ReLUNetwork, norms: [LipschitzNorm], patterns: [ActivationPattern], truth: [Double]) throws -> Bool {
        var best = Array(repeating: 0.0, count: norms.count)
        for pattern in patterns {
            let jacobian = net.jacobian(for: pattern)
            for (m, norm) in norms.enumerated() { best[m] = max(best[m], try operatorNorm(jacobian, p: norm)) }
        }
        return zip(best, truth).contains { abs($0 - $1) > 1e-9 * $1 }
    }

    // MARK: - Cancelling networks

    /// e = 1 + k·2⁻⁵² or 1 − k·2⁻⁵³ with a small k: e·2^m is exact for every m.
    private func drawE(_ rng: inout TestRandom) -> Double {
        let k = Double(rng.int(1...12))
        return rng.bool() ? 1 + k * 0x1p-52 : 1 - k * 0x1p-53
    }

    /// b with a full significand, 1 ≤ |b| < 2⁵⁵ (up to ~4e16), and a = fl(b·e) with a − b·e ≠ 0
    /// exactly (FMA: one rounding of a − b·e) while a − fl(b·e) = 0.
    private func drawPair(e: Double, _ rng: inout TestRandom) -> (a: Double, b: Double) {
        while true {
            let b = Double(sign: rng.bool() ? .minus : .plus, exponent: rng.int(0...54), significand: 1 + rng.uniform())
            let a = b * e
            if a.addingProduct(-b, e) != 0 { return (a, b) }
        }
    }

    /// Entries ±2^j (j in −2…2) or 0, at least one non-zero.
    private func powerOfTwoRow(_ n: Int, _ rng: inout TestRandom) -> [Double] {
        var row = (0..<n).map { _ in rng.int(0...3) == 0 ? 0.0 : (rng.bool() ? -1 : 1) * pow(2, Double(rng.int(-2...2))) }
        if row.allSatisfy({ $0 == 0 }) { row[rng.int(0...(n - 1))] = rng.bool() ? 1 : -1 }
        return row
    }

    private func powerOfTwoBias(_ rng: inout TestRandom) -> Double {
        (rng.bool() ? -1 : 1) * pow(2, Double(rng.int(-2...1)))
    }

    private typealias Layers = [([[Double]], [Double])]

    /// One hidden layer: a cancelling pair (rows 0 and 1) and `others` general neurons (N(0, 1)
    /// rows; N(0, 1) biases when `biased`). `identical`: the pair is two copies of one general
    /// neuron (u, β) instead of (s, β), (e·s, e·β). Each output has its own (a_r, −b_r) and
    /// weights of the size of |a_r − b_r·e| (|a_r − b_r| when identical) on the others.
    private func shallowPair(d: Int, others: Int, outputs: Int, biased: Bool, identical: Bool = false,
                             using rng: inout TestRandom) -> Layers {
        let e = drawE(&rng)
        var rows: [[Double]], biases: [Double]
        if identical {
            let u = (0..<d).map { _ in rng.normal() }, beta = biased ? rng.normal() : 0
            rows = [u, u]; biases = [beta, beta]
        } else {
            let s = powerOfTwoRow(d, &rng), beta = biased ? powerOfTwoBias(&rng) : 0
            rows = [s, s.map { $0 * e }]; biases = [beta, beta * e]
        }
        for _ in 0..<others {
            rows.append((0..<d).map { _ in rng.normal() })
            biases.append(biased ? rng.normal() : 0)
        }
        let out = (0..<outputs).map { _ in outputRow(e: e, identical: identical, others: others, &rng) }
        return [(rows, biases), (out, out.map { _ in rng.normal() })]
    }

    /// (a, −b, c₁ … c_others): a = fl(b·e), the c's of the size of the exact cancelled slope.
    private func outputRow(e: Double, identical: Bool, others: Int, _ rng: inout TestRandom) -> [Double] {
        let (a, b) = drawPair(e: e, &rng)
        let slope = identical ? abs(a - b) : abs(a.addingProduct(-b, e))
        return [a, -b] + (0..<others).map { _ in slope * rng.normal() * pow(2, Double(rng.int(-2...2))) }
    }

    /// Hidden widths `hidden` (each ≥ 2); the cancelling pair enters as neurons 0 and 1 of
    /// hidden layer `at`, with power-of-two rows (s, β), (e·s, e·β) over the previous layer (the
    /// input when `at` is 0); later hidden layers carry it as relu(2^t·p₀), relu(2^t·p₁) (one t,
    /// so the ratio stays e exactly) and the output weighs it (a_r, −b_r). The other neurons are
    /// general and read every neuron of the previous layer, the pair's included.
    private func deepPair(inputs d: Int, hidden: [Int], outputs: Int, at: Int, biased: Bool = true,
                          using rng: inout TestRandom) -> Layers {
        precondition(hidden.allSatisfy { $0 >= 2 } && at < hidden.count)
        let e = drawE(&rng)
        var layers: Layers = []
        var previous = d
        for (k, width) in hidden.enumerated() {
            var rows: [[Double]] = [], biases: [Double] = []
            var first = 0
            if k == at {
                let s = powerOfTwoRow(previous, &rng), beta = biased && rng.bool() ? powerOfTwoBias(&rng) : 0
                rows = [s, s.map { $0 * e }]; biases = [beta, beta * e]
                first = 2
            } else if k > at {
                let t = pow(2, Double(rng.int(-1...1)))
                var r0 = Array(repeating: 0.0, count: previous), r1 = r0
                r0[0] = t; r1[1] = t
                rows = [r0, r1]; biases = [0, 0]
                first = 2
            }
            for _ in first..<width {
                rows.append((0..<previous).map { _ in rng.normal() })
                biases.append(biased ? rng.normal() : 0)
            }
            layers.append((rows, biases))
            previous = width
        }
        let others = previous - 2
        let out = (0..<outputs).map { _ in outputRow(e: e, identical: false, others: others, &rng) }
        layers.append((out, out.map { _ in rng.normal() }))
        return layers
    }

    /// Layer k multiplied by 2^exponents[k] (weights and biases: each layer's hyperplanes stay,
    /// Φ is multiplied by 2^Σ, every product of weights by the same powers of two, so the float
    /// products cancel as before). Nil when an entry would leave the normal range, or when the
    /// network comes near the search's underflow slack (some run of consecutive layers whose
    /// smallest non-zero weights multiply to less than 2⁻⁹⁰⁰; `UnderflowSlack.risk` starts at
    /// 2⁻⁹⁶⁹, and an interval would then be legitimate) or overflow refusal (d·∏‖W_k‖∞ ≥ 1e290;
    /// kept below 1e280).
    private func scaled(_ layers: Layers, exponents: [Int]) -> Layers? {
        var result: Layers = []
        var run = 0.0, product = Double(layers[0].0[0].count)
        for ((rows, biases), exponent) in zip(layers, exponents) {
            let f = Double(sign: .plus, exponent: exponent, significand: 1)
            let r = rows.map { $0.map { $0 * f } }, b = biases.map { $0 * f }
            guard (r.flatMap { $0 } + b).allSatisfy({ $0 == 0 || $0.isNormal }) else { return nil }
            if let smallest = r.flatMap({ $0 }).filter({ $0 != 0 }).map(abs).min() {
                run = min(log2(smallest), run + log2(smallest))
                if run < -900 { return nil }
            } else {
                run = 0
            }
            product *= r.map { $0.map(abs).reduce(0, +) }.max() ?? 0
            result.append((r, b))
        }
        return product < 1e280 ? result : nil
    }

    /// Powers of two per layer, each in 2^±900, with the total T chosen so that the constant
    /// (about |b|·2⁻⁵²·2^T) and the largest products (about |b|·2^T) stay within about
    /// 1e-230 … 1e250.
    private func scaleExponents(layers: Int, largestOutput: Double, _ rng: inout TestRandom) -> [Int] {
        let total = rng.int(-700...800) - Int(log2(largestOutput))
        var exponents: [Int] = []
        var left = total
        for k in 0..<(layers - 1) {
            let share = left / (layers - k) + rng.int(-400...400)
            let e = min(900, max(-900, share))
            exponents.append(e)
            left -= e
        }
        exponents.append(left)
        return exponents
    }

    private func build(_ layers: Layers, _ name: String) -> ReLUNetwork { network(layers, name: name) }

    private func largestOutputWeight(_ layers: Layers) -> Double {
        layers.last!.0.flatMap { $0 }.map(abs).max() ?? 1
    }

    /// A box around the origin of side 1…3 (the pair's hyperplane may or may not meet it).
    private func box(_ d: Int, _ rng: inout TestRandom) throws -> InputBox {
        let lower = (0..<d).map { _ in -rng.uniform(0, 1.5) }
        return try InputBox(lower: lower, upper: lower.map { $0 + rng.uniform(1, 3) })
    }

    // MARK: - The three reproducers (instances/known-defects), built in code

    private let b = 7e15, e = 1 + 0x1p-52

    /// cancel-big.json, 1 → 2 → 1: Φ(x) = a·relu(x) − b·relu(e·x), slope a − b·e for x > 0.
    func testReproducerCancelBig() throws {
        let a = b * e
        XCTAssertEqual(a, 7000000000000002)
        let slope = a.addingProduct(-b, e)
        XCTAssertEqual(slope, 0.44568776552478084)
        let net = network([([[1.0], [e]], [0, 0]), ([[a, -b]], [0])], name: "cancel-big")
        let outcome = try check(net, configurations: automatic + branchAndBound, "cancel-big")
        XCTAssertEqual(outcome.truth, [slope, slope, slope, slope])
        XCTAssertTrue(outcome.floatIsWrong)
    }

    /// cancel-big-deep.json, 2 → 2 → 2 → 1: rows (1, ½), (e, ½e), identity, (a, −b): the gradient
    /// (a − b·e)·(1, ½) where x₁ + x₂/2 > 0.
    func testReproducerCancelBigDeep() throws {
        let a = b * e
        let net = network([([[1.0, 0.5], [1.0000000000000002, 0.5000000000000001]], [0, 0]),
                           ([[1, 0], [0, 1]], [0, 0]),
                           ([[7000000000000002, -7000000000000000]], [0])], name: "cancel-big-deep")
        XCTAssertEqual(net.layers[0].weights[1, 0], e)
        XCTAssertEqual(net.layers[0].weights[1, 1], 0.5 * e)
        let slope = a.addingProduct(-b, e)
        let outcome = try check(net, configurations: automatic + branchAndBound, "cancel-big-deep")
        assertClose(outcome.truth[0], slope, relative: 1e-15, absolute: 0)                           // ℓ1: max |g_j|
        assertClose(outcome.truth[1], slope * 1.25.squareRoot(), relative: 1e-15, absolute: 0)      // ℓ2
        assertClose(outcome.truth[2], slope * 1.5, relative: 1e-15, absolute: 0)                    // ℓ∞: Σ|g_j|
        XCTAssertTrue(outcome.floatIsWrong)
    }

    /// cancel0.json: b = 1234567, a = fl(b·e) = 1234567.0000000002, |a − b·e| ≈ 4.13e-11.
    func testReproducerCancel0() throws {
        let b = 1234567.0, a = 1234567.0000000002
        XCTAssertEqual(a, b * e)
        let slope = abs(a.addingProduct(-b, e))
        assertClose(slope, 4.13e-11, relative: 1e-3, absolute: 0)
        let net = network([([[1.0], [e]], [0, 0]), ([[a, -b]], [0])], name: "cancel0")
        let outcome = try check(net, configurations: automatic + branchAndBound, "cancel0")
        XCTAssertEqual(outcome.truth, [slope, slope, slope, slope])
        XCTAssertTrue(outcome.floatIsWrong)
    }

    // MARK: - Every path

    /// 1 → n → 1 and 1 → n → 2: the one-input walk (automatic), both recipes, with and without biases.
    func testOneInputCancellingPairs() throws {
        var rng = TestRandom(seed: 8101)
        var wrongInFloat = 0, walked = 0
        let trials = 36
        for trial in 0..<trials {
            let layers = shallowPair(d: 1, others: rng.int(0...3), outputs: trial % 4 == 3 ? 2 : 1, biased: trial % 3 != 0,
                                     identical: trial % 4 == 1, using: &rng)
            let outcome = try check(build(layers, "one-input \(trial)"), configurations: automatic, "one input, trial \(trial)")
            if outcome.methods.allSatisfy({ $0 == .arrangement }) { walked += 1 }
            if outcome.floatIsWrong { wrongInFloat += 1 }
        }
        XCTAssertGreaterThanOrEqual(wrongInFloat, trials / 2, "the networks must be ones the float kernel gets wrong")
        // Today the one-input walk answers every one of them.
        XCTAssertGreaterThanOrEqual(walked, trials / 2, "the one-input walk must answer most")
    }

    /// d = 2, 3 with biases: the arrangement's line sweep (automatic, and `--method
    /// arrangement`). Identical general rows are one plane of the arrangement, so the sweep runs;
    /// its running sums cannot be trusted on these networks (`ExactSearch.trustSweep`), so it
    /// values its near-best cells accurately (the recheck; 21 of 32 answered so), or hands the
    /// network (≤ 64 neurons) to the LP search, under `--method arrangement` too. The e-scaled
    /// pair is two planes on one hyperplane, which the arrangement leaves to the LP search.
    func testLineSweepCancellingPairs() throws {
        var rng = TestRandom(seed: 8102)
        var wrongInFloat = 0, swept = 0
        let trials = 32
        for trial in 0..<trials {
            let d = rng.int(2...3)
            let layers = shallowPair(d: d, others: rng.int(1...4), outputs: 1, biased: true, identical: trial % 4 != 3, using: &rng)
            let outcome = try check(build(layers, "sweep \(trial)"), configurations: automatic + (trial % 4 != 3 ? explicitArrangement : []),
                                    "sweep d \(d), trial \(trial)")
            if outcome.floatIsWrong { wrongInFloat += 1 }
            if outcome.methods.contains(.arrangement) { swept += 1 }
        }
        XCTAssertGreaterThanOrEqual(wrongInFloat, trials / 4, "the networks must be ones the float kernel gets wrong")
        print("CancellationTests.sweep: \(swept)/\(trials) answered by the arrangement, \(wrongInFloat) wrong in floating point")
    }

    /// Zero biases, d = 2, 3, no box: the central arrangement (automatic, and `--method
    /// arrangement`). As for the sweep, identical rows reach the arrangement, which (having no
    /// recheck) hands them to the LP search; the e-scaled pair goes to the LP search directly.
    func testCentralArrangementCancellingPairs() throws {
        var rng = TestRandom(seed: 8103)
        var wrongInFloat = 0, central = 0
        let trials = 28
        for trial in 0..<trials {
            let d = rng.int(2...3)
            let layers = shallowPair(d: d, others: rng.int(1...4), outputs: trial % 5 == 4 ? 2 : 1, biased: false,
                                     identical: trial % 4 != 3, using: &rng)
            let outcome = try check(build(layers, "central \(trial)"), configurations: automatic + (trial % 4 != 3 ? explicitArrangement : []),
                                    "central d \(d), trial \(trial)")
            if outcome.floatIsWrong { wrongInFloat += 1 }
            if outcome.methods.contains(.arrangement) { central += 1 }
        }
        XCTAssertGreaterThanOrEqual(wrongInFloat, trials / 4, "the networks must be ones the float kernel gets wrong")
        print("CancellationTests.central: \(central)/\(trials) answered by the arrangement, \(wrongInFloat) wrong in floating point")
    }

    /// 2-2-2-1, 2-3-3-1, 3-3-2-1 and three hidden layers, the pair entering at any hidden
    /// layer: branch and bound, the LP search without pruning, the plain search, 1 and 2 threads.
    func testBranchAndBoundCancellingPairs() throws {
        var rng = TestRandom(seed: 8104)
        let shapes: [(Int, [Int])] = [(2, [2, 2]), (2, [3, 3]), (3, [3, 2]), (2, [3, 2, 2]), (2, [2, 3, 2]), (1, [2, 2, 2])]
        var wrongInFloat = 0, trials = 0
        for round in 0..<3 {
            for (d, hidden) in shapes {
                let at = rng.int(0...(hidden.count - 1))
                let layers = deepPair(inputs: d, hidden: hidden, outputs: 1, at: at, biased: round != 0 || rng.bool(), using: &rng)
                let outcome = try check(build(layers, "deep"), configurations: branchAndBound,
                                        "deep \([d] + hidden + [1]), pair at \(at), round \(round)")
                trials += 1
                if outcome.floatIsWrong { wrongInFloat += 1 }
            }
        }
        XCTAssertGreaterThanOrEqual(wrongInFloat, trials / 2, "the networks must be ones the float kernel gets wrong")
    }

    /// A box: the local constant. Shallow (one input, sweep) and deep networks with a random box
    /// around the origin; and pairs (s, β₁), (e·s, β₂) with distinct parallel hyperplanes that
    /// both miss the box on the active side, so that inside it the pair cancels although globally
    /// a region with one of them active (slope |a|·‖s‖) decides the constant.
    func testBoxLocalCancellation() throws {
        var rng = TestRandom(seed: 8105)
        var wrongInFloat = 0, trials = 0
        for trial in 0..<24 {
            let d = rng.int(1...3)
            let layers: Layers
            var configurations = automatic
            switch trial % 3 {
            case 0:
                layers = shallowPair(d: d, others: rng.int(1...3), outputs: 1, biased: true, identical: rng.bool(), using: &rng)
            case 1:
                layers = deepPair(inputs: d, hidden: [rng.int(2...3), 2], outputs: 1, at: rng.int(0...1), using: &rng)
                configurations = branchAndBound
            default:
                // Active throughout [−1.5, 1.5]^d: β₁, β₂ > 1.5·Σ|s_j| (2^j ≤ 4, so Σ|s| ≤ 12).
                var shallow = shallowPair(d: d, others: rng.int(1...3), outputs: 1, biased: true, using: &rng)
                let reach = 1.5 * shallow[0].0[0].map(abs).reduce(0, +)
                shallow[0].1[0] = reach + rng.uniform(0.25, 4)
                shallow[0].1[1] = reach * 1.0000001 + rng.uniform(0.25, 4)
                layers = shallow
            }
            let net = build(layers, "box \(trial)")
            let domain = trial % 3 == 2 ? try InputBox(uniform: -1.5, 1.5, dimension: d) : try box(d, &rng)
            let outcome = try check(net, box: domain, configurations: configurations, "box, d \(d), trial \(trial) (\(trial % 3))")
            trials += 1
            if outcome.floatIsWrong { wrongInFloat += 1 }
        }
        XCTAssertGreaterThanOrEqual(wrongInFloat, trials / 3, "the networks must be ones the float kernel gets wrong")
    }

    /// Two and three outputs, each with its own cancelling pair weights: ℓ1, ℓ2 (largest singular
    /// value) and ℓ∞ operator norms, shallow and deep.
    func testVectorOutputsCancellation() throws {
        var rng = TestRandom(seed: 8106)
        var wrongInFloat = 0, trials = 0
        for trial in 0..<16 {
            let outputs = rng.int(2...3)
            let layers: Layers
            let configurations: [Configuration]
            if trial % 2 == 0 {
                let d = rng.int(1...3)
                layers = shallowPair(d: d, others: rng.int(1...3), outputs: outputs, biased: trial % 4 == 0,
                                     identical: trial % 8 == 6, using: &rng)
                configurations = automatic
            } else {
                layers = deepPair(inputs: rng.int(2...3), hidden: [rng.int(2...3), rng.int(2...3)], outputs: outputs,
                                  at: rng.int(0...1), using: &rng)
                configurations = [branchAndBound[0], branchAndBound[3], branchAndBound[4]]
            }
            let outcome = try check(build(layers, "vector \(trial)"), configurations: configurations, "vector, \(outputs) outputs, trial \(trial)")
            trials += 1
            if outcome.floatIsWrong { wrongInFloat += 1 }
        }
        XCTAssertGreaterThanOrEqual(wrongInFloat, trials / 3, "the networks must be ones the float kernel gets wrong")
    }

    /// The same recipes scaled layer by layer by powers of two: weights from about 1e-270 to
    /// 1e270, constants from about 1e-230 to 1e250; shallow (every arrangement path) and deep.
    func testScaledCancellationAcrossTheExponentRange() throws {
        var rng = TestRandom(seed: 8107)
        var wrongInFloat = 0, trials = 0
        while trials < 30 {
            let deep = trials % 3 == 2
            let d = rng.int(1...3)
            let layers = deep
                ? deepPair(inputs: d, hidden: [rng.int(2...3), 2], outputs: 1, at: rng.int(0...1), using: &rng)
                : shallowPair(d: d, others: rng.int(1...3), outputs: 1, biased: trials % 2 == 0, using: &rng)
            let exponents = scaleExponents(layers: layers.count, largestOutput: largestOutputWeight(layers), &rng)
            // Deep: the LP search's region rows are products of the hidden layers' weights, and its
            // exact simplex refuses a row that needs more than 2^600 to become integral
            // (`LinearProgram.largestExactScale`): a part it must decide exactly is then
            // undecided, and an interval legitimate. So the hidden layers' running scale stays
            // above 2^-450; the output layer carries the rest of the range.
            if deep && (1..<layers.count).contains(where: { exponents[..<$0].reduce(0, +) < -450 }) { continue }
            guard let big = scaled(layers, exponents: exponents) else { continue }
            let outcome = try check(build(big, "scaled"), configurations: deep ? [branchAndBound[0], branchAndBound[2]] : automatic,
                                    "scaled by 2^\(exponents), d \(d), deep \(deep), trial \(trials)")
            trials += 1
            if outcome.floatIsWrong { wrongInFloat += 1 }
        }
        XCTAssertGreaterThanOrEqual(wrongInFloat, trials / 2, "the networks must be ones the float kernel gets wrong")
    }

    // MARK: - What must not change

    /// Cancellation that is exact: relu(x) − relu(x); duplicate neurons with opposite output
    /// weights (shallow, every path, and as the last hidden layer of deep networks); the e-pair
    /// with b a power of two (then a = b·e exactly). The constant is exactly 0, and the answer
    /// must stay exact with value exactly 0.
    func testExactCancellationStaysExactZero() throws {
        var rng = TestRandom(seed: 8108)
        func assertExactZero(_ net: ReLUNetwork, box: InputBox? = nil, _ configurations: [Configuration], _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) throws {
            let outcome = try check(net, box: box, configurations: configurations, expectExact: true, what, file: file, line: line)
            XCTAssertEqual(outcome.truth, outcome.truth.map { _ in 0 }, what, file: file, line: line)
            var options = ExactOptions(norms: norms(net), box: box)
            for configuration in configurations {
                options.method = configuration.method
                options.prune = configuration.prune
                options.threads = configuration.threads
                let report = try ExactSearch.compute(net, options: options)
                XCTAssertTrue(report.isExact, "\(what), \(configuration)", file: file, line: line)
                for bound in report.bounds {
                    XCTAssertEqual(bound.lower, 0, "\(what), \(configuration)", file: file, line: line)
                    XCTAssertEqual(bound.upper, 0, "\(what), \(configuration)", file: file, line: line)
                }
            }
        }
        try assertExactZero(network([([[1.0], [1.0]], [0, 0]), ([[1, -1]], [0])]), automatic + branchAndBound, "relu(x) − relu(x)")
        try assertExactZero(network([([[1.0], [1.0]], [0.5, 0.5]), ([[3, -3]], [1])]), automatic + branchAndBound, "3relu(x + ½) − 3relu(x + ½) + 1")
        for trial in 0..<12 {
            let d = rng.int(1...3), pairs = rng.int(1...3)
            var rows: [[Double]] = [], biases: [Double] = [], out: [Double] = []
            let biased = trial % 3 != 0
            for _ in 0..<pairs {
                let u = (0..<d).map { _ in rng.normal() }, beta = biased ? rng.normal() : 0, c = rng.normal() * pow(10, rng.uniform(-3, 16))
                rows += [u, u]; biases += [beta, beta]; out += [c, -c]
            }
            let net = network([(rows, biases), ([out], [rng.normal()])], name: "duplicates")
            try assertExactZero(net, automatic, "duplicates, d \(d), trial \(trial)")
            try assertExactZero(net, box: try box(d, &rng), automatic, "duplicates in a box, d \(d), trial \(trial)")
        }
        for trial in 0..<4 {
            // Deep: a general first layer, then duplicate pairs with opposite output weights.
            let d = rng.int(1...3), first = rng.int(2...3)
            let w0 = (0..<first).map { _ in (0..<d).map { _ in rng.normal() } }
            let u = (0..<first).map { _ in rng.normal() }, beta = rng.normal(), c = rng.normal() * 1e12
            let net = network([(w0, w0.map { _ in rng.normal() }), ([u, u], [beta, beta]), ([[c, -c]], [0])], name: "deep duplicates")
            try assertExactZero(net, branchAndBound, "deep duplicates, trial \(trial)")
        }
        for trial in 0..<6 {
            // The e-pair with |b| = 2^m: a = b·e exactly, so a·s − b·(e·s) = 0 exactly.
            let d = rng.int(1...3), e = drawE(&rng), b = (rng.bool() ? -1 : 1) * pow(2, Double(rng.int(0...52)))
            let s = powerOfTwoRow(d, &rng), beta = trial % 2 == 0 ? powerOfTwoBias(&rng) : 0
            XCTAssertEqual((b * e).addingProduct(-b, e), 0)
            let net = network([([s, s.map { $0 * e }], [beta, beta * e]), ([[b * e, -b]], [0])], name: "exact e-pair")
            try assertExactZero(net, automatic + [branchAndBound[0], branchAndBound[2]], "exact e-pair, d \(d), trial \(trial)")
        }
    }

    /// Ordinary random networks, every path: exact, and the brute force's value.
    func testOrdinaryNetworksStayExact() throws {
        var rng = TestRandom(seed: 8109)
        for trial in 0..<24 {
            let d = [1, 2, 3, 2][trial % 4], outputs = trial % 5 == 4 ? 2 : 1
            let deep = trial % 3 == 2
            let widths = deep ? [d, rng.int(2...3), rng.int(2...3), outputs] : [d, rng.int(2...5), outputs]
            let net = randomNetwork(widths, using: &rng, biasScale: trial % 4 == 3 ? 0 : 1)
            let domain = trial % 6 == 5 ? try box(d, &rng) : nil
            let outcome = try check(net, box: domain, configurations: deep ? branchAndBound : automatic, expectExact: true,
                                    "ordinary \(widths), box \(domain != nil), trial \(trial)")
            XCTAssertFalse(outcome.floatIsWrong, "trial \(trial)")
        }
    }
    /// d = 2, one hidden layer of `others` general neurons plus two copies of one more, weighted
    /// 7000000000000002 and −7e15 at the output (a − b = 2, exact; the others' output weights are
    /// of that size): the float products cancel by ~1 while the constant is ~10. The same
    /// function with the pair merged into one neuron weighted 2 has no cancellation: its
    /// constant, exact from the trusted sweep, is the reference (the brute force stops at 16
    /// neurons).
    private func largeSweepPair(others: Int, seed: UInt64) throws -> (cancelling: ReLUNetwork, merged: ReLUNetwork) {
        var rng = TestRandom(seed: seed)
        let (b, a) = (7e15, 7e15 * (1 + 0x1p-52))
        XCTAssertEqual(a - b, 2)
        let u = [rng.normal(), rng.normal()], beta = rng.normal()
        let rows = (0..<others).map { _ in [rng.normal(), rng.normal()] }, biases = (0..<others).map { _ in rng.normal() }
        let outputs = (0..<others).map { _ in 2 * rng.normal() }
        let cancelling = build([([u, u] + rows, [beta, beta] + biases), ([[a, -b] + outputs], [0])], "pair and \(others)")
        let merged = build([([u] + rows, [beta] + biases), ([[a - b] + outputs], [0])], "merged and \(others)")
        return (cancelling, merged)
    }

    /// 65 neurons (beyond `Tolerances.sweepRecheckNeurons`, so no LP search): the sweep's
    /// rounding cannot be trusted, and the recheck (`ExactSearch.recheckSweep`: the near-best
    /// cells valued accurately; here every cell, 2,146 of them) makes it exact, in one piece and
    /// in shards.
    func testLargeSweepIsRecheckedToExact() throws {
        for (others, seed) in [(63, UInt64(8110))] {
            let (net, merged) = try largeSweepPair(others: others, seed: seed)
            var options = ExactOptions(norms: [.two, .infinity])
            options.threads = 2
            let reference = try ExactSearch.compute(merged, options: options)
            XCTAssertTrue(reference.isExact)
            XCTAssertEqual(reference.method, .arrangement)
            let swept = try ExactSearch.compute(net, options: options)
            XCTAssertTrue(swept.isExact, "\(others + 2) neurons")
            XCTAssertEqual(swept.method, .arrangement)
            for (s, r) in zip(swept.bounds, reference.bounds) { assertRelativelyEqual(s.lower, r.lower, 1e-9, "ℓ\(s.norm)") }
            var best = [0.0, 0.0]
            for k in 1...3 {
                options.shard = try Shard(index: k, count: 3)
                let part = try ExactSearch.compute(net, options: options)
                XCTAssertTrue(part.isExact, "shard \(k)")
                for n in best.indices { best[n] = max(best[n], part.bounds[n].lower) }
            }
            for (value, r) in zip(best, reference.bounds) { assertRelativelyEqual(value, r.lower, 1e-9, "shards") }
        }
    }

    /// 92 neurons, 4,279 cells: the recheck would have to value them all (the rounding bound S
    /// exceeds the constant), here more than its candidate limit (set to 1000 for the test; by
    /// default 181,159 for this network, `Tolerances.sweepCandidateLimit`), so it gives up and the
    /// answer is the certified interval, `"stopped": "rounding"`, holding the constant; so do the
    /// shards' parts together (about 1,430 cells each).
    func testSweepBeyondTheRecheckIsAnHonestInterval() throws {
        let (net, merged) = try largeSweepPair(others: 90, seed: 8111)
        var options = ExactOptions(norms: [.two, .infinity])
        options.threads = 2
        let reference = try ExactSearch.compute(merged, options: options)
        XCTAssertTrue(reference.isExact)
        XCTAssertTrue(try ExactSearch.compute(net, options: options).isExact, "the default limit lets the recheck value every cell")
        options.sweepCandidateLimit = 1000
        let swept = try ExactSearch.compute(net, options: options)
        XCTAssertEqual(swept.method, .arrangement)
        XCTAssertFalse(swept.isExact)
        XCTAssertEqual(swept.stopReason, .rounding)
        XCTAssertEqual(swept.regions, reference.regions)
        for (s, r) in zip(swept.bounds, reference.bounds) {
            XCTAssertLessThanOrEqual(s.lower, r.lower * (1 + 1e-9), "ℓ\(s.norm)")
            XCTAssertGreaterThanOrEqual(s.upper, r.lower * (1 - 1e-12), "ℓ\(s.norm)")
        }
        var lower = [0.0, 0.0], upper = [0.0, 0.0]
        for k in 1...3 {
            options.shard = try Shard(index: k, count: 3)
            let part = try ExactSearch.compute(net, options: options)
            for n in lower.indices { lower[n] = max(lower[n], part.bounds[n].lower); upper[n] = max(upper[n], part.bounds[n].upper) }
        }
        for n in lower.indices {
            XCTAssertLessThanOrEqual(lower[n], reference.bounds[n].lower * (1 + 1e-9))
            XCTAssertGreaterThanOrEqual(upper[n], reference.bounds[n].lower * (1 - 1e-12))
        }
    }
}
