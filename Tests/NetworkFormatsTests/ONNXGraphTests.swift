import Foundation
import LipschitzModel
import SwiftProtobuf
import XCTest
@testable import NetworkFormats
import LipschitzTestSupport

/// Graphs built in Swift for the cases the reader must refuse or handle specially.
final class ONNXGraphTests: XCTestCase {
    // MARK: - A tiny builder

    static func tensor(_ name: String, _ dims: [Int], _ values: [Double], type: Int32 = 11) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims.map(Int64.init)
        t.dataType = type
        if type == 11 { t.doubleData = values } else if type == 1 { t.floatData = values.map(Float.init) }
        return t
    }

    static func node(_ op: String, _ inputs: [String], _ output: String, name: String = "", ints: [String: Int] = [:]) -> Onnx_NodeProto {
        var n = Onnx_NodeProto()
        n.opType = op
        n.input = inputs
        n.output = [output]
        n.name = name
        for (key, value) in ints.sorted(by: { $0.key < $1.key }) {
            var a = Onnx_AttributeProto()
            a.name = key
            a.type = .int
            a.i = Int64(value)
            n.attribute.append(a)
        }
        return n
    }

    static func valueInfo(_ name: String, _ dims: [Int64?], type: Int32 = 11) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = name
        var tt = Onnx_TypeProto.Tensor()
        tt.elemType = type
        tt.shape.dim = dims.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            if let d { dim.dimValue = d } else { dim.dimParam = "N" }
            return dim
        }
        info.type.tensorType = tt
        return info
    }

    static func model(_ nodes: [Onnx_NodeProto], inits: [Onnx_TensorProto], inputs: [Onnx_ValueInfoProto]? = nil,
                      output: String = "y", outputDims: [Int64?] = [1, 1], opset: Int64 = 13) throws -> Data {
        var g = Onnx_GraphProto()
        g.name = "test"
        g.node = nodes
        g.initializer = inits
        g.input = inputs ?? [valueInfo("x", [1, 2])]
        g.output = [valueInfo(output, outputDims)]
        var m = Onnx_ModelProto()
        m.irVersion = 8
        var o = Onnx_OperatorSetIdProto()
        o.version = opset
        m.opsetImport = [o]
        m.graph = g
        return try m.serializedData()
    }

    /// y = [1, 1]·ReLU(W x + b) + c with W = [[1, 2], [3, -4]] (a 2 → 2 → 1 network).
    static let w = tensor("W", [2, 2], [1, 2, 3, -4])
    static let b = tensor("b", [2], [0.5, -0.5])
    static let v = tensor("V", [1, 2], [1, 1])
    static let c = tensor("c", [1], [2])

    func read(_ data: Data) throws -> LoadedNetwork { try ONNXReader.read(data: data, path: "g.onnx") }

    // MARK: - Accepted

    func testWeightsFirstGemmWithColumnInputAndSymbolicBatch() throws {
        // Gemm(W, x) with x of shape [2, 1]: the signal as B.
        let nodes = [Self.node("Gemm", ["W", "x"], "h", name: "g0"), Self.node("Add", ["h", "bcol"], "h2"),
                     Self.node("Relu", ["h2"], "r"), Self.node("MatMul", ["V", "r"], "m"), Self.node("Add", ["m", "c"], "y")]
        let data = try Self.model(nodes, inits: [Self.w, Self.tensor("bcol", [2, 1], [0.5, -0.5]), Self.v, Self.c],
                                  inputs: [Self.valueInfo("x", [2, 1])])
        let net = try read(data).network
        XCTAssertEqual(net.layers[0].weights.rowArrays, [[1, 2], [3, -4]])
        XCTAssertEqual(net.layers[0].biases, [0.5, -0.5])
        XCTAssertEqual(net.evaluate([1, 1]), [3.5 + 0 + 2])  // relu(3.5) + relu(-1.5) + 2
    }

    func testSymbolicLaterDimensionIsNoted() throws {
        let nodes = [Self.node("Flatten", ["x"], "f"), Self.node("Gemm", ["f", "W", "b"], "h", ints: ["transB": 1]),
                     Self.node("Relu", ["h"], "r"), Self.node("Gemm", ["r", "V", "c"], "y", ints: ["transB": 1])]
        let data = try Self.model(nodes, inits: [Self.w, Self.b, Self.v, Self.c], inputs: [Self.valueInfo("x", [nil, 2, nil])])
        let loaded = try read(data)
        XCTAssertEqual(loaded.network.architecture, [2, 2, 1])
        XCTAssertTrue(loaded.notes.contains { $0.contains("(position 3) is symbolic") }, "\(loaded.notes)")
    }

    func testReluAfterReluAddsNoLayer() throws {
        let nodes = [Self.node("Gemm", ["x", "W", "b"], "h", ints: ["transB": 1]), Self.node("Relu", ["h"], "r"),
                     Self.node("Relu", ["r"], "rr"), Self.node("Gemm", ["rr", "V", "c"], "y", ints: ["transB": 1])]
        let net = try read(try Self.model(nodes, inits: [Self.w, Self.b, Self.v, Self.c])).network
        XCTAssertEqual(net.architecture, [2, 2, 1])
    }

    // MARK: - Refused

    func testSignalUsedTwiceAndNonAffineDivision() throws {
        let twice = [Self.node("Add", ["x", "x"], "y", name: "double")]
        assertInputProblem(try read(try Self.model(twice, inits: [])), contains: ["node \"double\" (Add)", "more than once"])
        let divide = [Self.node("Div", ["c", "x"], "y", name: "inverse")]
        assertInputProblem(try read(try Self.model(divide, inits: [Self.c])), contains: ["node \"inverse\" (Div)", "not affine"])
    }

    func testUndefinedInputAndConstantComputation() throws {
        let undefined = [Self.node("Gemm", ["x", "W", "b"], "h", ints: ["transB": 1]), Self.node("Relu", ["z"], "y")]
        assertInputProblem(try read(try Self.model(undefined, inits: [Self.w, Self.b])),
                           contains: ["node #2 (Relu)", "input \"z\" is not defined", "topological order"])
        let onConstants = [Self.node("Transpose", ["W"], "Wt", name: "t"), Self.node("Gemm", ["x", "Wt", "b"], "y")]
        assertInputProblem(try read(try Self.model(onConstants, inits: [Self.w, Self.b])), contains: ["node \"t\" (Transpose)", "unsupported operator"])
        let addConstants = [Self.node("Add", ["b", "b"], "bb", name: "sum"), Self.node("Gemm", ["x", "W", "bb"], "y")]
        assertInputProblem(try read(try Self.model(addConstants, inits: [Self.w, Self.b])), contains: ["node \"sum\" (Add)", "constants only"])
    }

    func testInputsOutputsAndTypes() throws {
        let nodes = [Self.node("Gemm", ["x", "V", "c"], "y", ints: ["transB": 1])]
        assertInputProblem(try read(try Self.model(nodes, inits: [Self.v, Self.c], inputs: [Self.valueInfo("x", [1, 2]), Self.valueInfo("x2", [1, 2])])),
                           contains: ["2 inputs", "\"x\", \"x2\""])
        assertInputProblem(try read(try Self.model(nodes, inits: [Self.v, Self.c], inputs: [Self.valueInfo("x", [1, 2], type: 10)])),
                           contains: ["float16", "float32 or float64"])
        assertInputProblem(try read(try Self.model(nodes, inits: [Self.tensor("V", [1, 2], [1, 1], type: 6), Self.c])),
                           contains: ["tensor \"V\" holds int32"])
        assertInputProblem(try read(try Self.model(nodes, inits: [Self.v, Self.c], output: "h")),
                           contains: ["graph output \"h\" is not the end of the chain"])
        assertInputProblem(try read(try Self.model(nodes, inits: [Self.tensor("V", [1, 3], [1, 1]), Self.c])),
                           contains: ["tensor \"V\" has 2 values for shape [1, 3]"])
        var external = Self.v
        external.dataLocation = .external
        assertInputProblem(try read(try Self.model(nodes, inits: [external, Self.c])), contains: ["external file"])
        var custom = Self.node("Gemm", ["x", "V", "c"], "y", name: "fused", ints: ["transB": 1])
        custom.domain = "com.microsoft"
        assertInputProblem(try read(try Self.model([custom], inits: [Self.v, Self.c])), contains: ["node \"fused\" (Gemm)", "com.microsoft"])
        assertInputProblem(try read(try Self.model(nodes, inits: [Self.v, Self.c], opset: 29)), contains: ["opset 29"])
        assertInputProblem(try read(try Self.model(nodes, inits: [Self.v, Self.c], outputDims: [1, 3])),
                           contains: ["graph output \"y\" declares 3 values but the chain computes 1"])
        XCTAssertNoThrow(try read(try Self.model(nodes, inits: [Self.v, Self.c], outputDims: [nil, 1])))
        assertInputProblem(try read(Data()), contains: ["no graph"])
        // Absurd sizes are refused, not allocated.
        assertInputProblem(try read(try Self.model(nodes, inits: [Self.v, Self.c], inputs: [Self.valueInfo("x", [1 << 40, 1 << 40])])),
                           contains: ["too large", "at most 4096 inputs"])
        let huge = Self.tensor("V", [1 << 40, 1 << 40], [1, 1])
        assertInputProblem(try read(try Self.model(nodes, inits: [huge, Self.c])), contains: ["tensor \"V\"", "too large"])
        let wide = [Self.node("MatMul", ["x", "Wide"], "y", name: "wide")]
        assertInputProblem(try read(try Self.model(wide, inits: [Self.tensor("Wide", [2, 5000], Array(repeating: 0.5, count: 10000))], outputDims: [1, 5000])),
                           contains: ["node \"wide\" (MatMul)", "shape [1, 5000] is too large"])
    }

    /// Every name is defined once (static single assignment, as the ONNX checker demands): a model
    /// where one name means two tensors is ambiguous and refused, whichever definition comes first.
    func testDuplicateNamesAreRefused() throws {
        let nodes = [Self.node("Gemm", ["x", "W", "b"], "h", ints: ["transB": 1]), Self.node("Relu", ["h"], "r"),
                     Self.node("Gemm", ["r", "V", "c"], "y", ints: ["transB": 1])]
        XCTAssertNoThrow(try read(try Self.model(nodes, inits: [Self.w, Self.b, Self.v, Self.c])))
        // Two initializers named "b" (first wins in a dictionary: the second must not be ignored).
        let otherB = Self.tensor("b", [2], [100, 100])
        assertInputProblem(try read(try Self.model(nodes, inits: [Self.w, Self.b, otherB, Self.v, Self.c])),
                           contains: ["g.onnx", "two initializers are named \"b\""])
        // A node output that is also an initializer's name.
        let shadow = [Self.node("Gemm", ["x", "W", "b"], "h", ints: ["transB": 1]), Self.node("Relu", ["h"], "V", name: "relu"),
                      Self.node("Gemm", ["V", "V", "c"], "y", ints: ["transB": 1])]
        assertInputProblem(try read(try Self.model(shadow, inits: [Self.w, Self.b, Self.v, Self.c])),
                           contains: ["node \"relu\" (Relu)", "\"V\"", "an initializer"])
        // Two nodes writing the same name, and a node writing the graph input's name.
        let twice = [Self.node("Gemm", ["x", "W", "b"], "h", ints: ["transB": 1]), Self.node("Relu", ["h"], "h", name: "again"),
                     Self.node("Gemm", ["h", "V", "c"], "y", ints: ["transB": 1])]
        assertInputProblem(try read(try Self.model(twice, inits: [Self.w, Self.b, Self.v, Self.c])),
                           contains: ["node \"again\" (Relu)", "another node's output"])
        let overInput = [Self.node("Identity", ["x"], "x", name: "id"), Self.node("Gemm", ["x", "V", "c"], "y", ints: ["transB": 1])]
        assertInputProblem(try read(try Self.model(overInput, inits: [Self.v, Self.c])), contains: ["node \"id\" (Identity)", "a graph input"])
        // Two graph inputs of one name.
        assertInputProblem(try read(try Self.model(nodes, inits: [Self.w, Self.b, Self.v, Self.c],
                                                   inputs: [Self.valueInfo("x", [1, 2]), Self.valueInfo("x", [1, 2])])),
                           contains: ["two graph inputs are named \"x\""])
        // An initializer listed among the inputs as well (IR < 4 style) is still fine.
        XCTAssertNoThrow(try read(try Self.model(nodes, inits: [Self.w, Self.b, Self.v, Self.c],
                                                 inputs: [Self.valueInfo("x", [1, 2]), Self.valueInfo("W", [2, 2])])))
    }

    func testFloat32ExportRefusesWeightsBeyondFloatRange() throws {
        let net = try ReLUNetwork(layers: [AffineLayer(weights: Matrix(rowArrays: [[1e300]]), biases: [0])])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("big-\(UUID().uuidString).onnx").path
        assertInputProblem(try writeNetwork(net, to: path, options: WriteOptions(float32: true)),
                           contains: ["cannot write \(path)", "beyond float32's range"])
        XCTAssertNoThrow(try writeNetwork(net, to: path))
        XCTAssertEqual(try readNetwork(path: path).network.layers, net.layers)
    }
}
