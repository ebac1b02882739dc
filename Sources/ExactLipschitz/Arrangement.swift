import LipschitzModel

/// The hyperplane arrangement of a network with one hidden layer, in flat arrays for the sweep.
///
/// Neurons whose oriented weights and bias are identical share one hyperplane (nearly equal
/// ones stay apart: their near-degenerate crossings then send the network to the LP search).
/// Each plane is stored twice: normalised (unit normal, first non-zero entry positive) for the
/// frame and the lowest-vertex rule, and as the network's own numbers, from which the sweep
/// decides the crossings' order and the planes' sides with proven bounds (`CertifiedLine`).
/// After the network's planes come the 2d faces of a box (`setBox`), which join the
/// arrangement so that every cell is bounded and has a lowest vertex.
struct Arrangement {
    let network: ReLUNetwork
    /// The network whose Jacobians the cells carry: `network`, or for a section of a central
    /// arrangement the whole network (same neurons, more inputs: `CentralArrangement`).
    let jacobianNetwork: ReLUNetwork
    let dimension: Int
    let outputs: Int
    /// Planes `0..<networkCount` are the network's; box faces follow.
    let networkCount: Int
    var count: Int { networkCount + 2 * dimension }
    var jacobianColumns: Int { jacobianNetwork.inputDimension }
    var jacobianSize: Int { outputs * jacobianColumns }
    private(set) var normals: [Double] = []
    private(set) var offsets: [Double] = []
    private(set) var rawNormals: [Double] = []
    private(set) var rawOffsets: [Double] = []
    /// Per network plane: the Jacobian on its positive side minus on its negative side.
    private(set) var flips: [Double] = []
    /// The Jacobian with every network plane on its negative side.
    private(set) var base: [Double] = []
    /// Planes with the same group are exactly parallel (as rational vectors): they never meet.
    private(set) var group: [Int32] = []
    /// Neurons of plane k: `members[memberStart[k]..<memberStart[k + 1]]`, with orientations
    /// (neuron i is active on side σ iff σ·orientation > 0).
    private(set) var memberStart: [Int] = []
    private(set) var members: [Int] = []
    private(set) var memberOrientation: [Double] = []
    /// Neurons with an all-zero weight row: constant, active iff their bias is positive.
    private(set) var zeroRows: [Int] = []
    private(set) var box: InputBox?
    /// An upper bound on every entry of every cell's Jacobian.
    private(set) var largestEntry = 0.0

    /// Nil when the network is not one hidden layer, when its normals do not span R^d, or when
    /// two planes have equal unit normals without being exactly parallel.
    init?(network: ReLUNetwork, jacobianOf jacobianNetwork: ReLUNetwork? = nil) {
        guard network.layers.count == 2 else { return nil }
        self.network = network
        self.jacobianNetwork = jacobianNetwork ?? network
        dimension = network.inputDimension
        outputs = network.outputDimension
        let (rows, neurons) = Self.orientedRows(network, zeroRows: &zeroRows)
        let representative = Self.identicalRows(rows, width: dimension + 1)
        networkCount = representative.enumerated().reduce(0) { $0 + ($1.element == $1.offset ? 1 : 0) }
        collectPlanes(rows: rows, neurons: neurons, representative: representative)
        let planeNormals = normals
        guard planeNormals.withUnsafeBufferPointer({ SmallLinearAlgebra.normalsSpan($0, dimension: dimension) }) else { return nil }
        appendFaces()
        guard assignGroups() else { return nil }
        buildJacobians(neurons: neurons, representative: representative)
    }

    /// Every neuron with a non-zero row, as its oriented row and bias (first non-zero weight
    /// positive; −0 made +0 so that equal values have equal bits).
    private static func orientedRows(_ network: ReLUNetwork, zeroRows: inout [Int]) -> (rows: [Double], neurons: [(index: Int, orientation: Double)]) {
        let hidden = network.layers[0]
        let d = hidden.inputDimension
        var rows: [Double] = [], neurons: [(Int, Double)] = []
        rows.reserveCapacity(hidden.outputDimension * (d + 1))
        for i in 0..<hidden.outputDimension {
            var first = 0.0
            for c in 0..<d where hidden.weights[i, c] != 0 { first = hidden.weights[i, c]; break }
            if first == 0 { zeroRows.append(i); continue }
            let orientation: Double = first > 0 ? 1 : -1
            for c in 0..<d { rows.append(orientation * hidden.weights[i, c] + 0.0) }
            rows.append(orientation * hidden.biases[i] + 0.0)
            neurons.append((i, orientation))
        }
        return (rows, neurons)
    }

    /// For each row (width numbers), the first row identical to it: hashing, a radix sort of
    /// the hashes and exact comparison within equal hashes, O(n) for distinct rows.
    static func identicalRows(_ rows: [Double], width: Int) -> [Int] {
        let n = rows.count / max(1, width)
        var representative = Array(0..<n)
        guard n > 1 else { return representative }
        // High 32 bits: the hash; low 32 bits: the row, so equal hashes stay in row order.
        var keys = (0..<n).map { r in (Self.hash(rows, start: r * width, count: width) & 0xFFFF_FFFF_0000_0000) | UInt64(r) }
        CrossingSort.sortPacked(&keys)
        var start = 0
        while start < n {
            var end = start + 1
            while end < n && keys[end] >> 32 == keys[start] >> 32 { end += 1 }
            for a in start..<end {
                let ra = Int(keys[a] & 0xFFFF_FFFF)
                guard representative[ra] == ra else { continue }
                for b in (a + 1)..<end {
                    let rb = Int(keys[b] & 0xFFFF_FFFF)
                    if representative[rb] == rb,
                       rows[(ra * width)..<((ra + 1) * width)].elementsEqual(rows[(rb * width)..<((rb + 1) * width)]) {
                        representative[rb] = ra
                    }
                }
            }
            start = end
        }
        return representative
    }

    /// A fixed 64-bit mix of the bit patterns (SplitMix64's finaliser): deterministic across
    /// runs and machines, unlike Swift's seeded `Hasher`.
    private static func hash(_ values: [Double], start: Int, count: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in start..<(start + count) {
            var z = h ^ values[i].bitPattern &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            h = z ^ (z >> 31)
        }
        return h
    }
}

extension Arrangement {
    /// One plane per distinct row, in the order of their first neurons; members grouped by plane.
    private mutating func collectPlanes(rows: [Double], neurons: [(index: Int, orientation: Double)], representative: [Int]) {
        let d = dimension, width = d + 1
        var planeOf = [Int](repeating: 0, count: neurons.count)
        var memberCount: [Int] = []
        rows.withUnsafeBufferPointer { all in
            for r in neurons.indices {
                if representative[r] != r { planeOf[r] = planeOf[representative[r]]; memberCount[planeOf[r]] += 1; continue }
                planeOf[r] = memberCount.count
                memberCount.append(1)
                let w = UnsafeBufferPointer(rebasing: all[(r * width)..<(r * width + d)])
                let length = vectorNorm(w, p: .two)
                for c in 0..<d { normals.append(w[c] / length) }
                offsets.append(all[r * width + d] / length)
                rawNormals.append(contentsOf: w)
                rawOffsets.append(all[r * width + d])
            }
        }
        memberStart = [0]
        for c in memberCount { memberStart.append(memberStart[memberStart.count - 1] + c) }
        var fill = memberStart
        members = [Int](repeating: 0, count: neurons.count)
        memberOrientation = [Double](repeating: 0, count: neurons.count)
        for r in neurons.indices {
            let k = planeOf[r]
            members[fill[k]] = neurons[r].index
            memberOrientation[fill[k]] = neurons[r].orientation
            fill[k] += 1
        }
    }

    /// The 2d faces `x_i − lower_i ≥ 0` and `upper_i − x_i ≥ 0` (offsets set by `setBox`).
    private mutating func appendFaces() {
        for i in 0..<dimension {
            for sign in [1.0, -1.0] {
                var e = [Double](repeating: 0, count: dimension)
                e[i] = sign
                normals.append(contentsOf: e)
                rawNormals.append(contentsOf: e)
                offsets.append(0)
                rawOffsets.append(0)
            }
        }
    }

    /// Groups planes with equal oriented unit normals, and checks that each is exactly parallel
    /// to its group's first plane (false otherwise: nearly parallel planes with equal rounded
    /// normals would meet far away, a vertex the sweep cannot place).
    private mutating func assignGroups() -> Bool {
        let d = dimension
        var oriented = normals
        for k in 0..<(d == 1 ? 0 : count) {
            let first = (0..<d).first { normals[k * d + $0] != 0 }.map { normals[k * d + $0] } ?? 1
            if first < 0 { for c in 0..<d { oriented[k * d + c] = -normals[k * d + c] + 0.0 } }
        }
        // In one dimension every normal is ±1: all planes are parallel, and no line has members.
        let representative = d == 1 ? [Int](repeating: 0, count: count) : Self.identicalRows(oriented, width: d)
        group = representative.map { Int32($0) }
        return rawNormals.withUnsafeBufferPointer { raw in
            representative.indices.allSatisfy { k in
                representative[k] == k || SmallLinearAlgebra.exactlyParallel(raw.baseAddress! + k * d, raw.baseAddress! + representative[k] * d, d)
            }
        }
    }

    /// Each plane's Jacobian flip (Σ orientation · neuron term) and the all-negative Jacobian,
    /// with the model's kernels.
    private mutating func buildJacobians(neurons: [(index: Int, orientation: Double)], representative: [Int]) {
        let m = jacobianSize
        flips = [Double](repeating: 0, count: networkCount * m)
        flips.withUnsafeMutableBufferPointer { f in
            for k in 0..<networkCount {
                for s in memberStart[k]..<memberStart[k + 1] {
                    jacobianNetwork.addShallowTerm(neuron: members[s], scale: memberOrientation[s], into: f.baseAddress! + k * m)
                }
            }
        }
        var negative = [Bool](repeating: false, count: network.layers[0].outputDimension)
        for (i, orientation) in neurons where orientation < 0 { negative[i] = true }
        for i in zeroRows { negative[i] = network.layers[0].biases[i] > 0 }
        base = jacobianNetwork.jacobian(for: ActivationPattern(layers: [negative])).storage
        var entry = base.map(abs)
        for k in 0..<networkCount { for e in 0..<m { entry[e] += abs(flips[k * m + e]) } }
        largestEntry = entry.max() ?? 0
    }

    /// Sets the box whose faces close every cell.
    mutating func setBox(_ box: InputBox) {
        self.box = box
        for i in 0..<dimension {
            let lower = networkCount + 2 * i
            offsets[lower] = -box.lower[i]
            rawOffsets[lower] = -box.lower[i]
            offsets[lower + 1] = box.upper[i]
            rawOffsets[lower + 1] = box.upper[i]
        }
    }

    /// The activation pattern of the cell whose network planes have the sides `positive(k)`.
    func pattern(positive: (Int) -> Bool) -> [Bool] {
        var bits = [Bool](repeating: false, count: network.layers[0].outputDimension)
        for i in zeroRows { bits[i] = network.layers[0].biases[i] > 0 }
        for k in 0..<networkCount {
            let side: Double = positive(k) ? 1 : -1
            for s in memberStart[k]..<memberStart[k + 1] { bits[members[s]] = side * memberOrientation[s] > 0 }
        }
        return bits
    }
}
