import LipschitzModel
import RandomNetworks

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
        let r = Self.hyperplaneRadius(network)
        // Every scale finite and positive (R near the largest double would overflow at 1000R).
        scales = [r / 4, r, 4 * r, 32 * r, 1000 * r].map { $0.isFinite && $0 > 0 ? $0 : (r.isFinite && r > 0 ? r : 1) }
    }

    /// R above: the farthest first-layer hyperplane from the origin (1 if all pass through it).
    static func hyperplaneRadius(_ network: ReLUNetwork) -> Double {
        let first = network.layers[0]
        var radius = 0.0
        for i in 0..<first.weights.rows {
            let norm = vectorNorm(first.weights.row(i), p: .two)
            if norm > 0 { radius = max(radius, abs(first.biases[i]) / norm) }
        }
        return radius > 0 && radius.isFinite ? radius : 1
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

/// Gradient norms at random points, in the order drawn; nil where the point was a tie or the
/// norm overflowed.
struct SampledNorms {
    let points: [[Double]]
    let norms: [Double?]
    let samplerDescription: String
    /// Indices of the points drawn at the largest scales (σ ≥ 32R; none in a box): the far
    /// field, where the unbounded regions are.
    let farIndices: [Int]

    init(network: ReLUNetwork, flat: FlatNetwork, options: EstimateOptions) throws {
        var sampler = PointSampler(network: network, box: options.box, seed: options.seed)
        var points: [[Double]] = []
        var norms: [Double?] = []
        let chunk = 4096
        points.reserveCapacity(options.samples)
        while points.count < options.samples {
            let n = min(chunk, options.samples - points.count)
            let batch = (0..<n).map { _ in sampler.next() }
            for j in flat.jacobians(at: batch) {
                // An overflowed Jacobian (entries ±∞ or NaN) certifies nothing: skipped too.
                let norm = try j.map { try jacobianNorm($0, p: options.norm) }
                norms.append(norm.flatMap { $0.isFinite ? $0 : nil })
            }
            points += batch
        }
        self.points = points
        self.norms = norms
        farIndices = options.box == nil ? points.indices.filter { $0 % sampler.scales.count >= 3 } : []
        samplerDescription = sampler.description
    }

    var tieCount: Int { norms.filter { $0 == nil }.count }

    /// The largest norm and where, or nil when every point was a tie.
    var best: (value: Double, point: [Double])? {
        var bestIndex: Int?
        for (i, v) in norms.enumerated() {
            guard let v else { continue }
            if let b = bestIndex, let bv = norms[b], bv >= v { continue }
            bestIndex = i
        }
        guard let b = bestIndex, let v = norms[b] else { return nil }
        return (v, points[b])
    }

    /// Indices of the `count` largest norms, largest first, skipping repeated values
    /// (points of equal norm usually share a region, and one start per region is enough).
    func topDistinct(_ count: Int, among indices: [Int]? = nil) -> [Int] {
        let order = (indices ?? Array(norms.indices)).filter { norms[$0] != nil }.sorted { norms[$0]! > norms[$1]! }
        var chosen: [Int] = []
        for i in order {
            if chosen.count == count { break }
            if let last = chosen.last, norms[last]! == norms[i]! { continue }
            chosen.append(i)
        }
        return chosen
    }
}

func shortNumber(_ x: Double) -> String { String(format: "%.4g", x) }
