import Foundation
import FuzzSupport
import LipschitzModel

// The JSON network reader (NetworkJSON.decode). A thrown error is a clean rejection; a
// trap, hang or huge allocation is a finding. A network that decodes must survive a
// round trip through NetworkJSON.encode unchanged.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    guard let network = try? NetworkJSON.decode(data) else { return 0 }
    let text = NetworkJSON.encode(network)
    guard let again = try? NetworkJSON.decode(Data(text.utf8)) else {
        fatalError("fuzz-json: a decoded network's encoding does not decode:\n\(text)")
    }
    guard again == network else { fatalError("fuzz-json: round trip changed the network:\n\(text)") }
    return 0
}

@main enum FuzzJSON {
    static func main() { runFuzzer(fuzzOne) }
}
