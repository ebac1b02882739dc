import Foundation
import LipschitzModel
import LipschitzTheory
import RandomNetworks
import XCTest

final class LipschitzTheoryTests: XCTestCase {
    func testEuclideanClosedFormAtKnownDimensions() {
        // Chi means: d = 1 half-normal, d = 2 Rayleigh, d = 3 Maxwell.
        XCTAssertEqual(GaussianNorms.expectedEuclideanNorm(dimension: 1), (2 / Double.pi).squareRoot(), accuracy: 1e-14)
        XCTAssertEqual(GaussianNorms.expectedEuclideanNorm(dimension: 2), (Double.pi / 2).squareRoot(), accuracy: 1e-14)
        XCTAssertEqual(GaussianNorms.expectedEuclideanNorm(dimension: 3), 2 * (2 / Double.pi).squareRoot(), accuracy: 1e-14)
        // Large d through lgamma: ≈ √(d − 1/2) with error O(d^{-3/2}); no overflow at d = 10⁶.
        XCTAssertEqual(GaussianNorms.expectedEuclideanNorm(dimension: 1000), (999.5).squareRoot(), accuracy: 1e-4)
        XCTAssertEqual(GaussianNorms.expectedEuclideanNorm(dimension: 1_000_000), (999_999.5).squareRoot(), accuracy: 1e-6)
    }

    func testClosedFormsAgreeWithMonteCarlo() {
        for d in 1...6 {
            for q in [LipschitzNorm.one, .two] {
                let closed = GaussianNorms.expectedNorm(q, dimension: d)
                XCTAssertTrue(closed.isClosedForm)
                let mc = GaussianNorms.monteCarlo(q, dimension: d, samples: 100_000, seed: UInt64(d))
                XCTAssertEqual(mc.value, closed.value, accuracy: 4 * mc.standardError, "q = \(q), d = \(d)")
                XCTAssertLessThan(mc.standardError, 0.01 * closed.value)
            }
        }
    }

    func testMaxNormMonteCarloAgreesWithQuadratureAndExactValues() {
        XCTAssertEqual(GaussianNorms.expectedMaxAbsByQuadrature(dimension: 1), (2 / Double.pi).squareRoot(), accuracy: 1e-10)
        // max(|x|, |y|) = (|x + y| + |x − y|)/2 with x ± y ~ N(0, 2): the mean is 2/√π.
        XCTAssertEqual(GaussianNorms.expectedMaxAbsByQuadrature(dimension: 2), 2 / Double.pi.squareRoot(), accuracy: 1e-10)
        for d in [1, 2, 3, 5, 8] {
            let mc = GaussianNorms.expectedNorm(.infinity, dimension: d, samples: 100_000, seed: 7)
            XCTAssertFalse(mc.isClosedForm)
            XCTAssertEqual(mc.value, GaussianNorms.expectedMaxAbsByQuadrature(dimension: d), accuracy: 4 * mc.standardError, "d = \(d)")
        }
    }

    func testGeneralQLiesBetweenItsNeighboursAndBelowTheMomentBound() {
        for d in [2, 4] {
            let q3 = GaussianNorms.expectedNorm(.p(3), dimension: d, samples: 50_000, seed: 1)
            let two = GaussianNorms.expectedEuclideanNorm(dimension: d)
            let inf = GaussianNorms.expectedMaxAbsByQuadrature(dimension: d)
            XCTAssertGreaterThan(q3.value, inf)
            XCTAssertLessThan(q3.value, two)
            XCTAssertLessThan(q3.value, GaussianNorms.momentBound(q: 3, dimension: d) + 4 * q3.standardError)
        }
        // At q = 1 the moment bound is exact.
        XCTAssertEqual(GaussianNorms.momentBound(q: 1, dimension: 5), GaussianNorms.expectedL1Norm(dimension: 5), accuracy: 1e-12)
        XCTAssertEqual(GaussianNorms.momentBound(q: 2, dimension: 5), 5.0.squareRoot(), accuracy: 1e-12)
    }

    func testPredictionUsesTheRightGaussianNorm() throws {
        XCTAssertEqual(RandomNetworkTheory.gaussianNorm(for: .two), .two)
        XCTAssertEqual(RandomNetworkTheory.gaussianNorm(for: .infinity), .one)
        XCTAssertEqual(RandomNetworkTheory.gaussianNorm(for: .one), .two)
        XCTAssertEqual(RandomNetworkTheory.gaussianNorm(for: .p(1.5)), .two)
        XCTAssertEqual(RandomNetworkTheory.gaussianNorm(for: .p(3)), .p(1.5))
        let inf = try RandomNetworkTheory.prediction(norm: .infinity, inputDimension: 4)
        XCTAssertEqual(inf.value, 4 * (2 / Double.pi).squareRoot(), accuracy: 1e-14)
        XCTAssertEqual(inf.label, "E‖g‖_1")
        let three = try RandomNetworkTheory.prediction(norm: .p(3), inputDimension: 3, samples: 1000, seed: 4)
        XCTAssertEqual(three, try RandomNetworkTheory.prediction(norm: .p(3), inputDimension: 3, samples: 1000, seed: 4), "seeded")
        XCTAssertThrowsError(try RandomNetworkTheory.prediction(norm: .two, inputDimension: 0))
        XCTAssertThrowsError(try RandomNetworkTheory.prediction(norm: .infinity, inputDimension: 2, samples: 1))
    }

    func testCoversOnlyShallowScalarNetworks() throws {
        let shallow = try RandomNetworkGenerator.generate(try RandomNetworkSpec(inputDimension: 2, width: 4))
        let deep = try RandomNetworkGenerator.generate(try RandomNetworkSpec(inputDimension: 2, width: 4, depth: 2))
        let vector = try RandomNetworkGenerator.generate(try RandomNetworkSpec(inputDimension: 2, width: 4, outputs: 2))
        XCTAssertTrue(RandomNetworkTheory.covers(shallow))
        XCTAssertFalse(RandomNetworkTheory.covers(deep))
        XCTAssertFalse(RandomNetworkTheory.covers(vector))
    }
}
