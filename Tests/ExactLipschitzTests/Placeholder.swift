import XCTest
final class ExactLipschitzTestsPlaceholder: XCTestCase {}
