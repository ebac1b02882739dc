import FoundationEssentials

/// Reads and writes the JSON network format, version 1 (docs/format.md):
/// `{"format": "relu-network", "version": 1, "name": …, "layers": [{"weights": [[…]], "biases": […]}]}`.
/// Unknown keys are ignored.
public enum NetworkJSON {
    public static let formatTag = "relu-network"
    public static let version = 1

    /// Reads a network file; every failure is a `NetworkError` naming the place.
    public static func read(contentsOf path: String) throws -> ReLUNetwork {
        let data: Data
        do { data = try FileAccess.read(path) } catch FileAccessError.notFound {
            throw NetworkError.fileNotFound(path: path)
        }
        return try decode(data, defaultName: URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent)
    }

    public static func decode(_ data: Data, defaultName: String = "") throws -> ReLUNetwork {
        guard let root = try JSONValue.parse(data).object else {
            throw NetworkError.malformedJSON(detail: "the top level must be an object")
        }
        guard let format = root["format"] else { throw NetworkError.missingKey("format", at: "the top level") }
        guard format.string == formatTag else { throw NetworkError.wrongFormat(found: format.description) }
        guard let version = root["version"] else { throw NetworkError.missingKey("version", at: "the top level") }
        guard version.number == Double(NetworkJSON.version) else { throw NetworkError.unsupportedVersion(found: version.description) }
        let name = root["name"]?.string ?? defaultName
        guard let rawLayers = root["layers"] else { throw NetworkError.missingKey("layers", at: "the top level") }
        guard let layerList = rawLayers.array else {
            throw NetworkError.wrongType("layers", at: "the top level", expected: "an array of layers")
        }
        guard !layerList.isEmpty else { throw NetworkError.emptyLayerList }

        var layers: [AffineLayer] = []
        for (k, rawLayer) in layerList.enumerated() {
            let at = "layer \(k + 1) (layers[\(k)])"
            guard let layer = rawLayer.object else {
                throw NetworkError.wrongType("layers[\(k)]", at: "the top level", expected: "an object")
            }
            guard let rawWeights = layer["weights"] else { throw NetworkError.missingKey("weights", at: at) }
            guard let rows = rawWeights.array else {
                throw NetworkError.wrongType("weights", at: at, expected: "an array of rows")
            }
            guard !rows.isEmpty else { throw NetworkError.emptyLayer(.init(layer: k)) }
            var weightRows: [[Double]] = []
            for (i, rawRow) in rows.enumerated() {
                guard let row = rawRow.array else {
                    throw NetworkError.invalidValue(.init(layer: k, row: i, field: "weights"), "a weights row must be an array of numbers")
                }
                let values = try row.enumerated().map { j, value in
                    try readNumber(value, .init(layer: k, row: i, column: j, field: "weights"))
                }
                if let first = weightRows.first, values.count != first.count {
                    throw NetworkError.raggedRow(.init(layer: k, row: i, field: "weights"), count: values.count, expected: first.count)
                }
                weightRows.append(values)
            }
            guard let rawBiases = layer["biases"] else { throw NetworkError.missingKey("biases", at: at) }
            guard let biasList = rawBiases.array else {
                throw NetworkError.wrongType("biases", at: at, expected: "an array of numbers")
            }
            let biases = try biasList.enumerated().map { i, value in
                try readNumber(value, .init(layer: k, row: i, field: "biases"))
            }
            let weights = Matrix(rowArrays: weightRows)
            guard weights.columns > 0 else {
                throw NetworkError.invalidValue(.init(layer: k, row: 0, field: "weights"), "weights rows are empty")
            }
            layers.append(AffineLayer(weights: weights, biases: biases))
        }
        return try ReLUNetwork(name: name, layers: layers)
    }

    /// The file text, one layer per line; numbers print in Swift's shortest
    /// round-trip form, so reading the text back gives the same doubles.
    public static func encode(_ network: ReLUNetwork, extra: [(key: String, json: String)] = []) -> String {
        var out = "{\"format\": \"\(formatTag)\", \"version\": \(version), \"name\": \(quote(network.name))"
        for (key, json) in extra { out += ", \(quote(key)): \(json)" }
        out += ", \"layers\": [\n"
        out += network.layers.map { layer in
            "  {\"weights\": " + encode(layer.weights) + ", \"biases\": " + encode(layer.biases) + "}"
        }.joined(separator: ",\n")
        out += "\n]}\n"
        return out
    }

    public static func write(_ network: ReLUNetwork, to path: String) throws {
        try FileAccess.write(encode(network), to: path)
    }

    // MARK: - JSON helpers shared by every writer in the package

    /// A finite double in shortest round-trip form (JSON has no NaN or infinity).
    public static func encode(_ x: Double) -> String {
        precondition(x.isFinite, "JSON cannot hold \(x)")
        if x == x.rounded(), abs(x) < 1e15 { return cFormat("%.1f", x) }
        return "\(x)"
    }

    public static func encode(_ v: [Double]) -> String { "[" + v.map(encode).joined(separator: ", ") + "]" }

    public static func encode(_ m: Matrix) -> String {
        "[" + m.rowArrays.map(encode).joined(separator: ", ") + "]"
    }

    /// A JSON string literal.
    public static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += cFormat("\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    private static func readNumber(_ value: JSONValue, _ place: NetworkError.Place) throws -> Double {
        guard let x = value.number else { throw NetworkError.invalidValue(place, "expected a number, found \(value)") }
        guard x.isFinite else { throw NetworkError.nonFinite(place) }
        return x
    }
}
