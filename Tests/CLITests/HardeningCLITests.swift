import Foundation
import XCTest

/// Bad input of every class ends with exactly one line `lipschitz: error: …` and status 2, never
/// a crash, a hang or a damaged file; signals stop long commands with their result printed.
/// (An extension of ExactCLITests, to share its runner and assertions.)
extension ExactCLITests {
    // MARK: - Helpers

    /// A random network written by the binary itself.
    func generated(_ arguments: [String], named name: String = "net.json") throws -> String {
        let path = try temporaryFolder().appendingPathComponent(name).path
        let result = try run(["generate"] + arguments + ["-o", path])
        XCTAssertEqual(result.status, 0, result.stderr)
        return path
    }

    func fileType(_ path: String) -> FileAttributeType? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
    }

    // MARK: - 1. Invalid JSON that Foundation accepts

    func testTrailingCommasAndDuplicateKeysAreRejected() throws {
        let trailingInArray = try write(network(#"{"weights": [[1, 2], [3, 4],], "biases": [0, 0]}, {"weights": [[1, 1]], "biases": [0]}"#),
                                        named: "comma-array.json")
        try assertBadInput(["exact", trailingInArray], mentions: ["malformed JSON", "trailing comma", "line 1", "layers[0].weights"])
        let trailingInObject = try write("{\"format\": \"relu-network\", \"version\": 1,\n \"layers\": [{\"weights\": [[1]], \"biases\": [0],}]}",
                                         named: "comma-object.json")
        try assertBadInput(["exact", trailingInObject], mentions: ["trailing comma", "line 2", "layers[0]"])
        let duplicate = try write(network(#"{"weights": [[1, 2]], "biases": [0], "weights": [[100, 200]]}"#), named: "duplicate.json")
        try assertBadInput(["exact", duplicate], mentions: ["duplicate key \"weights\"", "layers[0]"])
        try assertBadInput(["estimate", duplicate], mentions: ["duplicate key"])
        try assertBadInput(["convert", duplicate, duplicate + ".onnx"], mentions: ["duplicate key"])
    }

    // MARK: - 2. Ambiguous ONNX

    /// An ONNX file with a second initializer of an existing name (appended as a second `graph`
    /// field, which protobuf merges into the first) is refused, not read with either tensor.
    func testDuplicateONNXInitializerIsRejected() throws {
        let onnx = try temporaryFolder().appendingPathComponent("net.onnx").path
        let converted = try run(["convert", fixture("shallow-d2-n5.json"), onnx])
        XCTAssertEqual(converted.status, 0, converted.stderr)
        XCTAssertEqual(try run(["exact", onnx, "--json"]).status, 0)

        func field(_ number: UInt8, _ payload: [UInt8]) -> [UInt8] {
            precondition(payload.count < 128)
            return [number << 3 | 2, UInt8(payload.count)] + payload
        }
        var doubles: [UInt8] = []
        for _ in 0..<5 { withUnsafeBytes(of: (100.0).bitPattern.littleEndian) { doubles += $0 } }
        let tensor = [0x08, 0x05, 0x10, 0x0B] + field(8, Array("layer0.bias".utf8)) + field(10, doubles)
        var data = try Data(contentsOf: URL(fileURLWithPath: onnx))
        data.append(contentsOf: field(7, field(5, tensor)))
        let duplicate = try temporaryFolder().appendingPathComponent("duplicate.onnx").path
        try data.write(to: URL(fileURLWithPath: duplicate))
        try assertBadInput(["exact", duplicate], mentions: [duplicate, "two initializers are named \"layer0.bias\""])
    }

    // MARK: - 3. Clear messages

    func testDirectoryAndFIFOAreRefusedWithoutBlocking() throws {
        let folder = try temporaryFolder()
        let directory = folder.appendingPathComponent("folder.json").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        try assertBadInput(["exact", directory], mentions: [directory, "is a directory"])
        try assertBadInput(["exact", folder.path], mentions: ["is a directory"])
        let fifo = folder.appendingPathComponent("pipe.json").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        // Opening a FIFO with no writer would block forever: it must be refused before.
        try assertBadInput(["exact", fifo], mentions: [fifo, "not a regular file", "FIFO"])
        try assertBadInput(["exact", fifo, "--format", "onnx"], mentions: ["not a regular file"])
        try assertBadInput(["convert", fifo, folder.appendingPathComponent("out.json").path], mentions: ["not a regular file"])
        // The box file goes through the same reader.
        try assertBadInput(["exact", fixture("shallow-d2-n5.json"), "--box-file", fifo], mentions: [fifo, "not a regular file"])
        try assertBadInput(["exact", fixture("shallow-d2-n5.json"), "--box-file", directory], mentions: ["is a directory"])
    }

    func testFixtureNamesTheBadFile() throws {
        let good = fixture("shallow-d2-n5.json")
        let bad = try write(network(#"{"weights": [[1, 2]], "biases": [0],}"#), named: "broken.json")
        let out = try temporaryFolder().path
        try assertBadInput(["fixture", good, bad, "--out", out], mentions: [bad, "trailing comma"])
        let folder = try temporaryFolder().path
        try assertBadInput(["fixture", good, folder, "--out", out], mentions: [folder, "is a directory"])
    }

    /// A newline in a file name or an option value is printed escaped: the error stays one line.
    func testControlCharactersInErrorsAreEscaped() throws {
        let forged = "/nonexistent/net\nlipschitz: error: forged\u{1B}[2J.json"
        try assertBadInput(["exact", forged], mentions: ["no such file", "\\n", "\\u{1B}"])
        try assertBadInput(["exact", fixture("shallow-d2-n5.json"), "--norm", "2\nLipschitz constant"], mentions: ["bad norm"])
        try assertBadInput(["exact", fixture("shallow-d2-n5.json"), "--method", "lp\r\nx"], mentions: ["--method", "\\r\\n"])
        try assertBadInput(["generate", "--input-dim", "2", "--width", "2", "--bias", "normal\nx"], mentions: ["bias"])
    }

    /// A network's name is text from the file: a newline in it must not forge a result line.
    func testNetworkNameCannotForgeResultLines() throws {
        let name = #"x\nLipschitz constant (ℓ2): 0  [exact]\nregions: 1"#
        let path = try write(#"{"format": "relu-network", "version": 1, "name": "\#(name)", "layers": [{"weights": [[1, 2], [3, 4]], "biases": [0, 0]}, {"weights": [[1, 1]], "biases": [0]}]}"#,
                             named: "forged.json")
        let exact = try run(["exact", path])
        XCTAssertEqual(exact.status, 0, exact.stderr)
        let lines = exact.stdout.split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.hasPrefix("Lipschitz constant") }.count, 1, exact.stdout)
        XCTAssertEqual(lines.filter { $0.hasPrefix("regions:") }.count, 1, exact.stdout)
        XCTAssertTrue(lines.first?.contains(#"x\nLipschitz constant"#) ?? false, exact.stdout)
        // JSON keeps the name exactly.
        let json = try run(["exact", path, "--json"])
        XCTAssertEqual(parseObject(json.stdout)?["network"] as? String, "x\nLipschitz constant (ℓ2): 0  [exact]\nregions: 1")

        let estimate = try run(["estimate", path, "--method", "layer-product"])
        XCTAssertEqual(estimate.status, 0, estimate.stderr)
        XCTAssertTrue(estimate.stdout.split(separator: "\n").first?.contains(#"x\nLipschitz"#) ?? false, estimate.stdout)
        XCTAssertFalse(estimate.stdout.split(separator: "\n").contains { $0.hasPrefix("Lipschitz constant") }, estimate.stdout)

        let suite = try temporaryFolder()
        try FileManager.default.copyItem(atPath: path, toPath: suite.appendingPathComponent("a\nNo soundness violations.json").path)
        let compare = try run(["compare", "--suite", suite.path, "--quiet", "--time-limit", "5"])
        XCTAssertEqual(compare.status, 0, compare.stderr)
        XCTAssertEqual(compare.stdout.split(separator: "\n").filter { $0.hasPrefix("No soundness violations") }.count, 1, compare.stdout)
    }

    // MARK: - 4. Scales that overflow

    func testHugeBiasScaleIsRefused() throws {
        for scale in ["1e308", "1e101", "inf", "nan"] {
            try assertBadInput(["generate", "--input-dim", "2", "--width", "3", "--bias-scale", scale], mentions: ["bias"])
        }
        try assertBadInput(["compare", "--dims", "2", "--widths", "3", "--bias-scale", "1e308"], mentions: ["bias scale"])
        XCTAssertEqual(try run(["generate", "--input-dim", "2", "--width", "3", "--bias", "laplace", "--bias-scale", "1e100"]).status, 0)
    }

    // MARK: - 5. Counts that would allocate before work starts

    func testAbsurdCountsAreRefusedAtOnce() throws {
        let start = Date()
        try assertBadInput(["compare", "--dims", "2", "--widths", "3", "--trials", "1000000000"], mentions: ["1000000000 networks", "limit"])
        try assertBadInput(["compare", "--dims", "2,3", "--widths", "3", "--trials", "9223372036854775807"], mentions: ["limit"])
        try assertBadInput(["compare", "--dims", "2", "--widths", "3000000000", "--trials", "1"], mentions: ["parameters"])
        try assertBadInput(["compare", "--dims", "9223372036854775807", "--widths", "9223372036854775807", "--region-budget", "5"], mentions: ["region budget"])
        try assertBadInput(["generate", "--input-dim", "9223372036854775807", "--width", "9223372036854775807"], mentions: ["parameters"])
        try assertBadInput(["estimate", fixture("shallow-d2-n5.json"), "--samples", "100000000000"], mentions: ["at most"])
        XCTAssertLessThan(Date().timeIntervalSince(start), 30, "refusals must not first build what they refuse")
    }

    // MARK: - 6. Output paths

    func testOutputsWriteThroughSymlinksAndDevices() throws {
        let folder = try temporaryFolder()
        let target = folder.appendingPathComponent("target.json").path
        let link = folder.appendingPathComponent("link.json").path
        try "old".write(toFile: target, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let generate = try run(["generate", "--input-dim", "2", "--width", "3", "-o", link])
        XCTAssertEqual(generate.status, 0, generate.stderr)
        XCTAssertEqual(fileType(link), .typeSymbolicLink, "the symlink was replaced")
        XCTAssertTrue(try String(contentsOfFile: target, encoding: .utf8).contains("relu-network"))

        let converted = try run(["convert", fixture("shallow-d2-n5.json"), link])
        XCTAssertEqual(converted.status, 0, converted.stderr)
        XCTAssertEqual(fileType(link), .typeSymbolicLink)

        // A device is written to, never replaced.
        XCTAssertEqual(try run(["generate", "--input-dim", "2", "--width", "3", "-o", "/dev/null"]).status, 0)
        XCTAssertEqual(try run(["convert", fixture("shallow-d2-n5.json"), "/dev/null", "--to", "onnx"]).status, 0)
        XCTAssertEqual(fileType("/dev/null"), .typeCharacterSpecial)
    }

    func testUnwritableOutputsAreRefused() throws {
        let folder = try temporaryFolder().path
        let net = fixture("shallow-d2-n5.json")
        if FileManager.default.fileExists(atPath: "/dev/full") {
            try assertBadInput(["generate", "--input-dim", "2", "--width", "3", "-o", "/dev/full"], mentions: ["/dev/full", "No space left"])
            try assertBadInput(["convert", net, "/dev/full", "--to", "json"], mentions: ["/dev/full", "No space left"])
            try assertBadInput(["compare", "--dims", "1", "--widths", "2", "--trials", "1", "--quiet", "--csv", "/dev/full"], mentions: ["/dev/full", "No space left"],
                               allowingOutput: true)
            XCTAssertEqual(fileType("/dev/full"), .typeCharacterSpecial, "/dev/full was replaced by a file")
        }
        try assertBadInput(["generate", "--input-dim", "2", "--width", "3", "-o", folder], mentions: [folder, "is a directory"])
        try assertBadInput(["convert", net, folder + "/no/such/dir/x.json"], mentions: ["cannot write", "No such file or directory"])
        try assertBadInput(["compare", "--dims", "1", "--widths", "2", "--trials", "1", "--json", folder], mentions: ["is a directory"])
        let file = try write("x", named: "plain.txt")
        try assertBadInput(["fixture", net, "--out", file], mentions: [file, "not a directory"])
    }

    /// A one-character relative output path, whose folder is the working directory: NSString's
    /// `deletingLastPathComponent` trapped on it, so `compare --csv o` crashed (signal 4).
    func testOneCharacterOutputPathInTheWorkingDirectory() throws {
        let folder = try temporaryFolder()
        let result = try run(["compare", "--dims", "1", "--widths", "2", "--trials", "1", "--quiet", "--csv", "o"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("o").path))
    }

    /// `assertBadInput` for commands that print a report before failing to write a file.
    func assertBadInput(_ arguments: [String], mentions: [String], allowingOutput: Bool,
                        file: StaticString = #filePath, line: UInt = #line) throws {
        guard allowingOutput else { return try assertBadInput(arguments, mentions: mentions, file: file, line: line) }
        let result = try run(arguments, file: file, line: line)
        XCTAssertEqual(result.status, 2, "\(arguments): stderr \(result.stderr)", file: file, line: line)
        let errors = result.stderrLines.filter { $0.hasPrefix("lipschitz: error: ") }
        XCTAssertEqual(errors.count, 1, result.stderr, file: file, line: line)
        XCTAssertEqual(result.stderrLines.last.map(String.init), errors.first.map(String.init), "the error is the last line", file: file, line: line)
        for word in mentions { XCTAssertTrue(errors.first?.contains(word) ?? false, "\(result.stderr) lacks \(word)", file: file, line: line) }
    }

    // MARK: - 7. Signals

    /// A network whose exact search takes many seconds on one thread.
    func slowNetwork() throws -> String {
        try generated(["--input-dim", "5", "--width", "20", "--depth", "3", "--seed", "3"], named: "slow.json")
    }

    func checkInterrupted(signal: Int32, status: Int32, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try slowNetwork()
        let start = Date()
        let result = try run(["exact", path, "--threads", "1", "--json"], signal: signal, after: 1, file: file, line: line)
        XCTAssertLessThan(Date().timeIntervalSince(start), 30, "the search did not stop promptly", file: file, line: line)
        XCTAssertEqual(result.status, status, result.stderr, file: file, line: line)
        guard let object = parseObject(result.stdout, file: file, line: line) else { return }
        XCTAssertEqual(object["exact"] as? Bool, false, result.stdout, file: file, line: line)
        XCTAssertEqual(object["stopped"] as? String, "interrupted", result.stdout, file: file, line: line)
        let lower = try XCTUnwrap((object["lower"] as? NSNumber)?.doubleValue, result.stdout, file: file, line: line)
        let upper = try XCTUnwrap((object["upper"] as? NSNumber)?.doubleValue, result.stdout, file: file, line: line)
        XCTAssertTrue(lower.isFinite && upper.isFinite && lower <= upper, "[\(lower), \(upper)]", file: file, line: line)
    }

    func testSIGTERMPrintsTheIntervalAndExits143() throws {
        try checkInterrupted(signal: SIGTERM, status: 143)
    }

    func testSIGINTPrintsTheIntervalAndExits130() throws {
        try checkInterrupted(signal: SIGINT, status: 130)
    }

    func testInterruptedTextOutputAndCompare() throws {
        let path = try slowNetwork()
        let text = try run(["exact", path, "--threads", "1"], signal: SIGTERM)
        XCTAssertEqual(text.status, 143, text.stderr)
        XCTAssertTrue(text.stdout.contains("[stopped: interrupted]"), text.stdout)

        let compare = try run(["compare", "--dims", "2", "--widths", "3", "--trials", "100000", "--quiet"], signal: SIGTERM, after: 2)
        XCTAssertEqual(compare.status, 143, compare.stderr)
        XCTAssertTrue(compare.stdout.contains("interrupted by a signal after"), compare.stdout)
        XCTAssertTrue(compare.stdout.contains("No soundness violations."), compare.stdout)
    }

    /// Signals at the worst moments of start-up: from the first millisecond (arguments still being
    /// parsed, the file being read) to the end of a short search. A run either ends by the
    /// signal's default action with nothing printed (the signal came before `main` installed the
    /// handlers: the runtime's own start) or prints a certified interval containing the constant
    /// with status 143 (or the exact value, when the search had finished first). Commands that do
    /// not poll the flag keep the default action: Ctrl-C ends `estimate` at once.
    func testSignalsDuringStartUpNeverLoseTheAnswer() throws {
        let path = try generated(["--input-dim", "2", "--width", "10", "--depth", "2", "--seed", "4"], named: "quick.json")
        let truthRun = try run(["exact", path, "--json"])
        let truth = try XCTUnwrap((parseObject(truthRun.stdout)?["lipschitz"] as? NSNumber)?.doubleValue, truthRun.stdout)
        for delay in [0, 0.001, 0.003, 0.006, 0.012, 0.025, 0.05, 0.1, 0.2] {
            let result = try run(["exact", path, "--json", "--threads", "1"], signal: SIGTERM, after: delay, allowingDeathBySignal: true)
            if result.killedBySignal { XCTAssertEqual(result.stdout, "", "killed at \(delay) s after printing"); continue }
            XCTAssertTrue([0, 143].contains(result.status), "at \(delay) s: status \(result.status), \(result.stderr)")
            guard let object = parseObject(result.stdout) else { continue }
            let lower = try XCTUnwrap((object["lower"] as? NSNumber)?.doubleValue)
            let upper = try XCTUnwrap((object["upper"] as? NSNumber)?.doubleValue)
            XCTAssertLessThanOrEqual(lower, truth * (1 + 1e-12), "at \(delay) s")
            XCTAssertGreaterThanOrEqual(upper, truth * (1 - 1e-12), "at \(delay) s")
            if object["exact"] as? Bool == true { XCTAssertEqual(lower, truth, accuracy: 1e-9 * truth, "at \(delay) s") }
        }
        let estimate = try run(["estimate", path, "--samples", "100000000"], signal: SIGINT, after: 0.5, allowingDeathBySignal: true)
        XCTAssertTrue(estimate.killedBySignal, "estimate keeps Ctrl-C's default action: status \(estimate.status)")
    }

    func testExitStatusesAreDocumented() throws {
        let help = try run(["exact", "--help"])
        XCTAssertEqual(help.status, 0)
        for word in ["SIGTERM", "130", "143", "Exit status"] { XCTAssertTrue(help.stdout.contains(word), "exact --help lacks \(word)") }
        let readme = try String(contentsOf: Self.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        XCTAssertTrue(readme.contains("143"), "README documents the exit statuses")
    }

    // MARK: - 8. Output that cannot be written

    /// Runs the binary with stdout on `path` (opened for writing), stderr captured.
    private func runWithStdout(on path: String, _ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let binary = try XCTUnwrap(Self.binary)
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        let err = Pipe()
        process.standardError = err
        try process.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// A full disk under stdout or under `--trace` ends with one line and status 2 (as for the
    /// output files), never a crash; the trace's failure still lets the result out, and
    /// `--trace` on a device writes to it instead of replacing it with a regular file.
    func testUnwritableStdoutOrTraceIsOneLineAndStatusTwo() throws {
        for arguments in [["exact", fixture("deep-2x4x4x1.json")], ["exact", fixture("deep-2x4x4x1.json"), "--json"],
                          ["estimate", fixture("deep-2x4x4x1.json")], ["generate", "--input-dim", "2", "--width", "3"]] {
            let result = try runWithStdout(on: "/dev/full", arguments)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr, "lipschitz: error: cannot write the output: No space left on device\n", "\(arguments)")
        }
        let traced = try run(["exact", fixture("deep-2x4x4x1.json"), "--trace", "/dev/full"])
        XCTAssertEqual(traced.status, 2, traced.stderr)
        XCTAssertTrue(traced.stdout.contains("Lipschitz constant"), "the result still comes out")
        XCTAssertEqual(traced.stderr.split(separator: "\n").count, 1, traced.stderr)
        XCTAssertTrue(traced.stderr.hasPrefix("lipschitz: error: --trace: cannot write \"/dev/full\": No space left on device"), traced.stderr)
        XCTAssertEqual(fileType("/dev/full"), .typeCharacterSpecial, "the device is not replaced")
    }
}
