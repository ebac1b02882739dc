import Foundation
import LipschitzModel
import XCTest
@testable import NetworkFormats
import LipschitzTestSupport

final class ONNXTests: XCTestCase {
    /// Φ(x) agrees with onnx's reference evaluator at the recorded points, for every
    /// supported layout (Gemm with transA/transB/alpha/beta, MatMul + Add in row and column
    /// form, Flatten/Reshape/Identity, Constant nodes, Sub/Div, opsets 7 to 28, float32 and
    /// float64 in raw_data and typed fields).
    func testOutputsMatchONNXReferenceEvaluator() throws {
        let expected = try ExpectedONNX.load()
        XCTAssertGreaterThanOrEqual(expected.files.count, 9)
        for entry in expected.files {
            let loaded = try readNetwork(path: Fixtures.onnx(entry.file))
            XCTAssertEqual(loaded.format, .onnx)
            // The reference evaluator computes in float32 for float32 models.
            let tolerance = entry.float32 ? 2e-5 : 1e-12
            for (x, y) in zip(entry.points, entry.outputs) {
                assertClose(loaded.network.evaluate(x), y, relative: tolerance)
            }
        }
    }

    /// The weights are those of the JSON form: bit for bit for float64 files and float32
    /// roundings for float32 ones; composed layers agree to rounding.
    func testWeightsMatchJSONForm() throws {
        let expected = try ExpectedONNX.load()
        var compared = 0
        for entry in expected.files {
            guard let jsonName = entry.json else { continue }
            let json = try ReferenceJSON.load(jsonName).network
            let onnx = try readNetwork(path: Fixtures.onnx(entry.file)).network
            XCTAssertEqual(onnx.architecture, json.architecture, entry.file)
            for (a, b) in zip(onnx.layers, json.layers) {
                let pairs = Array(zip(a.weights.storage + a.biases, b.weights.storage + b.biases))
                for (got, want) in pairs {
                    if jsonName == "composed.json" {
                        XCTAssertEqual(got, want, accuracy: 1e-12 * (1 + abs(want)), entry.file)
                    } else if entry.float32 {
                        XCTAssertEqual(got, Double(Float(want)), entry.file)
                    } else {
                        XCTAssertEqual(got, want, entry.file)
                    }
                }
            }
            compared += 1
        }
        XCTAssertEqual(compared, 7)
    }

    func testConsecutiveAffineNodesFoldIntoOneLayer() throws {
        // Sub, Div, Gemm, Gemm before the first Relu: one layer of 4 neurons.
        let net = try readNetwork(path: Fixtures.onnx("composed-opset28.onnx")).network
        XCTAssertEqual(net.architecture, [3, 4, 3, 2])
        // MatMul followed by Add: one layer each.
        XCTAssertEqual(try readNetwork(path: Fixtures.onnx("matmul-add-f32-typed.onnx")).network.architecture, [2, 5, 1])
    }

    func testGraphEndingInReluGetsIdentityOutputLayer() throws {
        let loaded = try readNetwork(path: Fixtures.onnx("ends-with-relu.onnx"))
        XCTAssertEqual(loaded.network.architecture, [2, 5, 5])
        XCTAssertEqual(loaded.network.layers[1].weights, Matrix.identity(5))
        XCTAssertEqual(loaded.network.layers[1].biases, Array(repeating: 0, count: 5))
        XCTAssertTrue(loaded.notes.contains { $0.contains("ends with Relu") }, "\(loaded.notes)")
    }

    func testBundledSpikyONNXEqualsTheNNetFile() throws {
        let onnx = try readNetwork(path: Fixtures.network("spiky_nnet.onnx")).network
        let nnet = try readNetwork(path: Fixtures.network("spiky_nnet.nnet")).network
        XCTAssertEqual(onnx.layers, nnet.layers)  // small integers: float32 is exact
    }

    // MARK: - Refused files

    func testUnsupportedOperatorsNameNodeAndOp() {
        assertInputProblem(try readNetwork(path: Fixtures.onnx("bad-conv.onnx")),
                           contains: ["bad-conv.onnx", "node \"conv1\" (Conv)", "unsupported operator"])
        assertInputProblem(try readNetwork(path: Fixtures.onnx("bad-sigmoid.onnx")),
                           contains: ["node \"squash\" (Sigmoid)", "unsupported operator", "Gemm"])
    }

    func testBranchesAreRefused() {
        assertInputProblem(try readNetwork(path: Fixtures.onnx("bad-branch.onnx")),
                           contains: ["node \"skip\" (Gemm)", "branches", "\"x\""])
    }

    func testNaNWeightShapeMismatchOpsetAndTruncation() {
        assertInputProblem(try readNetwork(path: Fixtures.onnx("bad-nan.onnx")),
                           contains: ["node \"fc0\" (Gemm)", "tensor \"W0\" holds nan at index 5"])
        assertInputProblem(try readNetwork(path: Fixtures.onnx("bad-shapes.onnx")),
                           contains: ["node \"fc0\" (Gemm)", "inner dimensions differ: 1×2 times 5×2"])
        assertInputProblem(try readNetwork(path: Fixtures.onnx("bad-opset6.onnx")),
                           contains: ["opset 6 is not supported", "7 to 28"])
        assertInputProblem(try readNetwork(path: Fixtures.onnx("bad-truncated.onnx")),
                           contains: ["bad-truncated.onnx", "not a valid ONNX protobuf"])
    }

    func testNonONNXBytesAreRefused() throws {
        let path = try Fixtures.write("{\"format\": \"relu-network\"}", named: "json-in-disguise.onnx")
        assertInputProblem(try readNetwork(path: path), contains: ["json-in-disguise.onnx"])
    }

    // MARK: - Writing

    func testFloat64ExportReadsBackBitExactly() throws {
        for name in ["deep-3x4x3x2.json", "vector-3x6x2.json", "shallow-d2-n5.json", "composed.json"] {
            let network = try NetworkJSON.read(contentsOf: Fixtures.onnx(name))
            let data = try ONNXWriter.encode(network)
            let back = try ONNXReader.read(data: data, path: name).network
            XCTAssertEqual(back.layers, network.layers, name)
            XCTAssertEqual(back.name, network.name, name)
        }
    }

    func testFloat32ExportRoundsEachWeight() throws {
        let network = try NetworkJSON.read(contentsOf: Fixtures.onnx("deep-3x4x3x2.json"))
        let back = try ONNXReader.read(data: try ONNXWriter.encode(network, float32: true), path: "f32").network
        for (a, b) in zip(back.layers, network.layers) {
            XCTAssertEqual(a.weights.storage, b.weights.storage.map { Double(Float($0)) })
            XCTAssertEqual(a.biases, b.biases.map { Double(Float($0)) })
        }
    }

    func testExportHasGemmAndReluNodes() throws {
        let network = try NetworkJSON.read(contentsOf: Fixtures.onnx("deep-3x4x3x2.json"))
        let model = try Onnx_ModelProto(serializedBytes: try ONNXWriter.encode(network))
        XCTAssertEqual(model.graph.node.map(\.opType), ["Gemm", "Relu", "Gemm", "Relu", "Gemm"])
        XCTAssertEqual(model.opsetImport.first?.version, 13)
        XCTAssertEqual(model.graph.initializer.first?.dataType, 11)
    }
}
