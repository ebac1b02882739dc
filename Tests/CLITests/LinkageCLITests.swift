import Foundation
import XCTest

extension ExactCLITests {
    /// The executable links FoundationEssentials, never full Foundation: Foundation brings ICU
    /// and CoreFoundation (the static binary doubles, to ≈ 90 MB) and costs every start about
    /// 1 ms of protocol-conformance scans. A module of the executable that imports `Foundation`,
    /// or a dependency built with a trait that does, puts Foundation's symbols (mangled
    /// `$s10Foundation…`) back into the binary, dynamic or static.
    func testBinaryDoesNotLinkFullFoundation() throws {
        guard let binary = Self.binary else { throw XCTSkip("no binary") }
        let bytes = try Data(contentsOf: binary, options: .alwaysMapped)
        XCTAssertNil(bytes.range(of: Data("$s10Foundation".utf8)),
                     "\(binary.path) links full Foundation: import FoundationEssentials (and LipschitzModel/Platform's helpers) instead")
    }
}
