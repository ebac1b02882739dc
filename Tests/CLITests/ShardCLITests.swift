import Foundation
import XCTest

/// `exact --shard`, `compare --shard`, `--lower-bound` and `lipschitz merge` as a user runs them.
/// (An extension of ExactCLITests, to share its runner.)
extension ExactCLITests {
    /// Runs every shard of `exact` and writes each part's --json output; returns the paths.
    private func exactParts(_ network: String, _ n: Int, extra: [String] = []) throws -> [String] {
        let folder = try temporaryFolder()
        return try (1...n).map { k in
            let result = try run(["exact", network, "--shard", "\(k)/\(n)", "--json"] + extra)
            XCTAssertEqual(result.status, 0, result.stderr)
            let path = folder.appendingPathComponent("part-\(k).json").path
            try result.stdout.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
    }

    private func assertOneLineError(_ result: Run, containing text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.status, 2, result.stderr, file: file, line: line)
        XCTAssertEqual(result.stderrLines.count, 1, result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("lipschitz: error: ") && result.stderr.contains(text), result.stderr, file: file, line: line)
    }

    func testShardedExactMergesToTheUnshardedResult() throws {
        let network = fixture("deep-3x4x3x2.json")
        let whole = try XCTUnwrap(parseObject(try run(["exact", network, "--json"]).stdout))
        let merged = try run(["merge"] + exactParts(network, 3) + ["--json"])
        XCTAssertEqual(merged.status, 0, merged.stderr)
        let object = try XCTUnwrap(parseObject(merged.stdout))
        XCTAssertEqual(object["exact"] as? Bool, true)
        XCTAssertEqual(object["regions"] as? Int, whole["regions"] as? Int)
        XCTAssertEqual(try XCTUnwrap(object["lipschitz"] as? Double), try XCTUnwrap(whole["lipschitz"] as? Double), accuracy: 1e-12)
        XCTAssertNotNil(object["witness"] as? [String: Any])
    }

    func testMergeRefusesBadPartsWithOneLine() throws {
        let network = fixture("deep-3x4x3x2.json")
        let parts = try exactParts(network, 3)
        assertOneLineError(try run(["merge", parts[0], parts[2]]), containing: "shard 2/3 is missing")
        assertOneLineError(try run(["merge"] + parts + [parts[1]]), containing: "given twice")
        let other = try exactParts(fixture("deep-2x4x4x1.json"), 3)
        assertOneLineError(try run(["merge", parts[0], parts[1], other[2]]), containing: "the network")
        let inf = try exactParts(network, 3, extra: ["--norm", "inf"])
        assertOneLineError(try run(["merge", parts[0], parts[1], inf[2]]), containing: "the norm")
        let four = try exactParts(network, 4)
        assertOneLineError(try run(["merge", parts[0], parts[1], four[2]]), containing: "number of shards")
        assertOneLineError(try run(["merge", try write("{\"network\": 3}", named: "bad.json")]), containing: "bad.json")
        assertOneLineError(try run(["merge", try write("not json", named: "bad.json")]), containing: "bad.json")
        assertOneLineError(try run(["exact", network, "--shard", "4/3"]), containing: "shard")
        assertOneLineError(try run(["exact", network, "--shard", "x"]), containing: "K/N")
        assertOneLineError(try run(["exact", network, "--lower-bound", "-1"]), containing: "--lower-bound")
        assertOneLineError(try run(["compare", "--dims", "2", "--widths", "3", "--shard", "1/2"]), containing: "--json")
    }

    /// A shard stopped by SIGTERM (what Slurm sends at the time limit) still writes its
    /// certified interval, and the merge of it is an honest interval.
    func testStoppedShardMergesToAnHonestInterval() throws {
        let slow = try slowNetwork()
        let folder = try temporaryFolder()
        var parts: [String] = []
        for k in 1...2 {
            let result = try run(["exact", slow, "--shard", "\(k)/2", "--threads", "1", "--json"], signal: SIGTERM, after: 1)
            XCTAssertEqual(result.status, 143, result.stderr)
            let part = try XCTUnwrap(parseObject(result.stdout))
            XCTAssertEqual(part["part_complete"] as? Bool, false)
            XCTAssertEqual(part["stopped"] as? String, "interrupted")
            let path = folder.appendingPathComponent("part-\(k).json").path
            try result.stdout.write(toFile: path, atomically: true, encoding: .utf8)
            parts.append(path)
        }
        let merged = try run(["merge"] + parts + ["--json"])
        XCTAssertEqual(merged.status, 0, merged.stderr)
        let object = try XCTUnwrap(parseObject(merged.stdout))
        XCTAssertEqual(object["exact"] as? Bool, false)
        XCTAssertEqual(object["stopped"] as? String, "interrupted")
        let lower = try XCTUnwrap(object["lower"] as? Double), upper = try XCTUnwrap(object["upper"] as? Double)
        XCTAssertTrue(lower > 0 && lower <= upper, "[\(lower), \(upper)]")
    }

    /// `--lower-bound` only prunes: below the constant the answer stays exact; above it the
    /// result is [constant, X], not exact, and X is never reported as the constant.
    func testLowerBoundOnlyPrunes() throws {
        let network = fixture("deep-3x4x3x2.json")
        let whole = try XCTUnwrap(parseObject(try run(["exact", network, "--json"]).stdout))
        let constant = try XCTUnwrap(whole["lipschitz"] as? Double)
        let below = try XCTUnwrap(parseObject(try run(["exact", network, "--json", "--lower-bound", "\(constant * 0.9)"]).stdout))
        XCTAssertEqual(below["exact"] as? Bool, true)
        XCTAssertEqual(try XCTUnwrap(below["lipschitz"] as? Double), constant, accuracy: 1e-12 * constant)
        let seed = constant * 2
        let above = try run(["exact", network, "--json", "--lower-bound", "\(seed)"])
        XCTAssertEqual(above.status, 0, above.stderr)
        let object = try XCTUnwrap(parseObject(above.stdout))
        XCTAssertEqual(object["exact"] as? Bool, false)
        XCTAssertEqual(object["stopped"] as? String, "lower bound not reached")
        // Foundation's JSONSerialization may misread a double's last bit (10.323683839485055 is
        // read as …057), so equality is to one ulp here; the document itself round-trips exactly.
        XCTAssertEqual(try XCTUnwrap(object["upper"] as? Double), seed, accuracy: 2 * seed.ulp)
        XCTAssertEqual(try XCTUnwrap(object["lipschitz"] as? Double), constant, accuracy: 1e-12 * constant)
        XCTAssertEqual(try XCTUnwrap(object["lower_bound"] as? Double), seed, accuracy: 2 * seed.ulp)
    }

    func testShardedCompareMergesToTheUnshardedRun() throws {
        let folder = try temporaryFolder()
        let sweep = ["--dims", "1,2", "--widths", "3,4", "--depths", "1,2", "--trials", "2", "--samples", "50", "--quiet"]
        let wholeCSV = folder.appendingPathComponent("whole.csv").path
        XCTAssertEqual(try run(["compare"] + sweep + ["--csv", wholeCSV]).status, 0)
        var parts: [String] = []
        for k in 1...3 {
            let path = folder.appendingPathComponent("part-\(k).json").path
            let result = try run(["compare"] + sweep + ["--shard", "\(k)/3", "--json", path])
            XCTAssertEqual(result.status, 0, result.stderr)
            parts.append(path)
        }
        let mergedCSV = folder.appendingPathComponent("merged.csv").path
        let merged = try run(["merge"] + parts.reversed() + ["--csv", mergedCSV])
        XCTAssertEqual(merged.status, 0, merged.stderr)
        func rows(_ path: String) throws -> [String] {
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            let keep = lines[0].indices.filter { !lines[0][$0].hasSuffix("seconds") }
            return lines.map { row in keep.map { String(row[$0]) }.joined(separator: ",") }
        }
        XCTAssertEqual(try rows(mergedCSV), try rows(wholeCSV))
        assertOneLineError(try run(["merge", parts[0], parts[1]]), containing: "shard 3/3 is missing")
    }
}
