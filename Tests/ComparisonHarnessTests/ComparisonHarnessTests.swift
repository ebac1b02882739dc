import XCTest
final class ComparisonHarnessTestsPending: XCTestCase {}
