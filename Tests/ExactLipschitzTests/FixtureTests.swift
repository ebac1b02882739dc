import ExactLipschitz
import Foundation
import LipschitzModel
import XCTest
import LipschitzTestSupport

/// The shared fixtures were computed by an independent implementation.
final class FixtureTests: XCTestCase {
    func testEveryFixtureAgreesInAllNormsAndRegionCount() throws {
        let folder = packageRoot.appendingPathComponent("instances/fixtures")
        let truthData = try Data(contentsOf: folder.appendingPathComponent("truth.json"))
        let truth = try XCTUnwrap(JSONSerialization.jsonObject(with: truthData) as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(truth.count, 15)
        for entry in truth {
            let file = try XCTUnwrap(entry["file"] as? String)
            let net = try NetworkJSON.read(contentsOf: folder.appendingPathComponent(file).path)
            let report = try ExactSearch.compute(net, options: ExactOptions(norms: [.one, .two, .infinity]))
            XCTAssertTrue(report.isExact)
            XCTAssertEqual(report.regions, entry["regions"] as? Int, file)
            for (key, norm) in [("1", LipschitzNorm.one), ("2", .two), ("inf", .infinity)] {
                let expected = try XCTUnwrap((entry[key] as? NSNumber)?.doubleValue)
                let bound = try XCTUnwrap(report.bound(for: norm))
                assertRelativelyEqual(bound.value, expected, 1e-9, "\(file) ℓ\(key)")
                // The witness certifies the value: its Jacobian is Φ's at the interior point.
                let witness = try XCTUnwrap(bound.witness)
                XCTAssertEqual(net.activationPattern(at: witness.interiorPoint), witness.pattern, file)
                assertRelativelyEqual(try operatorNorm(witness.jacobian, p: norm), bound.value)
                XCTAssertEqual(net.jacobian(at: witness.interiorPoint), witness.jacobian)
            }
        }
    }
}
