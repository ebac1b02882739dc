import ArgumentParser
import Foundation
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

    @Option(name: .long, help: ArgumentHelp("The ℓp norm: 1, 2, inf, or a real p > 1 (scalar outputs only).", valueName: "P"))
    var norm: String = "2"

    @Option(name: .long, help: ArgumentHelp("Methods to run: sampled, local-search, layer-product, interval-jacobian, clever or all; repeat the option or give a comma list.", valueName: "METHOD"))
    var method: [String] = []

    @Option(name: .long, help: ArgumentHelp("Random points for sampled, local-search and clever.", valueName: "K"))
    var samples: Int = 1000

    @Option(name: .long, help: ArgumentHelp("Seed of every random choice.", valueName: "S"))
    var seed: UInt64 = 0

    @Option(name: .customLong("search-work"), help: ArgumentHelp("The local search's budget in multiply-adds (about 1 s at 5e8 on a 100 x 1000 x 1 network).", valueName: "W"))
    var searchWork: Double = EstimateOptions().searchWork

    @OptionGroup(title: "Domain (default: all of R^d, or the input box a .nnet file clips to)")
    var domain: BoxOptions

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let methods = try Self.parseMethods(method)
        let norm = try LipschitzNorm(parsing: self.norm)
        let loaded = try input.load()
        let net = loaded.network
        let box = try input.domain(domain, for: loaded)
        var options = EstimateOptions(norm: norm, samples: samples, seed: seed, box: box)
        options.searchWork = searchWork
        let estimates = try LipschitzEstimator.estimate(net, methods: methods, options: options)
        standardOutput(json ? Self.json(net, options, estimates) : Self.table(net, options, estimates))
    }

    /// Method names from repeated options and comma lists; none given means all.
    static func parseMethods(_ texts: [String]) throws -> [EstimationMethod] {
        var methods: [EstimationMethod] = []
        for text in texts {
            for part in text.split(separator: ",", omittingEmptySubsequences: false) {
                let name = part.trimmingCharacters(in: .whitespaces)
                if name.lowercased() == "all" {
                    methods += EstimationMethod.allCases
                } else {
                    methods.append(try EstimationMethod(parsing: name))
                }
            }
        }
        if methods.isEmpty { return EstimationMethod.allCases }
        var seen = Set<EstimationMethod>()
        return methods.filter { seen.insert($0).inserted }
    }

    static func table(_ net: ReLUNetwork, _ options: EstimateOptions, _ estimates: [Estimate]) -> String {
        let where_ = options.box.map(Self.describe) ?? "global"
        var out = "network \(escapingControlCharacters(net.name)) \(net.architecture.map(String.init).joined(separator: "x")), ℓ\(options.norm) norm, \(where_), \(options.samples) samples, seed \(options.seed)\n"
        let rows = [["method", "kind", "value", "seconds"]] + estimates.map {
            [$0.method.rawValue, $0.kind.rawValue, human($0.value), String(format: "%.4f", $0.seconds)]
        }
        let widths = (0..<4).map { c in rows.map { $0[c].count }.max() ?? 0 }
        for (n, row) in rows.enumerated() {
            out += row.enumerated().map { c, cell in
                c == 3 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
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
        "norm": \(NetworkJSON.quote(options.norm.description)), "box": \(box), "samples": \(options.samples), "seed": \(options.seed),
          "estimates": [
        \(items.joined(separator: ",\n"))
          ]}

        """
    }
}
