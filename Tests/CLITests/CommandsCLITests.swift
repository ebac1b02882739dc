import Foundation
import XCTest

/// `estimate`, `generate`, `fixture` and `compare` run as real processes, and the option rules
/// that `validate()` owns. (An extension of ExactCLITests, to share its runner and assertions.)
extension ExactCLITests {
    // MARK: - Several norms in one pass

    /// `--norm` given twice certifies both (not the last one only), each equal to a run with
    /// that norm alone and to truth.json; the top-level keys are the first norm's.
    func testRepeatedNormCertifiesEveryNorm() throws {
        let file = "deep-2x4x4x1.json"
        let result = try run(["exact", fixture(file), "--norm", "1", "--norm", "inf", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(parseObject(result.stdout))
        XCTAssertEqual(object["norm"] as? String, "1")
        let norms = try XCTUnwrap(object["norms"] as? [[String: Any]], result.stdout)
        XCTAssertEqual(norms.map { $0["norm"] as? String }, ["1", "inf"])
        for entry in norms {
            let key = try XCTUnwrap(entry["norm"] as? String)
            let value = try XCTUnwrap((entry["lipschitz"] as? NSNumber)?.doubleValue)
            XCTAssertTrue(close(value, try truthValue(file, key)), "ℓ\(key): \(value)")
            XCTAssertTrue(close(value, try checkExact(file, norm: key)), "ℓ\(key) alone")
            XCTAssertNotNil(entry["witness"] as? [String: Any])
        }
        // A comma list is the same request; text output names each norm's constant and witness.
        let text = try run(["exact", fixture(file), "--norm", "1,inf"])
        XCTAssertEqual(text.status, 0, text.stderr)
        for label in ["Lipschitz constant (ℓ1)", "Lipschitz constant (ℓinf)", "witness region (ℓ1)", "witness region (ℓinf)"] {
            XCTAssertTrue(text.stdout.contains(label), "\(label) in \(text.stdout)")
        }
    }

    // MARK: - Option rules (one place each: the library's limits, the flags' names)

    func testOptionRules() throws {
        let net = fixture("shallow-d2-n5.json")
        try assertBadInput(["exact", net, "--threads", "0"], mentions: ["--threads", "between 1 and 256"])
        try assertBadInput(["exact", net, "--threads", "257"], mentions: ["--threads"])
        try assertBadInput(["exact", net, "--time-limit=-1"], mentions: ["--time-limit", "positive"])
        try assertBadInput(["exact", net, "--time-limit", "nan"], mentions: ["--time-limit"])
        try assertBadInput(["compare", "--suite", Self.fixtures.path, "--time-limit", "0"], mentions: ["--time-limit", "positive"])
        try assertBadInput(["fixture", net, "--out", "x", "--time-limit", "0"], mentions: ["--time-limit", "positive"])
        try assertBadInput(["estimate", net, "--norm", "1", "--norm", "2"], mentions: ["one --norm"])
        try assertBadInput(["estimate", net, "--samples", "0"], mentions: ["--samples", "at least 1"])
        try assertBadInput(["estimate", net, "--search-starts", "0"], mentions: ["--search-starts", "1 … 4096"])
        try assertBadInput(["estimate", net, "--search-starts", "4097"], mentions: ["--search-starts", "1 … 4096"])
        try assertBadInput(["compare", "--suite", Self.fixtures.path, "--samples", "0"], mentions: ["--samples", "at least 1"])
        try assertBadInput(["estimate", net, "--method", "sampled,newton"], mentions: ["unknown method", "newton"])
        try assertBadInput(["compare", "--dims", "2", "--widths", "3", "--biases", "normal,cauchy"], mentions: ["cauchy"])
        try assertBadInput(["compare", "--suite", Self.fixtures.path, "--dims", "2", "--widths", "3"], mentions: ["--suite", "not both"])
        try assertBadInput(["fixture", "--out", "x"], mentions: ["at least one network"])
        // Case and spaces do not matter for the bias law, as before.
        XCTAssertEqual(try run(["generate", "--input-dim", "1", "--width", "2", "--bias", " Laplace"]).status, 0)
    }

    // MARK: - estimate

    /// Every method, as JSON: labelled kinds, lower bounds at or below the fixture's truth and
    /// upper bounds at or above it, the same numbers for the same seed.
    func testEstimateRunsAsAProcess() throws {
        let file = "deep-2x4x4x1.json"
        let arguments = ["estimate", fixture(file), "--norm", "inf", "--samples", "300", "--seed", "5", "--json"]
        let result = try run(arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["norm"] as? String, "inf")
        XCTAssertEqual(object["search_starts"] as? Int, 32)
        XCTAssertEqual((object["search_work"] as? NSNumber)?.doubleValue, 5e8)
        let estimates = try XCTUnwrap(object["estimates"] as? [[String: Any]])
        XCTAssertEqual(estimates.compactMap { $0["method"] as? String },
                       ["sampled", "local-search", "layer-product", "interval-jacobian", "clever"])
        let truth = try truthValue(file, "inf")
        for e in estimates {
            let value = try XCTUnwrap((e["value"] as? NSNumber)?.doubleValue, "\(e)")
            switch e["kind"] as? String {
            case "lower bound": XCTAssertLessThanOrEqual(value, truth * (1 + 1e-9), "\(e)")
            case "upper bound": XCTAssertGreaterThanOrEqual(value, truth * (1 - 1e-9), "\(e)")
            default: XCTAssertEqual(e["kind"] as? String, "estimate (no guarantee)")
            }
        }
        let again = try run(arguments)
        let values = { (text: String) in text.components(separatedBy: "\"value\": ").dropFirst().map { $0.prefix { $0 != "," } } }
        XCTAssertEqual(values(again.stdout), values(result.stdout), "same seed, same numbers")
        let table = try run(["estimate", fixture(file), "--method", "layer-product", "--method", "sampled,layer-product"])
        XCTAssertEqual(table.status, 0, table.stderr)
        let rows = table.stdout.split(separator: "\n").filter { $0.hasPrefix("layer-product") || $0.hasPrefix("sampled") }
        XCTAssertEqual(rows.map { $0.split(separator: " ")[0] }, ["layer-product", "sampled"], table.stdout)
    }

    // MARK: - generate

    /// A seed names the same bytes; another seed another network; the file is a network the
    /// other commands read.
    func testGenerateRunsAsAProcess() throws {
        let arguments = ["generate", "--input-dim", "2", "--width", "4", "--depth", "2", "--bias", "uniform", "--seed", "11"]
        let first = try run(arguments), second = try run(arguments)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(first.stdout, second.stdout)
        XCTAssertNotEqual(try run(arguments.dropLast() + ["12"]).stdout, first.stdout)
        let path = try write(first.stdout, named: "generated.json")
        let exact = try run(["exact", path, "--json"])
        XCTAssertEqual(exact.status, 0, exact.stderr)
        XCTAssertEqual(parseObject(exact.stdout)?["architecture"] as? [Int], [2, 4, 4, 1])
    }

    // MARK: - fixture

    /// The fixture writer reproduces truth.json for two shared fixtures, and each written
    /// network file reads back.
    func testFixtureRunsAsAProcess() throws {
        let out = try temporaryFolder().appendingPathComponent("fixtures")
        let files = ["shallow-d2-n5.json", "deep-2x4x4x1.json"]
        let result = try run(["fixture"] + files.map(fixture) + ["--out", out.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("wrote 2 fixture(s)"), result.stdout)
        let data = try Data(contentsOf: out.appendingPathComponent("truth.json"))
        let index = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        XCTAssertEqual(index.compactMap { $0["file"] as? String }.sorted(), files.sorted())
        for entry in index {
            let file = try XCTUnwrap(entry["file"] as? String)
            for key in ["1", "2", "inf"] {
                let value = try XCTUnwrap((entry[key] as? NSNumber)?.doubleValue)
                XCTAssertTrue(close(value, try truthValue(file, key)), "\(file) ℓ\(key): \(value)")
            }
            XCTAssertEqual(try run(["exact", out.appendingPathComponent(file).path]).status, 0)
        }
    }

    // MARK: - compare

    /// A suite with sound methods: status 0, every network in the JSON report, no violation.
    func testCompareRunsAsAProcess() throws {
        let suite = try suiteFolder(["shallow-d2-n5.json", "deep-2x4x4x1.json"])
        let report = try temporaryFolder().appendingPathComponent("report.json")
        let result = try run(["compare", "--suite", suite.path, "--norm", "1,2", "--samples", "200", "--quiet", "--json", report.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        XCTAssertEqual((object["networks"] as? [Any])?.count, 2, "one entry per network")
        XCTAssertEqual((object["violations"] as? [Any])?.count, 0)
    }

    /// A soundness violation reaches the exit status: 1, with the violation reported. The
    /// violating method is the debug build's test seam (`LIPSCHITZ_TEST_UNSOUND_METHOD`), an
    /// upper bound of 0 below every nonzero constant.
    func testCompareExitsOneOnASoundnessViolation() throws {
        let suite = try suiteFolder(["shallow-d2-n5.json"])
        let arguments = ["compare", "--suite", suite.path, "--methods", "layer-product", "--quiet"]
        XCTAssertEqual(try run(arguments).status, 0)
        let result = try run(arguments, environment: ["LIPSCHITZ_TEST_UNSOUND_METHOD": "1"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("1 soundness violation"), result.stderr)
        XCTAssertTrue(result.stdout.contains("unsound-for-tests"), result.stdout)
    }

    /// A folder holding copies of the named fixtures.
    private func suiteFolder(_ files: [String]) throws -> URL {
        let folder = try temporaryFolder()
        for file in files {
            try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent(file), to: folder.appendingPathComponent(file))
        }
        return folder
    }
}

// MARK: - exact --trace and plot-trace

extension ExactCLITests {
    /// `exact --trace` writes the anytime interval as JSON lines that hold the truth at every
    /// point and end at the exact value; `plot-trace` draws them (one lower and one upper curve
    /// per trace, a ratio curve each, the truth line) and refuses a corrupted trace with one line.
    func testTraceIsWrittenAndDrawn() throws {
        let folder = try temporaryFolder()
        let file = "deep-3x4x3x2.json"
        let trace = folder.appendingPathComponent("trace.jsonl").path
        let result = try run(["exact", fixture(file), "--norm", "2", "--trace", trace])
        XCTAssertEqual(result.status, 0, result.stderr)
        let truth = try truthValue(file, "2")
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
        XCTAssertFalse(lines.isEmpty)
        for line in lines {
            let point = try XCTUnwrap(parseObject(String(line)), String(line))
            let lower = try XCTUnwrap((point["lower"] as? NSNumber)?.doubleValue), upper = (point["upper"] as? NSNumber)?.doubleValue ?? .infinity
            XCTAssertLessThanOrEqual(lower, truth * (1 + 1e-9), String(line))
            XCTAssertGreaterThanOrEqual(upper, truth * (1 - 1e-9), String(line))
        }
        let last = try XCTUnwrap(parseObject(String(lines.last!)))
        XCTAssertTrue(close(try XCTUnwrap((last["upper"] as? NSNumber)?.doubleValue), truth))

        let svg = folder.appendingPathComponent("trace.svg").path
        let plot = try run(["plot-trace", trace, trace, "--label", "first", "--label", "second", "--truth", "\(truth)", "--output", svg])
        XCTAssertEqual(plot.status, 0, plot.stderr)
        let drawing = try String(contentsOfFile: svg, encoding: .utf8)
        XCTAssertTrue(drawing.hasPrefix("<svg"))
        XCTAssertEqual(drawing.components(separatedBy: "<path").count - 1, 6, "lower, upper and ratio for each of two traces")
        XCTAssertTrue(drawing.contains("first: exact") && drawing.contains("second: exact"), drawing)

        let bad = folder.appendingPathComponent("bad.jsonl").path
        for (content, mention) in [("{\"lower\": 2, \"upper\": 1, \"nodes\": 1, \"seconds\": 0}\n", "exceeds"),
                                   ("{\"lower\": 1, \"upper\": 2, \"nodes\": 1, \"seconds\": 1}\n{\"lower\": 1, \"upper\": 2, \"nodes\": 2, \"seconds\": 0.5}\n", "backwards"),
                                   ("{\"lower\": -1, \"upper\": 2, \"nodes\": 1, \"seconds\": 0}\n", "\"lower\""),
                                   ("not json\n", "not a JSON object"), ("", "no trace points")] {
            try content.write(toFile: bad, atomically: true, encoding: .utf8)
            try assertBadInput(["plot-trace", bad, "--output", svg], mentions: [mention])
        }
        try assertBadInput(["plot-trace", trace, "--label", "a", "--label", "b", "--output", svg], mentions: ["--label"])
        try assertBadInput(["plot-trace", trace, "--truth", "nan", "--output", svg], mentions: ["--truth"])
    }
}
