import ExactLipschitz
import FoundationEssentials
import LipschitzModel

/// One row of a fixture index (`truth.json`): the exact ℓ1, ℓ2, ℓ∞ constants and region count.
public struct FixtureEntry: Sendable, Equatable {
    public let file: String
    public let one: Double
    public let two: Double
    public let infinity: Double
    public let regions: Int

    public init(file: String, one: Double, two: Double, infinity: Double, regions: Int) {
        self.file = file
        self.one = one
        self.two = two
        self.infinity = infinity
        self.regions = regions
    }

    public func value(_ norm: LipschitzNorm) -> Double? {
        switch norm {
        case .one: return one
        case .two: return two
        case .infinity: return infinity
        case .p: return nil
        }
    }
}

/// Writes test fixtures: per network, the network file with its exact constants and witnesses
/// under the extra key "exact", plus a `truth.json` index in the layout of the shared
/// fixtures (a JSON array of {"file", "1", "2", "inf", "regions"}).
public enum FixtureExporter {
    public static let indexName = "truth.json"

    /// Computes the exact constants of every network (refusing incomplete searches) and writes
    /// `DIR/<name>.json` for each and `DIR/truth.json`. Returns the index rows in input order.
    @discardableResult
    public static func export(_ networks: [(file: String, network: ReLUNetwork)], to directory: String,
                              timeLimit: Double? = nil) throws -> [FixtureEntry] {
        guard !networks.isEmpty else { throw FixtureError.badInput("no networks given") }
        let names = networks.map { PathName.lastComponent($0.file) }
        for (i, name) in names.enumerated() {
            guard name != indexName else { throw FixtureError.badInput("a network may not be called \(indexName)") }
            if names[..<i].contains(name) { throw FixtureError.badInput("two networks share the file name \(name)") }
        }
        if let t = timeLimit, !ExactOptions.isValidTimeLimit(t) { throw FixtureError.badInput("time limit must be a positive number of seconds") }
        try FileAccess.createDirectory(directory)
        var entries: [FixtureEntry] = []
        var files: [(String, String)] = []
        for ((_, network), name) in zip(networks, names) {
            var options = ExactOptions(norms: [.one, .two, .infinity])
            options.timeLimit = timeLimit
            let report: ExactReport
            do { report = try ExactSearch.compute(network, options: options) } catch let problem as InputProblem {
                // Name the network's file: several are exported at once.
                throw FixtureError.badInput("\(name): \(problem)")
            }
            guard report.isExact else { throw FixtureIncomplete(file: name, reason: report.stopReason?.rawValue ?? "stopped") }
            guard report.bounds.allSatisfy({ $0.lower.isFinite && ($0.witness.map { w in
                w.radius.isFinite && w.interiorPoint.allSatisfy(\.isFinite) && w.jacobian.storage.allSatisfy(\.isFinite) } ?? true) }) else {
                // JSON has no infinity: a fixture must hold the numbers themselves.
                throw FixtureError.badInput("\(name): the constant or its witness overflows the range of a double")
            }
            let value = { (norm: LipschitzNorm) throws -> Double in
                guard let bound = report.bound(for: norm) else { throw HarnessFailure("\(name): the exact search returned no ℓ\(norm) value") }
                return bound.lower
            }
            let entry = FixtureEntry(file: name, one: try value(.one), two: try value(.two), infinity: try value(.infinity), regions: report.regions)
            entries.append(entry)
            files.append((name, NetworkJSON.encode(network, extra: [("exact", exactJSON(report))])))
        }
        for (name, text) in files { try write(text, to: PathName.appending(name, to: directory)) }
        try write(indexJSON(entries), to: PathName.appending(indexName, to: directory))
        return entries
    }

    /// The index text: one object per network, in the shared fixtures' key layout.
    public static func indexJSON(_ entries: [FixtureEntry]) -> String {
        "[\n" + entries.map { e in
            " {\"file\": \(NetworkJSON.quote(e.file)), \"1\": \(NetworkJSON.encode(e.one)), \"2\": \(NetworkJSON.encode(e.two)), "
                + "\"inf\": \(NetworkJSON.encode(e.infinity)), \"regions\": \(e.regions)}"
        }.joined(separator: ",\n") + "\n]\n"
    }

    /// {"1": …, "2": …, "inf": …, "regions": …, "witness": {"1": {"point", "radius", "pattern", "jacobian"}, …}}
    static func exactJSON(_ report: ExactReport) -> String {
        var fields = report.bounds.map { "\(NetworkJSON.quote($0.norm.description)): \(NetworkJSON.encode($0.lower))" }
        fields.append("\"regions\": \(report.regions)")
        let witnesses = report.bounds.compactMap { bound -> String? in
            guard let w = bound.witness else { return nil }
            // The same witness encoding as `exact --json` (`ExactResultDocument.Witness`).
            return "\(NetworkJSON.quote(bound.norm.description)): " + ExactResultDocument.Witness(w).jsonText
        }
        fields.append("\"witness\": {" + witnesses.joined(separator: ", ") + "}")
        return "{" + fields.joined(separator: ", ") + "}"
    }

    /// Reads `DIR/truth.json` (or any file in that layout).
    public static func readIndex(_ path: String) throws -> [FixtureEntry] {
        let data = try FileAccess.read(path)
        // JSONValue parses numbers exactly (Foundation's JSONSerialization may not on Linux).
        guard let list = (try? JSONValue.parse(data))?.array else {
            throw FixtureError.badInput("\(path) is not a JSON array of objects")
        }
        return try list.enumerated().map { i, value in
            guard let row = value.object else { throw FixtureError.badInput("\(path) entry \(i + 1) is not an object") }
            return try entry(row, file: row["file"]?.string, at: "\(path) entry \(i + 1)")
        }
    }

    /// Reads one exported network file: the network and its "exact" record.
    public static func readNetworkFile(_ path: String) throws -> (network: ReLUNetwork, exact: FixtureEntry) {
        let network = try NetworkJSON.read(contentsOf: path)
        let data = try FileAccess.read(path)
        guard let root = (try? JSONValue.parse(data))?.object,
              let exact = root["exact"]?.object else {
            throw FixtureError.badInput("\(path) has no \"exact\" record")
        }
        return (network, try entry(exact, file: PathName.lastComponent(path), at: path))
    }

    private static func entry(_ row: [String: JSONValue], file: String?, at place: String) throws -> FixtureEntry {
        func number(_ key: String) throws -> Double {
            guard let x = row[key]?.number, x.isFinite else { throw FixtureError.badInput("\(place): missing number \"\(key)\"") }
            return x
        }
        func count(_ key: String) throws -> Int {
            let x = try number(key)
            guard x >= 0, x < 9e15, x == x.rounded() else { throw FixtureError.badInput("\(place): \"\(key)\" is not a count, got \(x)") }
            return Int(x)
        }
        guard let file else { throw FixtureError.badInput("\(place): missing \"file\"") }
        return FixtureEntry(file: file, one: try number("1"), two: try number("2"), infinity: try number("inf"),
                            regions: try count("regions"))
    }

    private static func write(_ text: String, to path: String) throws {
        try FileAccess.write(text, to: path)
    }
}

/// Bad arguments or unreadable files: the CLI exits with status 2.
public enum FixtureError: InputProblem, Equatable {
    case badInput(String)
    public var description: String {
        switch self { case .badInput(let why): return why }
    }
}

/// The exact search stopped early: a fixture must hold exact values (exit status 1, not bad input).
public struct FixtureIncomplete: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let reason: String
    public var description: String {
        "\(file): the exact search stopped (\(reason)) before finishing; fixtures need exact values (raise --time-limit)"
    }
}
