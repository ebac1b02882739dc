import FoundationEssentials
import Glibc
import LipschitzModel

/// Median and range of a sample.
public struct Spread: Sendable, Equatable {
    public let median: Double
    public let min: Double
    public let max: Double
    /// Quartiles by linear interpolation between order statistics.
    public let lowerQuartile: Double
    public let upperQuartile: Double
    public let count: Int

    public init?(_ values: [Double]) {
        let v = values.filter(\.isFinite).sorted()
        guard !v.isEmpty else { return nil }
        func quantile(_ q: Double) -> Double {
            let position = q * Double(v.count - 1)
            let i = Int(position.rounded(.down)), j = Swift.min(i + 1, v.count - 1)
            return v[i] + (position - Double(i)) * (v[j] - v[i])
        }
        median = quantile(0.5)
        lowerQuartile = quantile(0.25)
        upperQuartile = quantile(0.75)
        min = v[0]
        max = v[v.count - 1]
        count = v.count
    }
}

/// One (norm, d, N, L, bias) cell of a sweep: the measured constants and how far each method
/// falls from the truth. Only networks whose search finished count in the spreads.
public struct CellSummary: Sendable {
    public let norm: LipschitzNorm
    public let inputDimension: Int
    public let width: Int?
    public let depth: Int
    public let bias: String
    public let networks: Int
    /// Networks whose exact search finished within the time limit.
    public let exactNetworks: Int
    public let predictionLabel: String
    public let prediction: Double
    /// Lip_p / E‖g‖_q.
    public let lipOverPrediction: Spread?
    /// Lip_p / √d (the ℓ2 statement's normalisation; reported for every norm).
    public let lipOverSqrtD: Spread?
    public let regions: Spread?
    public let exactSeconds: Spread?
    /// Per method, in run order: value / exact.
    public let methodRatios: [(method: String, claim: Claim?, ratio: Spread?, seconds: Spread?, errors: Int)]

    /// Groups results into cells, in the order cells first appear.
    public static func cells(_ results: [CaseResult]) -> [CellSummary] {
        struct Key: Hashable { let norm: String; let d: Int; let n: Int?; let l: Int; let bias: String }
        var order: [Key] = []
        var groups: [Key: [(CaseResult, NormComparison)]] = [:]
        for r in results {
            for nc in r.norms {
                let key = Key(norm: nc.norm.description, d: r.input.inputDimension, n: r.input.width, l: r.input.depth, bias: r.input.biasLabel)
                if groups[key] == nil { order.append(key) }
                groups[key, default: []].append((r, nc))
            }
        }
        return order.map { key in
            let members = groups[key]!
            let exact = members.filter { $0.0.exact.isExact }
            let first = members[0].1
            let names = first.methods.map(\.method)
            let methodRatios = names.enumerated().map { index, name in
                let outcomes = exact.map { $0.1.methods[index] }
                return (method: name, claim: outcomes.compactMap(\.claim).first,
                        ratio: Spread(outcomes.compactMap(\.ratioToExact)),
                        seconds: Spread(members.map { $0.1.methods[index].seconds }),
                        errors: members.filter { $0.1.methods[index].error != nil }.count)
            }
            return CellSummary(
                norm: first.norm, inputDimension: key.d, width: key.n, depth: key.l, bias: key.bias,
                networks: members.count, exactNetworks: exact.count,
                predictionLabel: first.prediction.label, prediction: first.prediction.value,
                lipOverPrediction: Spread(exact.compactMap { $0.1.lipOverPrediction(isExact: true) }),
                lipOverSqrtD: Spread(exact.compactMap { $0.0.lipOverSqrtD($0.1.norm) }),
                regions: Spread(exact.map { Double($0.0.exact.regions) }),
                exactSeconds: Spread(members.map(\.0.exact.seconds)),
                methodRatios: methodRatios)
        }
    }
}

/// How a ratio's median changes with the width N at fixed (norm, d, L, bias): the slope of
/// log(median) against log N by least squares. The shallow theory says Lip/E‖g‖ stays flat
/// (slope ≈ 0); the layer-product bound grows like √N (slope ≈ ½).
public struct GrowthFit: Sendable {
    public let norm: LipschitzNorm
    public let inputDimension: Int
    public let depth: Int
    public let bias: String
    /// "exact" for Lip/prediction, otherwise a method name (its value / prediction).
    public let quantity: String
    public let widths: [Int]
    public let medians: [Double]
    public let slope: Double
    /// The same slope over the wider half of the widths only (at least two): the theory is
    /// about wide networks, and at N close to d the ratio is still settling.
    public let upperSlope: Double

    /// Slopes above this count as growth: a third of the product bound's ½, and far above the
    /// slopes that sampling noise gives with 20 networks per cell.
    public static let growthThreshold = 0.15
    public var grows: Bool { slope > Self.growthThreshold }
    /// "grows", "falls" or "flat" by the threshold.
    public var verdict: String { slope > Self.growthThreshold ? "grows" : slope < -Self.growthThreshold ? "falls" : "flat" }

    /// Fits every (norm, d, L, bias) group with at least two widths.
    public static func fits(_ results: [CaseResult]) -> [GrowthFit] {
        struct Key: Hashable { let norm: String; let d: Int; let l: Int; let bias: String }
        var order: [Key] = []
        var groups: [Key: [(CaseResult, NormComparison)]] = [:]
        for r in results where r.exact.isExact {
            guard r.input.width != nil else { continue }
            for nc in r.norms {
                let key = Key(norm: nc.norm.description, d: r.input.inputDimension, l: r.input.depth, bias: r.input.biasLabel)
                if groups[key] == nil { order.append(key) }
                groups[key, default: []].append((r, nc))
            }
        }
        var out: [GrowthFit] = []
        for key in order {
            let members = groups[key]!
            let widths = Array(Set(members.map { $0.0.input.width! })).sorted()
            guard widths.count >= 2 else { continue }
            let norm = members[0].1.norm
            let methodNames = members[0].1.methods.map(\.method)
            let quantities: [(String, (NormComparison) -> Double?)] =
                [("exact", { $0.lipOverPrediction(isExact: true) })] + methodNames.enumerated().map { index, name in
                    (name, { nc in nc.methods[index].value.map { $0 / nc.prediction.value } })
                }
            for (name, value) in quantities {
                var xs: [Int] = [], ms: [Double] = []
                for n in widths {
                    if let s = Spread(members.filter { $0.0.input.width == n }.compactMap { value($0.1) }), s.median > 0 {
                        xs.append(n)
                        ms.append(s.median)
                    }
                }
                guard xs.count >= 2 else { continue }
                let lx = xs.map { log(Double($0)) }, ly = ms.map { log($0) }
                let half = Swift.min(xs.count / 2, xs.count - 2)
                out.append(GrowthFit(norm: norm, inputDimension: key.d, depth: key.l, bias: key.bias, quantity: name,
                                     widths: xs, medians: ms, slope: slope(lx, ly),
                                     upperSlope: slope(Array(lx[half...]), Array(ly[half...]))))
            }
        }
        return out
    }

    static func slope(_ x: [Double], _ y: [Double]) -> Double {
        let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
        var sxy = 0.0, sxx = 0.0
        for (a, b) in zip(x, y) {
            sxy += (a - mx) * (b - my)
            sxx += (a - mx) * (a - mx)
        }
        return sxx > 0 ? sxy / sxx : 0
    }
}
