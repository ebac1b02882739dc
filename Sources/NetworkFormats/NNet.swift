import FoundationEssentials
import LipschitzModel

/// The input/output normalisation a .nnet file declares.
///
/// The format's evaluation (sisl/NNet, ACAS Xu) is: clip each input to [min, max], map it
/// to (x − mean)/range, run the stored network, and map each output to y·range + mean,
/// with one mean and range shared by all outputs (the last entries of the two lists).
public struct NNetNormalization: Equatable, Sendable {
    public var inputMinimums: [Double]
    public var inputMaximums: [Double]
    /// `inputs + 1` values: one per input, then the output mean.
    public var means: [Double]
    /// `inputs + 1` values: one per input, then the output range.
    public var ranges: [Double]

    /// Bounds of at least this size mean "unbounded": the NNet tools write ±float32.max
    /// (about 3.4e38) when a network has no input bounds.
    public static let unboundedThreshold = 1e30

    public var outputMean: Double { means[means.count - 1] }
    public var outputRange: Double { ranges[ranges.count - 1] }

    /// True when normalising changes nothing (means 0, ranges 1).
    public var isIdentity: Bool { means.allSatisfy { $0 == 0 } && ranges.allSatisfy { $0 == 1 } }

    /// Folds the normalisation into the first and last layers, so that the result computes
    /// `y·range_out + mean_out` of the stored network at `(x − mean)/range`, for every x
    /// (clipping aside: inside the box [min, max] the two functions agree).
    public func fold(into layers: [AffineLayer]) -> [AffineLayer] {
        var layers = layers
        let first = layers[0]
        let n = first.inputDimension
        var w = first.weights
        var b = first.biases
        for i in 0..<w.rows {
            var shift = 0.0
            for j in 0..<n {
                let scaled = w[i, j] / ranges[j]
                shift += scaled * means[j]
                w[i, j] = scaled
            }
            b[i] -= shift
        }
        layers[0] = AffineLayer(weights: w, biases: b)
        let last = layers[layers.count - 1]
        var lw = last.weights
        for k in lw.storage.indices { lw.storage[k] *= outputRange }
        let lb = last.biases.map { $0 * outputRange + outputMean }
        layers[layers.count - 1] = AffineLayer(weights: lw, biases: lb)
        return layers
    }
}

/// A parsed .nnet file: the stored layers and, if the file has one, its normalisation.
///
/// Accepted layout (docs/format.md): optional `//` comment lines; the sizes line
/// (numLayers[, inputSize, outputSize, maxLayerSize]); the layer sizes line (numLayers + 1
/// values); an unused flag line; input minima (inputs values); input maxima (inputs
/// values); means (inputs + 1); ranges (inputs + 1); then per layer its weight rows (one
/// line per neuron, comma separated) and its biases (one per line). Trailing commas are
/// optional; blank lines are skipped. NeuralVerification.jl writes the four normalisation
/// lines as a single `0` each: that placeholder means "no normalisation".
public struct NNetFile: Sendable {
    public var layers: [AffineLayer]
    public var normalization: NNetNormalization?
    public var notes: [String]

    /// Parses the bytes of a .nnet file (UTF-8 text, as `readNetwork` reads it); `path` is
    /// only used in error messages.
    public static func parse(data: Data, path: String) throws -> NNetFile {
        guard let text = String(data: data, encoding: .utf8) else {
            throw FormatError.unreadable(path: path, reason: "not UTF-8 text")
        }
        return try parse(text: text, path: path)
    }

    /// Parses the text of a .nnet file; `path` is only used in error messages.
    public static func parse(text: String, path: String) throws -> NNetFile {
        var reader = LineReader(text: text, path: path)
        var notes: [String] = []

        // Header comments, then the sizes line.
        var sizesLine = try reader.next(expecting: "the sizes line (numLayers, inputSize, outputSize, maxLayerSize)")
        while sizesLine.text.trimmingWhitespaces().hasPrefix("//") {
            sizesLine = try reader.next(expecting: "the sizes line (numLayers, inputSize, outputSize, maxLayerSize)")
        }
        let header = try reader.integers(sizesLine, what: "the sizes line")
        guard (1...4).contains(header.count) else {
            throw reader.error(sizesLine, "the sizes line has \(header.count) values; expected numLayers, inputSize, outputSize, maxLayerSize")
        }
        let layerCount = header[0]
        guard layerCount >= 1 else { throw reader.error(sizesLine, "the number of layers must be at least 1, found \(layerCount)") }
        guard layerCount <= 10_000 else { throw reader.error(sizesLine, "\(layerCount) layers is not a plausible network") }

        let sizesLineInfo = try reader.next(expecting: "the layer sizes line (\(layerCount + 1) values)")
        let sizes = try reader.integers(sizesLineInfo, what: "the layer sizes line")
        guard sizes.count == layerCount + 1 else {
            throw reader.error(sizesLineInfo, "\(sizes.count) layer sizes for \(layerCount) layers; expected \(layerCount + 1) (input, hidden and output sizes)")
        }
        for (k, size) in sizes.enumerated() where size < 1 || size > 1_000_000 {
            throw reader.error(sizesLineInfo, "layer size \(k + 1) is \(size); sizes must be positive (and at most a million)")
        }
        let inputs = sizes[0], outputs = sizes[layerCount]
        if header.count >= 2, header[1] != inputs {
            throw reader.error(sizesLine, "inputSize is \(header[1]) but the layer sizes line starts with \(inputs)")
        }
        if header.count >= 3, header[2] != outputs {
            throw reader.error(sizesLine, "outputSize is \(header[2]) but the layer sizes line ends with \(outputs)")
        }
        if header.count >= 4, header[3] != sizes.max()! {
            notes.append("maxLayerSize on line \(sizesLine.number) is \(header[3]), not the largest layer size \(sizes.max()!); ignored")
        }

        _ = try reader.next(expecting: "the (unused) flag line")

        let minLine = try reader.next(expecting: "the input minima")
        let maxLine = try reader.next(expecting: "the input maxima")
        let meanLine = try reader.next(expecting: "the means")
        let rangeLine = try reader.next(expecting: "the ranges")
        // Infinite bounds are allowed (and mean "unbounded"); every other number is finite.
        let mins = try reader.numbers(minLine, allowInfinite: true)
        let maxes = try reader.numbers(maxLine, allowInfinite: true)
        let means = try reader.numbers(meanLine)
        let ranges = try reader.numbers(rangeLine)
        var normalization: NNetNormalization?
        if [mins, maxes, means, ranges].allSatisfy({ $0 == [0] }) {
            notes.append("the file records no normalisation (its four normalisation lines are the placeholder 0 that NeuralVerification.jl writes): the stored weights are used")
        } else {
            guard mins.count == inputs else { throw reader.error(minLine, "\(mins.count) input minima for \(inputs) inputs") }
            guard maxes.count == inputs else { throw reader.error(maxLine, "\(maxes.count) input maxima for \(inputs) inputs") }
            guard means.count == inputs + 1 else {
                throw reader.error(meanLine, "\(means.count) means; expected \(inputs + 1) (one per input, then the output mean)")
            }
            guard ranges.count == inputs + 1 else {
                throw reader.error(rangeLine, "\(ranges.count) ranges; expected \(inputs + 1) (one per input, then the output range)")
            }
            for i in 0..<inputs where mins[i] > maxes[i] || mins[i] == .infinity || maxes[i] == -.infinity {
                throw reader.error(maxLine, "input \(i + 1): maximum \(maxes[i]) is below minimum \(mins[i])")
            }
            for (i, r) in ranges.enumerated() where r == 0 {
                throw reader.error(rangeLine, "range \(i + 1) is 0; normalisation divides by it")
            }
            normalization = NNetNormalization(inputMinimums: mins, inputMaximums: maxes, means: means, ranges: ranges)
        }

        var layers: [AffineLayer] = []
        for k in 0..<layerCount {
            let (fanIn, fanOut) = (sizes[k], sizes[k + 1])
            var storage: [Double] = []
            storage.reserveCapacity(min(fanIn * fanOut, 1 << 20))  // the file may be shorter than it claims
            for row in 0..<fanOut {
                let line = try reader.next(expecting: "the weights of layer \(k + 1), row \(row + 1) of \(fanOut)")
                let values = try reader.numbers(line)
                guard values.count == fanIn else {
                    throw reader.error(line, "layer \(k + 1), weights row \(row + 1): \(values.count) value\(values.count == 1 ? "" : "s"), expected \(fanIn) (\(k == 0 ? "the number of inputs" : "the size of layer \(k)"))")
                }
                storage += values
            }
            var biases: [Double] = []
            for row in 0..<fanOut {
                let line = try reader.next(expecting: "the biases of layer \(k + 1), row \(row + 1) of \(fanOut)")
                let values = try reader.numbers(line)
                guard values.count == 1 else {
                    throw reader.error(line, "layer \(k + 1), bias \(row + 1): \(values.count) values, expected one bias per line")
                }
                biases.append(values[0])
            }
            layers.append(AffineLayer(weights: Matrix(rows: fanOut, columns: fanIn, storage: storage), biases: biases))
        }
        if let extra = reader.nextNonBlank() {
            throw reader.error(extra, "unexpected data after the last layer (the sizes line promises \(layerCount) layers)")
        }
        return NNetFile(layers: layers, normalization: normalization, notes: notes)
    }

    /// The network to analyse: normalisation folded in (default) or the stored weights (`raw`).
    public func loaded(raw: Bool, name: String) throws -> LoadedNetwork {
        var notes = self.notes
        var layers = self.layers
        var box: InputBox?
        if let normalization {
            if raw {
                notes.append("--raw: the stored weights, without the file's input/output normalisation or input box")
            } else {
                layers = normalization.fold(into: layers)
                if normalization.isIdentity {
                    notes.append("the file's normalisation is the identity (means 0, ranges 1)")
                } else {
                    notes.append("applied the file's normalisation (inputs (x − mean)/range, outputs y·range + mean), folded into the first and last layers; --raw for the stored weights")
                }
                (box, notes) = Self.box(normalization, notes: notes)
            }
        }
        let network = try ReLUNetwork(name: name, layers: layers)
        return LoadedNetwork(network: network, format: .nnet, notes: notes, suggestedBox: box)
    }

    /// The clipping box as a domain, when every input has finite, distinct bounds.
    private static func box(_ n: NNetNormalization, notes: [String]) -> (InputBox?, [String]) {
        var notes = notes
        let limit = NNetNormalization.unboundedThreshold
        let unbounded = n.inputMinimums.indices.filter { abs(n.inputMinimums[$0]) >= limit || abs(n.inputMaximums[$0]) >= limit }
        if unbounded.count == n.inputMinimums.count { return (nil, notes) }
        if !unbounded.isEmpty {
            notes.append("inputs \(unbounded.map { "\($0 + 1)" }.joined(separator: ", ")) are unbounded, so the file's clipping box is not used: the global constant is an upper bound for the clipped network")
            return (nil, notes)
        }
        let flat = n.inputMinimums.indices.filter { n.inputMinimums[$0] == n.inputMaximums[$0] }
        if !flat.isEmpty {
            notes.append("inputs \(flat.map { "\($0 + 1)" }.joined(separator: ", ")) are clipped to a single value, so the clipping box is not used: the global constant is an upper bound for the clipped network")
            return (nil, notes)
        }
        guard let box = try? InputBox(lower: n.inputMinimums, upper: n.inputMaximums) else { return (nil, notes) }
        notes.append("the file clips inputs to \(box); on that box the network people run is this one, so its Lipschitz constant is the local constant over the box")
        return (box, notes)
    }
}

/// Walks the lines of a .nnet file, skipping blank ones, and turns comma-separated fields
/// into numbers with errors that name the line.
private struct LineReader {
    struct Line { let number: Int; let text: String }

    private let lines: [Substring]
    private var index = 0
    let path: String

    init(text: String, path: String) {
        self.lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
        self.path = path
    }

    mutating func nextNonBlank() -> Line? {
        while index < lines.count {
            let text = String(lines[index])
            index += 1
            if !text.trimmingWhitespaces().isEmpty { return Line(number: index, text: text) }
        }
        return nil
    }

    mutating func next(expecting what: String) throws -> Line {
        guard let line = nextNonBlank() else {
            let last = lines.lastIndex(where: { !$0.trimmingWhitespaces().isEmpty }).map { $0 + 1 } ?? 0
            throw FormatError.nnet(path: path, line: nil, reason: "the file ends after line \(last), before \(what) (truncated?)")
        }
        return line
    }

    func error(_ line: Line, _ reason: String) -> FormatError {
        FormatError.nnet(path: path, line: line.number, reason: reason)
    }

    /// The comma-separated fields of a line; one trailing comma is allowed.
    func fields(_ line: Line) throws -> [String] {
        var parts = line.text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingWhitespaces()
        }
        if parts.count > 1, parts.last == "" { parts.removeLast() }
        for (i, part) in parts.enumerated() where part.isEmpty {
            throw error(line, "value \(i + 1) is empty (two commas in a row?)")
        }
        return parts
    }

    func numbers(_ line: Line, allowInfinite: Bool = false) throws -> [Double] {
        try fields(line).enumerated().map { i, field in
            guard let value = Double(field) else {
                throw error(line, "value \(i + 1) \"\(field)\" is not a number")
            }
            guard value.isFinite || (allowInfinite && value.isInfinite) else {
                throw error(line, "value \(i + 1) is \(field): numbers must be finite")
            }
            return value
        }
    }

    func integers(_ line: Line, what: String) throws -> [Int] {
        try fields(line).enumerated().map { i, field in
            guard let value = Int(field) else {
                throw error(line, "\(what): value \(i + 1) \"\(field)\" is not a whole number")
            }
            return value
        }
    }
}

/// Writes the NNet text format in the layout of sisl/NNet's writeNNet (trailing commas).
public enum NNetWriter {
    /// float32's largest value: what the NNet tools write for "no bound".
    public static let unboundedValue = Double(Float.greatestFiniteMagnitude)

    /// The file text. The normalisation written is the identity (means 0, ranges 1), so the
    /// file computes exactly `network`; the minima and maxima are `inputBox` if given.
    public static func encode(_ network: ReLUNetwork, inputBox: InputBox? = nil) -> String {
        let n = network.inputDimension
        let sizes = network.architecture
        func line(_ values: [Double]) -> String { values.map(NetworkJSON.encode).joined(separator: ",") + ",\n" }
        var out = "// Neural Network File Format (NNet), written by lipschitz"
        out += network.name.isEmpty ? "\n" : " from network \(network.name.replacingEvery("\n", with: " "))\n"
        out += "// Normalisation is the identity; inputs are clipped to the minima and maxima below.\n"
        out += "\(network.layers.count),\(n),\(network.outputDimension),\(sizes.max()!),\n"
        out += sizes.map(String.init).joined(separator: ",") + ",\n"
        out += "0,\n"
        out += line(inputBox?.lower ?? Array(repeating: -unboundedValue, count: n))
        out += line(inputBox?.upper ?? Array(repeating: unboundedValue, count: n))
        out += line(Array(repeating: 0, count: n + 1))
        out += line(Array(repeating: 1, count: n + 1))
        for layer in network.layers {
            for row in layer.weights.rowArrays { out += line(row) }
            for b in layer.biases { out += line([b]) }
        }
        return out
    }
}
