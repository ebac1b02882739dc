import ExactLipschitz
import Foundation
import LipschitzModel
import LipschitzTestSupport
import XCTest

/// Issue 9: a constant marked exact must never be wrong. Thousands of seeded tiny networks, one
/// test per class of network, each run through every method × prune × threads and held to the
/// exact brute force (LipschitzTestSupport: GLPK's rational simplex on the network's own
/// numbers): `isExact`, the same constants (1e-9 relative) and, without pruning, the same
/// region count. A failing class reports how many networks disagree and its smallest failing
/// network (shrunk by dropping neurons), as JSON, with expected and obtained values.
final class DifferentialTests: XCTestCase {
    struct Case {
        var network: ReLUNetwork
        var box: InputBox?
    }

    struct Configuration: CustomStringConvertible {
        let method: SearchMethod, prune: Bool, threads: Int
        var description: String { "\(method.rawValue), prune \(prune ? "on" : "off"), \(threads) thread\(threads > 1 ? "s" : "")" }
    }

    static let norms: [LipschitzNorm] = [.one, .two, .infinity]
    /// DIFFERENTIAL_SCALE=k multiplies every class's network count (default 2: about 2,000 networks).
    static let scale = ProcessInfo.processInfo.environment["DIFFERENTIAL_SCALE"].flatMap(Double.init) ?? 2
    private var referenceSeconds = 0.0
    private var configurationSeconds: [String: Double] = [:]
    static let verbose = ProcessInfo.processInfo.environment["DIFFERENTIAL_VERBOSE"] != nil
    static let configurations: [Configuration] = [SearchMethod.automatic, .linearPrograms, .plain, .arrangement].flatMap { m in
        [false, true].flatMap { p in [1, 2].map { Configuration(method: m, prune: p, threads: $0) } }
    }

    // MARK: - Classes of networks

    /// One hidden layer, Gaussian weights and biases, global.
    func testShallowGeneric() throws {
        try runClass("shallow generic", networks: 120, seed: 901) { rng in
            let d = rng.int(1...3)
            return Case(network: randomNetwork([d, rng.int(1...7), rng.int(1...3)], using: &rng))
        }
    }

    /// Two or three hidden layers, vector outputs, global.
    func testDeepVectorValued() throws {
        try runClass("deep, vector-valued", networks: 100, seed: 902) { rng in
            try Case(network: anchoredNetwork(deepWidths(&rng), &rng, anchor: { r, d in (0..<d).map { _ in r.normal() } }))
        }
    }

    /// Boxes with widths from 1e-8 to 1e8 per dimension (thin in some dimensions), hyperplanes
    /// through random points of the box; one hidden layer.
    func testThinBoxesShallow() throws {
        try runClass("thin boxes, shallow", networks: 120, seed: 903) { rng in
            let d = rng.int(1...3)
            let box = try randomAspectBox(d, &rng)
            let net = try anchoredNetwork([d, rng.int(1...6), rng.int(1...2)], &rng, anchor: { r, _ in point(in: box, &r) })
            return Case(network: net, box: box)
        }
    }

    /// Boxes of random aspect ratio on deep networks whose deeper neurons also switch inside the box.
    func testThinBoxesDeep() throws {
        try runClass("thin boxes, deep", networks: 80, seed: 904) { rng in
            let d = rng.int(1...3)
            let box = try randomAspectBox(d, &rng)
            let net = try anchoredNetwork(deepWidths(&rng), &rng, d: d, anchor: { r, _ in point(in: box, &r) })
            return Case(network: net, box: box)
        }
    }

    /// All hyperplanes pass near one point at distance 1e6–1e9 from the origin (biases ~1e6–1e9
    /// relative to the weights), the regions between them of size ~1; global.
    func testFarAwayHyperplanes() throws {
        try runClass("far-away hyperplanes", networks: 100, seed: 905) { rng in
            let d = rng.int(1...2)
            let far = pow(10, 6 + 3 * rng.uniform())
            let direction = unit(d, &rng)
            let spread = rng.int(0...1) == 0 ? 1 : pow(10, 3 * rng.uniform())
            let widths = rng.int(0...1) == 0 ? [d, rng.int(1...6), rng.int(1...2)] : deepWidths(&rng, d: d)
            return Case(network: try anchoredNetwork(widths, &rng, anchor: { r, _ in
                direction.map { far * $0 + spread * r.normal() }
            }))
        }
    }

    /// Far-away arrangements seen through a box around them (of random aspect ratio).
    func testFarAwayBoxes() throws {
        try runClass("far-away boxes", networks: 80, seed: 906) { rng in
            let d = rng.int(1...2)
            let far = pow(10, 6 + 3 * rng.uniform())
            let direction = unit(d, &rng)
            let widths = (0..<d).map { _ in pow(10, -2 + 4 * rng.uniform()) }
            let center = direction.map { far * $0 }
            let box = try InputBox(lower: zip(center, widths).map { $0 - $1 / 2 }, upper: zip(center, widths).map { $0 + $1 / 2 })
            let shape = rng.int(0...1) == 0 ? [d, rng.int(1...6), rng.int(1...2)] : deepWidths(&rng, d: d)
            return Case(network: try anchoredNetwork(shape, &rng, anchor: { r, _ in point(in: box, &r) }), box: box)
        }
    }

    /// A row next to the same row times (1 ± 1e-12): whole row (the same hyperplane up to
    /// rounding), weights only (a parallel hyperplane ~1e-12 away) or bias only.
    func testNearDuplicateHyperplanes() throws {
        try runClass("near-duplicate hyperplanes", networks: 120, seed: 907) { rng in
            let d = rng.int(1...3)
            let base = randomNetwork([d, rng.int(1...4), rng.int(1...2)], using: &rng)
            var layer = base.layers[0]
            for _ in 0..<rng.int(1...3) {
                let i = rng.int(0...(layer.outputDimension - 1))
                let f = 1 + (rng.int(0...1) == 0 ? 1e-12 : -1e-12)
                var w = layer.weights.row(i), b = layer.biases[i]
                switch rng.int(0...2) {
                case 0: w = w.map { $0 * f }; b *= f
                case 1: w = w.map { $0 * f }
                default: b = b * f + (b == 0 ? 1e-12 : 0)
                }
                layer = append(layer, row: w, bias: b)
            }
            var box: InputBox?
            if rng.int(0...2) == 0 { box = try InputBox(uniform: -2, 2, dimension: d) }
            return Case(network: try replaceFirstLayer(base, with: layer, &rng), box: box)
        }
    }

    /// Exact duplicate rows, opposite rows (−w, −b), zero rows and zero biases (hyperplanes
    /// through one point), in the first and in deeper layers.
    func testDuplicatesOppositesAndZeroBiases() throws {
        try runClass("duplicates, opposites, zero biases", networks: 120, seed: 908) { rng in
            let d = rng.int(1...3)
            let widths = rng.int(0...1) == 0 ? [d, rng.int(1...4), rng.int(1...2)] : deepWidths(&rng, d: d)
            var net = randomNetwork(widths, using: &rng, biasScale: rng.int(0...2) == 0 ? 0 : 1)
            var layers = net.layers
            for k in 0..<(layers.count - 1) where layers[k].outputDimension <= 3 {
                var layer = layers[k]
                let i = rng.int(0...(layer.outputDimension - 1))
                let w = layer.weights.row(i), b = layer.biases[i]
                switch rng.int(0...3) {
                case 0: layer = append(layer, row: w, bias: b)
                case 1: layer = append(layer, row: w.map { -$0 }, bias: -b)
                case 2: layer = append(layer, row: w.map { _ in 0 }, bias: [1.0, -1, 0][rng.int(0...2)])
                default: layer = append(layer, row: w.map { 2 * $0 }, bias: 0)
                }
                layers[k] = layer
                layers[k + 1] = appendColumn(layers[k + 1], &rng)
            }
            net = try ReLUNetwork(layers: layers)
            var box: InputBox?
            if rng.int(0...3) == 0 { box = try randomAspectBox(d, &rng) }
            return Case(network: net, box: box)
        }
    }

    /// Weights and biases of magnitude 10^U(−6, 6) with random signs.
    func testWideDynamicRange() throws {
        try runClass("weights 1e-6 to 1e6", networks: 100, seed: 909) { rng in
            let d = rng.int(1...3)
            let widths = rng.int(0...1) == 0 ? [d, rng.int(1...6), rng.int(1...2)] : deepWidths(&rng, d: d)
            var layers: [AffineLayer] = []
            for k in 1..<widths.count {
                let w = (0..<widths[k]).map { _ in (0..<widths[k - 1]).map { _ in wide(&rng) } }
                layers.append(AffineLayer(weights: Matrix(rowArrays: w), biases: (0..<widths[k]).map { _ in wide(&rng) }))
            }
            var box: InputBox?
            if rng.int(0...2) == 0 { box = try randomAspectBox(d, &rng) }
            return Case(network: try ReLUNetwork(layers: layers), box: box)
        }
    }

    /// Second-layer neurons that are constant on a region by exact cancellation: duplicated
    /// first-layer neurons (h and c·h for c a power of two, or copies weighted 1, 2⁻⁶⁰, −1,
    /// −2⁻⁶⁰) read with weights that cancel, plus all-zero rows.
    func testConstantNeuronsByCancellation() throws {
        try runClass("constant neurons by cancellation", networks: 80, seed: 910) { rng in
            let d = rng.int(1...2)
            let w = (0..<d).map { _ in rng.normal() }, b = rng.normal()
            let c = [0.5, 2, 4][rng.int(0...2)]
            var first: [[Double]] = [w, w.map { c * $0 }], biases = [b, c * b]
            var cancel = [c, -1.0]
            if rng.int(0...1) == 0 {  // copies whose floating-point sum does not cancel
                first += [w, w]; biases += [b, b]
                cancel = [1, 0x1p-60, -1, -0x1p-60]
            }
            let others = rng.int(0...2)
            for _ in 0..<others { first.append((0..<d).map { _ in rng.normal() }); biases.append(rng.normal()) }
            let n = first.count
            var second: [[Double]] = [], secondBiases: [Double] = []
            for _ in 0..<rng.int(1...3) {  // cancelling neurons, biases positive, zero or negative
                let scale = pow(2, Double(rng.int(-3...3)))
                second.append(cancel.map { scale * $0 } + Array(repeating: 0, count: n - cancel.count))
                secondBiases.append([0, 1, -1, 0.5][rng.int(0...3)])
            }
            second.append(Array(repeating: 0, count: n)); secondBiases.append(rng.normal())  // zero row
            second.append((0..<n).map { _ in rng.normal() }); secondBiases.append(rng.normal())
            let out = (0..<rng.int(1...2)).map { _ in second.map { _ in rng.normal() } }
            let net = network([(first, biases), (second, secondBiases), (out, out.map { _ in 0 })])
            return Case(network: net, box: rng.int(0...2) == 0 ? try randomAspectBox(d, &rng) : nil)
        }
    }

    /// One weight of magnitude 10^U(151, 230) (the others Gaussian, so the product of layer
    /// norms stays below the 1e290 refusal): the lifted exact test's rows then hold numbers whose
    /// squares overflow, on which GLPK's floating-point simplex aborted the process (its warm
    /// start for `glp_exact`). Now refused before GLPK sees them (`LinearProgram.largestSafeMagnitude`)
    /// and decided by the exact simplex alone.
    func testOneHugeWeight() throws {
        try runClass("one huge weight", networks: 30, seed: 911) { rng in
            let d = rng.int(1...2)
            var layers = randomNetwork(rng.int(0...1) == 0 ? [d, rng.int(1...4), rng.int(1...2)] : deepWidths(&rng, d: d), using: &rng).layers
            let k = rng.int(0...(layers.count - 1))
            var w = layers[k].weights
            let (i, j) = (rng.int(0...(w.rows - 1)), rng.int(0...(w.columns - 1)))
            w[i, j] = (rng.bool() ? 1 : -1) * pow(10, 151 + 79 * rng.uniform())
            layers[k] = AffineLayer(weights: w, biases: layers[k].biases)
            return Case(network: try ReLUNetwork(layers: layers), box: rng.int(0...2) == 0 ? try randomAspectBox(d, &rng) : nil)
        }
    }

    /// No hidden layer: Φ(x) = 3x₁ + 4x₂ + 1, ℓ2 constant 5, one region, by every method.
    func testNoHiddenLayer() throws {
        let net = network([([[3, 4]], [1])])
        let reference = try ExactBruteForce.run(net, norms: Self.norms)
        XCTAssertEqual(reference.regions, 1)
        XCTAssertEqual(reference.constants, [4, 5, 7])
        XCTAssertEqual(disagreements(Case(network: net), reference), [])
        let box = try InputBox(lower: [0, 0], upper: [1e-8, 1e8])
        XCTAssertEqual(disagreements(Case(network: net, box: box), try ExactBruteForce.run(net, norms: Self.norms, box: box)), [])
    }

    // MARK: - Running a class

    private func runClass(_ name: String, networks count: Int, seed: UInt64, file: StaticString = #filePath,
                          line: UInt = #line, _ make: (inout TestRandom) throws -> Case) throws {
        var rng = TestRandom(seed: seed)
        let start = Date()
        var failing: [(Case, [String])] = []
        let count = Int((Double(count) * Self.scale).rounded(.up))
        for index in 0..<count {
            let c = try make(&rng)
            if Self.verbose { FileHandle.standardError.write("\(name) #\(index)\n\(describe(c))\n".data(using: .utf8)!) }
            let problems = check(c)
            if !problems.isEmpty { failing.append((c, problems)) }
        }
        let summary = "DifferentialTests: \(name): \(count) networks, \(failing.count) failing, \(String(format: "%.1f", Date().timeIntervalSince(start))) s (reference \(String(format: "%.1f", referenceSeconds)) s)\n"
        FileHandle.standardError.write(summary.data(using: .utf8)!)
        if Self.verbose {
            for (k, v) in configurationSeconds.sorted(by: { $0.key < $1.key }) { FileHandle.standardError.write("  \(k): \(v) s\n".data(using: .utf8)!) }
        }
        guard let smallest = failing.min(by: { size($0.0) < size($1.0) }) else { return }
        let shrunk = shrink(smallest.0)
        XCTFail("""
            \(name): \(failing.count) of \(count) networks disagree with the exact brute force. Smallest (shrunk):
            \(describe(shrunk.0))
            \(shrunk.1.joined(separator: "\n"))
            """, file: file, line: line)
    }

    /// Everything wrong with one case: the reference failing, or any configuration disagreeing.
    private func check(_ c: Case) -> [String] {
        do {
            let start = Date()
            let reference = try ExactBruteForce.run(c.network, norms: Self.norms, box: c.box)
            referenceSeconds += Date().timeIntervalSince(start)
            return disagreements(c, reference)
        } catch {
            return ["exact brute force failed: \(error)"]
        }
    }

    private func disagreements(_ c: Case, _ reference: ExactBruteForce.Result) -> [String] {
        var problems: [String] = []
        for configuration in Self.configurations {
            var options = ExactOptions(norms: Self.norms, box: c.box)
            options.method = configuration.method
            options.prune = configuration.prune
            options.threads = configuration.threads
            do {
                let start = Date()
                defer { configurationSeconds[configuration.description, default: 0] += Date().timeIntervalSince(start) }
                let report = try ExactSearch.compute(c.network, options: options)
                var issues: [String] = []
                if !report.isExact { issues.append("not exact") }
                if !configuration.prune, report.regions != reference.regions {
                    issues.append("regions: expected \(reference.regions), got \(report.regions)")
                }
                for (m, bound) in report.bounds.enumerated() where !agree(bound.value, reference.constants[m]) {
                    issues.append("ℓ\(bound.norm): expected \(reference.constants[m]), got \(bound.value)")
                }
                if !issues.isEmpty { problems.append("\(configuration): " + issues.joined(separator: "; ")) }
            } catch ExactError.arrangementNotApplicable where configuration.method == .arrangement {
            } catch {
                problems.append("\(configuration): threw \(error)")
            }
        }
        return problems
    }

    private func agree(_ a: Double, _ b: Double) -> Bool {
        abs(a - b) <= 1e-9 * max(abs(a), abs(b)) || a == b
    }

    // MARK: - Shrinking and describing failures

    private func size(_ c: Case) -> Int {
        c.network.layers.reduce(0) { $0 + $1.weights.rows * ($1.weights.columns + 1) }
    }

    /// Drops hidden neurons and outputs while the case still fails (at most 40 tries); returns
    /// it with its problems.
    private func shrink(_ c: Case) -> (Case, [String]) {
        var current = c, problems = check(c)
        var progress = true, budget = 40
        while progress {
            progress = false
            for candidate in smaller(current) {
                budget -= 1
                if budget < 0 { return (current, problems) }
                let p = check(candidate)
                if !p.isEmpty { current = candidate; problems = p; progress = true; break }
            }
        }
        return (current, problems)
    }

    private func smaller(_ c: Case) -> [Case] {
        var out: [Case] = []
        let layers = c.network.layers
        for k in layers.indices {
            guard layers[k].outputDimension > 1 else { continue }
            for i in 0..<layers[k].outputDimension {
                var copy = layers
                copy[k] = removeRow(copy[k], i)
                if k + 1 < copy.count { copy[k + 1] = removeColumn(copy[k + 1], i) }
                if let net = try? ReLUNetwork(layers: copy) { out.append(Case(network: net, box: c.box)) }
            }
        }
        return out
    }

    private func describe(_ c: Case) -> String {
        var text = NetworkJSON.encode(c.network)
        if let box = c.box {
            text += "box lower \(NetworkJSON.encode(box.lower)) upper \(NetworkJSON.encode(box.upper))"
        } else {
            text += "global (no box)"
        }
        if let reference = try? ExactBruteForce.run(c.network, norms: Self.norms, box: c.box) {
            text += "\nexpected (brute force): \(reference.regions) regions, ℓ1/ℓ2/ℓ∞ \(reference.constants), patterns \(reference.patterns.map(\.description))"
        }
        return text
    }
}

// MARK: - Generators

private func deepWidths(_ rng: inout TestRandom, d: Int? = nil) -> [Int] {
    let hidden = (0..<rng.int(2...3)).map { _ in rng.int(1...3) }
    return [d ?? rng.int(1...3)] + hidden + [rng.int(1...3)]
}

/// Layers with Gaussian weights whose neurons switch at anchor points: neuron i of layer k gets
/// the bias that puts its pre-activation at zero at a fresh anchor point.
private func anchoredNetwork(_ widths: [Int], _ rng: inout TestRandom, d: Int? = nil,
                             anchor: (inout TestRandom, Int) -> [Double]) throws -> ReLUNetwork {
    var widths = widths
    if let d { widths[0] = d }
    var layers: [AffineLayer] = []
    for k in 1..<widths.count {
        let w = (0..<widths[k]).map { _ in (0..<widths[k - 1]).map { _ in rng.normal() } }
        var b: [Double] = []
        for i in 0..<widths[k] {
            let p = anchor(&rng, widths[0])
            let h = layers.isEmpty ? p : try ReLUNetwork(layers: layers + [identityLayer(widths[k - 1])]).evaluate(p)
            b.append(k == widths.count - 1 ? rng.normal() : -zip(w[i], h).reduce(0) { $0 + $1.0 * $1.1 })
        }
        layers.append(AffineLayer(weights: Matrix(rowArrays: w), biases: b))
    }
    return try ReLUNetwork(layers: layers)
}

/// An identity output layer, so that evaluating hidden layers returns their post-activations.
private func identityLayer(_ n: Int) -> AffineLayer {
    AffineLayer(weights: Matrix.identity(n), biases: Array(repeating: 0, count: n))
}

private func randomAspectBox(_ d: Int, _ rng: inout TestRandom) throws -> InputBox {
    let center = (0..<d).map { _ in rng.normal() }
    let widths = (0..<d).map { _ in pow(10, -8 + 16 * rng.uniform()) }
    return try InputBox(lower: zip(center, widths).map { $0 - $1 / 2 }, upper: zip(center, widths).map { $0 + $1 / 2 })
}

private func point(in box: InputBox, _ rng: inout TestRandom) -> [Double] {
    box.lower.indices.map { box.lower[$0] + rng.uniform() * (box.upper[$0] - box.lower[$0]) }
}

private func unit(_ d: Int, _ rng: inout TestRandom) -> [Double] {
    let v = (0..<d).map { _ in rng.normal() }
    let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return v.map { $0 / n }
}

/// ± 10^U(−6, 6).
private func wide(_ rng: inout TestRandom) -> Double {
    (rng.int(0...1) == 0 ? 1 : -1) * pow(10, -6 + 12 * rng.uniform())
}

private func append(_ layer: AffineLayer, row: [Double], bias: Double) -> AffineLayer {
    AffineLayer(weights: Matrix(rowArrays: layer.weights.rowArrays + [row]), biases: layer.biases + [bias])
}

private func appendColumn(_ layer: AffineLayer, _ rng: inout TestRandom) -> AffineLayer {
    AffineLayer(weights: Matrix(rowArrays: layer.weights.rowArrays.map { $0 + [rng.normal()] }), biases: layer.biases)
}

private func removeRow(_ layer: AffineLayer, _ i: Int) -> AffineLayer {
    var rows = layer.weights.rowArrays, biases = layer.biases
    rows.remove(at: i); biases.remove(at: i)
    return AffineLayer(weights: Matrix(rowArrays: rows), biases: biases)
}

private func removeColumn(_ layer: AffineLayer, _ j: Int) -> AffineLayer {
    AffineLayer(weights: Matrix(rowArrays: layer.weights.rowArrays.map { var r = $0; r.remove(at: j); return r }), biases: layer.biases)
}

/// The network with a new first layer (more neurons), the second layer widened with Gaussian columns.
private func replaceFirstLayer(_ net: ReLUNetwork, with first: AffineLayer, _ rng: inout TestRandom) throws -> ReLUNetwork {
    var second = net.layers[1]
    while second.inputDimension < first.outputDimension { second = appendColumn(second, &rng) }
    return try ReLUNetwork(layers: [first, second] + net.layers.dropFirst(2))
}
