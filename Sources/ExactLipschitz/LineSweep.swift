import LipschitzModel

/// A cell found by the sweep, by its lowest vertex: the line (d − 1 planes), the crossing plane,
/// and the cell's side of each of those d planes (line members first). Enough to rebuild its
/// pattern and an interior point (`LineSweeper.cell(at:)`).
struct SweepVertex: Sendable {
    var line: [Int]
    var plane: Int
    var positive: [Bool]

    /// The sweep's order: by line, then by plane.
    func precedes(_ other: SweepVertex) -> Bool {
        line == other.line ? plane < other.plane : line.lexicographicallyPrecedes(other.line)
    }
}

/// What a worker found over the lines it swept.
struct SweepOutcome {
    /// The arrangement is degenerate (an exact tie: truly concurrent planes, a plane containing
    /// a line, c in a face's span) or a crossing could not be placed: use the LP search.
    var degenerate = false
    /// False when a stop (time, signal, region limit) ended the work early.
    var complete = true
    var regions = 0
    var vertices = 0
    var best: [Double]
    var witness: [SweepVertex?]
    /// Collect mode (`LineSweeper.collect`): per norm, the cells scoring above the threshold.
    var candidates: [[SweepVertex]]
    /// More than the limit of candidates for some norm (`LineSweeper.collect`): not all were kept.
    var overflowed = false

    init(norms: Int) {
        best = Array(repeating: -1, count: norms)
        witness = Array(repeating: nil, count: norms)
        candidates = Array(repeating: [], count: norms)
    }

    /// Adds another worker's outcome; equal values keep the vertex first in sweep order, so
    /// the witness does not depend on how work was shared among threads.
    mutating func merge(_ other: SweepOutcome) {
        degenerate = degenerate || other.degenerate
        complete = complete && other.complete
        regions += other.regions
        vertices += other.vertices
        overflowed = overflowed || other.overflowed
        for n in candidates.indices { candidates[n] += other.candidates[n] }
        for n in best.indices {
            guard let theirs = other.witness[n] else { continue }
            if other.best[n] > best[n] || (other.best[n] == best[n] && witness[n].map { theirs.precedes($0) } ?? true) {
                best[n] = other.best[n]
                witness[n] = theirs
            }
        }
    }
}

/// How a worker is told to stop, and how it obtains permission to count regions
/// (`--max-regions`: `claim` hands out batches, 0 when the limit is reached).
struct SweepControl {
    let shouldStop: () -> Bool
    let claim: (() -> Int)?
}

/// One worker of the line sweep, with its own copies of the arrangement (shared arrays would
/// bounce their reference counts between cores) and O(planes) scratch memory.
///
/// For each line cut out by d − 1 planes it computes every other plane's crossing, sorts them,
/// and walks the line carrying the Jacobian as a running sum of flips. A vertex (the line's
/// planes and one crossing plane k) is handled on the line of its d − 1 lowest planes, i.e. for
/// k above every line member (or, for d = 3, 4 unsharded, on the one line `LineCover` names):
/// each vertex once. Inside the box every cell is bounded and has a
/// unique lowest vertex for the generic functional c; at a simple vertex exactly one of the
/// 2^d cells around it has it as lowest vertex, the one whose signs make c a non-negative
/// combination of the signed normals (c = Σ λ_i a_i, signs of λ). So each vertex counts at most
/// one cell and evaluates only its Jacobian, and every cell is counted and evaluated once.
final class LineSweeper {
    let arrangement: Arrangement
    let d: Int, m: Int, count: Int, networkCount: Int
    let norms: [LipschitzNorm], dualNorms: [LipschitzNorm]
    let scalar: Bool
    let useProxy: Bool
    let control: SweepControl
    /// The generic functional whose lowest vertex names each cell.
    let functional: [Double]
    let a: UnsafeMutablePointer<Double>, b: UnsafeMutablePointer<Double>, flip: UnsafeMutablePointer<Double>
    /// The network's own planes (`Arrangement.rawNormals`, `rawOffsets`), an upper bound on each
    /// one's ‖w‖₁ and 1/‖w‖₂: the certified crossings are computed from these.
    let rawA: UnsafeMutablePointer<Double>, rawB: UnsafeMutablePointer<Double>
    let weightSize: UnsafeMutablePointer<Double>, inverseLength: UnsafeMutablePointer<Double>
    /// The current line in exact terms, with error bounds.
    let certified: CertifiedLine
    let groupOf: UnsafeMutablePointer<Int32>
    /// Whether a plane has an exactly parallel partner (only those need the group test).
    let hasParallel: UnsafeMutablePointer<Bool>
    // Per line, indexed by plane: crossing rate a·dir (unit normal, unit direction of increasing
    // x_s; 0 for planes parallel to the line; its sign is certified), position τ = the crossing's
    // coordinate x_s (for a parallel plane: its certified constant side ±1), a proven bound on
    // the error of τ.
    let rate: UnsafeMutablePointer<Double>, position: UnsafeMutablePointer<Double>, radius: UnsafeMutablePointer<Double>
    /// The crossings of the current line, packed (`CrossingSort`), and sorting scratch.
    let entries: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>, histogram: UnsafeMutablePointer<Int>
    let running: UnsafeMutablePointer<Double>, cellJacobian: UnsafeMutablePointer<Double>
    /// Per vertex: the signs (±1) of λ (line members, then the crossing plane).
    let lambda: UnsafeMutablePointer<Double>
    /// The current line's members.
    let members: UnsafeMutablePointer<Int>
    /// `dualNorms` and `certified`'s coefficient vectors and errors as pointers: the per-vertex
    /// code then touches no array and no reference count.
    let dualNormList: UnsafeMutablePointer<LipschitzNorm>
    let coefficientVectors: UnsafeMutablePointer<Double>, coefficientErrors: UnsafeMutablePointer<Double>
    /// Per plane, its group under `LineCover` (plane mod (d − 1); 0 for d ≤ 2).
    let coverGroup: UnsafeMutablePointer<Int32>
    /// The exact tie-breaker (`LineTies`) and its (d + 1) × (d + 1) matrix; how often it ran.
    let exact: ExactDeterminant
    let exactRows: UnsafeMutablePointer<Double>
    var exactStatistics = ExactTieStatistics()

    let bestScore: UnsafeMutablePointer<Double>
    /// Collect mode: every cell scoring above `bestScore` (fixed at the thresholds) is kept as a
    /// candidate instead of replacing the best (`collect`).
    private(set) var collecting = false
    /// At most this many candidates per norm (`Tolerances.sweepCandidateLimit`) in collect mode.
    private(set) var candidateLimit = 0
    /// Box faces on their negative side at the start of the current line.
    var negativeFaces = 0
    /// Regions this worker may still count under `--max-regions`.
    var budget = 0

    init(arrangement: Arrangement, norms: [LipschitzNorm], control: SweepControl, exactNorms: Bool = false) {
        self.arrangement = arrangement
        d = arrangement.dimension
        m = arrangement.jacobianSize
        count = arrangement.count
        networkCount = arrangement.networkCount
        self.norms = norms
        dualNorms = norms.map(\.dual)
        scalar = arrangement.outputs == 1
        useProxy = !exactNorms && scalar && proxyIsSafe(largestEntry: arrangement.largestEntry, smallestProxy: 0)
        self.control = control
        functional = (0..<d).map { i -> Double in
            let x = Double(i + 1)  // no simple relation to axis-aligned faces or to random normals
            return 1 + 0.618_033_988_749_894_9 * x.squareRoot() + 0.1 * x * x
        }
        certified = CertifiedLine(dimension: d, functional: functional)
        (coefficientVectors, coefficientErrors) = (certified.coefficientVectors, certified.coefficientErrors)
        dualNormList = .allocate(capacity: max(1, norms.count))
        dualNormList.initialize(from: norms.map(\.dual), count: norms.count)
        a = Self.copy(arrangement.normals)
        b = Self.copy(arrangement.offsets)
        flip = Self.copy(arrangement.flips)
        rawA = Self.copy(arrangement.rawNormals)
        rawB = Self.copy(arrangement.rawOffsets)
        (weightSize, inverseLength) = Self.planeSizes(arrangement)
        groupOf = .allocate(capacity: count)
        groupOf.initialize(from: arrangement.group, count: count)
        var partners = [Int](repeating: 0, count: count)
        for g in arrangement.group { partners[Int(g)] += 1 }
        hasParallel = .allocate(capacity: count)
        hasParallel.initialize(from: arrangement.group.map { partners[Int($0)] > 1 }, count: count)
        (rate, position, radius) = (.allocate(capacity: count), .allocate(capacity: count), .allocate(capacity: count))
        (entries, scratch, histogram) = (.allocate(capacity: count), .allocate(capacity: count), .allocate(capacity: 4 * 256))
        (running, cellJacobian) = (.allocate(capacity: m), .allocate(capacity: m))
        lambda = .allocate(capacity: d)
        members = .allocate(capacity: d)
        coverGroup = .allocate(capacity: count)
        for k in 0..<count { coverGroup[k] = Int32(k % max(1, d - 1)) }
        exact = ExactDeterminant(capacity: d + 1)
        exactRows = .allocate(capacity: (d + 1) * (d + 1))
        bestScore = Self.copy(Array(repeating: -1, count: norms.count))
    }

    deinit {
        for p in [a, b, flip, rawA, rawB, weightSize, inverseLength, rate, position, radius, running, cellJacobian, lambda, bestScore,
                  exactRows] { p.deallocate() }
        coverGroup.deallocate(); dualNormList.deallocate()
        groupOf.deallocate(); hasParallel.deallocate(); members.deallocate()
        entries.deallocate(); scratch.deallocate(); histogram.deallocate()
    }

    /// Per plane: ‖w‖₁ rounded up (a sum of d magnitudes errs by at most γ_d relative, so the
    /// factor 1 + 2γ_{d+2} covers it) and 1/‖w‖₂.
    private static func planeSizes(_ arrangement: Arrangement) -> (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>) {
        let d = arrangement.dimension, count = arrangement.count
        let size = UnsafeMutablePointer<Double>.allocate(capacity: count), inverse = UnsafeMutablePointer<Double>.allocate(capacity: count)
        let up = 1 + 2 * CertifiedLine.gamma(d + 2)
        arrangement.rawNormals.withUnsafeBufferPointer { w in
            for k in 0..<count {
                let row = UnsafeBufferPointer(rebasing: w[(k * d)..<((k + 1) * d)])
                size[k] = (row.reduce(0) { $0 + abs($1) }) * up
                inverse[k] = 1 / vectorNorm(row, p: .two)
            }
        }
        return (size, inverse)
    }

    /// Switches to collect mode with per-norm thresholds (scores are then the norms themselves:
    /// make the sweeper with `exactNorms`).
    func collect(above thresholds: [Double], limit: Int) {
        precondition(!useProxy && thresholds.count == norms.count, "collect mode compares norms")
        collecting = true
        candidateLimit = limit
        for n in thresholds.indices { bestScore[n] = thresholds[n] }
    }

    private static func copy(_ array: [Double]) -> UnsafeMutablePointer<Double> {
        let p = UnsafeMutablePointer<Double>.allocate(capacity: max(1, array.count))
        p.initialize(from: array, count: array.count)
        return p
    }

    /// Sweeps one line, handling the vertices whose ordinal (crossing plane − last member − 1)
    /// lies in `ordinals`, and under `LineCover`'s extended role also those its group names.
    /// Crossings whose certified intervals overlap are put in order exactly (`resolveOrder`).
    /// False when the work must end: a stop, or the arrangement is degenerate
    /// (`outcome.degenerate`: an exact tie, or planes too nearly dependent to place).
    func sweep(_ line: [Int], ordinals: Range<Int>, role: LineCover.Role = .classic, into outcome: inout SweepOutcome) -> Bool {
        if case .empty = setUp(line) { return true }
        guard let n = crossings(line) else { outcome.degenerate = true; return false }
        if role == .classic, let last = line.last, last >= networkCount,
           let going = sweepFaceLine(line, ordinals: ordinals, into: &outcome) {
            return going
        }
        CrossingSort.sort(entries, n, positions: position, scratch: scratch, histogram: histogram)
        guard orderIsCertain(n) || resolveOrder(line, n) else { outcome.degenerate = true; return false }
        var extra = (group: Int32(-1), above: Int.max)
        if case .extended(let group, let above) = role { extra = (Int32(group), above) }
        return walk(line, n, ordinals: ordinals, extra: extra, into: &outcome)
    }

    /// The line's crossings in certified order (nil: empty or degenerate line).
    func prepare(_ line: [Int]) -> Int? {
        guard case .ready = setUp(line), let n = crossings(line) else { return nil }
        CrossingSort.sort(entries, n, positions: position, scratch: scratch, histogram: histogram)
        guard orderIsCertain(n) || resolveOrder(line, n) else { return nil }
        return n
    }

    /// The plane of the i-th crossing in order.
    @inline(__always)
    func plane(_ i: Int) -> Int { CrossingSort.index(entries[i]) }
}
