import Foundation
import XCTest
import LipschitzModel

/// `LipschitzModel/Platform`: the helpers that replace full Foundation's APIs in the executable
/// (which links FoundationEssentials only) give what Foundation gives. The tests link full
/// Foundation, so each is checked against the API it replaces.
final class PlatformHelpersTests: XCTestCase {
    private let numbers: [Double] = [
        0, -0.0, 1, -1, 0.5, 1.5, 2.5, 11.634355134114873, -126.46720531539175, 1e-300, .leastNonzeroMagnitude,
        1e15, 1e300, 123456789.125, .pi, -.pi, 1.0 / 3, 0.0625, 99.95, 1e-5, .infinity, -.infinity, .nan,
    ]

    func testCFormatMatchesStringFormatForEveryFormatTheExecutableUses() {
        for format in ["%.1f", "%.3f", "%.4f", "%.2f", "%.0f", "%.0f×", "≥ %.0f×", "%.4g", "%.6g", "%.10g", "%.3g", "%.17g"] {
            for x in numbers {
                XCTAssertEqual(cFormat(format, x), String(format: format, x), "\(format) of \(x)")
            }
        }
        for value in [0, 7, 0x1F, 0x7F, 0xFF] as [UInt8] {
            XCTAssertEqual(cFormat("%04X", value), String(format: "%04X", value))
            XCTAssertEqual(cFormat("byte 0x%02X", value), String(format: "byte 0x%02X", value))
        }
        for value in [0, 0x1F, 0xFFFF, 0x10FFFF] as [UInt32] {
            XCTAssertEqual(cFormat("\\u%04x", value), String(format: "\\u%04x", value))
        }
        XCTAssertEqual(cFormat("[%ld/%ld] %.0f s  ", 3, 12, 41.6), String(format: "[%d/%d] %.0f s  ", 3, 12, 41.6))
        // Longer than the first buffer.
        let long = "| wall s | %.2f | %.2f | %.2f | %.2f | %.3f× | %.3f | %.10g %.10g %.10g"
        let arguments: [CVarArg] = [1e20, 2.5, 3.25, 4.125, 5.0625, 6.5, 1.0 / 7, 2.0 / 7, 1e300]
        XCTAssertEqual(cFormat(long, 1e20, 2.5, 3.25, 4.125, 5.0625, 6.5, 1.0 / 7, 2.0 / 7, 1e300), String(format: long, arguments: arguments))
    }

    func testTrimmingWhitespacesMatchesFoundation() {
        let samples = [
            "", " ", "\t", "  a b  ", "\ta\t", "\na\n", " \n a \n ", "\u{00A0}x\u{3000}", "\u{2003}é\u{2009}",
            "\u{200B}x\u{200B}", "e\u{0301} ", " \u{0301}x", "x\r\n", "  🙂  ", "\u{1680}\u{202F}\u{205F}",
        ]
        for s in samples {
            XCTAssertEqual(s.trimmingWhitespaces(), s.trimmingCharacters(in: .whitespaces), "\(s.debugDescription)")
            let sub = ("<" + s + ">").dropFirst().dropLast()
            XCTAssertEqual(sub.trimmingWhitespaces(), sub.trimmingCharacters(in: .whitespaces), "\(s.debugDescription)")
        }
    }

    func testEveryScalarIsABlankExactlyWhenFoundationSaysSo() {
        for value in 0...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = "x" + String(scalar)
            XCTAssertEqual(text.trimmingWhitespaces() == "x", CharacterSet.whitespaces.contains(scalar), "U+\(String(value, radix: 16))")
        }
    }

    func testPaddingWithSpacesMatchesFoundation() {
        for s in ["", "a", "abc", "ℓ2", "🙂x", "e\u{0301}", "abcdefgh"] {
            for length in 0...9 {
                XCTAssertEqual(s.paddingWithSpaces(toLength: length), s.padding(toLength: length, withPad: " ", startingAt: 0),
                               "\(s.debugDescription) to \(length)")
            }
        }
    }

    func testReplacingEveryMatchesFoundationOnTheReplacedTargets() {
        let samples = ["", "a&b<c>d", "&&", "<<>>", "say \"hi\"", "\"", "one\ntwo\n", "ℓ2 & ∞", "\n"]
        for s in samples {
            for (target, replacement) in [("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\"", "\"\""), ("\n", " ")] {
                XCTAssertEqual(s.replacingEvery(target, with: replacement), s.replacingOccurrences(of: target, with: replacement))
            }
        }
        // Scalar by scalar: a newline inside "\r\n" (one Character) is replaced too.
        XCTAssertEqual("a\r\nb".replacingEvery("\n", with: " "), "a\r b")
    }

    func testPathNameMatchesNSString() {
        let paths = [
            "", "/", "//", "/a", "/a/", "a/b", "a/b/", "a//b", "a///b", "/a//b//c", "a//b/", "/a/b/c", "./a", "../a",
            "a/b.json", "x//y.json", "a/.json", "a/..", "a/.", "a/b.", "a/b.c.d", "/tmp/x/net.onnx", ".hidden", "...",
            "a.b/c", "dir/sub dir/f ile.nnet", "ü/ñ.json",
        ]
        for p in paths {
            let ns = p as NSString
            XCTAssertEqual(PathName.lastComponent(p), ns.lastPathComponent, "last of \(p.debugDescription)")
            XCTAssertEqual(PathName.deletingLastComponent(p), ns.deletingLastPathComponent, "parent of \(p.debugDescription)")
            XCTAssertEqual(PathName.deletingExtension(p), ns.deletingPathExtension, "stem of \(p.debugDescription)")
            for c in ["", "x", "x.json", "y/z"] {
                XCTAssertEqual(PathName.appending(c, to: p), ns.appendingPathComponent(c), "\(p.debugDescription) + \(c)")
            }
        }
        // Where NSString traps (a one-component relative parent; trailing slashes after a run of
        // them), so that `compare --csv o` crashed: the answers it meant.
        for p in ["a", "a/", "a//"] { XCTAssertEqual(PathName.deletingLastComponent(p), "", p) }
        XCTAssertEqual(PathName.deletingLastComponent("a///b///"), "a")
        XCTAssertEqual(PathName.lastComponent("a///b///"), "b")
        XCTAssertEqual(PathName.deletingExtension("a///b.json///"), "a/b")
    }

    func testLockExcludesAndConditionWakesTheWaiter() {
        let lock = Lock()
        final class Counter: @unchecked Sendable { var value = 0 }
        let counter = Counter()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<10_000 { lock.lock(); counter.value += 1; lock.unlock() }
        }
        XCTAssertEqual(counter.value, 80_000)

        let condition = Condition()
        let box = Counter()
        let done = DispatchSemaphore(value: 0)
        XCTAssertTrue(startDetachedThread {
            condition.lock()
            while box.value == 0 { condition.wait() }
            box.value += 1
            condition.unlock()
            done.signal()
        })
        condition.lock(); box.value = 1; condition.broadcast(); condition.unlock()
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        condition.lock(); XCTAssertEqual(box.value, 2); condition.unlock()
    }

    /// Created or truncated like a shell's `>`, every byte written; a link is written through,
    /// not replaced; a full device's failure comes back as its errno (no trap).
    func testDescriptorOutputWritesEveryByteAndReportsFailures() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("platform-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/trace.jsonl", link = folder + "/link.jsonl"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("old contents, longer than the new\n".utf8)))
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        do {
            let output = try XCTUnwrap(DescriptorOutput(creatingAtPath: link))
            XCTAssertNil(output.write("first line\n"))
            XCTAssertNil(output.write(Data(String(repeating: "x", count: 1 << 20).utf8)))
        }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(text, "first line\n" + String(repeating: "x", count: 1 << 20), "truncated, then written in full")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), path, "the link stays a link")
        XCTAssertNil(DescriptorOutput(creatingAtPath: folder + "/missing/trace.jsonl"))
        let full = try XCTUnwrap(DescriptorOutput(creatingAtPath: "/dev/full"))
        XCTAssertEqual(full.write("x"), ENOSPC)
        var status = stat()
        XCTAssertEqual(stat("/dev/full", &status), 0)
        XCTAssertEqual(status.st_mode & S_IFMT, S_IFCHR, "the device is written, not replaced")
    }
}
