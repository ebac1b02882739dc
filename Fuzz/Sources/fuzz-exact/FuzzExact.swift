import ExactLipschitz
import Foundation
import FuzzSupport
import LipschitzModel
import RandomNetworks

// `exact` on tiny networks decoded from the fuzzer's bytes (docs/fuzzing.md).
//
// Every exact search configuration must agree (1e-9 relative), every report must be exact
// or an honest interval for undecided subtrees, with lower ≤ upper, each witness must attain
// its value, and no exact value may be below ‖J(x)‖ at a sampled point x whose activation
// pattern is unambiguous (every region with an interior point counts, however small). Input
// problems (e.g. overflow) are clean rejections; any other error or inconsistency traps.

/// Reads the fuzzer's bytes; past the end every byte is 0, so every input decodes.
struct ByteReader {
    let bytes: [UInt8]
    var position = 0
    /// Values produced so far, for duplicates and negations.
    var produced: [Double] = []

    mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func choose(_ n: Int) -> Int { Int(byte()) % n }

    /// A weight or bias: zeros, small integers, halves, duplicates, negations and
    /// magnitudes from 1e-6 to 1e6.
    mutating func value() -> Double {
        let x: Double
        switch byte() % 8 {
        case 0: x = 0
        case 1: x = Double(choose(9) - 4)
        case 2: x = produced.isEmpty ? 1 : produced[choose(produced.count)]
        case 3: x = produced.isEmpty ? -1 : -produced[choose(produced.count)]
        case 4, 5:
            let mantissa = (Double(byte()) - 127.5) / 32  // about ±4, never 0
            x = mantissa * pow(10, Double(choose(13) - 6))
        case 6: x = Double(choose(17) - 8) / 2
        default:
            let raw = UInt16(byte()) << 8 | UInt16(byte())
            x = Double(raw) / 32767.5 - 1
        }
        produced.append(x)
        return x
    }
}

struct Case {
    let network: ReLUNetwork
    let box: InputBox?
    let description: String
}

func decode(_ bytes: [UInt8]) -> Case? {
    var r = ByteReader(bytes: bytes)
    let inputs = 1 + r.choose(3)
    let hidden = (0..<(1 + r.choose(2))).map { _ in 1 + r.choose(4) }
    let outputs = 1 + r.choose(2)
    let widths = [inputs] + hidden + [outputs]
    var layers: [AffineLayer] = []
    for k in 0..<(widths.count - 1) {
        let (fanIn, fanOut) = (widths[k], widths[k + 1])
        var rows: [[Double]] = []
        var biases: [Double] = []
        for i in 0..<fanOut {
            // Sometimes repeat an earlier neuron, scaled: parallel and coincident hyperplanes.
            if i > 0, r.choose(5) == 0 {
                let source = r.choose(i)
                let scale = [1.0, -1, 2, -0.5, 1e-3, 1e3][r.choose(6)]
                rows.append(rows[source].map { $0 * scale })
                biases.append(r.choose(2) == 0 ? biases[source] * scale : r.value())
            } else {
                rows.append((0..<fanIn).map { _ in r.value() })
                biases.append(r.value())
            }
        }
        layers.append(AffineLayer(weights: Matrix(rowArrays: rows, columns: fanIn), biases: biases))
    }
    guard let network = try? ReLUNetwork(name: "fuzz", layers: layers) else { return nil }
    var box: InputBox?
    if r.choose(3) == 0 {
        var lower: [Double] = [], upper: [Double] = []
        for _ in 0..<inputs {
            let lo = Double(r.choose(9) - 4) / 2
            let width = [1e-3, 0.5, 1, 2, 10, 1e3][r.choose(6)]
            lower.append(lo)
            upper.append(lo + width)
        }
        box = try? InputBox(lower: lower, upper: upper)
    }
    let text = "widths \(widths), layers \(layers.map { ($0.weights.rowArrays, $0.biases) }), box \(box.map { "\($0)" } ?? "none")"
    return Case(network: network, box: box, description: text)
}

let norms: [LipschitzNorm] = [.one, .two, .infinity]

/// With FUZZ_EXACT_ALLOW_SOLVER_FAILURES=1 a GLPK failure (LinearProgramError) counts as a
/// rejection instead of a finding, so a run can look for other problems past a known one.
let allowSolverFailures = ProcessInfo.processInfo.environment["FUZZ_EXACT_ALLOW_SOLVER_FAILURES"] == "1"

/// LinearProgramming is not a product of the main package, so its error is recognised by name.
func isSolverFailure(_ error: Error) -> Bool {
    String(reflecting: type(of: error)) == "LinearProgramming.LinearProgramError"
}

func agree(_ a: Double, _ b: Double) -> Bool {
    a == b || abs(a - b) <= 1e-9 * max(abs(a), abs(b))
}

func fail(_ what: String, _ c: Case) -> Never {
    fatalError("fuzz-exact: \(what)\n  network: \(c.description)")
}

/// The radius of a ball around `x` inside x's activation region (and the box), or nil when
/// some hidden pre-activation is within 1e-6 (relative to its terms) of 0.
func clearRadius(_ network: ReLUNetwork, _ x: [Double], box: InputBox?) -> Double? {
    var radius = Double.infinity
    if let box {
        for i in x.indices { radius = min(radius, x[i] - box.lower[i], box.upper[i] - x[i]) }
    }
    var h = x
    var gradient = Matrix.identity(x.count)  // ∂h/∂x on x's region
    for layer in network.layers.dropLast() {
        // Written out here, not the package's kernel: the fuzz check stays independent of it.
        let z = zip(layer.weights * h, layer.biases).map { $0 + $1 }
        let zGradient = layer.weights * gradient
        for i in z.indices {
            var terms = abs(layer.biases[i])
            for j in h.indices { terms += abs(layer.weights[i, j] * h[j]) }
            guard abs(z[i]) >= 1e-6 * terms, z[i] != 0 else { return nil }
            let slope = vectorNorm(zGradient.row(i), p: .two)
            if slope > 0 { radius = min(radius, abs(z[i]) / slope) }
        }
        h = z.map { max(0, $0) }
        gradient = zGradient
        for i in z.indices where z[i] <= 0 {
            for c in 0..<gradient.columns { gradient[i, c] = 0 }
        }
    }
    return radius
}

struct Configuration: CustomStringConvertible {
    let method: SearchMethod
    let threads: Int
    var prune = false
    var description: String { "\(method.rawValue), \(threads) thread\(threads == 1 ? "" : "s")\(prune ? ", pruned" : "")" }
}

func check(_ c: Case, seed: UInt64) {
    var configurations = [
        Configuration(method: .automatic, threads: 1),
        Configuration(method: .linearPrograms, threads: 1),
        Configuration(method: .linearPrograms, threads: 2),
        Configuration(method: .plain, threads: 1),
        Configuration(method: .linearPrograms, threads: 1, prune: true),
    ]
    if c.network.layers.count == 2 { configurations.append(Configuration(method: .automatic, threads: 2)) }

    var first: (Configuration, ExactReport)?
    for configuration in configurations {
        var options = ExactOptions(norms: norms, box: c.box)
        options.method = configuration.method
        options.threads = configuration.threads
        options.prune = configuration.prune
        let report: ExactReport
        do {
            report = try ExactSearch.compute(c.network, options: options)
        } catch is InputProblem {
            return  // a clean rejection (e.g. Jacobians that could overflow)
        } catch where allowSolverFailures && isSolverFailure(error) {
            return  // FUZZ_EXACT_ALLOW_SOLVER_FAILURES=1: look past known GLPK failures
        } catch {
            fail("\(configuration): unexpected error \(error)", c)
        }
        // An honest interval (a subtree no solver could decide) is allowed; "exact" must be right.
        if !report.isExact {
            guard report.stopReason == .undecided,
                  report.bounds.allSatisfy({ $0.lower <= $0.upper && $0.lower >= 0 }) else {
                fail("\(configuration): incomplete report without limits (\(report.stopReason?.rawValue ?? "no reason"))", c)
            }
            continue
        }
        for bound in report.bounds {
            guard bound.lower <= bound.upper, bound.lower.isFinite, bound.lower >= 0 else {
                fail("\(configuration), norm \(bound.norm): lower \(bound.lower), upper \(bound.upper)", c)
            }
            guard bound.lower == bound.upper else {
                fail("\(configuration), norm \(bound.norm): complete search but lower \(bound.lower) ≠ upper \(bound.upper)", c)
            }
            if let witness = bound.witness {
                let attained = (try? operatorNorm(witness.jacobian, p: bound.norm)) ?? .nan
                guard agree(attained, bound.lower) else {
                    fail("\(configuration), norm \(bound.norm): value \(bound.lower) but its witness's Jacobian has norm \(attained)", c)
                }
                if let box = c.box {
                    let inside = witness.interiorPoint.indices.allSatisfy { i in
                        let slack = 1e-9 * (box.upper[i] - box.lower[i])
                        return box.lower[i] - slack <= witness.interiorPoint[i] && witness.interiorPoint[i] <= box.upper[i] + slack
                    }
                    guard inside else { fail("\(configuration), norm \(bound.norm): witness point \(witness.interiorPoint) outside the box", c) }
                }
            }
        }
        if let (reference, expected) = first {
            for (a, b) in zip(expected.bounds, report.bounds) where !agree(a.lower, b.lower) {
                fail("norm \(a.norm): \(reference) gives \(a.lower) but \(configuration) gives \(b.lower)", c)
            }
        } else {
            first = (configuration, report)
        }
    }
    guard let (_, report) = first else { return }

    // Sampled lower bounds: any point of a region with a clear interior ball.
    var random = SeededGenerator(seed: seed)  // seeded from the input: a reproduction samples the same points
    for sample in 0..<16 {
        let x: [Double]
        if let box = c.box {
            x = box.lower.indices.map { i in box.lower[i] + random.nextUniform() * (box.upper[i] - box.lower[i]) }
        } else {
            // Near the origin, and far out where unbounded regions may be all that is left.
            let spread = c.network.lengthScale * [0.5, 1, 2, 10, 1e3, 1e6, 1e9, 1][sample % 8]
            x = (0..<c.network.inputDimension).map { _ in (2 * random.nextUniform() - 1) * spread }
        }
        // Every region with an interior point counts, however small: any clear point is a witness.
        guard let radius = clearRadius(c.network, x, box: c.box), radius > 0 else { continue }
        let jacobian = c.network.jacobian(at: x)
        for bound in report.bounds {
            guard let local = try? operatorNorm(jacobian, p: bound.norm) else { continue }
            guard bound.lower >= local * (1 - 1e-9) else {
                fail("norm \(bound.norm): exact value \(bound.lower) is below ‖J(x)‖ = \(local) at x = \(x) (clear radius \(radius), pattern \(c.network.activationPattern(at: x)))", c)
            }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    guard let c = decode(bytes) else { return 0 }
    var seed: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes { seed = (seed ^ UInt64(b)) &* 0x100_0000_01B3 }
    check(c, seed: seed)
    return 0
}

@main enum FuzzExact {
    static func main() { runFuzzer(fuzzOne) }
}
