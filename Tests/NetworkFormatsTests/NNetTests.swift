import Foundation
import LipschitzModel
import XCTest
@testable import NetworkFormats
import LipschitzTestSupport

final class NNetTests: XCTestCase {
    /// 2 inputs, 3 hidden neurons, 1 output, with a normalisation that changes everything.
    static let normalised = """
    // A test network
    // second comment line
    2,2,1,3,
    2,3,1,
    0,
    -1.0,0.0,
    3.0,10.0,
    1.0,5.0,2.0,
    2.0,4.0,0.5,
    1.0,-2.0,
    0.5,0.25,
    -1.0,3.0,
    0.1,
    -0.2,
    0.3,
    1.5,-0.5,2.0,
    0.75,

    """

    // MARK: - Reading and normalisation

    func testNormalisationIsFoldedIntoFirstAndLastLayers() throws {
        let path = try Fixtures.write(Self.normalised, named: "normalised.nnet")
        let raw = try readNetwork(path: path, raw: true).network
        let loaded = try readNetwork(path: path)
        XCTAssertEqual(loaded.format, .nnet)
        XCTAssertEqual(loaded.network.architecture, [2, 3, 1])
        XCTAssertTrue(loaded.notes.contains { $0.contains("applied the file's normalisation") }, "\(loaded.notes)")
        XCTAssertEqual(loaded.suggestedBox, try InputBox(lower: [-1, 0], upper: [3, 10]))

        // The stored weights, exactly as written.
        XCTAssertEqual(raw.layers[0].weights.rowArrays, [[1, -2], [0.5, 0.25], [-1, 3]])
        XCTAssertEqual(raw.layers[0].biases, [0.1, -0.2, 0.3])
        XCTAssertEqual(raw.layers[1].weights.rowArrays, [[1.5, -0.5, 2]])
        XCTAssertEqual(raw.layers[1].biases, [0.75])

        // The format's evaluation: clip, (x − mean)/range, network, y·range + mean.
        let means = [1.0, 5.0], ranges = [2.0, 4.0], lower = [-1.0, 0.0], upper = [3.0, 10.0]
        func formatEvaluation(_ x: [Double]) -> Double {
            let normalisedInput = (0..<2).map { (min(max(x[$0], lower[$0]), upper[$0]) - means[$0]) / ranges[$0] }
            return raw.evaluate(normalisedInput)[0] * 0.5 + 2.0
        }
        for x in [[0.0, 1.0], [2.5, 9.0], [-1.0, 0.0], [3.0, 10.0], [1.7, 4.2]] {
            assertClose(loaded.network.evaluate(x), [formatEvaluation(x)], relative: 1e-14)
        }
        // Outside the box the format clips, the folded network does not: that is why the
        // box is reported as the domain.
        XCTAssertNotEqual(loaded.network.evaluate([100, 100])[0], formatEvaluation([100, 100]), accuracy: 1e-6)
    }

    func testRawKeepsStoredWeightsAndSuggestsNoBox() throws {
        let path = try Fixtures.write(Self.normalised, named: "normalised.nnet")
        let loaded = try readNetwork(path: path, raw: true)
        XCTAssertNil(loaded.suggestedBox)
        XCTAssertTrue(loaded.notes.contains { $0.contains("--raw") }, "\(loaded.notes)")
    }

    func testHeaderlessNoTrailingCommasCRLFAndBlankLines() throws {
        let text = Self.normalised
            .split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("//") }
            .map { line -> String in line.hasSuffix(",") ? String(line.dropLast()) : String(line) }
            .joined(separator: "\r\n")
        let variant = try readNetwork(path: try Fixtures.write("\r\n" + text, named: "variant.nnet"))
        let original = try readNetwork(path: try Fixtures.write(Self.normalised, named: "original.nnet"))
        XCTAssertEqual(variant.network.layers, original.network.layers)
        XCTAssertEqual(variant.suggestedBox, original.suggestedBox)
    }

    func testBundledSpikyNetwork() throws {
        let loaded = try readNetwork(path: Fixtures.network("spiky_nnet.nnet"))
        let net = loaded.network
        XCTAssertEqual(net.architecture, [1, 6, 4, 3, 1])
        XCTAssertEqual(net.layers[0].weights.storage, [2, -2, 4, -4, 4, -4])
        XCTAssertEqual(net.layers[0].biases, [-100, 100, -100, 100, -300, 300])
        XCTAssertEqual(net.layers[1].weights.row(0), [-2, -2, 0, 0, 0, 0])
        XCTAssertEqual(net.layers[2].biases, [30, -110, -110])
        XCTAssertEqual(net.layers[3].weights.storage, [1, 1, 1])
        XCTAssertEqual(net.layers[3].biases, [-10])
        XCTAssertTrue(loaded.notes.contains { $0.contains("identity") }, "\(loaded.notes)")
        XCTAssertEqual(loaded.suggestedBox, try InputBox(lower: [-65500], upper: [65500]))
        // Φ(0): layer 1 gives [0,100,0,100,0,300]; layer 2 [-120, 80, -20, -520] → [0, 80, 0, 0];
        // layer 3 [110, -110, -110] → [110, 0, 0]; output 110 − 10.
        XCTAssertEqual(net.evaluate([0]), [100])
    }

    func testHeaderlessPlaceholderVariantOfNeuralVerificationJL() throws {
        let loaded = try readNetwork(path: Fixtures.network("small_nnet_id.nnet"))
        XCTAssertEqual(loaded.network.architecture, [1, 2, 2, 1])
        XCTAssertNil(loaded.suggestedBox)
        XCTAssertTrue(loaded.notes.contains { $0.contains("placeholder") }, "\(loaded.notes)")
        // x = 0: [1.5, 1.5] → [8.5, 8.5] → −3·8.5·2 + 3.5.
        XCTAssertEqual(loaded.network.evaluate([0]), [-47.5])
        // x = −10: [−8.5, −8.5] → 0 → [2.5, 2.5] → −15 + 3.5.
        XCTAssertEqual(loaded.network.evaluate([-10]), [-11.5])
    }

    func testUnboundedMinimaGiveNoBox() throws {
        let text = Self.normalised.replacingOccurrences(of: "-1.0,0.0,\n3.0,10.0,", with: "-3.4028234663852886e+38,0.0,\n3.4028234663852886e+38,10.0,")
        let loaded = try readNetwork(path: try Fixtures.write(text, named: "unbounded.nnet"))
        XCTAssertNil(loaded.suggestedBox)
        XCTAssertTrue(loaded.notes.contains { $0.contains("inputs 1 are unbounded") }, "\(loaded.notes)")
        // Infinite bounds say the same; NaN is still refused.
        let infinite = Self.normalised.replacingOccurrences(of: "-1.0,0.0,\n3.0,10.0,", with: "-inf,-inf,\ninf,inf,")
        let infiniteLoaded = try readNetwork(path: try Fixtures.write(infinite, named: "infinite.nnet"))
        XCTAssertNil(infiniteLoaded.suggestedBox)
        XCTAssertEqual(infiniteLoaded.network.layers, loaded.network.layers)
        try assertBad(Self.normalised.replacingOccurrences(of: "-1.0,0.0,", with: "nan,0.0,"), ["line 6", "value 1 is nan"])
    }

    // MARK: - Errors name the line

    private func assertBad(_ text: String, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try Fixtures.write(text, named: "bad.nnet")
        assertInputProblem(try readNetwork(path: path), contains: fragments, file: file, line: line)
    }

    private func replacingLine(_ number: Int, with replacement: String) -> String {
        var lines = Self.normalised.components(separatedBy: "\n")
        lines[number - 1] = replacement
        return lines.joined(separator: "\n")
    }

    func testTruncatedFile() throws {
        let lines = Self.normalised.components(separatedBy: "\n")
        try assertBad(lines.prefix(14).joined(separator: "\n"), ["bad.nnet", "ends after line 14", "biases of layer 1, row 3 of 3", "truncated"])
        try assertBad(lines.prefix(15).joined(separator: "\n"), ["ends after line 15", "weights of layer 2, row 1 of 1"])
        try assertBad(lines.prefix(2).joined(separator: "\n"), ["ends after line 2", "sizes line"])
        try assertBad("", ["ends after line 0"])
    }

    func testWrongRowLength() throws {
        try assertBad(replacingLine(10, with: "1.0,-2.0,7.0,"), ["line 10", "layer 1, weights row 1: 3 values, expected 2 (the number of inputs)"])
        try assertBad(replacingLine(16, with: "1.5,-0.5,"), ["line 16", "layer 2, weights row 1: 2 values, expected 3 (the size of layer 1)"])
        try assertBad(replacingLine(14, with: "0.1,0.2,"), ["line 14", "layer 1, bias 2: 2 values"])
    }

    func testWrongSizes() throws {
        try assertBad(replacingLine(4, with: "2,3,"), ["line 4", "2 layer sizes for 2 layers; expected 3"])
        try assertBad(replacingLine(3, with: "2,5,1,3,"), ["line 3", "inputSize is 5"])
        try assertBad(replacingLine(3, with: "2,2,4,3,"), ["line 3", "outputSize is 4"])
        try assertBad(replacingLine(4, with: "2,0,1,"), ["line 4", "layer size 2 is 0"])
        try assertBad(replacingLine(4, with: "2,9223372036854775807,1,"), ["line 4", "layer size 2 is 9223372036854775807"])
        try assertBad(replacingLine(4, with: "2,1000000,1,"), ["line 13", "layer 1, weights row 4: 1 value, expected 2"])
        try assertBad(replacingLine(3, with: "two,2,1,3,"), ["line 3", "\"two\" is not a whole number"])
        try assertBad(replacingLine(6, with: "-1.0,"), ["line 6", "1 input minima for 2 inputs"])
        try assertBad(replacingLine(8, with: "1.0,5.0,"), ["line 8", "2 means; expected 3"])
    }

    func testNonNumbersNaNAndZeroRange() throws {
        try assertBad(replacingLine(12, with: "0.5,nan,"), ["line 12", "value 2 is nan", "finite"])
        try assertBad(replacingLine(12, with: "0.5,inf,"), ["line 12", "finite"])
        try assertBad(replacingLine(12, with: "0.5,0.2x5,"), ["line 12", "\"0.2x5\" is not a number"])
        try assertBad(replacingLine(12, with: "0.5,,0.25"), ["line 12", "value 2 is empty"])
        try assertBad(replacingLine(9, with: "2.0,0.0,0.5,"), ["line 9", "range 2 is 0"])
        try assertBad(replacingLine(7, with: "-3.0,10.0,"), ["line 7", "input 1: maximum -3.0 is below minimum -1.0"])
    }

    func testExtraDataAfterLastLayer() throws {
        try assertBad(Self.normalised + "1.0,\n", ["line 18", "unexpected data after the last layer"])
    }

    // MARK: - Writing

    func testWriterRoundTripsExactlyWithIdentityNormalisation() throws {
        let network = try NetworkJSON.read(contentsOf: Fixtures.onnx("deep-3x4x3x2.json"))
        let text = NNetWriter.encode(network)
        let path = try Fixtures.write(text, named: "deep.nnet")
        let back = try readNetwork(path: path)
        XCTAssertEqual(back.network.layers, network.layers)
        XCTAssertNil(back.suggestedBox)
        XCTAssertTrue(text.hasPrefix("// "))
        XCTAssertTrue(text.contains("\n3,3,2,4,\n3,4,3,2,\n0,\n"), text)

        let box = try InputBox(lower: [-1, -2, -3], upper: [1, 2, 3])
        let boxed = try readNetwork(path: try Fixtures.write(NNetWriter.encode(network, inputBox: box), named: "boxed.nnet"))
        XCTAssertEqual(boxed.suggestedBox, box)
        XCTAssertEqual(boxed.network.layers, network.layers)
    }
}
