import Foundation
import FuzzDriver

/// Runs libFuzzer (or a reproduction, e.g. `fuzz-json crash-…`) on `callback`.
///
/// SwiftPM links an executable with `main` aliased to its own entry point, so libFuzzer's
/// main cannot be used; each target's @main calls this instead.
public func runFuzzer(_ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    let status = LLVMFuzzerRunDriver(&argc, &argv, callback)
    exit(status)
}
