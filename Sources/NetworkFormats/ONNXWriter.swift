import FoundationEssentials
import LipschitzModel
import SwiftProtobuf

/// Writes a network as an ONNX model of Gemm and Relu nodes, the graph PyTorch's
/// `torch.onnx.export` gives a stack of `nn.Linear` and `nn.ReLU`.
///
/// Layout: input "input" of shape [batch, n]; for layer k an initializer `layerK.weight`
/// (out × in, so Gemm has transB = 1) and `layerK.bias`, a Gemm node `gemmK`, and a Relu
/// node `reluK` after every layer but the last; output "output" of shape [batch, m].
/// IR version 7 with opset 13, which every ONNX runtime since 2020 reads. Tensors are
/// float64 in raw_data, so reading the file back gives the same doubles bit for bit;
/// with `float32` every weight is rounded to the nearest float.
public enum ONNXWriter {
    public static let opset: Int64 = 13
    public static let irVersion: Int64 = 7

    public static func encode(_ network: ReLUNetwork, float32: Bool = false) throws -> Data {
        if float32 {
            for (k, layer) in network.layers.enumerated() {
                if let big = (layer.weights.storage + layer.biases).first(where: { !Float($0).isFinite }) {
                    throw FormatError.cannotWrite(path: "ONNX", reason: "layer \(k + 1) holds \(big), beyond float32's range; write float64")
                }
            }
        }
        let elementType = float32 ? ONNXElementType.float : ONNXElementType.double
        var graph = Onnx_GraphProto()
        graph.name = network.name.isEmpty ? "network" : network.name
        graph.input = [valueInfo("input", elementType: elementType, features: network.inputDimension)]
        graph.output = [valueInfo("output", elementType: elementType, features: network.outputDimension)]

        var signal = "input"
        for (k, layer) in network.layers.enumerated() {
            let weight = "layer\(k).weight", bias = "layer\(k).bias"
            graph.initializer.append(tensor(weight, dims: [layer.outputDimension, layer.inputDimension],
                                            values: layer.weights.storage, float32: float32))
            graph.initializer.append(tensor(bias, dims: [layer.outputDimension], values: layer.biases, float32: float32))
            let isLast = k == network.layers.count - 1
            let affine = isLast ? "output" : "layer\(k).linear"
            var gemm = Onnx_NodeProto()
            gemm.name = "gemm\(k)"
            gemm.opType = "Gemm"
            gemm.input = [signal, weight, bias]
            gemm.output = [affine]
            var transB = Onnx_AttributeProto()
            transB.name = "transB"
            transB.type = .int
            transB.i = 1
            gemm.attribute = [transB]
            graph.node.append(gemm)
            signal = affine
            if !isLast {
                var relu = Onnx_NodeProto()
                relu.name = "relu\(k)"
                relu.opType = "Relu"
                relu.input = [signal]
                relu.output = ["layer\(k).relu"]
                graph.node.append(relu)
                signal = relu.output[0]
            }
        }

        var model = Onnx_ModelProto()
        model.irVersion = irVersion
        model.producerName = "lipschitz"
        model.producerVersion = "1"
        var opsetID = Onnx_OperatorSetIdProto()
        opsetID.domain = ""
        opsetID.version = opset
        model.opsetImport = [opsetID]
        model.graph = graph
        return try model.serializedData()
    }

    private static func valueInfo(_ name: String, elementType: Int32, features: Int) -> Onnx_ValueInfoProto {
        var batch = Onnx_TensorShapeProto.Dimension()
        batch.dimParam = "batch"
        var width = Onnx_TensorShapeProto.Dimension()
        width.dimValue = Int64(features)
        var tensorType = Onnx_TypeProto.Tensor()
        tensorType.elemType = elementType
        tensorType.shape.dim = [batch, width]
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type.tensorType = tensorType
        return info
    }

    private static func tensor(_ name: String, dims: [Int], values: [Double], float32: Bool) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims.map(Int64.init)
        var bytes: [UInt8] = []
        if float32 {
            t.dataType = ONNXElementType.float
            bytes.reserveCapacity(values.count * 4)
            for v in values {
                let bits = Float(v).bitPattern
                for b in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt32(b)))) }
            }
        } else {
            t.dataType = ONNXElementType.double
            bytes.reserveCapacity(values.count * 8)
            for v in values {
                let bits = v.bitPattern
                for b in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(b)))) }
            }
        }
        t.rawData = Data(bytes)
        return t
    }
}
