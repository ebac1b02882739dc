import XCTest
final class ComparisonHarnessTestsPlaceholder: XCTestCase {}
