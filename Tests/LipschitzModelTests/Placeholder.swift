import XCTest
final class LipschitzModelTestsPlaceholder: XCTestCase {}
