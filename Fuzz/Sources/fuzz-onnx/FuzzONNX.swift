import Foundation
import FuzzSupport
import LipschitzModel
import NetworkFormats

// The ONNX reader (ONNXReader.read(data:)): protobuf decoding and graph interpretation.
// A thrown error is a clean rejection; a trap, hang or huge allocation is a finding.
// A network that reads must have finite weights and evaluate to finite values at 0.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    guard let loaded = try? ONNXReader.read(data: data, path: "fuzz.onnx", defaultName: "fuzz") else { return 0 }
    let network = loaded.network
    guard network.layers.allSatisfy({ $0.weights.storage.allSatisfy(\.isFinite) && $0.biases.allSatisfy(\.isFinite) }) else {
        fatalError("fuzz-onnx: the reader returned non-finite weights")
    }
    _ = network.evaluate(Array(repeating: 0, count: network.inputDimension))
    return 0
}

@main enum FuzzONNX {
    static func main() { runFuzzer(fuzzOne) }
}
