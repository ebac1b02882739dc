import XCTest
final class NetworkFormatsTestsPlaceholder: XCTestCase {}
