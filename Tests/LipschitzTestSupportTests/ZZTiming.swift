@testable import LipschitzTestSupport
import LipschitzModel
import XCTest
import Foundation

final class ZZTiming: XCTestCase {
    func testTiming() throws {
        var state: UInt64 = 1
        func normal() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; let u = Double(state >> 11) * 0x1p-53; state = state &* 6364136223846793005 &+ 1442695040888963407; let v = Double(state >> 11) * 0x1p-53; return (-2 * log(max(u, 1e-300))).squareRoot() * cos(2 * .pi * v) }
        for widths in [[2, 4, 1], [2, 8, 1], [2, 3, 3, 1], [3, 6, 2]] {
            let start = Date()
            var regions = 0
            for _ in 0..<10 {
                var layers: [AffineLayer] = []
                for k in 1..<widths.count {
                    layers.append(AffineLayer(weights: Matrix(rowArrays: (0..<widths[k]).map { _ in (0..<widths[k-1]).map { _ in normal() } }), biases: (0..<widths[k]).map { _ in normal() }))
                }
                let net = try ReLUNetwork(layers: layers)
                regions += try ExactBruteForce.run(net, norms: [.one, .two, .infinity]).regions
            }
            print("TIMING", widths, Date().timeIntervalSince(start) / 10, "s per net, regions avg", Double(regions) / 10)
        }
    }
}
