import XCTest
final class LinearProgrammingTestsPlaceholder: XCTestCase {}
