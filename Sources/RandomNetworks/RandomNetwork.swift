import LipschitzModel

/// A symmetric distribution for biases, scaled by `s` (the `--bias-scale`).
///
/// Parametrisation (every one symmetric about 0, as the papers require):
/// - `normal`:     N(0, s²)                         (standard deviation s)
/// - `uniform`:    uniform on [−s, s]                (standard deviation s/√3)
/// - `laplace`:    density exp(−|b|/s) / (2s)        (scale s, standard deviation s√2)
/// - `rademacher`: ±s with probability ½ each        (standard deviation s)
/// - `zero`:       always 0                          (s is ignored)
public enum BiasDistribution: String, CaseIterable, Sendable, CustomStringConvertible {
    case normal, uniform, laplace, rademacher, zero

    public init(parsing text: String) throws {
        let key = text.trimmingWhitespaces().lowercased()
        guard let value = BiasDistribution(rawValue: key) else {
            throw RandomNetworkError.unknownBias(text)
        }
        self = value
    }

    /// One draw with scale `s`, using only portable arithmetic (see `PortableMath`).
    public func sample(scale s: Double, using rng: inout SeededGenerator) -> Double {
        switch self {
        case .normal: return s * rng.nextPortableNormal()
        case .uniform: return s * (2 * rng.nextUniform() - 1)
        case .laplace:
            // Inverse CDF of the symmetric exponential: a sign bit and an Exp(1) magnitude.
            let sign: Double = rng.next() >> 63 == 0 ? 1 : -1
            return sign * s * -PortableMath.log(rng.nextOpenUniform())
        case .rademacher: return rng.next() >> 63 == 0 ? s : -s
        case .zero: return 0
        }
    }

    public var description: String { rawValue }
}

/// Why a random network cannot be drawn: always a bad option, so the CLI exits with status 2.
public enum RandomNetworkError: InputProblem, Equatable {
    case unknownBias(String)
    case notPositive(option: String, value: Int)
    case badScale(Double)
    case badGain(Double)
    case tooLarge(parameters: Int)

    public var description: String {
        switch self {
        case .unknownBias(let text):
            return "unknown bias distribution \"\(text)\": use one of \(BiasDistribution.allCases.map(\.rawValue).joined(separator: ", "))"
        case .notPositive(let option, let value):
            return "\(option) must be a positive integer, got \(value)"
        case .badScale(let s):
            return "bias scale must be a finite number between 0 and \(NetworkJSON.encode(RandomNetworkSpec.maximumBiasScale)), got \(s)"
        case .badGain(let g): return "weight gain must be a finite number > 0, got \(g)"
        case .tooLarge(let parameters):
            return "the network would have \(parameters == Int.max ? "more than 9e18" : "\(parameters)") parameters; the limit is \(RandomNetworkSpec.maxParameters)"
        }
    }
}

/// The recipe for a random network as the papers draw it (THEORY.md §2):
/// `depth` hidden layers of `width` neurons on `inputDimension` inputs, `outputs` outputs.
///
/// - Hidden weights (the first layer too) are i.i.d. N(0, gain/width), gain = 2 by default:
///   the He-style variance 2/width of the sequel, which keeps E‖∇Φ(x)‖₂² = d at every depth.
/// - Output weights are i.i.d. N(0, 1).
/// - Every bias, the output biases included, is an independent draw from `bias` with scale
///   `biasScale`. The output bias does not affect any Lipschitz constant; drawing it keeps
///   the network a complete sample of the model.
///
/// Stream order, fixed so a seed names the same bytes everywhere: layer by layer, that
/// layer's weights row by row, then its biases, all from one `SeededGenerator(seed:)`.
/// Normals use `nextPortableNormal` (no libm), uniforms `nextUniform`.
public struct RandomNetworkSpec: Equatable, Hashable, Sendable {
    public var inputDimension: Int
    public var width: Int
    public var depth: Int
    public var outputs: Int
    public var bias: BiasDistribution
    public var biasScale: Double
    public var seed: UInt64
    /// Hidden-weight variance is `gain / width`. Only tests and experiments change it (a wrong
    /// gain must be detectable by `GradientStatistics`); the CLI always uses 2.
    public var gain: Double

    /// Refuses sizes beyond this many weights and biases (memory, not mathematics).
    public static let maxParameters = 50_000_000
    /// The largest bias scale: every draw is at most ~45 scales in size (a Laplace draw is at
    /// most 64·ln 2 scales, a polar normal below 13), so draws stay far inside double range, and
    /// so do the squares and sums the analyses form from them.
    public static let maximumBiasScale = 1e100

    public init(inputDimension: Int, width: Int, depth: Int = 1, outputs: Int = 1,
                bias: BiasDistribution = .normal, biasScale: Double = 1, seed: UInt64 = 0,
                gain: Double = 2) throws {
        guard inputDimension > 0 else { throw RandomNetworkError.notPositive(option: "input dimension", value: inputDimension) }
        guard width > 0 else { throw RandomNetworkError.notPositive(option: "width", value: width) }
        guard depth > 0 else { throw RandomNetworkError.notPositive(option: "depth", value: depth) }
        guard outputs > 0 else { throw RandomNetworkError.notPositive(option: "outputs", value: outputs) }
        guard biasScale.isFinite, biasScale >= 0, biasScale <= Self.maximumBiasScale else { throw RandomNetworkError.badScale(biasScale) }
        guard gain.isFinite, gain > 0 else { throw RandomNetworkError.badGain(gain) }
        // Count in Double: the product of absurd options must not overflow Int.
        let (d, n, l, m) = (Double(inputDimension), Double(width), Double(depth), Double(outputs))
        let count = n * (d + 1) + (l - 1) * n * (n + 1) + m * (n + 1)
        guard count <= Double(Self.maxParameters) else {
            throw RandomNetworkError.tooLarge(parameters: count < 9e18 ? Int(count) : Int.max)
        }
        self.inputDimension = inputDimension
        self.width = width
        self.depth = depth
        self.outputs = outputs
        self.bias = bias
        self.biasScale = biasScale
        self.seed = seed
        self.gain = gain
    }

    /// A short readable name that also says how to redraw the network.
    public var name: String {
        var text = "random d=\(inputDimension) N=\(width) L=\(depth) m=\(outputs) bias=\(bias)"
        if bias != .zero { text += "(\(NetworkJSON.encode(biasScale)))" }
        if gain != 2 { text += " gain=\(NetworkJSON.encode(gain))" }
        return text + " seed=\(seed)"
    }

    /// The JSON object stored under the extra key "source": every parameter and the seed.
    public var sourceJSON: String {
        var fields: [String] = [
            "\"generator\": \"lipschitz random v1 (xoshiro256** seeded by SplitMix64; portable polar normals)\"",
            "\"input_dim\": \(inputDimension)",
            "\"width\": \(width)",
            "\"depth\": \(depth)",
            "\"outputs\": \(outputs)",
            "\"hidden_weights\": \"N(0, \(NetworkJSON.encode(gain))/width)\"",
            "\"output_weights\": \"N(0, 1)\"",
            "\"bias\": \(NetworkJSON.quote(bias.rawValue))",
            "\"bias_scale\": \(NetworkJSON.encode(biasScale))",
            "\"seed\": \(seed)",
        ]
        if gain != 2 { fields.append("\"gain\": \(NetworkJSON.encode(gain))") }
        return "{" + fields.joined(separator: ", ") + "}"
    }
}

/// Draws networks from a `RandomNetworkSpec`.
public enum RandomNetworkGenerator {
    /// The network; throws only if a number drawn is not finite, which the spec's limits rule out.
    public static func generate(_ spec: RandomNetworkSpec) throws -> ReLUNetwork {
        var rng = SeededGenerator(seed: spec.seed)
        var layers: [AffineLayer] = []
        let hiddenStandardDeviation = (spec.gain / Double(spec.width)).squareRoot()
        var inputs = spec.inputDimension
        for k in 0...spec.depth {
            let isOutput = k == spec.depth
            let rows = isOutput ? spec.outputs : spec.width
            let sd = isOutput ? 1.0 : hiddenStandardDeviation
            var weights = Matrix(rows: rows, columns: inputs)
            for i in 0..<weights.storage.count { weights.storage[i] = sd * rng.nextPortableNormal() }
            let biases = (0..<rows).map { _ in spec.bias.sample(scale: spec.biasScale, using: &rng) }
            layers.append(AffineLayer(weights: weights, biases: biases))
            inputs = rows
        }
        // Sizes are positive and every number finite by the spec's limits; should that ever
        // fail, the network's own check says which number, as bad input.
        return try ReLUNetwork(name: spec.name, layers: layers)
    }

    /// The network file text, with the recipe under "source".
    public static func encode(_ spec: RandomNetworkSpec) throws -> String {
        NetworkJSON.encode(try generate(spec), extra: [("source", spec.sourceJSON)])
    }

    /// A seed for one network of a sweep, derived from the sweep's seed and the network's
    /// coordinates by SplitMix64 mixing, so cells and trials get unrelated streams and any
    /// single network can be redrawn with `lipschitz generate --seed`.
    public static func derivedSeed(_ base: UInt64, _ coordinates: [UInt64]) -> UInt64 {
        var h = base
        for c in coordinates {
            h = SplitMix64.mix(h ^ SplitMix64.mix(c &+ 0x9E37_79B9_7F4A_7C15))
        }
        return h
    }
}
