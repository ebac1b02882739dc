import ArgumentParser
import FoundationEssentials
import LipschitzEstimates
import LipschitzModel

/// `lipschitz estimate`: fast lower bounds, upper bounds and a heuristic estimate, each
/// labelled with what it guarantees.
struct EstimateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "estimate",
        abstract: "Fast bounds and estimates of the Lipschitz constant (for networks too big for `exact`).",
        discussion: """
        Methods: sampled (lower bound), local-search (lower bound), layer-product (upper bound), \
        interval-jacobian (upper bound), clever (estimate, no guarantee). docs/estimates.md explains each.
        """
    )

    @OptionGroup
    var input: NetworkInputOptions

    @OptionGroup
    var norm: NormOptions

    @Option(name: .long, help: ArgumentHelp("Methods to run: sampled, local-search, layer-product, interval-jacobian, clever or all; repeat the option or give a comma list.", valueName: "METHOD"),
            transform: { try EstimationMethod.parseList($0) })
    var method: [[EstimationMethod]] = []

    @OptionGroup
    var sampling: SamplingOptions

    @Option(name: .long, help: ArgumentHelp("Seed of every random choice.", valueName: "S"))
    var seed: UInt64 = 0

    @Option(name: .customLong("search-work"), help: ArgumentHelp("The local search's budget in multiply-adds (about 1 s at 5e8 on a 100 x 1000 x 1 network).", valueName: "W"))
    var searchWork: Double = EstimateOptions().searchWork

    @Option(name: .customLong("search-starts"), help: ArgumentHelp("The local search's starting points: the best distinct sampled regions, half of them in the far field (1 to 4096).", valueName: "N"))
    var searchStarts: Int = EstimateOptions().searchStarts

    @OptionGroup(title: "Domain (default: all of R^d, or the input box a .nnet file clips to)")
    var domain: BoxOptions

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    /// The estimates take one norm: a second `--norm` is an error, not silently the last one.
    func validate() throws {
        guard norm.norms.count == 1 else {
            throw ValidationError("estimate takes one --norm, got \(norm.norms.map(\.description).joined(separator: ", ")); run it once per norm")
        }
        do { try EstimateOptions.checkSearchStarts(searchStarts) } catch let problem as EstimateError {
            throw ValidationError("--search-starts: \(problem.description)")
        }
    }

    func run() throws {
        let loaded = try input.load()
        let net = loaded.network
        let box = try input.domain(domain, for: loaded)
        var options = EstimateOptions(norm: norm.norms[0], samples: sampling.samples, seed: seed, box: box)
        options.searchWork = searchWork
        options.searchStarts = searchStarts
        let estimates = try LipschitzEstimator.estimate(net, methods: EstimationMethod.chosen(method), options: options)
        standardOutput(json ? Self.json(net, options, estimates) : Self.table(net, options, estimates))
    }

    static func table(_ net: ReLUNetwork, _ options: EstimateOptions, _ estimates: [Estimate]) -> String {
        let where_ = options.box.map(Self.describe) ?? "global"
        var out = "network \(escapingControlCharacters(net.name)) \(net.architecture.map(String.init).joined(separator: "x")), ℓ\(options.norm) norm, \(where_), \(options.samples) samples, seed \(options.seed)\n"
        let rows = [["method", "kind", "value", "seconds"]] + estimates.map {
            [$0.method.rawValue, $0.kind.rawValue, human($0.value), cFormat("%.4f", $0.seconds)]
        }
        let widths = (0..<4).map { c in rows.map { $0[c].count }.max() ?? 0 }
        for (n, row) in rows.enumerated() {
            out += row.enumerated().map { c, cell in
                c == 3 ? cell : cell.paddingWithSpaces(toLength: widths[c])
            }.joined(separator: "  ") + "\n"
            if n == 0 { out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        return out
    }

    /// A box in one short phrase: "[lo, hi]^d" when every side is the same interval.
    static func describe(_ box: InputBox) -> String {
        if Set(box.lower).count == 1, Set(box.upper).count == 1 {
            return "over the box [\(human(box.lower[0])), \(human(box.upper[0]))]^\(box.dimension)"
        }
        return box.dimension <= 4 ? "over the box \(box)" : "over a box in \(box.dimension) dimensions"
    }

    /// A JSON number, or null for a value that overflowed (JSON has no infinity).
    static func number(_ x: Double) -> String { x.isFinite ? NetworkJSON.encode(x) : "null" }

    static func json(_ net: ReLUNetwork, _ options: EstimateOptions, _ estimates: [Estimate]) -> String {
        let box = options.box.map { "{\"lower\": \(NetworkJSON.encode($0.lower)), \"upper\": \(NetworkJSON.encode($0.upper))}" } ?? "null"
        let items = estimates.map { e in
            "    {\"method\": \(NetworkJSON.quote(e.method.rawValue)), \"kind\": \(NetworkJSON.quote(e.kind.rawValue)), " +
                "\"value\": \(number(e.value)), \"seconds\": \(number(e.seconds)), " +
                "\"point\": \(e.point.map { "[" + $0.map(number).joined(separator: ", ") + "]" } ?? "null"), " +
                "\"notes\": \(NetworkJSON.quote(e.notes))}"
        }
        return """
        {"network": \(NetworkJSON.quote(net.name)), "architecture": [\(net.architecture.map(String.init).joined(separator: ", "))], \
        "norm": \(NetworkJSON.quote(options.norm.description)), "box": \(box), "samples": \(options.samples), "seed": \(options.seed), \
        "search_starts": \(options.searchStarts), "search_work": \(number(options.searchWork)),
          "estimates": [
        \(items.joined(separator: ",\n"))
          ]}

        """
    }
}
