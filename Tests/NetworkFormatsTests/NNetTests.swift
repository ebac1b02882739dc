import XCTest
@testable import NetworkFormats
