import Foundation
import XCTest

/// End-to-end runs of the built `lipschitz` binary on ONNX and .nnet files.
final class FormatsCLITests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The same executable ExactCLITests runs (products folder, LIPSCHITZ_BINARY, .build/debug).
    static let binary = ExactCLITests.binary

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    func run(_ arguments: [String]) throws -> Run {
        guard let binary = Self.binary else {
            XCTFail("the lipschitz executable was not found: run swift build first or set LIPSCHITZ_BINARY")
            throw CocoaError(.fileNoSuchFile)
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = Self.root
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                   stderr: String(decoding: errData, as: UTF8.self))
    }

    func json(_ run: Run) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8))
        return try XCTUnwrap(object as? [String: Any], run.stdout)
    }

    func temporaryPath(_ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("FormatsCLITests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    func testExactOnNNetUsesNormalisationAndFileBox() throws {
        let r = try run(["exact", "instances/networks/spiky_nnet.nnet", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try json(r)
        XCTAssertEqual(object["lipschitz"] as? Double, 10)
        XCTAssertEqual(object["exact"] as? Bool, true)
        let domain = try XCTUnwrap(object["domain"] as? [String: Any])
        XCTAssertEqual(domain["lower"] as? [Double], [-65500])
        XCTAssertTrue(r.stderr.contains("note: the file's normalisation is the identity"), r.stderr)
        XCTAssertTrue(r.stderr.contains("note: using the file's input box"), r.stderr)

        // A user box reaching beyond the clipping box is cut to it.
        let cut = try run(["exact", "instances/networks/spiky_nnet.nnet", "--box", "-100,1e6", "--json"])
        XCTAssertEqual(cut.status, 0, cut.stderr)
        let cutDomain = try XCTUnwrap(try json(cut)["domain"] as? [String: Any])
        XCTAssertEqual(cutDomain["lower"] as? [Double], [-100])
        XCTAssertEqual(cutDomain["upper"] as? [Double], [65500])
        XCTAssertTrue(cut.stderr.contains("using the box's part inside it"), cut.stderr)

        let raw = try run(["exact", "instances/networks/spiky_nnet.nnet", "--raw", "--json"])
        XCTAssertEqual(raw.status, 0, raw.stderr)
        XCTAssertTrue(try json(raw)["domain"] is NSNull)
        XCTAssertTrue(raw.stderr.contains("--raw"), raw.stderr)
    }

    func testExactOnONNXAndHeaderlessNNet() throws {
        let onnx = try run(["exact", "instances/networks/spiky_nnet.onnx", "--json"])
        XCTAssertEqual(onnx.status, 0, onnx.stderr)
        XCTAssertEqual(try json(onnx)["lipschitz"] as? Double, 10)

        let small = try run(["exact", "instances/networks/small_nnet_id.nnet", "--json"])
        XCTAssertEqual(small.status, 0, small.stderr)
        XCTAssertEqual(try json(small)["lipschitz"] as? Double, 24)  // |−3·(2+2)·2|
    }

    func testFormatOptionOverridesExtension() throws {
        let path = try temporaryPath("spiky.txt")
        try FileManager.default.copyItem(atPath: Self.root.appendingPathComponent("instances/networks/spiky_nnet.nnet").path, toPath: path)
        let refused = try run(["exact", path])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("cannot tell the format"), refused.stderr)
        let r = try run(["exact", path, "--format", "nnet", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try json(r)["lipschitz"] as? Double, 10)
    }

    func testConvertRoundTripKeepsTheConstant() throws {
        let original = try run(["exact", "instances/fixtures/deep-3x4x3x2.json", "--json"])
        XCTAssertEqual(original.status, 0, original.stderr)
        let onnx = try temporaryPath("deep.onnx")
        let convert = try run(["convert", "instances/fixtures/deep-3x4x3x2.json", onnx])
        XCTAssertEqual(convert.status, 0, convert.stderr)
        XCTAssertTrue(convert.stdout.contains("wrote \(onnx) (onnx, 3 → 4 → 3 → 2"), convert.stdout)
        let nnet = try temporaryPath("deep.nnet")
        XCTAssertEqual(try run(["convert", onnx, nnet]).status, 0)
        for path in [onnx, nnet] {
            let r = try run(["exact", path, "--json"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(try json(r)["lipschitz"] as? Double, try json(original)["lipschitz"] as? Double, path)
        }
    }

    func testBadFilesExitTwoWithOneLine() throws {
        let cases: [(String, String)] = [
            ("instances/onnx-tests/bad-conv.onnx", "node \"conv1\" (Conv): unsupported operator"),
            ("instances/onnx-tests/bad-nan.onnx", "tensor \"W0\" holds nan"),
            ("instances/onnx-tests/bad-truncated.onnx", "not a valid ONNX protobuf"),
        ]
        for (path, fragment) in cases {
            let r = try run(["exact", path])
            XCTAssertEqual(r.status, 2, path)
            XCTAssertTrue(r.stderr.hasPrefix("lipschitz: error: "), r.stderr)
            XCTAssertTrue(r.stderr.contains(fragment), r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
        let truncated = try temporaryPath("cut.nnet")
        let text = try String(contentsOfFile: Self.root.appendingPathComponent("instances/networks/spiky_nnet.nnet").path, encoding: .utf8)
        try String(text.prefix(200)).write(toFile: truncated, atomically: true, encoding: .utf8)
        let r = try run(["exact", truncated])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("cut.nnet: the file ends after line"), r.stderr)
        let unknown = try run(["convert", "instances/fixtures/deep-3x4x3x2.json", "out.bin"])
        XCTAssertEqual(unknown.status, 2)
    }
}
