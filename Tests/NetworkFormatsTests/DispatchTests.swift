import Foundation
import LipschitzModel
import XCTest
@testable import NetworkFormats
import LipschitzTestSupport

final class DispatchTests: XCTestCase {
    func testFormatFromExtensionAndName() throws {
        XCTAssertEqual(NetworkFormat.detect(path: "a/b/net.ONNX"), .onnx)
        XCTAssertEqual(NetworkFormat.detect(path: "net.nnet"), .nnet)
        XCTAssertEqual(NetworkFormat.detect(path: "net.json"), .json)
        XCTAssertNil(NetworkFormat.detect(path: "net.txt"))
        XCTAssertEqual(try NetworkFormat(name: "NNet"), .nnet)
        assertInputProblem(try NetworkFormat(name: "keras"), contains: ["unknown format \"keras\""])
    }

    func testUnknownExtensionNeedsFormat() throws {
        let text = try String(contentsOfFile: Fixtures.network("spiky_nnet.nnet"), encoding: .utf8)
        let path = try Fixtures.write(text, named: "spiky.txt")
        assertInputProblem(try readNetwork(path: path), contains: ["spiky.txt", "--format"])
        XCTAssertEqual(try readNetwork(path: path, format: .nnet).network.architecture, [1, 6, 4, 3, 1])
    }

    func testMissingFile() {
        assertInputProblem(try readNetwork(path: "/nonexistent/net.onnx"), contains: ["no such file: /nonexistent/net.onnx"])
        assertInputProblem(try readNetwork(path: "/nonexistent/net.nnet"), contains: ["no such file"])
    }

    func testWriteNetworkInEveryFormatAndReadBack() throws {
        let network = try NetworkJSON.read(contentsOf: Fixtures.onnx("vector-3x6x2.json"))
        let dir = try Fixtures.temporaryDirectory()
        for format in NetworkFormat.allCases {
            let path = dir.appendingPathComponent("out.\(format.rawValue)").path
            try writeNetwork(network, to: path)
            let back = try readNetwork(path: path)
            XCTAssertEqual(back.format, format)
            if format == .json {
                // NetworkJSON reads through JSONSerialization, which can be one unit in the
                // last place off on Linux (see ReferenceJSON); the other formats are exact.
                for (a, b) in zip(back.network.layers, network.layers) {
                    assertClose(a.weights.storage + a.biases, b.weights.storage + b.biases, relative: 1e-15)
                }
            } else {
                XCTAssertEqual(back.network.layers, network.layers, format.rawValue)
            }
        }
        assertInputProblem(try writeNetwork(network, to: "/nonexistent-dir/x.onnx"), contains: ["cannot write /nonexistent-dir/x.onnx"])
    }
}
