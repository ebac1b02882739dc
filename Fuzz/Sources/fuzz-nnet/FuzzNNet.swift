import Foundation
import FuzzSupport
import LipschitzModel
import NetworkFormats

// The .nnet reader (NNetFile.parse(data:) and both ways of loading it: with the file's
// normalisation folded in and raw). A thrown error is a clean rejection; a trap, hang or
// huge allocation is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    guard let file = try? NNetFile.parse(data: data, path: "fuzz.nnet") else { return 0 }
    for raw in [false, true] {
        guard let loaded = try? file.loaded(raw: raw, name: "fuzz") else { continue }
        let network = loaded.network
        guard network.layers.allSatisfy({ $0.weights.storage.allSatisfy(\.isFinite) && $0.biases.allSatisfy(\.isFinite) }) else {
            fatalError("fuzz-nnet: loaded(raw: \(raw)) returned non-finite weights")
        }
        if let box = loaded.suggestedBox {
            guard box.dimension == network.inputDimension else {
                fatalError("fuzz-nnet: suggested box \(box) does not fit \(network.inputDimension) inputs")
            }
        }
    }
    return 0
}

@main enum FuzzNNet {
    static func main() { runFuzzer(fuzzOne) }
}
