import Foundation
import LipschitzModel
import XCTest
@testable import NetworkFormats

/// Seeded random networks through every writer and every ONNX layout the reader accepts.
/// Each layout holds the weights exactly (transposes, single affine nodes), so the
/// networks must come back bit for bit.
final class RandomRoundTripTests: XCTestCase {
    /// A small deterministic generator (SplitMix64), so failures reproduce.
    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
        /// Doubles of all magnitudes and full 53-bit mantissas, so printing and parsing are exercised.
        mutating func double() -> Double {
            let mantissa = Double(next() >> 11) / Double(1 << 53)
            let sign: Double = next() & 1 == 0 ? 1 : -1
            return sign * mantissa * pow(10, Double(int(-8...8)))
        }
    }

    func randomNetwork(_ rng: inout SplitMix) throws -> ReLUNetwork {
        let widths = (0...rng.int(1...4)).map { _ in rng.int(1...6) }
        var layers: [AffineLayer] = []
        for k in 1..<widths.count {
            let (fanIn, fanOut) = (widths[k - 1], widths[k])
            layers.append(AffineLayer(weights: Matrix(rows: fanOut, columns: fanIn, storage: (0..<(fanIn * fanOut)).map { _ in rng.double() }),
                                      biases: (0..<fanOut).map { _ in rng.double() }))
        }
        if layers.isEmpty { layers = [AffineLayer(weights: Matrix(rows: 1, columns: widths[0], repeating: 1), biases: [0])] }
        return try ReLUNetwork(name: "random", layers: layers)
    }

    func testWritersRoundTripExactly() throws {
        var rng = SplitMix(state: 2026)
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
        var rng = SplitMix(state: 7)
        for _ in 0..<40 {
            let net = try randomNetwork(&rng)
            for layout in Layout.allCases {
                let back = try ONNXReader.read(data: try graph(net, layout), path: "\(layout).onnx").network
                XCTAssertEqual(back.layers, net.layers, "\(layout) \(net.architecture)")
            }
        }
    }
}
