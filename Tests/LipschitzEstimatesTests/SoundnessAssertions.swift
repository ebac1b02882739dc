import ExactLipschitz
import Foundation
import LipschitzEstimates
import LipschitzModel
import XCTest
import LipschitzTestSupport

/// Relative slack allowed between a bound and the exact value (floating-point rounding).
let soundnessTolerance = 1e-9

/// One fixture with its exact constants.
struct Fixture {
    let file: String
    let network: ReLUNetwork
    let exact: [LipschitzNorm: Double]

    static func all() throws -> [Fixture] {
        let folder = fixturesDirectory
        let data = try Data(contentsOf: folder.appendingPathComponent("truth.json"))
        let entries = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        return try entries.map { entry in
            let file = try XCTUnwrap(entry["file"] as? String)
            var exact: [LipschitzNorm: Double] = [:]
            for (key, norm) in [("1", LipschitzNorm.one), ("2", .two), ("inf", .infinity)] {
                exact[norm] = try XCTUnwrap((entry[key] as? NSNumber)?.doubleValue)
            }
            return Fixture(file: file, network: try NetworkJSON.read(contentsOf: folder.appendingPathComponent(file).path),
                           exact: exact)
        }
    }
}

/// Checks that a labelled estimate is on the right side of the exact value, and that a lower
/// bound's point is real: inside the box, and Φ's Jacobian there has the reported norm.
func assertSound(_ e: Estimate, exact: Double, network: ReLUNetwork, options: EstimateOptions, _ context: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(e.kind, e.method.kind, context, file: file, line: line)
    XCTAssertTrue(e.value.isFinite && e.value >= 0, "\(context): \(e.value)", file: file, line: line)
    let slack = soundnessTolerance * max(exact, 1e-12)
    switch e.kind {
    case .lowerBound:
        XCTAssertLessThanOrEqual(e.value, exact + slack, "\(context): lower bound above exact", file: file, line: line)
        guard let point = e.point else { return XCTFail("\(context): lower bound without a point", file: file, line: line) }
        if let box = options.box { XCTAssertTrue(box.contains(point), "\(context): point outside the box", file: file, line: line) }
        let j = network.jacobian(at: point)
        let norm = (try? operatorNorm(j, p: options.norm)) ?? .nan
        XCTAssertEqual(norm, e.value, accuracy: 1e-9 * max(1, e.value), "\(context): point's norm", file: file, line: line)
    case .upperBound:
        XCTAssertGreaterThanOrEqual(e.value, exact - slack, "\(context): upper bound below exact", file: file, line: line)
        XCTAssertNil(e.point, context, file: file, line: line)
    case .heuristic:
        XCTAssertNil(e.point, context, file: file, line: line)
    }
}

func exactValue(_ network: ReLUNetwork, norm: LipschitzNorm, box: InputBox? = nil) throws -> Double {
    let report = try ExactSearch.compute(network, options: ExactOptions(norms: [norm], box: box))
    XCTAssertTrue(report.isExact)
    return try XCTUnwrap(report.bound(for: norm)).value
}
