import XCTest
final class LipschitzTheoryTestsPlaceholder: XCTestCase {}
