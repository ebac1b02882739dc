import Foundation
import XCTest
import LipschitzModel

/// `InputBox.parseBoxFile`: the `--box-file` reader (JSON or one LO,HI line per dimension).
final class BoxFileTests: XCTestCase {
    private func parse(_ text: String) throws -> InputBox {
        try InputBox.parseBoxFile(Data(text.utf8), path: "b.box")
    }

    /// Parsing `text` fails with a bad-box message containing every one of `mentions`.
    private func assertRejected(_ text: String, mentions: [String], file: StaticString = #filePath, line: UInt = #line) {
        do {
            let box = try parse(text)
            XCTFail("accepted \(box)", file: file, line: line)
        } catch let error as InputError {
            guard case .badBox = error else { return XCTFail("\(error)", file: file, line: line) }
            for word in mentions {
                XCTAssertTrue(error.description.contains(word), "\"\(error)\" should mention \(word)", file: file, line: line)
            }
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }

    func testJSONAndTextForms() throws {
        let expected = try InputBox(lower: [-1, 0], upper: [1, 2.5])
        XCTAssertEqual(try parse(#"{"lower": [-1, 0], "upper": [1, 2.5]}"#), expected)
        XCTAssertEqual(try parse("# a comment\n-1,1\n\n  0 , 2.5  \r\n"), expected)
    }

    func testEmptyFilesSayTheyHoldNoIntervals() {
        assertRejected("", mentions: ["b.box", "holds no intervals"])
        assertRejected("\n  \n# only a comment\n", mentions: ["b.box", "holds no intervals"])
        assertRejected(#"{"lower": [], "upper": []}"#, mentions: ["b.box", "holds no intervals"])
    }

    func testBadContents() {
        assertRejected(#"{"lower": [0, 0], "upper": [1]}"#, mentions: ["different lengths (2 and 1)"])
        assertRejected(#"{"lower": [false], "upper": [true]}"#, mentions: ["lower[0] is false, not a number"])
        assertRejected(#"{"lower": [0]}"#, mentions: ["b.box", "must hold"])
        assertRejected("[1, 2]", mentions: ["b.box", "must hold"])
        assertRejected("1,0\n", mentions: ["LO must be below HI"])
        assertRejected("0,nan\n", mentions: ["finite"])
        assertRejected("0,1,2\n", mentions: ["LO,HI"])
        assertRejected(#"{"lower": [0], "upper": [1e400]}"#, mentions: ["b.box", "not valid JSON"])
        assertRejected(#"{"lower": [0], "upper": [1]"#, mentions: ["b.box", "not valid JSON"])
    }

    func testNonUTF8IsNotText() {
        XCTAssertThrowsError(try InputBox.parseBoxFile(Data([0xFF, 0xFE, 0x30]), path: "b.box")) { error in
            XCTAssertTrue("\(error)".contains("not text"), "\(error)")
        }
    }
}
