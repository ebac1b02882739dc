@testable import ExactLipschitz
import Foundation
import LipschitzModel
import LipschitzTestSupport
import XCTest

/// Near-ties of the line sweep decided exactly (`LineTies`, `ExactDeterminant`): the kernel
/// against independent determinants, its conventions against the certified floating-point
/// decisions, and networks built to have near-ties — d + 1 planes through one point with biases
/// moved by a few ulps, planes nearly parallel to a line — against the brute force and the LP
/// search.
final class LineTieTests: XCTestCase {
    // MARK: The kernel

    /// Σ_{σ} sgn σ Π a_{i,σ(i)} in Int (entries small enough not to overflow): independent of
    /// the kernel's elimination.
    private func leibniz(_ a: [[Int]]) -> Int {
        let n = a.count
        if n == 1 { return a[0][0] }
        var total = 0
        for j in 0..<n {
            let minor = (1..<n).map { r in (0..<n).filter { $0 != j }.map { a[r][$0] } }
            total += (j % 2 == 0 ? 1 : -1) * a[0][j] * leibniz(minor)
        }
        return total
    }

    func testIntegerMatricesAgainstLaplaceExpansion() throws {
        var rng = TestRandom(seed: 901)
        let kernel = ExactDeterminant(capacity: 6)
        var zeros = 0
        for trial in 0..<400 {
            let n = 1 + trial % 6
            var a = (0..<n).map { _ in (0..<n).map { _ in rng.int(-9...9) } }
            // Every fourth: a row that is an exact combination of two others (det 0).
            if n > 2 && trial % 4 == 0 { a[n - 1] = zip(a[0], a[1]).map { 2 * $0 - 3 * $1 } }
            let truth = leibniz(a).signum()
            if truth == 0 { zeros += 1 }
            // Rows scaled by powers of two (a positive factor: same sign) far apart in exponent.
            let scaled = a.enumerated().flatMap { i, row in row.map { Double($0) * pow(2, Double([-900, 0, 700, -30, 51, -1060][i])) } }
            XCTAssertEqual(kernel.sign(scaled, n), truth, "\(a)")
        }
        XCTAssertGreaterThan(zeros, 50)
    }

    /// Determinants ±1 with entries near 2⁵² (consecutive Fibonacci numbers: F_{k+1}F_{k−1} −
    /// F_k² = (−1)^k), where the floating-point determinant is pure rounding, and embedded in a
    /// block matrix with a known factor.
    func testIllConditionedKnownDeterminants() throws {
        let kernel = ExactDeterminant(capacity: 6)
        var f = [1, 1]
        while f.count < 78 { f.append(f[f.count - 1] + f[f.count - 2]) }
        for k in 60..<77 {
            // f[k] is F_{k+1} (F₁ = F₂ = 1); all below 2⁵³, so exact as doubles.
            let sign = k % 2 == 0 ? -1 : 1  // (−1)^(k+1)
            let m2 = [Double(f[k + 1]), Double(f[k]), Double(f[k]), Double(f[k - 1])]
            XCTAssertEqual(kernel.sign(m2, 2), sign, "k = \(k)")
            // Rows (r1, r2, r3, r0) form blockdiag(M, −3, 5), det −15·det M; moving row 0 to the
            // end is three transpositions, so det = 15·det M.
            let m4: [Double] = [0, 0, 0, 5,
                                Double(f[k + 1]), Double(f[k]), 0, 0,
                                Double(f[k]), Double(f[k - 1]), 0, 0,
                                0, 0, -3, 0]
            XCTAssertEqual(kernel.sign(m4, 4), sign, "k = \(k)")
        }
        XCTAssertNil(kernel.sign([1, .nan, 0, 1], 2))
        XCTAssertEqual(kernel.sign([Double.leastNonzeroMagnitude, 0, 0, -Double.greatestFiniteMagnitude], 2), -1)
        XCTAssertEqual(kernel.sign([0, 1, 1, 0], 2), -1)
        XCTAssertEqual(kernel.sign([0, 0, 1, 0], 2), 0)
    }

    /// Random double matrices whose floating-point LU determinant is far from zero relative to
    /// a generous bound on its error: the signs must agree.
    func testRandomMatricesAgainstWellSeparatedFloatingPoint() throws {
        var rng = TestRandom(seed: 902)
        let kernel = ExactDeterminant(capacity: 6)
        var checked = 0
        for trial in 0..<600 {
            let n = 1 + trial % 6
            let a = (0..<(n * n)).map { _ in rng.normal() * pow(2, Double(rng.int(-3...3))) }
            var lu = a, sign = 1.0, det = 1.0
            for k in 0..<n {
                let p = (k..<n).max { abs(lu[$0 * n + k]) < abs(lu[$1 * n + k]) }!
                if p != k { for j in 0..<n { lu.swapAt(k * n + j, p * n + j) }; sign = -sign }
                det *= lu[k * n + k]
                for i in (k + 1)..<n where lu[k * n + k] != 0 {
                    let l = lu[i * n + k] / lu[k * n + k]
                    for j in k..<n { lu[i * n + j] -= l * lu[k * n + j] }
                }
            }
            // Hadamard bound times a loose backward-error factor.
            let hadamard = (0..<n).reduce(1.0) { h, i in h * (0..<n).reduce(0.0) { $0 + a[i * n + $1] * a[i * n + $1] }.squareRoot() }
            guard abs(det) > 1e-8 * hadamard else { continue }
            XCTAssertEqual(kernel.sign(a, n), Int((sign * det).sign == .minus ? -1 : 1))
            checked += 1
        }
        XCTAssertGreaterThan(checked, 500)
    }

    // MARK: Conventions of the exact decisions

    /// On random arrangements, every exact decision agrees with the certified floating-point
    /// one wherever the latter is certain: the crossing order (`crossingPrecedes` on pairs
    /// compared exactly regardless of their intervals), the functional's sign and the λ signs.
    func testExactDecisionsAgreeWithCertifiedOnes() throws {
        var rng = TestRandom(seed: 903)
        var pairs = 0, coefficients = 0
        for trial in 0..<30 {
            let d = 2 + trial % 4
            let net = randomNetwork([d, d + 5, 1], using: &rng)
            var arrangement = try XCTUnwrap(Arrangement(network: net))
            arrangement.setBox(try InputBox(uniform: -50, 50, dimension: d))
            let sweeper = LineSweeper(arrangement: arrangement, norms: [.two], control: SweepControl(shouldStop: { false }, claim: nil))
            let line = Array(0..<(d - 1))
            let n = try XCTUnwrap(sweeper.crossings(line))
            CrossingSort.sort(sweeper.entries, n, positions: sweeper.position, scratch: sweeper.scratch, histogram: sweeper.histogram)
            XCTAssertTrue(sweeper.orderIsCertain(n))
            let order = (0..<n).map { sweeper.plane($0) }
            sweeper.loadLineRows(line)
            for i in 0..<n {
                for j in 0..<n where i != j {
                    // Shrink the radii to zero so that the exact path answers every pair.
                    let (ri, rj) = (sweeper.radius[order[i]], sweeper.radius[order[j]])
                    sweeper.radius[order[i]] = .infinity; sweeper.radius[order[j]] = .infinity
                    XCTAssertEqual(sweeper.crossingPrecedes(order[i], order[j]), i < j, "d = \(d)")
                    (sweeper.radius[order[i]], sweeper.radius[order[j]]) = (ri, rj)
                    pairs += 1
                }
            }
            for i in 0..<(d - 1) { sweeper.members[i] = line[i] }
            let floating = sweeper.certified.loadCoefficients(line, normals: sweeper.rawA)
            if floating != 0 { XCTAssertEqual(sweeper.exactFunctionalSign(line), floating) }
            for k in (d - 1)..<arrangement.networkCount {
                for j in 0..<(d - 1) {
                    let g = sweeper.coefficientVectors + j * d
                    let s = (0..<d).reduce(0.0) { $0 + sweeper.rawA[k * d + $1] * g[$1] }
                    guard abs(s) > sweeper.weightSize[k] * sweeper.coefficientErrors[j] * 2 else { continue }
                    XCTAssertEqual(sweeper.exactCoefficientSign(member: j, plane: k), s > 0 ? 1 : -1)
                    coefficients += 1
                }
            }
        }
        XCTAssertGreaterThan(pairs, 1000)
        XCTAssertGreaterThan(coefficients, 50)
    }

    // MARK: Networks with near-ties

    private func norms(_ net: ReLUNetwork) -> [LipschitzNorm] { [.one, .two, .infinity] }

    private func run(_ net: ReLUNetwork, box: InputBox?, method: SearchMethod) throws -> ExactReport {
        var options = ExactOptions(norms: norms(net), box: box)
        options.method = method
        options.threads = 2
        return try ExactSearch.compute(net, options: options)
    }

    /// Groups of d + 1 planes through one point, exactly (normals k/8 and a point of quarters:
    /// every product and sum is exact), plus random planes; with `nudge`, one bias per group moved
    /// by 1–3 ulps, so the group's crossings lie within ulps of each other but no d + 1 planes
    /// meet.
    private func concurrentNetwork(d: Int, nudge: Bool, outputs: Int, using rng: inout TestRandom) -> ReLUNetwork {
        var rows: [[Double]] = [], biases: [Double] = []
        for _ in 0..<(d >= 4 ? 1 : 2) {
            let point = (0..<d).map { _ in Double(rng.int(-8...8)) / 4 }
            for i in 0...d {
                let w = (0..<d).map { _ in Double(rng.int(-64...64)) / 8 }
                guard w.contains(where: { $0 != 0 }) else { continue }
                var b = -zip(w, point).reduce(0) { $0 + $1.0 * $1.1 }
                // (A zero bias moves by ulps of 1, not to a subnormal the brute force cannot scale.)
                if nudge && i == d { for _ in 0..<rng.int(1...3) { b = b == 0 ? 0x1p-52 : b.nextUp } }
                rows.append(w); biases.append(b)
            }
        }
        for _ in 0..<rng.int(1...3) { rows.append((0..<d).map { _ in rng.normal() }); biases.append(rng.normal()) }
        let out = (0..<outputs).map { _ in rows.map { _ in rng.normal() } }
        return network([(rows, biases), (out, out.map { _ in 0 })])
    }

    /// The sweep answers near-ties exactly (method arrangement, exact) and agrees with the brute
    /// force and the LP search; globally its region count is Σ_{i≤d} C(N, i) (general position).
    func testNudgedConcurrentPlanesAreSweptExactly() throws {
        var rng = TestRandom(seed: 904)
        for trial in 0..<24 {
            let d = [1, 2, 3, 5][trial % 4]
            let net = concurrentNetwork(d: d, nudge: true, outputs: 1 + trial % 2, using: &rng)
            let box = trial % 3 == 0 ? try randomBox(d, smallestSide: 0.5, spread: 3, using: &rng) : nil
            let swept: ExactReport
            swept = try run(net, box: box, method: .arrangement)
            XCTAssertTrue(swept.isExact, "d = \(d)")
            XCTAssertEqual(swept.method, .arrangement)
            let truth = try ExactBruteForce.run(net, norms: norms(net), box: box)
            XCTAssertEqual(swept.regions, truth.regions, "d = \(d) trial \(trial)")
            let lp = try run(net, box: box, method: .linearPrograms)
            for (n, bound) in swept.bounds.enumerated() {
                assertRelativelyEqual(bound.value, truth.constants[n], 1e-9, "ℓ\(bound.norm) d = \(d)")
                assertRelativelyEqual(bound.value, lp.bounds[n].value, 1e-9)
            }
            if box == nil {
                let planes = net.layers[0].outputDimension
                XCTAssertEqual(swept.regions, (0...d).reduce(0) { $0 + Subsets.binomial(planes, $1) }, "d = \(d)")
            }
        }
    }

    /// The class really is a near-tie: on the line of a group's first d − 1 planes the
    /// certified intervals of the other two overlap, and the exact order resolves them.
    func testNudgedGroupsOverlapInFloatingPoint() throws {
        var rng = TestRandom(seed: 905)
        var overlapping = 0
        for trial in 0..<20 {
            let d = [2, 3, 5][trial % 3]
            let net = concurrentNetwork(d: d, nudge: true, outputs: 1, using: &rng)
            guard var arrangement = Arrangement(network: net) else { continue }
            arrangement.setBox(try InputBox(uniform: -100, 100, dimension: d))
            let sweeper = LineSweeper(arrangement: arrangement, norms: [.two], control: SweepControl(shouldStop: { false }, claim: nil))
            let line = Array(0..<(d - 1))
            guard let n = sweeper.crossings(line) else { continue }
            CrossingSort.sort(sweeper.entries, n, positions: sweeper.position, scratch: sweeper.scratch, histogram: sweeper.histogram)
            if sweeper.orderIsCertain(n) { continue }
            overlapping += 1
            XCTAssertTrue(sweeper.resolveOrder(line, n))
            XCTAssertGreaterThan(sweeper.exactStatistics.orders, 0)
            // The resolved order is the exact one: each consecutive pair compared exactly.
            sweeper.loadLineRows(line)
            for i in 1..<n { XCTAssertEqual(sweeper.crossingPrecedes(sweeper.plane(i - 1), sweeper.plane(i)), true) }
        }
        XCTAssertGreaterThan(overlapping, 5)
    }

    /// Truly concurrent planes (the same construction without the nudge): the answer is right,
    /// whether the sweep handles it or the LP search does.
    func testTrulyConcurrentPlanesStillAgree() throws {
        var rng = TestRandom(seed: 906)
        for trial in 0..<12 {
            let d = [1, 2, 3][trial % 3]
            let net = concurrentNetwork(d: d, nudge: false, outputs: 1 + trial % 2, using: &rng)
            let report = try run(net, box: nil, method: .automatic)
            XCTAssertTrue(report.isExact)
            let truth = try ExactBruteForce.run(net, norms: norms(net))
            XCTAssertEqual(report.regions, truth.regions)
            for (n, bound) in report.bounds.enumerated() { assertRelativelyEqual(bound.value, truth.constants[n], 1e-9) }
        }
    }

    /// Planes nearly parallel to a line (the class of the theory sweep's failures): a normal
    /// equal to the sum of d − 1 others up to 10⁻¹³…10⁻¹¹ relative, so that it crosses a
    /// line at a rate below `sweepSmallestPivot` and far out. The sweep places the far vertex
    /// (inside its box) and counts every region.
    func testNearlyParallelPlanesAreSwept() throws {
        var rng = TestRandom(seed: 907)
        for trial in 0..<18 {
            let d = [2, 3, 4][trial % 3]
            var rows = (0..<(d + 2)).map { _ in (0..<d).map { _ in rng.normal() } }
            // The sum of d − 1 normals: nearly dependent with them (a flat crossing on their
            // line), while every d − 1 of the d planes still cut out a well-conditioned line.
            var near = (0..<d).map { c in (0..<(d - 1)).reduce(0.0) { $0 + rows[$1][c] } }
            near[rng.int(0...(d - 1))] *= 1 + Double(rng.int(1...9)) * pow(10, -Double(rng.int(11...13)))
            rows.append(near)
            let biases = rows.map { _ in rng.normal() }
            let out = (0..<(1 + trial % 2)).map { _ in rows.map { _ in rng.normal() } }
            let net = network([(rows, biases), (out, out.map { _ in 0 })])
            let swept: ExactReport
            swept = try run(net, box: nil, method: .arrangement)
            XCTAssertTrue(swept.isExact)
            let truth = try ExactBruteForce.run(net, norms: norms(net))
            XCTAssertEqual(swept.regions, truth.regions, "d = \(d)")
            XCTAssertEqual(swept.regions, (0...d).reduce(0) { $0 + Subsets.binomial(rows.count, $1) })
            for (n, bound) in swept.bounds.enumerated() { assertRelativelyEqual(bound.value, truth.constants[n], 1e-9) }
        }
    }

    /// The case that ended the theory sweep's d = 2, N = 10⁴ network as an interval, shrunk:
    /// its two planes at a rate of 4·10⁻¹¹ to each other (neurons 3634 and 9979 of seed
    /// 312660861835649833) with a few random ones.
    func testShrunkWideNetworkRegression() throws {
        var rng = TestRandom(seed: 908)
        var rows: [[Double]] = [[0.021674414902380687, 0.020026771817839913], [0.012305253426768527, 0.011369834141793432]]
        var biases = [-0.5346470937551614, 0.9991563743281973]
        for _ in 0..<8 { rows.append([rng.normal(), rng.normal()]); biases.append(rng.normal()) }
        let net = network([(rows, biases), ([rows.map { _ in rng.normal() }], [0])])
        let swept = try run(net, box: nil, method: .arrangement)
        XCTAssertTrue(swept.isExact)
        XCTAssertEqual(swept.regions, 1 + 10 + 45)
        let truth = try ExactBruteForce.run(net, norms: norms(net))
        for (n, bound) in swept.bounds.enumerated() { assertRelativelyEqual(bound.value, truth.constants[n], 1e-9) }
    }
}
