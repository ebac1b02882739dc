/// One affine map `x ↦ W x + b`; `weights` is out × in (one row per output neuron).
public struct AffineLayer: Equatable, Hashable, Sendable {
    public let weights: Matrix
    public let biases: [Double]

    public var inputDimension: Int { weights.columns }
    public var outputDimension: Int { weights.rows }

    /// The caller guarantees `biases.count == weights.rows`; `ReLUNetwork.init` validates.
    public init(weights: Matrix, biases: [Double]) {
        self.weights = weights
        self.biases = biases
    }
}

/// A feed-forward network with ReLU after every layer except the last, which is affine:
/// `Φ(x) = W_L ReLU(⋯ ReLU(W_0 x + b_0) ⋯) + b_L`.
///
/// Invariant (checked by the throwing initialiser): at least one layer, consecutive
/// dimensions agree, every dimension is positive, every number is finite.
public struct ReLUNetwork: Equatable, Hashable, Sendable {
    public let name: String
    public let layers: [AffineLayer]

    public init(name: String = "", layers: [AffineLayer]) throws {
        guard !layers.isEmpty else { throw NetworkError.emptyLayerList }
        for (k, layer) in layers.enumerated() {
            let place = NetworkError.Place(layer: k)
            guard layer.weights.rows > 0 else { throw NetworkError.emptyLayer(place) }
            guard layer.weights.columns > 0 else {
                throw NetworkError.invalidValue(place, "weights have no columns")
            }
            guard layer.biases.count == layer.weights.rows else {
                throw NetworkError.biasCountMismatch(place, biases: layer.biases.count, rows: layer.weights.rows)
            }
            if k > 0, layer.weights.columns != layers[k - 1].weights.rows {
                throw NetworkError.dimensionMismatch(place, inputs: layer.weights.columns,
                                                     previousOutputs: layers[k - 1].weights.rows)
            }
            for i in 0..<layer.weights.rows {
                for j in 0..<layer.weights.columns where !layer.weights[i, j].isFinite {
                    throw NetworkError.nonFinite(NetworkError.Place(layer: k, row: i, column: j, field: "weights"))
                }
                if !layer.biases[i].isFinite {
                    throw NetworkError.nonFinite(NetworkError.Place(layer: k, row: i, field: "biases"))
                }
            }
        }
        self.name = name
        self.layers = layers
    }

    /// A network derived from a checked one with the same shapes and finite numbers (|W| for W,
    /// say): the checks above cannot fail, so they are skipped.
    init(unchecked name: String, _ layers: [AffineLayer]) {
        self.name = name
        self.layers = layers
    }

    public var inputDimension: Int { layers[0].inputDimension }
    public var outputDimension: Int { layers[layers.count - 1].outputDimension }
    /// Widths of the hidden (ReLU) layers: every layer but the last.
    public var hiddenWidths: [Int] { layers.dropLast().map(\.outputDimension) }
    public var hiddenNeuronCount: Int { hiddenWidths.reduce(0, +) }
    /// Input, hidden and output widths, e.g. `[3, 8, 1]`.
    public var architecture: [Int] { [inputDimension] + layers.map(\.outputDimension) }

    /// The pre-activations of every hidden layer at `x`, and Φ(x): the package's forward
    /// recurrence (`DenseNetwork.preActivations`) with a batch of one point.
    public func forwardPass(at x: [Double]) -> (hidden: [[Double]], output: [Double]) {
        precondition(x.count == inputDimension, "input has the wrong dimension")
        let dense = DenseNetwork(self)
        var hidden: [[Double]] = []
        var h = x
        for k in 0..<layers.count {
            let z = dense.preActivations(layer: k, of: h, count: 1)
            if k == layers.count - 1 { return (hidden, z) }
            hidden.append(z)
            h = z.map { max(0, $0) }
        }
        preconditionFailure("a network has at least one layer")
    }

    /// Φ(x).
    public func evaluate(_ x: [Double]) -> [Double] { forwardPass(at: x).output }

    /// Which hidden neurons have pre-activation strictly above zero at `x`.
    public func activationPattern(at x: [Double]) -> ActivationPattern {
        ActivationPattern(layers: forwardPass(at: x).hidden.map { $0.map { $0 > 0 } })
    }

    /// The Jacobian `W_L D_{L-1} W_{L-1} ⋯ D_0 W_0` of the affine piece with this pattern
    /// (`DenseNetwork.backward`, the package's one Jacobian kernel).
    public func jacobian(for pattern: ActivationPattern) -> Matrix {
        precondition(pattern.layers.map(\.count) == hiddenWidths, "pattern does not fit the network")
        return DenseNetwork(self).jacobian(for: pattern)
    }

    /// The Jacobian of Φ at `x` (ties at pre-activation 0 count as inactive).
    public func jacobian(at x: [Double]) -> Matrix { jacobian(for: activationPattern(at: x)) }
}

extension ReLUNetwork {
    /// Adds `scale` times hidden neuron `i`'s term of the Jacobian of a one-hidden-layer network,
    /// `W_1[:, i] · W_0[i, :]` (outputs × inputs, row-major), into `jacobian`. The Jacobian of
    /// a pattern is the sum of its active neurons' terms; the arrangement search keeps these
    /// sums as running totals.
    public func addShallowTerm(neuron i: Int, scale: Double, into jacobian: UnsafeMutablePointer<Double>) {
        precondition(layers.count == 2, "one hidden layer only")
        let first = layers[0].weights, output = layers[1].weights
        let columns = first.columns
        for r in 0..<output.rows {
            let v = scale * output[r, i]
            if v == 0 { continue }
            for c in 0..<columns { jacobian[r * columns + c] += v * first[i, c] }
        }
    }
}

extension ReLUNetwork {
    /// The network's natural length unit: the largest distance from the origin of a first-layer
    /// hyperplane (1 when all pass through it). The exact search compares region radii with a
    /// tolerance relative to it; the sampler spreads points on its scale.
    public var lengthScale: Double {
        let first = layers[0]
        var scale = 0.0
        for i in 0..<first.weights.rows {
            let norm = vectorNorm(first.weights.row(i), p: .two)
            if norm > 0 { scale = max(scale, abs(first.biases[i]) / norm) }
        }
        return scale > 0 && scale.isFinite ? scale : 1
    }
}

/// Which hidden neurons are active (pre-activation > 0), layer by layer.
public struct ActivationPattern: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var layers: [[Bool]]
    public init(layers: [[Bool]]) { self.layers = layers }

    /// Bits as `0`/`1`, layers separated by `|`, e.g. `1010|01`.
    public var description: String {
        layers.map { $0.map { $0 ? "1" : "0" }.joined() }.joined(separator: "|")
    }
}
