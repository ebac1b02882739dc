import Foundation
import FuzzSupport
import LipschitzModel

// The box-file reader (InputBox.parseBoxFile). A thrown error is a clean rejection; a trap
// or hang is a finding, and so is an accepted box that breaks InputBox's invariant
// (equal non-zero lengths, finite bounds, lower < upper).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    guard let box = try? InputBox.parseBoxFile(data, path: "fuzz.box") else { return 0 }
    guard box.dimension > 0, box.lower.count == box.upper.count,
          box.lower.indices.allSatisfy({ box.lower[$0].isFinite && box.upper[$0].isFinite && box.lower[$0] < box.upper[$0] }) else {
        fatalError("fuzz-box: accepted an invalid box \(box.lower) … \(box.upper)")
    }
    return 0
}

@main enum FuzzBox {
    static func main() { runFuzzer(fuzzOne) }
}
