import Foundation
import LipschitzModel

/// The package root (this file is Sources/LipschitzTestSupport/TestNetworks.swift): tests read
/// `instances/` from the clone, never anything outside it.
public let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The shared fixtures with their truth.json (an independent implementation's constants).
public let fixturesDirectory = packageRoot.appendingPathComponent("instances/fixtures")

/// A network from (weights as rows, biases) per layer.
public func network(_ layers: [([[Double]], [Double])], name: String = "test") -> ReLUNetwork {
    try! ReLUNetwork(name: name, layers: layers.map { AffineLayer(weights: Matrix(rowArrays: $0.0), biases: $0.1) })
}

/// Widths `[input, hidden…, output]`, N(0, 1) weights and N(0, biasScale²) biases from the
/// tests' own generator.
public func randomNetwork(_ widths: [Int], using rng: inout TestRandom, biasScale: Double = 1) -> ReLUNetwork {
    var layers: [([[Double]], [Double])] = []
    for k in 1..<widths.count {
        let w = (0..<widths[k]).map { _ in (0..<widths[k - 1]).map { _ in rng.normal() } }
        let b = (0..<widths[k]).map { _ in biasScale * rng.normal() }
        layers.append((w, b))
    }
    return network(layers, name: "random-\(widths)")
}

/// A hidden layer of `groups` groups of planes in dimension d, each drawn as one of: a
/// duplicate pair, an opposite pair, a parallel pair (exact and inexact scale), a zero row
/// (bias ±1 by the parity of `trial`), d + 1 planes through one integer point, or a single
/// plane. Rows and biases.
public func degenerateHiddenLayer(dimension d: Int, groups: Int, trial: Int, using rng: inout TestRandom) -> ([[Double]], [Double]) {
    var rows: [[Double]] = [], biases: [Double] = []
    for _ in 0..<groups {
        let w = (0..<d).map { _ in rng.normal() }, b = rng.normal()
        switch rng.int(0...6) {
        case 0: rows += [w, w]; biases += [b, b]                                  // duplicate
        case 1: rows += [w, w.map { -$0 }]; biases += [b, -b]                     // opposite
        case 2: rows += [w, w.map { 2 * $0 }]; biases += [b, b + 1]               // parallel
        case 3: rows.append(Array(repeating: 0, count: d)); biases.append(trial % 2 == 0 ? 1 : -1)  // zero row
        case 4: rows += [w, w.map { 3 * $0 }]; biases += [b, 3 * b + 0.5]        // parallel, inexact scale
        case 5:                                                                    // through a common point
            let point = (0..<d).map { _ in Double(rng.int(-2...2)) }
            for _ in 0..<(d + 1) {
                let u = (0..<d).map { _ in Double(rng.int(-3...3)) }
                rows.append(u)
                biases.append(-zip(u, point).reduce(0) { $0 + $1.0 * $1.1 })
            }
        default: rows.append(w); biases.append(b)
        }
    }
    return (rows, biases)
}

/// A box with its lower corner drawn normal and each side `smallestSide + spread · U[0, 1)`:
/// the box-local case of the search tests (lower corner drawn first, then the sides).
public func randomBox(_ d: Int, smallestSide: Double, spread: Double, using rng: inout TestRandom) throws -> InputBox {
    let lower = (0..<d).map { _ in rng.normal() }
    return try InputBox(lower: lower, upper: lower.map { $0 + smallestSide + spread * rng.uniform() })
}

/// Widths `[input, hidden…, output]`, weights uniform in [−1, 1) and biases in [−0.5, 0.5).
public func uniformRandomNetwork(_ widths: [Int], using rng: inout TestRandom, name: String = "random") -> ReLUNetwork {
    var layers: [AffineLayer] = []
    for k in 1..<widths.count {
        layers.append(AffineLayer(weights: rng.matrix(widths[k], widths[k - 1]), biases: rng.vector(widths[k], -0.5, 0.5)))
    }
    return try! ReLUNetwork(name: name, layers: layers)
}

/// Widths `[input, hidden…, output]`, N(0, 1) weights and N(0, biasScale²) biases drawn from the
/// package's `SeededGenerator` (the generator the estimates sample with), named by the seed.
public func randomNetwork(_ widths: [Int], seed: UInt64, biasScale: Double = 1) -> ReLUNetwork {
    var rng = SeededGenerator(seed: seed)
    let layers = (1..<widths.count).map { k in
        AffineLayer(weights: Matrix(rows: widths[k], columns: widths[k - 1],
                                    storage: (0..<(widths[k] * widths[k - 1])).map { _ in rng.nextNormal() }),
                    biases: (0..<widths[k]).map { _ in biasScale * rng.nextNormal() })
    }
    return try! ReLUNetwork(name: "random-\(widths)-\(seed)", layers: layers)
}

/// Every network fixture (not truth.json), sorted by name.
public func fixtureFiles() throws -> [URL] {
    try FileManager.default.contentsOfDirectory(at: fixturesDirectory, includingPropertiesForKeys: nil)
        .filter { $0.pathExtension == "json" && $0.lastPathComponent != "truth.json" }
        .sorted { $0.lastPathComponent < $1.lastPathComponent }
}
