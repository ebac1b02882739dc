import Foundation
import LipschitzModel
import XCTest
@testable import NetworkFormats
import LipschitzTestSupport

/// Files the tests read live in the repository (instances/), found from this file's path,
/// so the tests need neither bundle resources nor anything outside the package.
enum Fixtures {
    static let onnxTests = packageRoot.appendingPathComponent("instances/onnx-tests")
    static let networks = packageRoot.appendingPathComponent("instances/networks")

    static func onnx(_ name: String) -> String { onnxTests.appendingPathComponent(name).path }
    static func network(_ name: String) -> String { networks.appendingPathComponent(name).path }

    /// A fresh directory for files a test writes.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("NetworkFormatsTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func write(_ text: String, named name: String) throws -> String {
        let url = try temporaryDirectory().appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }
}

/// The reference outputs that onnx's own evaluator computed (scripts/make-onnx-test-files.py).
struct ExpectedONNX: Decodable {
    struct Entry: Decodable {
        let file: String
        let json: String?
        let float32: Bool
        let points: [[Double]]
        let outputs: [[Double]]
    }
    let files: [Entry]

    static func load() throws -> ExpectedONNX {
        let data = try Data(contentsOf: Fixtures.onnxTests.appendingPathComponent("expected.json"))
        return try JSONDecoder().decode(ExpectedONNX.self, from: data)
    }
}

/// Asserts that `body` throws an `InputProblem` whose one-line description contains every fragment.
func assertInputProblem<T>(_ body: @autoclosure () throws -> T, contains fragments: [String],
                           file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected an error containing \(fragments)", file: file, line: line)
    } catch let problem as InputProblem {
        let text = problem.description
        XCTAssertFalse(text.contains("\n"), "error spans several lines: \(text)", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(text.contains(fragment), "\"\(text)\" lacks \"\(fragment)\"", file: file, line: line)
        }
    } catch {
        XCTFail("expected an InputProblem, got \(error)", file: file, line: line)
    }
}

func assertClose(_ a: [Double], _ b: [Double], relative: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) {
        XCTAssertLessThanOrEqual(abs(x - y), relative * (1 + abs(y)), "\(a) vs \(b)", file: file, line: line)
    }
}

/// The layers of a JSON network file, parsed with JSONDecoder, which rounds every number
/// correctly. (Foundation's JSONSerialization, which NetworkJSON uses, is off by one unit
/// in the last place for some numbers on Linux, e.g. -0.11754876059826543; comparing ONNX
/// weights bit for bit needs the correctly rounded values that numpy also wrote.)
struct ReferenceJSON: Decodable {
    struct Layer: Decodable {
        let weights: [[Double]]
        let biases: [Double]
    }
    let layers: [Layer]

    static func load(_ name: String) throws -> ReferenceJSON {
        try JSONDecoder().decode(ReferenceJSON.self, from: Data(contentsOf: Fixtures.onnxTests.appendingPathComponent(name)))
    }

    var network: ReLUNetwork {
        get throws {
            try ReLUNetwork(layers: layers.map { AffineLayer(weights: Matrix(rowArrays: $0.weights), biases: $0.biases) })
        }
    }
}
