import Foundation
import LipschitzModel
import NetworkFormats
import RandomNetworks

/// A grid of random networks: every (d, N, L, bias) cell gets `trials` independent draws.
///
/// Network seeds are derived from `seed` and the cell's coordinates and trial index
/// (`RandomNetworkGenerator.derivedSeed`), and recorded in every result, so any one network
/// can be redrawn alone with `lipschitz generate … --seed`.
public struct SweepPlan: Sendable, Equatable {
    public var dimensions: [Int]
    public var widths: [Int]
    public var depths: [Int]
    public var biases: [BiasDistribution]
    public var biasScale: Double
    public var trials: Int
    public var seed: UInt64
    /// Cells whose region bound (`regionBound`) exceeds this are left out, so one sweep can
    /// span widths that are cheap in low dimension and unaffordable in high dimension.
    public var regionBudget: Int?

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
        _ = try specs() // validates every size and the scale
    }

    /// Every network's recipe, cell by cell (d outermost, then N, L, bias, trial).
    public func specs() throws -> [RandomNetworkSpec] {
        var out: [RandomNetworkSpec] = []
        for d in dimensions {
            for n in widths {
                for l in depths where included(d: d, width: n, depth: l) {
                    for bias in biases {
                        for t in 0..<trials {
                            let coordinates = [UInt64(d), UInt64(n), UInt64(l), UInt64(BiasDistribution.allCases.firstIndex(of: bias)!), UInt64(t)]
                            let seed = RandomNetworkGenerator.derivedSeed(seed, coordinates)
                            out.append(try RandomNetworkSpec(inputDimension: d, width: n, depth: l, bias: bias,
                                                             biasScale: biasScale, seed: seed))
                        }
                    }
                }
            }
        }
        return out
    }

    /// Σ_{i≤d} C(K, i) with K = L·N hidden neurons: the most regions K hyperplanes cut R^d
    /// into (THEORY.md §1), exact for shallow networks in general position; for deep networks a
    /// cost heuristic only (they can have more). Saturates at Int.max.
    public static func regionBound(d: Int, width: Int, depth: Int) -> Int {
        let k = width * depth
        var total = 0.0, term = 1.0
        for i in 0...min(d, k) {
            if i > 0 { term = term * Double(k - i + 1) / Double(i) }
            total += term
        }
        return total < 9e18 ? Int(total.rounded()) : Int.max
    }

    public func included(d: Int, width: Int, depth: Int) -> Bool {
        regionBudget.map { Self.regionBound(d: d, width: width, depth: depth) <= $0 } ?? true
    }

    /// The (d, N, L) cells left out by the region budget.
    public var skippedCells: [(d: Int, width: Int, depth: Int)] {
        dimensions.flatMap { d in widths.flatMap { n in depths.compactMap { l in included(d: d, width: n, depth: l) ? nil : (d, n, l) } } }
    }

    public func cases() throws -> [ComparisonCase] {
        try specs().map { spec in
            ComparisonCase(label: spec.name, network: try RandomNetworkGenerator.generate(spec),
                           recipe: .init(bias: spec.bias.rawValue, biasScale: spec.biasScale, seed: spec.seed))
        }
    }

    /// Parses a comma-separated list of positive integers ("1,2,3"); `option` names it in errors.
    public static func parseIntegers(_ text: String, option: String) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
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
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw HarnessError.badSuite("no such directory: \(directory)")
        }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw HarnessError.badSuite("cannot list \(directory): \(error.localizedDescription)")
        }
        var cases: [ComparisonCase] = []
        for name in names.filter({ NetworkFormat.detect(path: $0) != nil }).sorted() {
            let path = (directory as NSString).appendingPathComponent(name)
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
            do { network = try NetworkJSON.decode(data, defaultName: (name as NSString).deletingPathExtension) } catch {
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
              let source = text.range(of: "\"source\": {"),
              let end = text[source.upperBound...].firstIndex(of: "}"),
              let key = text[source.upperBound..<end].range(of: "\"seed\": ") else { return nil }
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
