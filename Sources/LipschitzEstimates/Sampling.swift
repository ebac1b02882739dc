import LipschitzModel

/// Where random points come from: uniform in the box, or (globally) centred Gaussians at
/// three scales so that both sides of every first-layer hyperplane get points.
///
/// Global scale: R = max_i |b_i| / ‖w_i‖₂ over first-layer neurons with w_i ≠ 0, the distance
/// of the farthest first-layer hyperplane from the origin (R = 1 when every such distance is
/// 0, where the first layer is positively homogeneous and the scale does not matter for it).
/// Point n is drawn from N(0, σ²I) with σ cycling through R/4, R, 4R, 32R, 1000R: the
/// projection of the point on any unit normal is N(0, σ²), so the small scales explore the
/// bounded regions near the origin; the large ones reach the unbounded regions outside,
/// including those cut out by deeper layers, whose bent hyperplanes R does not measure (at
/// 1000R the biases hardly matter and the points sample the cones of the asymptotic,
/// positively homogeneous network).
struct PointSampler {
    let dimension: Int
    let box: InputBox?
    let scales: [Double]
    private var generator: SeededGenerator
    private var drawn = 0

    init(network: ReLUNetwork, box: InputBox?, seed: UInt64) {
        dimension = network.inputDimension
        self.box = box
        generator = SeededGenerator(seed: seed)
        let r = network.lengthScale
        // Every scale finite and positive (R near the largest double would overflow at 1000R).
        scales = [r / 4, r, 4 * r, 32 * r, 1000 * r].map { $0.isFinite && $0 > 0 ? $0 : (r.isFinite && r > 0 ? r : 1) }
    }

    mutating func next() -> [Double] {
        defer { drawn += 1 }
        if let box {
            return (0..<dimension).map { j in
                // Uniform in [lo, hi); a draw of exactly lo is harmless (still in the box).
                box.lower[j] + generator.nextUniform() * (box.upper[j] - box.lower[j])
            }
        }
        let sigma = scales[drawn % scales.count]
        return (0..<dimension).map { _ in sigma * generator.nextNormal() }
    }

    var description: String {
        if box != nil { return "uniform in the box" }
        return "N(0, σ²I), σ cycling " + scales.map { shortNumber($0) }.joined(separator: ", ")
    }
}

/// The K sampled gradient norms, summarised in O(B + d) memory rather than O(K d): the best
/// points (for `sampled` and the local search's starts) and the maxima of B consecutive
/// batches (for CLEVER). Points that were ties or whose norm overflowed are skipped.
struct SampledNorms {
    /// A point with its certified norm, and its position in the order drawn.
    struct Entry {
        let value: Double
        let index: Int
        let point: [Double]
    }

    let count: Int
    /// Points skipped (a tie with a hyperplane, or an overflowed Jacobian).
    private(set) var tieCount = 0
    /// The best points, one per distinct value (the first drawn), largest first.
    private(set) var top: Leaderboard
    /// The same among the points drawn at the largest scales (σ ≥ 32R; none in a box): the
    /// far field, where the unbounded regions are.
    private(set) var farTop: Leaderboard
    /// The largest norm in each of `batchCount` consecutive batches (empty batches left out).
    private(set) var batchMaxima: [Double] = []
    let samplerDescription: String

    /// CLEVER's number of batches for K samples: clamp(round(√K), 1, 100).
    static func batchCount(_ k: Int) -> Int { min(100, max(1, Int(Double(k).squareRoot().rounded()))) }

    init(network: ReLUNetwork, flat: FlatNetwork, options: EstimateOptions) throws {
        var sampler = PointSampler(network: network, box: options.box, seed: options.seed)
        count = options.samples
        // As many as the local search starts from (`EstimateOptions.searchStarts`).
        top = Leaderboard(capacity: options.searchStarts)
        farTop = Leaderboard(capacity: options.searchStarts)
        let batches = Self.batchCount(count)
        var batchMaximum: [Double?] = Array(repeating: nil, count: batches)
        let chunk = 4096
        var drawn = 0
        var norms = NormMemo(norm: options.norm)
        while drawn < count {
            let n = min(chunk, count - drawn)
            let points = (0..<n).map { _ in sampler.next() }
            for (offset, j) in flat.jacobians(at: points).enumerated() {
                let index = drawn + offset
                // An overflowed Jacobian (entries ±∞ or NaN) certifies nothing: skipped too.
                guard let value = try j.map({ try norms.value($0) }), value.isFinite else {
                    tieCount += 1
                    continue
                }
                let entry = Entry(value: value, index: index, point: points[offset])
                top.insert(entry)
                if options.box == nil && index % sampler.scales.count >= 3 { farTop.insert(entry) }
                // Batch b holds the indices [b·K/B, (b+1)·K/B).
                let batch = min(batches - 1, (index * batches) / count)
                batchMaximum[batch] = max(batchMaximum[batch] ?? value, value)
            }
            drawn += n
        }
        batchMaxima = batchMaximum.compactMap { $0 }
        samplerDescription = sampler.description
    }

    /// The largest norm and where, or nil when every point was skipped.
    var best: Entry? { top.entries.first }
}

/// `operatorNorm` of the sampled Jacobians, each distinct Jacobian computed once: most samples
/// of a small network fall in regions already sampled (iris 4-6-6-3: 1000 samples, a few dozen
/// regions), and the SVD of each is most of the sampling time. The key is the entries' bit
/// patterns, so a hit returns exactly what `operatorNorm` returned for the same input (a
/// deterministic function), and the estimates do not change by a bit. Bounded: at most
/// `storedEntries` Jacobian entries are kept (8 MB), then misses are no longer remembered.
struct NormMemo {
    static let storedEntries = 1 << 20
    let norm: LipschitzNorm
    private var values: [[UInt64]: Double] = [:]
    private var stored = 0

    init(norm: LipschitzNorm) { self.norm = norm }

    mutating func value(_ j: Matrix) throws -> Double {
        let key = j.storage.map(\.bitPattern)
        if let known = values[key] { return known }
        let value = try operatorNorm(j, p: norm)
        if stored + key.count <= Self.storedEntries {
            values[key] = value
            stored += key.count
        }
        return value
    }
}

/// The best entries with distinct values, largest first; on equal values the first inserted stays.
struct Leaderboard {
    let capacity: Int
    private(set) var entries: [SampledNorms.Entry] = []

    init(capacity: Int) { self.capacity = capacity }

    mutating func insert(_ entry: SampledNorms.Entry) {
        if entries.count == capacity, let last = entries.last, entry.value <= last.value { return }
        if entries.contains(where: { $0.value == entry.value }) { return }
        let position = entries.firstIndex { $0.value < entry.value } ?? entries.count
        entries.insert(entry, at: position)
        if entries.count > capacity { entries.removeLast() }
    }
}

func shortNumber(_ x: Double) -> String { cFormat("%.4g", x) }
