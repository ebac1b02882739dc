import ComparisonHarness
import Foundation
import LipschitzModel
import RandomNetworks
import XCTest
import LipschitzTestSupport

final class ComparisonHarnessTests: XCTestCase {
    private func randomCase(d: Int = 2, n: Int = 6, seed: UInt64 = 1) throws -> ComparisonCase {
        let spec = try RandomNetworkSpec(inputDimension: d, width: n, seed: seed)
        return ComparisonCase(label: spec.name, network: try RandomNetworkGenerator.generate(spec),
                              recipe: .init(bias: "normal", biasScale: 1, seed: seed))
    }

    /// A method that reports `factor` × the true ℓ2 constant under the given claim, reading the
    /// truth from an independent exact computation (so it lies by exactly that factor).
    private func scaled(_ name: String, _ factor: Double, _ claim: Claim) -> ComparedMethod {
        ComparedMethod(name: name) { network, norm in
            let truth = try ExactRunners.enumeration(network, [norm], nil).values[norm]!.lower
            return ClaimedValue(value: factor * truth, claim: claim)
        }
    }

    private func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "harness-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    // MARK: violation detection

    func testDeliberatelyWrongBoundsAreCaught() throws {
        let methods = [
            scaled("honest-upper", 1.5, .upperBound),
            scaled("lying-upper", 0.5, .upperBound),
            scaled("honest-lower", 0.7, .lowerBound),
            scaled("lying-lower", 2, .lowerBound),
            scaled("heuristic-low", 0.5, .heuristic),
            ComparedMethod(name: "nan-upper") { _, _ in ClaimedValue(value: .nan, claim: .upperBound) },
            ComparedMethod(name: "throws") { _, _ in throw HarnessError.badOption("not for this network") },
        ]
        let harness = Harness(settings: HarnessSettings(norms: [.two, .infinity]), methods: methods)
        let results = try harness.run([try randomCase(), try randomCase(d: 3, n: 5, seed: 2)])
        let report = ComparisonReport(results: results, settings: harness.settings, origin: "test")
        let flagged = Set(report.violations.map(\.method))
        XCTAssertEqual(flagged, ["lying-upper", "lying-lower", "nan-upper"])
        XCTAssertEqual(report.violations.count, 3 * 2 * 2) // three liars, two networks, two norms
        let lie = report.violations.first { $0.method == "lying-upper" }!
        XCTAssertTrue(lie.description.contains("claims upper bound"), lie.description)
        XCTAssertEqual(lie.value, 0.5 * lie.lower, accuracy: 1e-12 * lie.lower)
        XCTAssertTrue(report.text(perNetwork: true).contains("SOUNDNESS VIOLATIONS (12)"))
        // A method that throws is reported, not counted as a violation.
        let thrown = results[0].norms[0].methods.first { $0.method == "throws" }!
        XCTAssertNil(thrown.value)
        XCTAssertEqual(thrown.error, "not for this network")
    }

    func testIncompleteSearchChecksAgainstTheCertifiedInterval() throws {
        // The search "stopped" with the truth certified inside [1, 2].
        let stopped: ExactRunner = { _, norms, _ in
            ExactOutcome(values: Dictionary(uniqueKeysWithValues: norms.map { ($0, CertifiedValue(lower: 1, upper: 2)) }),
                         isExact: false, regions: 3, seconds: 0, stopReason: "time limit")
        }
        let fixed = { (name: String, value: Double, claim: Claim) in
            ComparedMethod(name: name) { _, _ in ClaimedValue(value: value, claim: claim) }
        }
        let methods = [fixed("upper-1.5", 1.5, .upperBound), fixed("upper-0.9", 0.9, .upperBound),
                       fixed("lower-1.9", 1.9, .lowerBound), fixed("lower-2.1", 2.1, .lowerBound)]
        let harness = Harness(settings: HarnessSettings(), methods: methods, exact: stopped)
        let results = try harness.run([try randomCase()])
        XCTAssertEqual(Set(results.flatMap(\.violations).map(\.method)), ["upper-0.9", "lower-2.1"])
        // Incomplete networks stay out of the measured constants.
        XCTAssertNil(results[0].norms[0].lipOverPrediction(isExact: results[0].exact.isExact))
        XCTAssertEqual(CellSummary.cells(results)[0].exactNetworks, 0)
    }

    func testToleranceIsRelativeOneInABillion() {
        XCTAssertFalse(Soundness.violates(.upperBound, value: 3 * (1 - 1e-12), lower: 3, upper: 3))
        XCTAssertTrue(Soundness.violates(.upperBound, value: 3 * (1 - 1e-7), lower: 3, upper: 3))
        XCTAssertFalse(Soundness.violates(.lowerBound, value: 3 * (1 + 1e-12), lower: 3, upper: 3))
        XCTAssertTrue(Soundness.violates(.lowerBound, value: 3 * (1 + 1e-7), lower: 3, upper: 3))
        XCTAssertFalse(Soundness.violates(.heuristic, value: 100, lower: 3, upper: 3))
        XCTAssertTrue(Soundness.violates(.lowerBound, value: .infinity, lower: 3, upper: 3))
    }

    func testRealEstimatorsAreSoundOnRandomNetworks() throws {
        let plan = try SweepPlan(dimensions: [1, 2, 3], widths: [4, 8], biases: [.normal, .zero], trials: 2, seed: 5)
        let harness = Harness(settings: HarnessSettings(norms: [.one, .two, .infinity]),
                              methods: ComparedMethod.estimators(samples: 200, seed: 1))
        let results = try harness.run(try plan.cases())
        XCTAssertEqual(results.count, 24)
        XCTAssertTrue(results.allSatisfy(\.exact.isExact))
        XCTAssertEqual(results.flatMap(\.violations), [])
        for r in results {
            for nc in r.norms {
                XCTAssertEqual(nc.methods.count, 5)
                XCTAssertTrue(nc.methods.allSatisfy { $0.error == nil }, "\(nc.methods.compactMap(\.error))")
            }
        }
    }

    // MARK: summaries

    func testGrowthFitSeesAFlatTruthAndASqrtNBound() throws {
        // Exact constant fixed at 1 and a "bound" of √N: slopes 0 and ½ by construction.
        let flat: ExactRunner = { _, norms, _ in
            ExactOutcome(values: Dictionary(uniqueKeysWithValues: norms.map { ($0, CertifiedValue(lower: 1, upper: 1)) }),
                         isExact: true, regions: 1, seconds: 0, stopReason: nil)
        }
        let sqrtN = ComparedMethod(name: "sqrt-N") { network, _ in
            ClaimedValue(value: Double(network.hiddenWidths[0]).squareRoot(), claim: .upperBound)
        }
        let plan = try SweepPlan(dimensions: [2], widths: [4, 16, 64], trials: 3, seed: 1)
        let results = try Harness(settings: HarnessSettings(), methods: [sqrtN], exact: flat).run(try plan.cases())
        let fits = GrowthFit.fits(results)
        let exact = fits.first { $0.quantity == "exact" }!, bound = fits.first { $0.quantity == "sqrt-N" }!
        XCTAssertEqual(exact.slope, 0, accuracy: 1e-12)
        XCTAssertFalse(exact.grows)
        XCTAssertEqual(bound.slope, 0.5, accuracy: 1e-12)
        XCTAssertTrue(bound.grows)
        XCTAssertEqual(exact.widths, [4, 16, 64])
    }

    func testSpread() {
        XCTAssertEqual(Spread([3, 1, 2])?.median, 2)
        XCTAssertEqual(Spread([4, 1, 2, 3])?.median, 2.5)
        XCTAssertEqual(Spread([4, .nan, 1])?.count, 2)
        XCTAssertNil(Spread([]))
    }

    func testReportsAreWellFormed() throws {
        let plan = try SweepPlan(dimensions: [1, 2], widths: [4, 8], trials: 2, seed: 3)
        let settings = HarnessSettings(norms: [.two, .infinity])
        let results = try Harness(settings: settings, methods: ComparedMethod.estimators(samples: 100, seed: 0)).run(try plan.cases())
        let report = ComparisonReport(results: results, settings: settings, origin: "a \"quoted\" origin")
        let csv = report.csv().split(separator: "\n")
        XCTAssertEqual(csv.count, 1 + 8 * 2)
        let columns = csv[0].split(separator: ",", omittingEmptySubsequences: false).count
        XCTAssertEqual(columns, 19 + 5 * 6)
        let json = try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as! [String: Any]
        XCTAssertEqual((json["networks"] as! [Any]).count, 8)
        XCTAssertEqual((json["cells"] as! [Any]).count, 2 * 2 * 2)
        XCTAssertEqual(json["origin"] as? String, "a \"quoted\" origin")
        let svg = ComparisonPlot.svg(report)
        XCTAssertTrue(svg.hasPrefix("<svg") && svg.contains("</svg>"))
        for label in ["d = 1", "d = 2", "layer-product (upper)", "width N (log scale)", "Lip_2 / E‖g‖_2"] {
            XCTAssertTrue(svg.contains(label), label)
        }
        XCTAssertFalse(svg.contains("nan") || svg.contains("inf\""), "non-finite coordinates")
    }

    // MARK: inputs

    func testSweepSeedsAreRecordedAndRedrawTheSameNetwork() throws {
        let plan = try SweepPlan(dimensions: [1, 3], widths: [4], biases: [.normal, .zero], trials: 3, seed: 9)
        let cases = try plan.cases()
        XCTAssertEqual(cases.count, 2 * 2 * 3)
        XCTAssertEqual(Set(cases.map { $0.recipe!.seed }).count, cases.count)
        let c = cases[4]
        let again = try RandomNetworkSpec(inputDimension: c.inputDimension, width: 4, bias: BiasDistribution(parsing: c.biasLabel), seed: c.recipe!.seed)
        XCTAssertEqual(try RandomNetworkGenerator.generate(again).layers, c.network.layers)
        XCTAssertThrowsError(try SweepPlan(dimensions: [0], widths: [4], trials: 1))
        XCTAssertThrowsError(try SweepPlan(dimensions: [1], widths: [4], trials: 0))
        XCTAssertThrowsError(try SweepPlan.parseIntegers("1,x", option: "--dims"))
        XCTAssertThrowsError(try SweepPlan.parseIntegers("1,-2", option: "--dims"))
        XCTAssertEqual(try SweepPlan.parseIntegers(" 1, 2", option: "--dims"), [1, 2])
    }

    func testSuiteSkipsIndexesAndReadsRecipes() throws {
        let dir = try temporaryDirectory()
        // A seed above 2^53: a Double could not hold it, so the reader must not go through one.
        let spec = try RandomNetworkSpec(inputDimension: 2, width: 3, bias: .laplace, biasScale: 0.5, seed: 16_917_462_527_479_649_189)
        try RandomNetworkGenerator.encode(spec).write(toFile: dir + "/b.json", atomically: true, encoding: .utf8)
        try "[{\"file\": \"b.json\"}]".write(toFile: dir + "/truth.json", atomically: true, encoding: .utf8)
        try "not json".write(toFile: dir + "/notes.txt", atomically: true, encoding: .utf8)
        let cases = try Suite.load(directory: dir)
        XCTAssertEqual(cases.map(\.label), ["b.json"])
        XCTAssertEqual(cases[0].recipe, .init(bias: "laplace", biasScale: 0.5, seed: 16_917_462_527_479_649_189))
        try "{\"format\": \"relu-network\"}".write(toFile: dir + "/a.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Suite.load(directory: dir)) { XCTAssertTrue("\($0)".contains("a.json"), "\($0)") }
        XCTAssertThrowsError(try Suite.load(directory: dir + "/missing"))
    }

    func testSuiteReadsOnnxAndNNetFiles() throws {
        let root = packageRoot
        let networks = root.appendingPathComponent("instances/networks").path
        try XCTSkipUnless(FileManager.default.fileExists(atPath: networks + "/spiky_nnet.onnx"), "instances/networks not present")
        let dir = try temporaryDirectory()
        for name in ["spiky_nnet.onnx", "spiky_nnet.nnet"] {
            try FileManager.default.copyItem(atPath: networks + "/" + name, toPath: dir + "/" + name)
        }
        let cases = try Suite.load(directory: dir)
        XCTAssertEqual(cases.map(\.label), ["spiky_nnet.nnet", "spiky_nnet.onnx"])
        XCTAssertTrue(cases.allSatisfy { $0.recipe == nil })
        try "not onnx".write(toFile: dir + "/broken.onnx", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Suite.load(directory: dir)) { XCTAssertTrue("\($0)".contains("broken.onnx"), "\($0)") }
    }

    func testNormsThatNeedScalarOutputsAreRefusedUpFront() throws {
        let spec = try RandomNetworkSpec(inputDimension: 2, width: 3, outputs: 2)
        let c = ComparisonCase(label: "vector", network: try RandomNetworkGenerator.generate(spec))
        let harness = Harness(settings: HarnessSettings(norms: [.p(3)]), methods: [])
        XCTAssertThrowsError(try harness.run([c])) { XCTAssertTrue($0 is InputProblem) }
    }

    // MARK: fixtures

    func testFixturesRoundTrip() throws {
        let dir = try temporaryDirectory()
        let networks = try [(2, 5, 1), (3, 4, 2)].map { d, n, seed in
            (file: "/somewhere/net-\(d)-\(n).json",
             network: try RandomNetworkGenerator.generate(try RandomNetworkSpec(inputDimension: d, width: n, seed: UInt64(seed))))
        }
        let written = try FixtureExporter.export(networks, to: dir)
        let index = try FixtureExporter.readIndex(dir + "/truth.json")
        XCTAssertEqual(index.map(\.file), ["net-2-5.json", "net-3-4.json"])
        for (entry, (_, network)) in zip(index, networks) {
            let (back, record) = try FixtureExporter.readNetworkFile(dir + "/" + entry.file)
            let fresh = try ExactRunners.enumeration(back, [.one, .two, .infinity], nil)
            XCTAssertEqual(back.layers, network.layers, "the network reads back bit for bit")
            XCTAssertEqual(entry.regions, fresh.regions)
            XCTAssertEqual(record.regions, fresh.regions)
            for norm in [LipschitzNorm.one, .two, .infinity] {
                // Shortest round-trip text read by an exact parser: the very same doubles.
                let truth = fresh.values[norm]!.lower
                XCTAssertEqual(entry.value(norm)!, truth, "\(entry.file) ℓ\(norm)")
                XCTAssertEqual(record.value(norm)!, truth)
            }
        }
        XCTAssertEqual(written.map(\.regions), index.map(\.regions))
        // Witness records are present for every norm.
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/net-2-5.json"))) as! [String: Any]
        let witness = (root["exact"] as! [String: Any])["witness"] as! [String: Any]
        XCTAssertEqual(Set(witness.keys), ["1", "2", "inf"])
        XCTAssertEqual(((witness["2"] as! [String: Any])["point"] as! [Any]).count, 2)
        // Duplicate names are refused.
        XCTAssertThrowsError(try FixtureExporter.export([networks[0], networks[0]], to: dir))
    }

    func testSharedFixtureIndexReads() throws {
        // The committed fixtures' index has the layout the exporter writes.
        let root = packageRoot
        let path = root.appendingPathComponent("instances/fixtures/truth.json").path
        try XCTSkipUnless(FileManager.default.fileExists(atPath: path), "instances/fixtures not present")
        let entries = try FixtureExporter.readIndex(path)
        XCTAssertGreaterThan(entries.count, 5)
        let identity = try XCTUnwrap(entries.first { $0.file == "identity-1x1x1.json" })
        XCTAssertEqual(identity, FixtureEntry(file: "identity-1x1x1.json", one: 1, two: 1, infinity: 1, regions: 2))
    }
}

final class RegionBudgetTests: XCTestCase {
    func testRegionBoundAndBudget() throws {
        XCTAssertEqual(SweepPlan.regionBound(d: 1, width: 6, depth: 1), 7)
        XCTAssertEqual(SweepPlan.regionBound(d: 2, width: 5, depth: 1), 16)   // 1 + 5 + 10
        XCTAssertEqual(SweepPlan.regionBound(d: 5, width: 3, depth: 1), 8)    // all 2^3 patterns
        XCTAssertEqual(SweepPlan.regionBound(d: 5, width: 32, depth: 1), 1 + 32 + 496 + 4960 + 35960 + 201_376)
        let plan = try SweepPlan(dimensions: [1, 5], widths: [4, 32], trials: 2, regionBudget: 10_000)
        XCTAssertEqual(plan.skippedCells.map(\.d), [5])
        XCTAssertEqual(plan.skippedCells.map(\.width), [32])
        XCTAssertEqual(try plan.specs().count, 3 * 2)
        XCTAssertThrowsError(try SweepPlan(dimensions: [1], widths: [4], trials: 1, regionBudget: 0))
    }
}
