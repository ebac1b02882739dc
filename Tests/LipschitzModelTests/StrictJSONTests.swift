import Foundation
import XCTest
@testable import LipschitzModel
import LipschitzTestSupport

/// JSON that Foundation's JSONDecoder on Linux accepts but RFC 8259 does not is refused with
/// one line naming the place; valid JSON (and every double) still reads back exactly.
final class StrictJSONTests: XCTestCase {
    private func malformed(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String? {
        guard let error = expectError(NetworkError.self, file: file, line: line, { try JSONValue.parse(Data(text.utf8)) }) else { return nil }
        guard case .malformedJSON = error else { XCTFail("expected malformedJSON, got \(error)", file: file, line: line); return nil }
        XCTAssertFalse(error.description.contains("\n"), error.description, file: file, line: line)
        return error.description
    }

    func testTrailingCommaInArrayIsRejected() {
        let message = malformed("{\"layers\": [{\"weights\": [[1, 2],], \"biases\": [0]}]}")
        XCTAssertTrue(message?.contains("trailing comma") ?? false, message ?? "")
        XCTAssertTrue(message?.contains("layers[0].weights") ?? false, message ?? "")
        XCTAssertTrue(message?.contains("line 1") ?? false, message ?? "")
        XCTAssertNotNil(malformed("[1, 2, ]"))
    }

    func testTrailingCommaInObjectIsRejected() {
        let message = malformed("{\"a\": 1,\n \"b\": 2,\n}")
        XCTAssertTrue(message?.contains("trailing comma") ?? false, message ?? "")
        XCTAssertTrue(message?.contains("line 3") ?? false, message ?? "")
    }

    func testDuplicateKeysAreRejected() {
        let message = malformed(#"{"format": "relu-network", "version": 1, "layers": [{"weights": [[1]], "biases": [0], "biases": [5]}]}"#)
        XCTAssertTrue(message?.contains("duplicate key \"biases\"") ?? false, message ?? "")
        XCTAssertTrue(message?.contains("layers[0]") ?? false, message ?? "")
        // Through NetworkJSON too: the network is not read with either value.
        let network = #"{"format": "relu-network", "name": "a", "name": "b", "version": 1, "layers": [{"weights": [[1]], "biases": [0]}]}"#
        XCTAssertThrowsError(try NetworkJSON.decode(Data(network.utf8)))
    }

    func testOtherNonStandardJSONIsRejected() {
        for text in ["[01]", "[1.]", "[.5]", "[1e]", "[+1]", "[NaN]", "[Infinity]", "{'a': 1}", "{a: 1}", "[1] [2]",
                     "[\"tab\there\"]", "[\"\\x\"]", "[\"\\ud800\"]", "// c\n[1]", "[1,,2]", "[,]", "{,}", "[1 2]",
                     "[1e400]", String(repeating: "[", count: 10_000)] {
            XCTAssertNotNil(malformed(text), text)
        }
        XCTAssertNotNil(expectError(NetworkError.self) { try JSONValue.parse(Data([0x5B, 0x22, 0xFF, 0x22, 0x5D])) }, "invalid UTF-8")
    }

    func testValidJSONReadsAsBefore() throws {
        let value = try JSONValue.parse(Data(#" {"a": [1, -2.5e-3, true, false, null, "x\"\u00e9\ud83d\ude00\n"], "b": {}, "c": []} "#.utf8))
        XCTAssertEqual(value, .object([
            "a": .array([.number(1), .number(-2.5e-3), .bool(true), .bool(false), .null, .string("x\"é😀\n")]),
            "b": .object([:]), "c": .array([]),
        ]))
        XCTAssertEqual(try JSONValue.parse(Data("\u{FEFF}[0]".utf8)), .array([.number(0)]))
        XCTAssertEqual(try JSONValue.parse(Data("-0.0".utf8)).number?.sign, .minus)
    }

    /// Shortest round-trip doubles (and hard cases for naive decimal parsers) come back bit for bit.
    func testNumbersReadBackBitForBit() throws {
        var rng = TestRandom(seed: 11)
        var values: [Double] = [0.30000000000000004, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude,
                                0.1, 1 / 3, 9007199254740992, 1e23, 8.98846567431158e307, -0.0]
        for _ in 0..<2000 { values.append(Double(bitPattern: rng.next() & ~(0x7FF << 52) | (UInt64(rng.int(900...1150)) << 52))) }
        let text = "[" + values.map { "\($0)" }.joined(separator: ", ") + "]"
        let back = try XCTUnwrap(JSONValue.parse(Data(text.utf8)).array).map { $0.number ?? .nan }
        XCTAssertEqual(back.count, values.count)
        for (x, y) in zip(values, back) { XCTAssertEqual(x.bitPattern, y.bitPattern, "\(x) read back as \(y)") }
        // Decimals that are not shortest forms still round correctly (halfway cases included).
        XCTAssertEqual(try JSONValue.parse(Data("[2.4703282292062328e-324, 9007199254740993]".utf8)),
                       .array([.number(.leastNonzeroMagnitude), .number(9007199254740992)]))
    }
    /// The conversion works on a copy of the number's bytes (no String per number): long digit
    /// strings, exponent extremes, a document that ends right after the number, and random
    /// decimals of up to 40 digits all read exactly as `Double(String)` reads them.
    func testNumberConversionMatchesDoubleFromString() throws {
        var rng = TestRandom(seed: 12)
        var texts = ["7", "-0", "0e0", "1E+308", "1e-400", "-2.2250738585072011e-308", "4.9406564584124654e-324",
                     "0." + String(repeating: "0", count: 400) + "1", String(repeating: "9", count: 330) + "e-20",
                     "1.00000000000000011102230246251565404236316680908203125",
                     "1.00000000000000011102230246251565404236316680908203124"]
        for _ in 0..<3000 {
            let digits = String((0..<rng.int(1...40)).map { _ in Character(String(rng.int(0...9))) })
            let point = digits.count > 1 && rng.int(0...1) == 0 ? "." + String(digits.dropFirst()) : ""
            let lead = String(digits.first!).replacingOccurrences(of: "0", with: "3")
            texts.append((rng.int(0...1) == 0 ? "-" : "") + lead + point + (rng.int(0...1) == 0 ? "e\(rng.int(-330...310))" : ""))
        }
        for text in texts {
            guard let expected = Double(text), expected.isFinite else { continue }
            let alone = try JSONValue.parse(Data(text.utf8)).number
            let inArray = try XCTUnwrap(JSONValue.parse(Data("[\(text)]".utf8)).array?.first?.number)
            XCTAssertEqual(alone?.bitPattern, expected.bitPattern, text)
            XCTAssertEqual(inArray.bitPattern, expected.bitPattern, text)
        }
    }
}
