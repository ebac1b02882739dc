import Foundation
import XCTest
import LipschitzModel

/// SplitMix64: a tiny deterministic generator so that every test run sees the same numbers.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    mutating func uniform(_ lo: Double, _ hi: Double) -> Double {
        lo + (hi - lo) * Double(next() >> 11) * 0x1.0p-53
    }

    mutating func vector(_ n: Int, _ lo: Double = -1, _ hi: Double = 1) -> [Double] {
        (0..<n).map { _ in uniform(lo, hi) }
    }

    mutating func matrix(_ rows: Int, _ columns: Int, _ lo: Double = -1, _ hi: Double = 1) -> Matrix {
        Matrix(rows: rows, columns: columns, storage: vector(rows * columns, lo, hi))
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    mutating func bool() -> Bool { next() & 1 == 1 }
}

/// A random network with the given widths `[input, hidden…, output]`.
func randomNetwork(_ widths: [Int], rng: inout SplitMix64, name: String = "random") -> ReLUNetwork {
    var layers: [AffineLayer] = []
    for k in 1..<widths.count {
        layers.append(AffineLayer(weights: rng.matrix(widths[k], widths[k - 1]),
                                  biases: rng.vector(widths[k], -0.5, 0.5)))
    }
    return try! ReLUNetwork(name: name, layers: layers)
}

/// The package root: this file is Tests/LipschitzModelTests/TestSupport.swift.
let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let fixturesDirectory = packageRoot.appendingPathComponent("instances/fixtures")

/// Every network fixture (not truth.json), sorted by name.
func fixtureFiles() throws -> [URL] {
    try FileManager.default.contentsOfDirectory(at: fixturesDirectory, includingPropertiesForKeys: nil)
        .filter { $0.pathExtension == "json" && $0.lastPathComponent != "truth.json" }
        .sorted { $0.lastPathComponent < $1.lastPathComponent }
}

func assertClose(_ a: Double, _ b: Double, relative: Double = 1e-12, absolute: Double = 1e-12,
                 _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    let ok = abs(a - b) <= absolute + relative * max(abs(a), abs(b))
    XCTAssertTrue(ok, "\(a) is not close to \(b) \(message())", file: file, line: line)
}

func assertClose(_ a: Matrix, _ b: Matrix, relative: Double = 1e-12, absolute: Double = 1e-12,
                 _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.rows, b.rows, "rows \(message())", file: file, line: line)
    XCTAssertEqual(a.columns, b.columns, "columns \(message())", file: file, line: line)
    guard a.rows == b.rows, a.columns == b.columns else { return }
    for (x, y) in zip(a.storage, b.storage) where abs(x - y) > absolute + relative * max(abs(x), abs(y)) {
        XCTFail("\(a) is not close to \(b) \(message())", file: file, line: line)
        return
    }
}

/// Runs `body`, expecting it to throw an error of type `E`; returns the error.
@discardableResult
func expectError<E: Error, T>(_ errorType: E.Type, file: StaticString = #filePath, line: UInt = #line,
                              _ body: () throws -> T) -> E? {
    do {
        let value = try body()
        XCTFail("expected \(E.self), got a value: \(value)", file: file, line: line)
        return nil
    } catch let error as E {
        return error
    } catch {
        XCTFail("expected \(E.self), got \(type(of: error)): \(error)", file: file, line: line)
        return nil
    }
}
