import ExactLipschitz
import FoundationEssentials
import LipschitzModel
import LipschitzTheory

/// Combines the parts of a sharded comparison run (`compare --shard K/N --json`) into the report
/// one unsharded run makes: the networks in canonical order, and the cells, growth fits,
/// violations, CSV and plot recomputed from them, so that every output is byte for byte the
/// unsharded one except for timings.
///
/// A part records per network what the reports print; the merge rebuilds each result from
/// those numbers (read back exactly) and recomputes the theory's predictions from the recorded
/// settings (deterministic Monte Carlo), refusing a part whose recorded prediction differs.
/// The reports use only a network's shape, so the merged cases carry a network of the recorded
/// architecture with zero weights (`ComparisonCase.shape`), never the drawn one.
public enum ComparisonMerge {
    /// One part as read from its file.
    public struct Part: Sendable {
        public let place: String
        public let report: ComparisonReport
        public let shard: ComparisonShard
    }

    /// Reads `compare --shard K/N --json` output; anything else is an `InputProblem`.
    public static func read(_ data: Data, place: String) throws -> Part {
        let file: FileRecord
        do {
            file = try JSONDecoder().decode(FileRecord.self, from: data)
        } catch {
            throw HarnessError.badSuite("\(place): not the --json output of `compare --shard K/N` (\(decodingErrorText(error)))")
        }
        guard let record = file.shard else {
            throw HarnessError.badSuite("\(place): a whole comparison run (written without --shard K/N): nothing to merge")
        }
        let shard = try Shard(index: record.index, count: record.count)
        let settings = try file.settings.settings()
        guard record.indices.count == file.networks.count else {
            throw HarnessError.badSuite("\(place): \(record.indices.count) indices for \(file.networks.count) networks")
        }
        var predictions: [String: TheoryPrediction] = [:]
        let results = try file.networks.map { try $0.result(settings: settings, predictions: &predictions, place: place) }
        let report = ComparisonReport(results: results, settings: settings, origin: file.origin)
        return Part(place: place, report: report,
                    shard: ComparisonShard(shard: shard, networks: record.networks, indices: record.indices, complete: record.complete))
    }

    /// The merged report: one of every part K = 1…N of the same run, networks in canonical order.
    public static func merge(_ parts: [Part]) throws -> ComparisonReport {
        guard let first = parts.first else { throw HarnessError.badSuite("no comparison parts to merge") }
        let n = first.shard.shard.count, total = first.shard.networks
        var seen: [Int: String] = [:]
        var slots = [CaseResult?](repeating: nil, count: total)
        for part in parts {
            func differ(_ what: String) -> HarnessError {
                HarnessError.badSuite("\(part.place): \(what) differs from \(first.place)'s; these shards are not parts of one run")
            }
            if part.shard.shard.count != n { throw differ("the number of shards N (\(part.shard.shard.count), not \(n))") }
            if part.shard.networks != total { throw differ("the number of networks") }
            if part.report.origin != first.report.origin { throw differ("the run (sweep or suite options)") }
            if !sameSettings(part.report.settings, first.report.settings) { throw differ("the settings (norms, time limit, theory)") }
            if part.report.methodNames != first.report.methodNames, !part.report.results.isEmpty, !first.report.results.isEmpty {
                throw differ("the list of methods")
            }
            if let other = seen[part.shard.shard.index] {
                throw HarnessError.badSuite("\(part.place): shard \(part.shard.shard.index)/\(n) given twice (also \(other))")
            }
            seen[part.shard.shard.index] = part.place
            for (index, result) in zip(part.shard.indices, part.report.results) {
                guard (0..<total).contains(index), slots[index] == nil else {
                    throw HarnessError.badSuite("\(part.place): network index \(index) is out of range or in two shards")
                }
                slots[index] = result
            }
        }
        if let missing = (1...n).first(where: { seen[$0] == nil }) {
            let absent = (1...n).filter { seen[$0] == nil }.count
            throw HarnessError.badSuite("shard \(missing)/\(n) is missing" + (absent > 1 ? " (and \(absent - 1) more)" : "") + "; a merge needs every shard")
        }
        let results = slots.compactMap { $0 }
        var origin = first.report.origin
        let stopped = parts.filter { !$0.shard.complete }.map { "\($0.shard.shard.index)" }
        if results.count < total || !stopped.isEmpty {
            origin += "; shard(s) \(stopped.joined(separator: ", ")) of \(n) stopped early: \(results.count) of \(total) networks"
        }
        return ComparisonReport(results: results, settings: first.report.settings, origin: origin)
    }

    private static func sameSettings(_ a: HarnessSettings, _ b: HarnessSettings) -> Bool {
        a.norms == b.norms && a.timeLimit == b.timeLimit && a.theorySamples == b.theorySamples && a.theorySeed == b.theorySeed
    }
}

extension ComparisonCase {
    /// A case with the recorded label, recipe and architecture, whose network has zero weights:
    /// for reports rebuilt from recorded numbers, which read only the network's shape.
    static func shape(label: String, architecture: [Int], recipe: Recipe?) throws -> ComparisonCase {
        guard architecture.count >= 2, architecture.allSatisfy({ (1...1_000_000).contains($0) }) else {
            throw HarnessError.badSuite("\(label): bad architecture \(architecture)")
        }
        let layers = zip(architecture.dropLast(), architecture.dropFirst()).map { inputs, outputs in
            AffineLayer(weights: Matrix(rows: outputs, columns: inputs), biases: Array(repeating: 0, count: outputs))
        }
        return ComparisonCase(label: label, network: try ReLUNetwork(name: label, layers: layers), recipe: recipe)
    }
}

/// The --json file of a comparison run, as far as a merge reads it.
private struct FileRecord: Decodable {
    let origin: String
    let settings: SettingsRecord
    let shard: ShardRecord?
    let networks: [NetworkRecord]
}

private struct ShardRecord: Decodable {
    let index: Int, count: Int, networks: Int, complete: Bool, indices: [Int]
}

private struct SettingsRecord: Decodable {
    let norms: [String]
    let time_limit: Double?
    let theory_samples: Int
    let theory_seed: UInt64

    func settings() throws -> HarnessSettings {
        HarnessSettings(norms: try norms.map { try LipschitzNorm(parsing: $0) }, timeLimit: time_limit,
                        theorySamples: theory_samples, theorySeed: theory_seed)
    }
}

private struct MethodRecord: Decodable {
    let method: String, kind: String?, value: Double?, ratio: Double?, seconds: Double?, violation: Bool, error: String?
}

private struct NormRecord: Decodable {
    struct Prediction: Decodable { let label: String, value: Double?, standard_error: Double?, covers: Bool }
    let p: String, exact_lower: Double?, exact_upper: Double?, prediction: Prediction, methods: [MethodRecord]
}

private struct NetworkRecord: Decodable {
    let network: String, architecture: [Int], bias: String, bias_scale: Double?, seed: UInt64?
    let is_exact: Bool, stop_reason: String?, regions: Int, exact_seconds: Double?, norms: [NormRecord]

    func result(settings: HarnessSettings, predictions: inout [String: TheoryPrediction], place: String) throws -> CaseResult {
        let recipe = seed.map { ComparisonCase.Recipe(bias: bias, biasScale: bias_scale ?? 0, seed: $0) }
        let input = try ComparisonCase.shape(label: network, architecture: architecture, recipe: recipe)
        var values: [LipschitzNorm: CertifiedValue] = [:]
        var comparisons: [NormComparison] = []
        for record in norms {
            let norm = try LipschitzNorm(parsing: record.p)
            let truth = CertifiedValue(lower: record.exact_lower ?? .nan, upper: record.exact_upper ?? .infinity)
            values[norm] = truth
            let key = "\(norm)/\(input.inputDimension)"
            let prediction = try predictions[key] ?? RandomNetworkTheory.prediction(
                norm: norm, inputDimension: input.inputDimension, samples: settings.theorySamples, seed: settings.theorySeed)
            predictions[key] = prediction
            guard prediction.value == record.prediction.value, prediction.label == record.prediction.label else {
                throw HarnessError.badSuite("\(place): \(network): the recorded prediction differs from the recomputed one (another version of lipschitz?)")
            }
            let methods = try record.methods.map { m -> MethodOutcome in
                let claim = try m.kind.map { kind in
                    guard let claim = Claim(rawValue: kind) else { throw HarnessError.badSuite("\(place): unknown method kind \"\(kind)\"") }
                    return claim
                }
                let violation = m.violation
                    ? Violation(network: network, method: m.method, norm: norm, claim: claim ?? .heuristic,
                                value: m.value ?? .nan, lower: truth.lower, upper: truth.upper) : nil
                return MethodOutcome(method: m.method, claim: claim, value: m.value, seconds: m.seconds ?? .nan,
                                     error: m.error, ratioToExact: m.ratio, violation: violation)
            }
            comparisons.append(NormComparison(norm: norm, exact: truth, prediction: prediction,
                                              theoryCovers: record.prediction.covers, methods: methods))
        }
        let outcome = ExactOutcome(values: values, isExact: is_exact, regions: regions, seconds: exact_seconds ?? .nan, stopReason: stop_reason)
        return CaseResult(input: input, exact: outcome, norms: comparisons)
    }
}
