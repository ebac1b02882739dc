import Foundation
import LipschitzModel
import XCTest
@testable import NetworkFormats
import LipschitzTestSupport

/// Damaged files must give an error or a valid network, never a crash or a hang.
final class MutationTests: XCTestCase {
    func testDamagedONNXFilesAreRefusedOrRead() throws {
        var rng = TestRandom(seed: 99)
        var refused = 0, read = 0
        for name in ["gemm-f32-raw.onnx", "gemm-f64-typed-opset7.onnx", "matmul-column-f64.onnx", "flatten-reshape-identity-f32.onnx", "composed-opset28.onnx"] {
            let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.onnx(name))))
            for _ in 0..<150 {
                var bytes = original
                for _ in 0..<rng.int(1...4) {
                    let i = rng.int(0...(bytes.count - 1))
                    bytes[i] = UInt8(truncatingIfNeeded: rng.next())
                }
                if rng.int(0...3) == 0 { bytes = Array(bytes.prefix(rng.int(0...bytes.count))) }
                do {
                    let loaded = try ONNXReader.read(data: Data(bytes), path: name)
                    XCTAssertGreaterThan(loaded.network.layers.count, 0)
                    read += 1
                } catch is InputProblem {
                    refused += 1
                }
            }
        }
        XCTAssertGreaterThan(refused, 100)
        XCTAssertEqual(refused + read, 750)
    }

    func testDamagedNNetFilesAreRefusedOrRead() throws {
        var rng = TestRandom(seed: 5)
        let original = try String(contentsOfFile: Fixtures.network("spiky_nnet.nnet"), encoding: .utf8)
        let alphabet = Array("0123456789,.-e \n/x")
        var refused = 0
        for _ in 0..<500 {
            var chars = Array(original)
            for _ in 0..<rng.int(1...3) {
                let i = rng.int(0...(chars.count - 1))
                switch rng.int(0...2) {
                case 0: chars[i] = alphabet[rng.int(0...(alphabet.count - 1))]
                case 1: chars.remove(at: i)
                default: chars.insert(alphabet[rng.int(0...(alphabet.count - 1))], at: i)
                }
            }
            do {
                _ = try NNetFile.parse(text: String(chars), path: "m.nnet").loaded(raw: false, name: "m")
            } catch is InputProblem {
                refused += 1
            }
        }
        XCTAssertGreaterThan(refused, 100)
    }
}
