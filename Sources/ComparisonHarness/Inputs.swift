import FoundationEssentials
import LipschitzModel
import NetworkFormats
import RandomNetworks

/// A grid of random networks: every (d, N, L, bias) cell gets `trials` independent draws.
///
/// Network seeds are derived from `seed` and the cell's coordinates and trial index
/// (`RandomNetworkGenerator.derivedSeed`), and recorded in every result, so any one network
/// can be redrawn alone with `lipschitz generate … --seed`.
public struct SweepPlan: Sendable, Equatable {
    public let dimensions: [Int]
    public let widths: [Int]
    public let depths: [Int]
    public let biases: [BiasDistribution]
    public let biasScale: Double
    public let trials: Int
    public let seed: UInt64
    /// Cells whose region bound (`regionBound`) exceeds this are left out, so one sweep can
    /// span widths that are cheap in low dimension and unaffordable in high dimension.
    public let regionBudget: Int?
    /// The (d, N, L, bias) cells drawn from, in order, after the region budget.
    public let cells: [Cell]

    public struct Cell: Sendable, Equatable {
        public let d: Int
        public let width: Int
        public let depth: Int
        public let bias: BiasDistribution
    }

    public init(dimensions: [Int], widths: [Int], depths: [Int] = [1], biases: [BiasDistribution] = [.normal],
                biasScale: Double = 1, trials: Int, seed: UInt64 = 0, regionBudget: Int? = nil) throws {
        guard !dimensions.isEmpty, !widths.isEmpty, !depths.isEmpty, !biases.isEmpty else {
            throw HarnessError.badOption("the sweep needs at least one dimension, width, depth and bias")
        }
        guard trials > 0 else { throw HarnessError.badOption("trials must be a positive integer, got \(trials)") }
        self.dimensions = dimensions
        self.widths = widths
        self.depths = depths
        self.biases = biases
        self.biasScale = biasScale
        self.trials = trials
        self.seed = seed
        if let regionBudget, regionBudget < 1 {
            throw HarnessError.badOption("the region budget must be a positive integer, got \(regionBudget)")
        }
        self.regionBudget = regionBudget
        var cells: [Cell] = []
        for d in dimensions {
            for n in widths {
                for l in depths where Self.included(d: d, width: n, depth: l, budget: regionBudget) {
                    for bias in biases { cells.append(Cell(d: d, width: n, depth: l, bias: bias)) }
                }
            }
        }
        self.cells = cells
        // Validate every size and the scale once per cell (the seed changes nothing), and the
        // total, without building anything in proportion to the trial count.
        for cell in cells { _ = try RandomNetworkSpec(inputDimension: cell.d, width: cell.width, depth: cell.depth, bias: cell.bias, biasScale: biasScale) }
        let (total, overflow) = cells.count.multipliedReportingOverflow(by: trials)
        guard !overflow, total <= Self.maximumNetworks else {
            throw HarnessError.badOption("the sweep would draw \(overflow ? "more than \(Int.max)" : "\(total)") networks (\(cells.count) cells × \(trials) trials); the limit is \(Self.maximumNetworks): lower --trials or shorten the lists")
        }
    }

    /// The most networks one sweep may draw (each is drawn only when its turn comes, but
    /// every result is kept for the report, and each exact search may take seconds).
    public static let maximumNetworks = 1_000_000

    /// How many networks the sweep draws: cells times trials.
    public var networkCount: Int { cells.count * trials }

    /// The recipe of network `index` (in the order of `specs()`), drawn by nobody until asked for.
    public func spec(at index: Int) throws -> RandomNetworkSpec {
        precondition(index >= 0 && index < cells.count * trials, "network index out of range")
        let cell = cells[index / trials], t = index % trials
        let coordinates = [UInt64(cell.d), UInt64(cell.width), UInt64(cell.depth),
                           UInt64(BiasDistribution.allCases.firstIndex(of: cell.bias) ?? 0), UInt64(t)]
        return try RandomNetworkSpec(inputDimension: cell.d, width: cell.width, depth: cell.depth, bias: cell.bias,
                                     biasScale: biasScale, seed: RandomNetworkGenerator.derivedSeed(seed, coordinates))
    }

    /// Network `index`, drawn now: a sweep of many trials holds only the networks it has run.
    public func comparisonCase(at index: Int) throws -> ComparisonCase {
        let spec = try spec(at: index)
        return ComparisonCase(label: spec.name, network: try RandomNetworkGenerator.generate(spec),
                              recipe: .init(bias: spec.bias.rawValue, biasScale: spec.biasScale, seed: spec.seed))
    }

    /// Every network's recipe, cell by cell (d outermost, then N, L, bias, trial).
    public func specs() throws -> [RandomNetworkSpec] {
        try (0..<networkCount).map(spec(at:))
    }

    /// Σ_{i≤d} C(K, i) with K = L·N hidden neurons: the most regions K hyperplanes cut R^d
    /// into (THEORY.md §1), exact for shallow networks in general position; for deep networks a
    /// cost heuristic only (they can have more). Saturates at Int.max.
    public static func regionBound(d: Int, width: Int, depth: Int) -> Int {
        // In Double, so that absurd options neither overflow Int nor loop for long.
        let k = Double(width) * Double(depth)
        var total = 0.0, term = 1.0
        var i = 0.0
        while i <= min(Double(d), k) {
            if i > 0 { term = term * (k - i + 1) / i }
            total += term
            if total >= 9e18 { return Int.max }
            i += 1
        }
        return Int(total.rounded())
    }

    public func included(d: Int, width: Int, depth: Int) -> Bool {
        Self.included(d: d, width: width, depth: depth, budget: regionBudget)
    }

    static func included(d: Int, width: Int, depth: Int, budget: Int?) -> Bool {
        budget.map { regionBound(d: d, width: width, depth: depth) <= $0 } ?? true
    }

    /// The (d, N, L) cells left out by the region budget.
    public var skippedCells: [(d: Int, width: Int, depth: Int)] {
        dimensions.flatMap { d in widths.flatMap { n in depths.compactMap { l in included(d: d, width: n, depth: l) ? nil : (d, n, l) } } }
    }

    /// Every network, drawn at once (for small sweeps; `comparisonCase(at:)` draws one).
    public func cases() throws -> [ComparisonCase] {
        try (0..<networkCount).map(comparisonCase(at:))
    }

    /// Parses a comma-separated list of positive integers ("1,2,3"); `option` names it in errors.
    public static func parseIntegers(_ text: String, option: String) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingWhitespaces() }
        return try parts.map { part in
            guard let value = Int(part), value > 0 else {
                throw HarnessError.badOption("\(option): \"\(part)\" is not a positive integer (expected a list like 1,2,3)")
            }
            return value
        }
    }
}

/// Reads a folder of network files for `--suite`.
public enum Suite {
    /// Every network file in `directory`, sorted by name: `*.json` files holding a JSON object
    /// (files whose top level is an array, indexes such as truth.json, are skipped), `*.onnx`
    /// and `*.nnet` (read by NetworkFormats; a .nnet file's input box is not applied: the
    /// harness compares global constants). Any other unreadable file is an error naming it.
    public static func load(directory: String) throws -> [ComparisonCase] {
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory else {
            throw HarnessError.badSuite("no such directory: \(directory)")
        }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            // The C library's text for the failure ("Permission denied").
            let code = ((error as? CocoaError)?.underlying as? POSIXError)?.code.rawValue
            throw HarnessError.badSuite("cannot list \(directory): \(code.map(FileAccess.message) ?? "\(error)")")
        }
        var cases: [ComparisonCase] = []
        for name in names.filter({ NetworkFormat.detect(path: $0) != nil }).sorted() {
            let path = PathName.appending(name, to: directory)
            if NetworkFormat.detect(path: name) != .json {
                do {
                    cases.append(ComparisonCase(label: name, network: try readNetwork(path: path).network))
                } catch {
                    // The format readers' messages already name the file.
                    throw HarnessError.badSuite("\(error)")
                }
                continue
            }
            let data: Data
            do { data = try FileAccess.read(path) } catch { throw HarnessError.badSuite("\(error)") }
            if data.first(where: { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }) == UInt8(ascii: "[") { continue }
            let network: ReLUNetwork
            do { network = try NetworkJSON.decode(data, defaultName: PathName.deletingExtension(name)) } catch {
                throw HarnessError.badSuite("\(path): \(error)")
            }
            cases.append(ComparisonCase(label: name, network: network, recipe: recipe(in: data)))
        }
        guard !cases.isEmpty else { throw HarnessError.badSuite("\(directory) holds no network files (*.json, *.onnx, *.nnet)") }
        return cases
    }

    /// The digits after `"seed": ` inside the "source" record (the generator writes them plainly).
    static func seedText(in data: Data) -> UInt64? {
        guard let text = String(data: data, encoding: .utf8),
              let source = text.firstRange(of: "\"source\": {"),
              let end = text[source.upperBound...].firstIndex(of: "}"),
              let key = text[source.upperBound..<end].firstRange(of: "\"seed\": ") else { return nil }
        return UInt64(text[key.upperBound..<end].prefix { $0.isNumber })
    }

    /// The "source" record `lipschitz generate` writes, if present and complete.
    static func recipe(in data: Data) -> ComparisonCase.Recipe? {
        guard let source = (try? JSONValue.parse(data))?.object?["source"]?.object,
              let bias = source["bias"]?.string,
              let scale = source["bias_scale"]?.number else { return nil }
        // Seeds are 64-bit integers; a Double holds them exactly only below 2^53, so read the text.
        guard let seed = seedText(in: data) else { return nil }
        return .init(bias: bias, biasScale: scale, seed: seed)
    }
}
