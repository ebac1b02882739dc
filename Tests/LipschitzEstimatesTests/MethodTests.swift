@testable import LipschitzEstimates
import LipschitzModel
import XCTest
import LipschitzTestSupport

/// The pieces behind the methods: batched Jacobians, ties, interval states, layer norms,
/// the reverse Weibull fit, validation and determinism.
final class MethodTests: XCTestCase {
    private func net(_ layers: [([[Double]], [Double])]) -> ReLUNetwork {
        try! ReLUNetwork(name: "t", layers: layers.map { AffineLayer(weights: Matrix(rowArrays: $0.0), biases: $0.1) })
    }

    /// Batched back-propagation agrees with the model's own Jacobian, for widths that are and
    /// are not multiples of the 4-way blocking, deep and vector-valued, in batches of 64 and not.
    func testBatchedJacobiansMatchTheModel() throws {
        for (n, widths) in [[3, 5, 1], [4, 9, 7, 2], [2, 8, 8, 8, 3], [5, 1, 1], [6, 13, 4]].enumerated() {
            let network = randomNetwork(widths, seed: 40 + UInt64(n))
            var rng = SeededGenerator(seed: 9)
            let points = (0..<150).map { _ in (0..<widths[0]).map { _ in 3 * rng.nextNormal() } }
            let flat = FlatNetwork(network)
            let jacobians = flat.jacobians(at: points)
            XCTAssertEqual(jacobians.count, points.count)
            for (x, j) in zip(points, jacobians) {
                let j = try XCTUnwrap(j, "a random point is not a tie")
                let expected = network.jacobian(at: x)
                XCTAssertEqual(j.rows, expected.rows)
                for (a, b) in zip(j.storage, expected.storage) { XCTAssertEqual(a, b, accuracy: 1e-12 * max(1, abs(b))) }
            }
        }
    }

    func testAffineNetworkHasItsWeightsAsJacobian() throws {
        let network = net([([[1, -2, 3], [0.5, 0, -1]], [1, 2])])
        let j = try XCTUnwrap(FlatNetwork(network).jacobians(at: [[1, 1, 1]])[0])
        XCTAssertEqual(j, network.layers[0].weights)
        let options = EstimateOptions(norm: .infinity, samples: 10)
        for e in try LipschitzEstimator.all(network, options: options) { XCTAssertEqual(e.value, 6, accuracy: 1e-12, "\(e.method)") }
    }

    /// A point on a hyperplane is refused; a point on the "hyperplane" of a constant neuron
    /// (zero weights, zero bias: 0 everywhere) is fine, since that neuron never matters.
    func testTiesAreRefusedUnlessTheNeuronIsConstant() {
        let network = net([([[1, 0], [0, 1], [0, 0]], [0, -1, 0]), ([[1, 1, 5]], [0])])
        let result = FlatNetwork(network).jacobians(at: [[0, 3], [2, 1], [2, 2], [0.5, 0.5]])
        XCTAssertNil(result[0], "neuron 1 is exactly at 0")
        XCTAssertNil(result[1], "neuron 2 is exactly at 0")
        XCTAssertEqual(result[2]?.storage, [1, 1])
        XCTAssertEqual(result[3]?.storage, [1, 0])
    }

    /// A deeper tie: the second-layer neuron sits at 0 while its inputs are active.
    func testDeepTieIsRefused() {
        let network = net([([[1], [-1]], [0, 0]), ([[1, 1]], [-2]), ([[3]], [0])])
        let result = FlatNetwork(network).jacobians(at: [[2], [-2], [3]])
        XCTAssertNil(result[0])
        XCTAssertNil(result[1])
        XCTAssertEqual(result[2]?.storage, [3])
        // Upstream inactive makes the deep neuron constant (−2 < 0): no tie at all there.
        XCTAssertEqual(FlatNetwork(net([([[1]], [-5]), ([[1]], [0]), ([[3]], [0])])).jacobians(at: [[1]])[0]?.storage, [0])
    }

    func testIntervalStatesOverABoxAndGlobally() throws {
        // Neuron 0: x ≥ 1 on the box; neuron 1: −x − 1 < 0 on it; neuron 2 crosses zero.
        let network = net([([[1], [-1], [1], [0]], [0, -1, -1.5, 2]), ([[1, 1, 1, 1], [-1, -1, -1, 0]], [0, 0]), ([[1, 1]], [0])])
        let box = try InputBox(lower: [1], upper: [2])
        let states = UpperBounds.intervalStates(network, box: box)
        XCTAssertEqual(states[0], [.active, .inactive, .unknown, .active])
        XCTAssertEqual(states[1][0], .active)
        XCTAssertEqual(states[1][1], .inactive)
        // Globally only the constant neuron is fixed in layer 0; the second layer's neuron 1
        // has non-positive weights on [0, ∞) inputs and bias 0, so it is inactive everywhere.
        let global = UpperBounds.intervalStates(network, box: nil)
        XCTAssertEqual(global[0], [.unknown, .unknown, .unknown, .active])
        XCTAssertEqual(global[1], [.active, .inactive])
    }

    /// With a box the interval bound never exceeds the global one (more neurons fixed means
    /// entrywise smaller magnitudes).
    func testBoxIntervalBoundIsNoWorseThanGlobal() throws {
        for seed: UInt64 in 0..<10 {
            let network = randomNetwork([3, 10, 8, 2], seed: seed)
            let global = try UpperBounds.intervalJacobian(network, p: .two, box: nil)
            let local = try UpperBounds.intervalJacobian(network, p: .two, box: try InputBox(uniform: -0.1, 0.1, dimension: 3))
            XCTAssertLessThanOrEqual(local.value, global.value * (1 + 1e-12))
            XCTAssertGreaterThan(local.fixed, 0)
        }
    }

    func testLayerProductByHand() throws {
        // ‖[[3, 0], [0, 1]]‖ = 3 in every ℓp, ‖[1, 1]‖_{p→p} = ‖(1, 1)‖_q.
        let network = net([([[3, 0], [0, 1]], [1, -1]), ([[1, 1]], [0])])
        XCTAssertEqual(try UpperBounds.layerProduct(network, p: .two), 3 * 2.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(try UpperBounds.layerProduct(network, p: .one), 3, accuracy: 1e-12)
        XCTAssertEqual(try UpperBounds.layerProduct(network, p: .infinity), 6, accuracy: 1e-12)
        XCTAssertEqual(try UpperBounds.layerProduct(network, p: .p(3)), 3 * pow(2, 2.0 / 3), accuracy: 1e-12)
    }

    /// The Riesz–Thorin bound is an upper bound on ‖W‖_{p→p}: no vector is stretched more.
    func testInterpolatedNormBoundsEveryRatio() throws {
        var rng = SeededGenerator(seed: 5)
        for trial in 0..<20 {
            let rows = 2 + trial % 5, columns = 2 + trial % 4
            let w = Matrix(rows: rows, columns: columns, storage: (0..<(rows * columns)).map { _ in rng.nextNormal() })
            for p in [1.2, 1.7, 2.5, 4.0, 10.0] {
                let bound = try UpperBounds.interpolatedNorm(w, exponent: p)
                let norm = LipschitzNorm(exponent: p)
                for _ in 0..<300 {
                    let x = (0..<columns).map { _ in rng.nextNormal() }
                    XCTAssertLessThanOrEqual(vectorNorm(w * x, p: norm), bound * vectorNorm(x, p: norm) * (1 + 1e-12))
                }
                // And it is exact for a diagonal matrix (all three norms agree).
                let diagonal = Matrix(rowArrays: [[2, 0], [0, -0.5]])
                XCTAssertEqual(try UpperBounds.interpolatedNorm(diagonal, exponent: p), 2, accuracy: 1e-12)
            }
        }
    }

    /// Maxima of reverse Weibull samples give back the location.
    func testReverseWeibullFitRecoversTheLocation() throws {
        var rng = SeededGenerator(seed: 11)
        for (mu, sigma, k) in [(5.0, 1.0, 3.0), (2.0, 0.5, 1.5), (10.0, 3.0, 6.0)] {
            // Inverse CDF: y = μ − σ (−log u)^{1/k}.
            let data = (0..<400).map { _ in mu - sigma * pow(-log(max(rng.nextUniform(), 1e-300)), 1 / k) }
            let fit = try XCTUnwrap(ReverseWeibullFit.fit(data))
            XCTAssertGreaterThan(fit.location, data.max()!)
            XCTAssertEqual(fit.location, mu, accuracy: 0.1 * sigma, "k = \(k)")
            XCTAssertEqual(fit.shape, k, accuracy: 0.35 * k)
        }
        XCTAssertNil(ReverseWeibullFit.fit([1, 1, 1, 1]))
        XCTAssertNil(ReverseWeibullFit.fit([1, 2]))
    }

    func testSameSeedSameResultsDifferentSeedDifferentPoints() throws {
        let network = randomNetwork([4, 12, 6, 1], seed: 3)
        for box in [nil, try InputBox(uniform: -1, 1, dimension: 4)] {
            let a = try LipschitzEstimator.all(network, options: EstimateOptions(norm: .two, samples: 200, seed: 42, box: box))
            let b = try LipschitzEstimator.all(network, options: EstimateOptions(norm: .two, samples: 200, seed: 42, box: box))
            XCTAssertEqual(a.map(\.value), b.map(\.value))
            XCTAssertEqual(a.map(\.point), b.map(\.point))
            XCTAssertEqual(a.map(\.notes), b.map(\.notes))
            let c = try LipschitzEstimator.estimate(network, method: .sampled, options: EstimateOptions(samples: 200, seed: 43, box: box))
            XCTAssertNotEqual(a[0].point, c.point)
        }
    }

    func testBadOptionsAreInputProblems() throws {
        let scalar = randomNetwork([2, 3, 1], seed: 1), vector = randomNetwork([2, 3, 2], seed: 1)
        XCTAssertThrowsError(try LipschitzEstimator.all(scalar, options: EstimateOptions(samples: 0))) {
            XCTAssertEqual($0 as? EstimateError, .badSamples(0))
            XCTAssertTrue($0 is InputProblem)
        }
        XCTAssertThrowsError(try LipschitzEstimator.all(scalar, options: EstimateOptions(samples: -3)))
        XCTAssertThrowsError(try LipschitzEstimator.all(scalar, options: EstimateOptions(samples: EstimateOptions.maximumSamples + 1)))
        XCTAssertThrowsError(try LipschitzEstimator.all(vector, options: EstimateOptions(norm: .p(3)))) {
            XCTAssertEqual($0 as? InputError, .normNeedsScalarOutput(p: LipschitzNorm.p(3).description, outputs: 2))
        }
        XCTAssertThrowsError(try LipschitzEstimator.all(scalar, options: EstimateOptions(norm: .p(0.5))))
        var negativeWork = EstimateOptions()
        negativeWork.searchWork = -1
        XCTAssertThrowsError(try LipschitzEstimator.all(scalar, options: negativeWork)) {
            XCTAssertEqual($0 as? EstimateError, .badSearchWork(-1))
        }
        for starts in [0, -2, EstimateOptions.maximumSearchStarts + 1] {
            var badStarts = EstimateOptions()
            badStarts.searchStarts = starts
            XCTAssertThrowsError(try LipschitzEstimator.all(scalar, options: badStarts)) {
                XCTAssertEqual($0 as? EstimateError, .badSearchStarts(starts))
            }
        }
        XCTAssertThrowsError(try LipschitzEstimator.all(scalar, options: EstimateOptions(box: try InputBox(uniform: 0, 1, dimension: 3)))) {
            XCTAssertTrue($0 is InputError)
        }
        XCTAssertThrowsError(try EstimationMethod(parsing: "newton")) {
            XCTAssertEqual(($0 as? EstimateError)?.description,
                           "unknown method \"newton\": use sampled, local-search, layer-product, interval-jacobian, clever or all")
        }
        XCTAssertEqual(try EstimationMethod(parsing: " Local-Search "), .localSearch)
    }

    func testKindsAndNames() {
        XCTAssertEqual(EstimationMethod.allCases.map(\.rawValue), ["sampled", "local-search", "layer-product", "interval-jacobian", "clever"])
        XCTAssertEqual(EstimationMethod.allCases.map(\.kind), [.lowerBound, .lowerBound, .upperBound, .upperBound, .heuristic])
        XCTAssertEqual(EstimateKind.heuristic.rawValue, "estimate (no guarantee)")
    }

    /// Far-field sampling scales come from the first layer's hyperplane distances.
    func testSamplingScales() throws {
        let network = net([([[3, 4], [0, 0], [1, 0]], [10, 7, -1]), ([[1, 1, 1]], [0])])
        XCTAssertEqual(network.lengthScale, 2, accuracy: 1e-12)
        let homogeneous = net([([[3, 4]], [0]), ([[1]], [0])])
        XCTAssertEqual(homogeneous.lengthScale, 1)
        var inBox = PointSampler(network: network, box: try InputBox(lower: [5, -1], upper: [6, 0]), seed: 1)
        for _ in 0..<100 {
            let x = inBox.next()
            XCTAssertTrue(x[0] >= 5 && x[0] < 6 && x[1] >= -1 && x[1] < 0)
        }
    }

    /// Both interval enclosures contain every admissible Jacobian: the model's Jacobian at
    /// sampled points of the box lies within them.
    func testIntervalEnclosuresContainTheJacobians() throws {
        for seed: UInt64 in 0..<6 {
            let network = randomNetwork([3, 7, 6, 2], seed: seed)
            let box = try InputBox(uniform: -0.7, 0.4, dimension: 3)
            let states = UpperBounds.intervalStates(network, box: box)
            let backward = UpperBounds.backwardIntervalJacobian(network, states: states)
            let forward = IntervalJacobian(network: network, states: states)
            var rng = SeededGenerator(seed: seed)
            for _ in 0..<200 {
                let x = (0..<3).map { _ in -0.7 + 1.1 * rng.nextUniform() }
                let j = network.jacobian(at: x)
                for t in j.storage.indices {
                    XCTAssertLessThanOrEqual(backward.lower[t], j.storage[t] + 1e-12)
                    XCTAssertGreaterThanOrEqual(backward.upper[t], j.storage[t] - 1e-12)
                    XCTAssertLessThanOrEqual(forward.lower.storage[t], j.storage[t] + 1e-12)
                    XCTAssertGreaterThanOrEqual(forward.upper.storage[t], j.storage[t] - 1e-12)
                }
            }
            // With every state known the enclosure is the one Jacobian, in both orders.
            let pattern = network.activationPattern(at: [0.1, -0.2, 0.3])
            let exactStates = pattern.layers.map { $0.map { $0 ? NeuronState.active : .inactive } }
            let point = UpperBounds.backwardIntervalJacobian(network, states: exactStates)
            let j = network.jacobian(for: pattern)
            for t in j.storage.indices {
                XCTAssertEqual(point.lower[t], j.storage[t], accuracy: 1e-12)
                XCTAssertEqual(point.upper[t], j.storage[t], accuracy: 1e-12)
            }
        }
    }

    /// The Gram-matrix path for big matrices agrees with `dgesvd` and never falls below it.
    func testSpectralNormOfBigMatricesViaTheGramMatrix() throws {
        var rng = SeededGenerator(seed: 21)
        for (rows, columns) in [(250, 300), (300, 250), (210, 210)] {
            let w = Matrix(rows: rows, columns: columns, storage: (0..<(rows * columns)).map { _ in rng.nextNormal() })
            let reference = try operatorNorm(w, p: .two)
            let bound = try SpectralNorm.upperBound(w)
            XCTAssertGreaterThanOrEqual(bound, reference)
            XCTAssertEqual(bound, reference, accuracy: 1e-9 * reference)
        }
        XCTAssertEqual(try SpectralNorm.upperBound(Matrix(rows: 300, columns: 200)), 0)
        // Small matrices go to dgesvd directly.
        let small = Matrix(rowArrays: [[3, 0], [4, 0]])
        XCTAssertEqual(try SpectralNorm.upperBound(small), 5, accuracy: 1e-12)
    }

    /// Weights near the largest double overflow the Jacobians: lower bounds only use finite
    /// norms, upper bounds read +∞ (never NaN), and nothing crashes.
    func testOverflowGivesInfiniteUpperBoundsAndFiniteLowerBounds() throws {
        let big = 1e200
        let network = net([([[big, big], [big, -big]], [0, 1]), ([[big, big], [big, big]], [0, 0]), ([[big, big]], [0])])
        for e in try LipschitzEstimator.all(network, options: EstimateOptions(samples: 100)) {
            XCTAssertFalse(e.value.isNaN, "\(e.method)")
            switch e.kind {
            case .upperBound: XCTAssertEqual(e.value, .infinity, "\(e.method)")
            case .lowerBound, .heuristic: XCTAssertTrue(e.value.isFinite, "\(e.method)")
            }
        }
        XCTAssertEqual(Double.nan.nanAsInfinity, .infinity)
        XCTAssertEqual(2.5.nanAsInfinity, 2.5)
    }

    func testLeaderboardKeepsTheBestDistinctValuesFirstDrawnWins() {
        var board = Leaderboard(capacity: 3)
        for (index, value) in [2.0, 5, 5, 1, 4, 7, 4, 3].enumerated() {
            board.insert(SampledNorms.Entry(value: value, index: index, point: [Double(index)]))
        }
        XCTAssertEqual(board.entries.map(\.value), [7, 5, 4])
        XCTAssertEqual(board.entries.map(\.index), [5, 1, 4])
    }

    /// The samples are summarised without keeping them: B = round(√K) batch maxima, the best
    /// point, and leaderboards; the best equals the largest batch maximum.
    func testSampleSummary() throws {
        let network = randomNetwork([3, 9, 1], seed: 8)
        let options = EstimateOptions(samples: 401, seed: 2)
        let summary = try SampledNorms(network: network, flat: FlatNetwork(network), options: options)
        XCTAssertEqual(SampledNorms.batchCount(401), 20)
        XCTAssertEqual(SampledNorms.batchCount(1), 1)
        XCTAssertEqual(SampledNorms.batchCount(1_000_000), 100)
        XCTAssertEqual(summary.batchMaxima.count, 20)
        XCTAssertEqual(summary.tieCount, 0)
        let best = try XCTUnwrap(summary.best)
        XCTAssertEqual(best.value, summary.batchMaxima.max())
        XCTAssertEqual(try operatorNorm(network.jacobian(at: best.point), p: .two), best.value, accuracy: 1e-12)
        XCTAssertFalse(summary.farTop.entries.isEmpty)
        XCTAssertTrue(summary.farTop.entries.allSatisfy { $0.index % 5 >= 3 })
    }
}
