import XCTest
final class LipschitzEstimatesTestsPlaceholder: XCTestCase {}
