import Foundation
import XCTest

/// `lipschitz exact` on instances/known-defects/cancel-big.json (written here, not read from
/// the clone): Φ(x) = a·relu(x) − b·relu(e·x), b = 7e15, e = 1 + 2⁻⁵², a = fl(b·e), whose
/// region Jacobian a − b·e = 0.44568776552478084 the floating-point products cancel to 0; and the
/// same slope through branch and bound (cancel-big-deep.json). (An extension of ExactCLITests,
/// to share its runner.)
extension ExactCLITests {
    private static let cancelBig = """
        {"format": "relu-network", "version": 1, "name": "cancel-big", "layers": [{"weights": [[1.0], [1.0000000000000002]], "biases": [0.0, 0.0]}, {"weights": [[7000000000000002.0, -7000000000000000.0]], "biases": [0.0]}]}
        """
    private static let cancelBigDeep = """
        {"format": "relu-network", "version": 1, "name": "cancel-big-deep", "layers": [{"weights": [[1.0, 0.5], [1.0000000000000002, 0.5000000000000001]], "biases": [0.0, 0.0]}, {"weights": [[1.0, 0.0], [0.0, 1.0]], "biases": [0.0, 0.0]}, {"weights": [[7000000000000002.0, -7000000000000000.0]], "biases": [0.0]}]}
        """
    /// a − b·e with one rounding.
    private static let cancelSlope = 0.44568776552478084

    /// The JSON result's "lipschitz" and "exact", after checking the run succeeded.
    private func exactResult(_ arguments: [String], _ what: String, file: StaticString = #filePath, line: UInt = #line) throws -> (value: Double, exact: Bool?) {
        let result = try run(arguments + ["--json"], file: file, line: line)
        XCTAssertEqual(result.status, 0, "\(what): stderr \(result.stderr)", file: file, line: line)
        guard let object = parseObject(result.stdout, file: file, line: line),
              let value = (object["lipschitz"] as? NSNumber)?.doubleValue else {
            XCTFail("\(what): no \"lipschitz\" number in \(result.stdout)", file: file, line: line)
            return (.nan, nil)
        }
        return (value, object["exact"] as? Bool)
    }

    func testExactOnCancellingWeightProducts() throws {
        let path = try write(Self.cancelBig, named: "cancel-big.json")
        XCTAssertEqual(1.0000000000000002, 1 + 0x1p-52)
        XCTAssertEqual(7e15 * (1 + 0x1p-52), 7000000000000002)
        XCTAssertEqual(7000000000000002.0.addingProduct(-7e15, 1 + 0x1p-52), Self.cancelSlope)
        for flags in [[], ["--norm", "1"], ["--norm", "inf"], ["--method", "lp"], ["--method", "lp", "--threads", "2"], ["--method", "plain"]] {
            let what = "cancel-big \(flags)"
            let (value, exact) = try exactResult(["exact", path] + flags, what)
            XCTAssertEqual(exact, true, what)
            XCTAssertLessThanOrEqual(abs(value - Self.cancelSlope), 1e-9 * Self.cancelSlope, "\(what): \(value) [exact \(String(describing: exact))]")
        }
        // Branch and bound on the deep version: gradient (a − b·e)·(1, ½), ℓ2 norm slope·√1.25.
        let deep = try write(Self.cancelBigDeep, named: "cancel-big-deep.json")
        for flags in [[], ["--threads", "2"], ["--no-prune"]] {
            let what = "cancel-big-deep \(flags)"
            let expected = Self.cancelSlope * 1.25.squareRoot()
            let (value, exact) = try exactResult(["exact", deep] + flags, what)
            XCTAssertEqual(exact, true, what)
            XCTAssertLessThanOrEqual(abs(value - expected), 1e-9 * expected, "\(what): \(value) [exact \(String(describing: exact))]")
        }
        // The human-readable line names the slope too.
        let text = try run(["exact", path])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("\(String(format: "%.10g", Self.cancelSlope))  [exact]"), text.stdout)
    }
}
