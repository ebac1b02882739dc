import Foundation
import LipschitzModel
import XCTest
@testable import NetworkFormats
import LipschitzTestSupport

/// Seeded random networks through every writer and every ONNX layout the reader accepts.
/// Each layout holds the weights exactly (transposes, single affine nodes), so the
/// networks must come back bit for bit.
final class RandomRoundTripTests: XCTestCase {
    func randomNetwork(_ rng: inout TestRandom) throws -> ReLUNetwork {
        let widths = (0...rng.int(1...4)).map { _ in rng.int(1...6) }
        var layers: [AffineLayer] = []
        for k in 1..<widths.count {
            let (fanIn, fanOut) = (widths[k - 1], widths[k])
            layers.append(AffineLayer(weights: Matrix(rows: fanOut, columns: fanIn, storage: (0..<(fanIn * fanOut)).map { _ in rng.anyMagnitude() }),
                                      biases: (0..<fanOut).map { _ in rng.anyMagnitude() }))
        }
        if layers.isEmpty { layers = [AffineLayer(weights: Matrix(rows: 1, columns: widths[0], repeating: 1), biases: [0])] }
        return try ReLUNetwork(name: "random", layers: layers)
    }

    func testWritersRoundTripExactly() throws {
        var rng = TestRandom(seed: 2026)
        for _ in 0..<60 {
            let net = try randomNetwork(&rng)
            let onnx = try ONNXReader.read(data: try ONNXWriter.encode(net), path: "r.onnx").network
            XCTAssertEqual(onnx.layers, net.layers)
            let nnet = try NNetFile.parse(text: NNetWriter.encode(net), path: "r.nnet").loaded(raw: false, name: "r").network
            XCTAssertEqual(nnet.layers, net.layers)
        }
    }

    enum Layout: CaseIterable { case gemmTransB, gemmPlain, matmulRowAdd, matmulColumnAdd }

    /// The network as an ONNX graph in one of the layouts exporters produce.
    func graph(_ net: ReLUNetwork, _ layout: Layout) throws -> Data {
        typealias G = ONNXGraphTests
        var nodes: [Onnx_NodeProto] = [], inits: [Onnx_TensorProto] = []
        var signal = "x"
        for (k, layer) in net.layers.enumerated() {
            let (out, inn) = (layer.outputDimension, layer.inputDimension)
            let w = layer.weights.storage, wT = layer.weights.transposed.storage
            let result = k == net.layers.count - 1 ? "y" : "h\(k)"
            switch layout {
            case .gemmTransB:
                inits += [G.tensor("W\(k)", [out, inn], w), G.tensor("b\(k)", [out], layer.biases)]
                nodes.append(G.node("Gemm", [signal, "W\(k)", "b\(k)"], result, ints: ["transB": 1]))
            case .gemmPlain:
                inits += [G.tensor("W\(k)", [inn, out], wT), G.tensor("b\(k)", [1, out], layer.biases)]
                nodes.append(G.node("Gemm", [signal, "W\(k)", "b\(k)"], result))
            case .matmulRowAdd:
                inits += [G.tensor("W\(k)", [inn, out], wT), G.tensor("b\(k)", [out], layer.biases)]
                nodes += [G.node("MatMul", [signal, "W\(k)"], "m\(k)"), G.node("Add", ["b\(k)", "m\(k)"], result)]
            case .matmulColumnAdd:
                inits += [G.tensor("W\(k)", [out, inn], w), G.tensor("b\(k)", [out, 1], layer.biases)]
                nodes += [G.node("MatMul", ["W\(k)", signal], "m\(k)"), G.node("Add", ["m\(k)", "b\(k)"], result)]
            }
            signal = result
            if k < net.layers.count - 1 {
                nodes.append(G.node("Relu", [signal], "r\(k)"))
                signal = "r\(k)"
            }
        }
        let n = Int64(net.inputDimension)
        let input = layout == .matmulColumnAdd ? G.valueInfo("x", [n, 1]) : G.valueInfo("x", [nil, n])
        let m = Int64(net.outputDimension)
        return try G.model(nodes, inits: inits, inputs: [input], outputDims: layout == .matmulColumnAdd ? [m, 1] : [nil, m])
    }

    func testEveryONNXLayoutReadsBackExactly() throws {
        var rng = TestRandom(seed: 7)
        for _ in 0..<40 {
            let net = try randomNetwork(&rng)
            for layout in Layout.allCases {
                let back = try ONNXReader.read(data: try graph(net, layout), path: "\(layout).onnx").network
                XCTAssertEqual(back.layers, net.layers, "\(layout) \(net.architecture)")
            }
        }
    }
}
