import XCTest
final class RandomNetworksTestsPlaceholder: XCTestCase {}
