import FoundationEssentials
import LipschitzModel

/// The JSON document of one exact result: what `exact --json` prints, what `exact --shard K/N
/// --json` writes for a part, and what `lipschitz merge` reads and writes (`docs/format.md`).
/// One type, one encoding: the keys are a public interface.
///
/// Keys are written in sorted order. Numbers that are not finite are written as null (JSON has
/// no infinity). Numbers are written
/// in Swift's shortest round-trip form and read back exactly, so a merge sees the shards'
/// doubles bit for bit.
public struct ExactResultDocument: Codable, Sendable, Equatable {
    public var network: String
    public var architecture: [Int]
    public var norm: String
    /// The constant when `exact`, else the certified lower bound.
    public var lipschitz: Double?
    /// True only for a complete, unsharded (or completely merged) search.
    public var exact: Bool
    public var lower: Double?
    public var upper: Double?
    public var regions: Int
    public var regionsComplete: Bool
    public var method: String
    public var stopped: String?
    public var domain: Domain?
    public var witness: Witness?
    public var statistics: Statistics
    public var seconds: Double?
    /// `ReLUNetwork.contentHash`: merges refuse parts of different networks.
    public var networkHash: String
    /// The part this document covers; nil for the whole search.
    public var shard: ShardPart?
    /// Whether the search of this document's part (the whole space when unsharded) finished.
    public var partComplete: Bool
    /// How the sharded search was cut (nil when unsharded).
    public var partition: SearchPartition?
    /// The seeded `--lower-bound` (pruning only), nil when none.
    public var lowerBound: Double?
    /// Every norm's value, interval and witness, in the order given, when more than one norm was
    /// certified in one pass (the top-level `norm`, `lipschitz`, `lower`, `upper` and `witness`
    /// are the first's); nil for one norm.
    public var norms: [NormEntry]?

    /// One norm's result inside `norms`.
    public struct NormEntry: Codable, Sendable, Equatable {
        public var norm: String
        public var lipschitz: Double?
        public var lower: Double?
        public var upper: Double?
        public var witness: Witness?

        init(_ bound: NormBound) {
            norm = bound.norm.description
            lipschitz = ExactResultDocument.finite(bound.value)
            lower = ExactResultDocument.finite(bound.lower)
            upper = ExactResultDocument.finite(bound.upper)
            witness = bound.witness.map(Witness.init)
        }

        public func encode(to encoder: Encoder) throws {
            // Every key present, null when absent, like the top level.
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(norm, forKey: .norm)
            try c.encode(lipschitz, forKey: .lipschitz)
            try c.encode(lower, forKey: .lower)
            try c.encode(upper, forKey: .upper)
            try c.encode(witness, forKey: .witness)
        }
    }

    public struct Domain: Codable, Sendable, Equatable {
        public var lower: [Double]
        public var upper: [Double]
    }

    public struct ShardPart: Codable, Sendable, Equatable, Hashable {
        public var index: Int
        public var count: Int
    }

    /// A region attaining the lower bound; `pattern` is one array of 0/1 per hidden layer.
    public struct Witness: Codable, Sendable, Equatable {
        public var point: [Double]
        public var radius: Double
        public var pattern: [[Int]]
        public var jacobian: [[Double]]

        public init(_ w: RegionWitness) {
            point = w.interiorPoint
            radius = w.radius
            pattern = w.pattern.layers.map { $0.map { $0 ? 1 : 0 } }
            jacobian = w.jacobian.rowArrays
        }

        /// The witness as one JSON object (also used inside fixtures).
        public var jsonText: String { ExactResultDocument.encode(self) }
    }

    public struct Statistics: Codable, Sendable, Equatable {
        public var nodes = 0, linearPrograms = 0, skippedLinearPrograms = 0, emptySides = 0, constantNeurons = 0
        public var prunedSubtrees = 0, vertices = 0, exactDecisions = 0, failedLinearPrograms = 0, undecidedSubtrees = 0

        enum CodingKeys: String, CodingKey {
            case nodes, linearPrograms = "linear_programs", skippedLinearPrograms = "skipped_linear_programs"
            case emptySides = "empty_sides", constantNeurons = "constant_neurons", prunedSubtrees = "pruned_subtrees"
            case vertices, exactDecisions = "exact_decisions", failedLinearPrograms = "failed_linear_programs"
            case undecidedSubtrees = "undecided_subtrees"
        }

        init(_ s: EnumerationStatistics) {
            (nodes, linearPrograms, skippedLinearPrograms, emptySides, constantNeurons) =
                (s.nodes, s.linearPrograms, s.skippedLinearPrograms, s.emptySides, s.constantNeurons)
            (prunedSubtrees, vertices, exactDecisions, failedLinearPrograms, undecidedSubtrees) =
                (s.prunedSubtrees, s.vertices, s.exactDecisions, s.failedLinearPrograms, s.undecidedSubtrees)
        }

        /// Sums the counters of two parts.
        func adding(_ o: Statistics) -> Statistics {
            var s = self
            s.nodes += o.nodes; s.linearPrograms += o.linearPrograms; s.skippedLinearPrograms += o.skippedLinearPrograms
            s.emptySides += o.emptySides; s.constantNeurons += o.constantNeurons; s.prunedSubtrees += o.prunedSubtrees
            s.vertices += o.vertices; s.exactDecisions += o.exactDecisions; s.failedLinearPrograms += o.failedLinearPrograms
            s.undecidedSubtrees += o.undecidedSubtrees
            return s
        }
    }

    enum CodingKeys: String, CodingKey {
        case network, architecture, norm, lipschitz, exact, lower, upper, regions, regionsComplete = "regions_complete"
        case method, stopped, domain, witness, statistics, seconds, networkHash = "network_hash", shard
        case partComplete = "part_complete", partition, lowerBound = "lower_bound", norms
    }

    /// The document of a report: the top level is its first norm's, `norms` lists every norm
    /// when there are several.
    public init(network net: ReLUNetwork, report: ExactReport, box: InputBox?,
                shard: Shard = .whole, lowerBound: Double? = nil) {
        let bound = report.bounds[0]
        let sharded = shard.count > 1
        network = net.name
        architecture = net.architecture
        norm = bound.norm.description
        lipschitz = Self.finite(bound.value)
        exact = report.isExact && !sharded
        lower = Self.finite(bound.lower)
        upper = Self.finite(bound.upper)
        regions = report.regions
        regionsComplete = report.regionsComplete
        method = report.method.rawValue
        stopped = report.stopReason?.rawValue
        domain = box.map { Domain(lower: $0.lower, upper: $0.upper) }
        witness = bound.witness.map(Witness.init)
        statistics = Statistics(report.statistics)
        seconds = Self.finite(report.seconds)
        networkHash = net.contentHash
        self.shard = sharded ? ShardPart(index: shard.index, count: shard.count) : nil
        partComplete = report.isExact
        partition = report.partition
        self.lowerBound = lowerBound
        norms = report.bounds.count > 1 ? report.bounds.map(NormEntry.init) : nil
    }

    public func encode(to encoder: Encoder) throws {
        // Written by hand so that every key is present (null when absent); only "stopped" is
        // left out when the search was not stopped.
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(network, forKey: .network)
        try c.encode(architecture, forKey: .architecture)
        try c.encode(norm, forKey: .norm)
        try c.encode(lipschitz, forKey: .lipschitz)
        try c.encode(exact, forKey: .exact)
        try c.encode(lower, forKey: .lower)
        try c.encode(upper, forKey: .upper)
        try c.encode(regions, forKey: .regions)
        try c.encode(regionsComplete, forKey: .regionsComplete)
        try c.encode(method, forKey: .method)
        try c.encodeIfPresent(stopped, forKey: .stopped)
        try c.encode(domain, forKey: .domain)
        try c.encode(witness, forKey: .witness)
        try c.encode(statistics, forKey: .statistics)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(networkHash, forKey: .networkHash)
        try c.encode(shard, forKey: .shard)
        try c.encode(partComplete, forKey: .partComplete)
        try c.encode(partition, forKey: .partition)
        try c.encode(lowerBound, forKey: .lowerBound)
        try c.encodeIfPresent(norms, forKey: .norms)
    }

    /// One line of JSON.
    public var jsonText: String { Self.encode(self) }

    /// Reads a document; a file that is not one is an `InputProblem` naming `place`.
    public static func read(_ data: Data, place: String) throws -> ExactResultDocument {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = nonFinite.decoding
        do { return try decoder.decode(ExactResultDocument.self, from: data) } catch let error as DecodingError {
            throw ResultDocumentError("\(place): not an `exact --json` result (\(decodingErrorText(error)))")
        }
    }

    static func finite(_ x: Double) -> Double? { x.isFinite ? x : nil }

    /// Witness numbers cannot overflow (the search refuses such networks); should one, it is
    /// written as a string rather than failing the whole output.
    private static let nonFinite = (encoding: JSONEncoder.NonConformingFloatEncodingStrategy.convertToString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan"),
                                    decoding: JSONDecoder.NonConformingFloatDecodingStrategy.convertFromString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan"))

    static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        // Sorted keys: Foundation's encoder keeps no order of its own, and one output should
        // not differ from the next.
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = nonFinite.encoding
        // Cannot fail: every number is finite or has a string form, every key is a string.
        return spaced(String(decoding: try! encoder.encode(value), as: UTF8.self))
    }

    /// `{"a": 1, "b": [1, 2]}` rather than the encoder's `{"a":1,"b":[1,2]}`: one line still, in
    /// the layout of every other JSON this tool writes. Only `:` and `,` outside strings change.
    /// Works on UTF-8 bytes, not Characters: a witness of a million neurons is a 2 MB document, and
    /// every byte that matters here is ASCII (multi-byte sequences never contain these bytes).
    static func spaced(_ compact: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(compact.utf8.count + compact.utf8.count / 8)
        var inString = false, escaped = false
        for byte in compact.utf8 {
            out.append(byte)
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: ":") || byte == UInt8(ascii: ",") {
                out.append(UInt8(ascii: " "))
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A result file that cannot be read or merged: exit status 2, one line.
public struct ResultDocumentError: InputProblem, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
