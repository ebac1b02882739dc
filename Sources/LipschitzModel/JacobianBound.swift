import FoundationEssentials
import Glibc

/// A sound upper bound on max ‖J‖_{p→p} over every Jacobian J = W_L D_{L−1} W_{L−1} ⋯ D_0 W_0
/// whose diagonals D_k agree with a partial activation pattern (an `.unknown` neuron's entry is
/// 0 or 1), tighter than `IntervalJacobian` and never looser than it.
///
/// ## The relaxation (linear bound propagation through the Jacobian, Shi et al. 2022)
///
/// Write the Jacobian–vector product of a direction x as a chain: a⁰ = W_0 x, b^k = δ^k ⊙ a^k,
/// a^{k+1} = W_{k+1} b^k, and a row combination f = c·b^{L−1} with c = W_Lᵀ y. An unknown
/// neuron's indicator δ ranges over [0, 1] (a relaxation of {0, 1}, so every completion is
/// covered); an active one is 1, an inactive one 0. To bound max f over δ and over a convex
/// set X of directions x, propagate a linear upper bound backward: with f ≤ λ·b^k + C, each term
/// λ_i δ_i a_i is at most max(0, λ_i a_i), a convex function of a_i, hence at most its chord on
/// any interval [l_i, u_i] holding a_i (the chord is the least linear majorant of a convex
/// function on an interval); stable signs (l ≥ 0 or u ≤ 0) give the exact linear piece. This
/// yields f ≤ s·a^k + C' = (W_kᵀ s)·b^{k−1} + C', and so on down to a⁰ = W_0 x, where
/// max over x ∈ X of (W_0ᵀ s)·x is the support function h_X(W_0ᵀ s). The intervals [l_i, u_i] come
/// from interval arithmetic, refined by the same backward bound applied to the neuron itself
/// (full CROWN-style intermediate bounds) for unknown neurons whose interval straddles 0.
///
/// Two choices of X:
/// - **coordinates**, X = {e_j}: bounds each entry J_rj from both sides (c = ±row r of W_L).
///   The entrywise enclosure is intersected with the forward and backward interval products
///   (all three hold every admissible J), so its magnitude M is entrywise at most
///   `IntervalJacobian`'s, and ‖M‖_{p→p} bounds ‖J‖_{p→p} because these norms are monotone in
///   absolute entries. For ℓ1 (max over columns of ‖J e_j‖_1 = max over sign vectors y of yᵀJ e_j)
///   the sign vectors y are propagated too when there are at most 4 outputs.
/// - **the unit ℓp ball**, h_X = ‖·‖_q (q the dual exponent): bounds max over δ of ‖yᵀJ‖_q, the
///   exact operator norm of a scalar output, keeping the coupling between coordinates that the
///   entrywise bound loses. At the first layer the chord step is replaced, when smaller, by the
///   exact range of each coordinate of W_0ᵀ D_0 s over δ_0 (a box in coordinates: its largest
///   ‖·‖_q is at a corner), and for the ℓ2 ball by a bound that keeps the coupling between
///   coordinates (`Relaxation.zonotopeBound`: max over δ_0 of ‖W_0ᵀ D_0 s‖_2 through a weighted
///   Cauchy–Schwarz and a Gram matrix's largest eigenvalue). Vector outputs: ℓ∞ is the largest
///   row's ℓ1 norm (one scalar bound per row); ℓ2 is at most sqrt(Σ_r max‖J_r‖²), at most
///   sqrt(‖J‖_1 ‖J‖_∞), and for 2 outputs at most max over K directions y_t of
///   ‖y_tᵀJ‖_2 / cos(π/2K) (the left singular vector lies within angle π/2K of some ±y_t, and
///   ‖y_tᵀJ‖ ≥ σ·cos of that angle); for 3 or 4 outputs the same with
///   a covering of the sphere (`SphereCover`, unless `sphereCover` is false: 48 scalar bounds).
///
/// - **a rotated orthonormal frame** Q (ℓ2): ‖g‖_2 = ‖Qᵀg‖_2 ≤ sqrt(Σ_t max|q_t·g|²), each
///   q_t·g bounded with X = {q_t}. Q's first axis is the top right singular vector of the
///   enclosure's midpoint, so that gradients pointing roughly one way have little spread on the
///   other axes (what lets wine 11-12-12-1 prune at the end of its first layer).
///
/// Fully decided leading layers are folded into one point matrix first (x ↦ a^f is linear there).
/// With at most `exhaustiveLimit` unknown neurons, every completion is evaluated instead
/// (the exact maximum, and still sound: only more patterns than real regions).
///
/// For a search, `JacobianBound.bound(network:states:p:target:)` stages the work: intervals
/// first, the relaxation only when the interval bound is above the target but within
/// `hopelessRatio` of it.
///
/// The result is the smallest of these sound bounds. Linear-relaxation values carry a relative
/// rounding margin of 1e-10 of the magnitude of the terms summed (float rounding, as elsewhere in
/// the package, is otherwise not tracked).
public struct JacobianBound: Sendable {
    public let network: ReLUNetwork
    public let states: [[NeuronState]]
    /// Entrywise enclosure lower ≤ J ≤ upper of every admissible Jacobian (m × d).
    public let lower: Matrix
    public let upper: Matrix
    /// When ≤ this many neurons are unknown, every completion is evaluated exactly.
    public let exhaustiveLimit: Int
    /// Per input coordinate j: the ℓ1 bound max over sign vectors y of max yᵀJ e_j (nil when m > 4 or m == 1).
    private let signColumnBounds: [Double]?
    private let unknownCount: Int
    /// The chain with its decided leading layers folded in: weights[0] = W_f D_{f−1} ⋯ D_0 W_0 for
    /// the first layer f holding an unknown neuron, then W_{f+1}, …, W_L; states of layers f, f+1, ….
    private let chainWeights: [Matrix]
    private let chainStates: [[NeuronState]]
    /// Every completion's Jacobian when at most `exhaustiveLimit` neurons are unknown, else nil.
    private let completions: [Matrix]?
    /// The relaxation along each input coordinate e_j (nil when exhaustive).
    private let coordinateRelaxations: [Relaxation]?

    public init(network: ReLUNetwork, states: [[NeuronState]], exhaustiveLimit: Int = 3) {
        precondition(states.map(\.count) == network.hiddenWidths, "states do not fit the network")
        self.network = network
        self.states = states
        self.exhaustiveLimit = exhaustiveLimit
        let m = network.outputDimension, d = network.inputDimension
        unknownCount = Self.unknownCount(states)
        // Fold the fully decided leading layers into one point matrix: the map x ↦ a^f is linear
        // there, so its exact rows replace interval or relaxed ones (a^f over the ℓp ball is then
        // exactly ±‖row‖_q). With no unknown neuron at all, the chain is J itself.
        (chainWeights, chainStates) = Self.fold(network, states: states)
        let folded = chainWeights[0]
        let hidden = chainWeights.count - 1
        if hidden == 0 || unknownCount <= exhaustiveLimit {
            // Few unknown neurons: every completion, and the entrywise hull of their Jacobians.
            let all = Self.completionJacobians(chainWeights, states: chainStates)
            var lo = all[0], hi = all[0]
            for j in all.dropFirst() {
                for t in lo.storage.indices {
                    lo.storage[t] = min(lo.storage[t], j.storage[t])
                    hi.storage[t] = max(hi.storage[t], j.storage[t])
                }
            }
            lower = lo
            upper = hi
            completions = all
            signColumnBounds = nil
            coordinateRelaxations = nil
            return
        }
        completions = nil
        var relaxations: [Relaxation] = []
        let last = chainWeights[hidden]
        var lo = Matrix(rows: m, columns: d), hi = lo
        var signs: [Double]? = (m > 1 && m <= 4) ? Array(repeating: 0, count: d) : nil
        let signVectors: [[Double]] = signs == nil ? [] : (0..<(1 << m)).map { code in
            (0..<m).map { (code >> $0) & 1 == 1 ? 1.0 : -1.0 }
        }
        // The row combinations yᵀW_L of the sign vectors (the same for every column j).
        let signCombinations: [[Double]] = signVectors.map { y in
            var c = Array(repeating: 0.0, count: last.columns)
            for r in 0..<m { for i in 0..<last.columns { c[i] += y[r] * last[r, i] } }
            return c
        }
        for j in 0..<d {
            let relaxation = Relaxation(weights: chainWeights, states: chainStates,
                                        input: .direction((0..<folded.rows).map { folded[$0, j] }))
            relaxations.append(relaxation)
            // Forward interval product of column j (with refined intermediate bounds).
            let (bLo, bHi) = relaxation.activationInterval(layer: hidden - 1)
            for r in 0..<m {
                var fLo = 0.0, fHi = 0.0
                for i in 0..<last.columns {
                    let w = last[r, i]
                    if w > 0 { fLo += w * bLo[i]; fHi += w * bHi[i] } else if w < 0 { fLo += w * bHi[i]; fHi += w * bLo[i] }
                }
                let (up, down) = last.storage.withUnsafeBufferPointer { wb in
                    let row = UnsafeBufferPointer(rebasing: wb[(r * last.columns)..<((r + 1) * last.columns)])
                    return (relaxation.upperBound(onActivations: hidden - 1, coefficients: row, sign: 1),
                            relaxation.upperBound(onActivations: hidden - 1, coefficients: row, sign: -1))
                }
                lo[r, j] = max(fLo, -down)
                hi[r, j] = min(fHi, up)
            }
            if signs != nil {
                var best = 0.0
                for c in signCombinations {
                    best = max(best, relaxation.upperBound(onActivations: hidden - 1, coefficients: c))
                }
                signs![j] = best
            }
        }
        // The backward interval product (output side), intersected entrywise.
        let (bwLo, bwHi) = Self.backwardInterval(chainWeights, states: chainStates)
        for t in lo.storage.indices {
            lo.storage[t] = max(lo.storage[t], bwLo[t])
            hi.storage[t] = min(hi.storage[t], bwHi[t])
            if lo.storage[t] > hi.storage[t] {  // only by rounding: both enclose J
                let mid = (lo.storage[t] + hi.storage[t]) / 2
                lo.storage[t] = mid; hi.storage[t] = mid
            }
        }
        lower = lo
        upper = hi
        signColumnBounds = signs
        coordinateRelaxations = relaxations
    }

    /// The bound a branch-and-bound search needs at one node, in stages of increasing cost:
    /// every completion when at most `exhaustiveLimit` neurons are unknown (exact); else the
    /// interval products of the folded chain (forward and backward, intersected: never looser than
    /// `IntervalJacobian`); then, only when a `target` is given and that bound lies in
    /// (target, hopelessRatio · target], the full relaxation. With `target == nil` the full
    /// relaxation always runs. Every stage is sound, so the returned value is.
    ///
    /// A caller that prunes when the bound is ≤ its best value passes that value as `target`:
    /// a cheap bound already below it ends the call, and one far above it is returned as is.
    /// The default ratio 1.1 was measured (release, 1 thread, lp search with `--prune`, this bound
    /// in place of `IntervalJacobian` at the pruning test): nodes / seconds, interval bound →
    /// ratio 1.1 → ratio 1.5: wine 11-12-12-1 21775 / 1.09 → 9406 / 0.71 → 8933 / 0.89; abalone
    /// 2660 / 0.22 → 1088 / 0.16 → 1060 / 0.16; cartpole 4-16-16-16-2 59512 / 3.8 → 55610 / 3.5 →
    /// 53022 / 5.3; double pendulum 4-25-25-2 210666 / 15.0 → 189742 / 18.4 → 186386 / 44.7
    /// (the relaxation costs 50–800 µs against 10–50 µs for intervals, and rarely decides there).
    public static let defaultHopelessRatio = 1.1

    /// At most this many unknown neurons: every completion is evaluated (the exact maximum over them).
    public static let defaultExhaustiveLimit = 3

    public static func bound(network: ReLUNetwork, states: [[NeuronState]], p: LipschitzNorm,
                             target: Double? = nil, exhaustiveLimit: Int = defaultExhaustiveLimit,
                             hopelessRatio: Double = defaultHopelessRatio, cache: FoldCache? = nil,
                             sphereCover: Bool = true) throws -> Double {
        try p.check(outputs: network.outputDimension)
        let unknown = unknownCount(states)
        if unknown <= exhaustiveLimit {
            return try JacobianBound(network: network, states: states, exhaustiveLimit: exhaustiveLimit).operatorNormBound(p: p)
        }
        let (weights, chain) = cache?.fold(network, states: states) ?? fold(network, states: states)
        var (lo, hi) = forwardInterval(weights, states: chain)
        let (bwLo, bwHi) = backwardInterval(weights, states: chain)
        for t in lo.indices { lo[t] = max(lo[t], bwLo[t]); hi[t] = min(hi[t], bwHi[t]) }
        let magnitude = Matrix(rows: network.outputDimension, columns: network.inputDimension,
                               storage: zip(lo, hi).map { max(abs($0), abs($1)) })
        let cheap = try operatorNorm(magnitude, p: p)
        if let target, cheap <= target || cheap > hopelessRatio * target { return cheap }
        let full = try JacobianBound(network: network, states: states, exhaustiveLimit: exhaustiveLimit)
            .operatorNormBound(p: p, target: target, sphereCover: sphereCover)
        return min(cheap, full)
    }

    /// How many neurons of `states` are unknown.
    static func unknownCount(_ states: [[NeuronState]]) -> Int {
        states.reduce(0) { $0 + $1.filter { $0 == .unknown }.count }
    }

    /// The chain with its fully decided leading layers folded into one point matrix.
    static func fold(_ network: ReLUNetwork, states: [[NeuronState]]) -> ([Matrix], [[NeuronState]]) {
        let first = states.firstIndex { $0.contains(.unknown) } ?? states.count
        var folded = network.layers[0].weights
        for k in 0..<first {
            for i in 0..<folded.rows where states[k][i] == .inactive {
                for c in 0..<folded.columns { folded[i, c] = 0 }
            }
            folded = network.layers[k + 1].weights * folded
        }
        return ([folded] + network.layers.dropFirst(first + 1).map(\.weights), Array(states.dropFirst(first)))
    }

    /// Entrywise interval product from the input side (as `IntervalJacobian`), row-major m × d.
    /// Each entry of W·[lo, hi] takes the endpoint its weight's sign selects, so the product
    /// holds every W·B with lo ≤ B ≤ hi; unknown rows are widened to include 0 first (δ ∈ {0, 1}).
    /// (Hot: called at every branch-and-bound node, hence the raw buffers.)
    static func forwardInterval(_ weights: [Matrix], states: [[NeuronState]]) -> ([Double], [Double]) {
        var lo = weights[0].storage, hi = lo
        let d = weights[0].columns
        for k in 1..<max(1, weights.count) {
            let layerStates = states[k - 1]
            lo.withUnsafeMutableBufferPointer { l in
                hi.withUnsafeMutableBufferPointer { h in
                    for (i, state) in layerStates.enumerated() {
                        let base = i * d
                        switch state {
                        case .active: break
                        case .inactive: for c in 0..<d { l[base + c] = 0; h[base + c] = 0 }
                        case .unknown: for c in 0..<d { l[base + c] = min(0, l[base + c]); h[base + c] = max(0, h[base + c]) }
                        }
                    }
                }
            }
            let w = weights[k]
            // The columns of neurons that can be active, ascending (an inactive one contributes 0).
            let live = layerStates.indices.filter { layerStates[$0] != .inactive }
            var newLo = [Double](repeating: 0, count: w.rows * d), newHi = newLo
            w.storage.withUnsafeBufferPointer { wb in
                lo.withUnsafeBufferPointer { l in
                    hi.withUnsafeBufferPointer { h in
                        newLo.withUnsafeMutableBufferPointer { nl in
                            newHi.withUnsafeMutableBufferPointer { nh in
                                for r in 0..<w.rows {
                                    let out = r * d
                                    for j in live {
                                        let a = wb[r * w.columns + j]
                                        if a == 0 { continue }
                                        let src = j * d
                                        if a > 0 {
                                            for c in 0..<d { nl[out + c] += a * l[src + c]; nh[out + c] += a * h[src + c] }
                                        } else {
                                            for c in 0..<d { nl[out + c] += a * h[src + c]; nh[out + c] += a * l[src + c] }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            lo = newLo
            hi = newHi
        }
        return (lo, hi)
    }

    /// The entrywise largest magnitude M, with |J| ≤ M for every admissible J.
    public var magnitude: Matrix {
        Matrix(rows: lower.rows, columns: lower.columns,
               storage: zip(lower.storage, upper.storage).map { max(abs($0), abs($1)) })
    }

    /// A sound upper bound on ‖J‖_{p→p} over every admissible J (see the type's documentation).
    ///
    /// With a `target`, the work stops as soon as some bound is ≤ target (that bound is returned:
    /// sound, but not the tightest), which is all a pruning test needs.
    public func operatorNormBound(p: LipschitzNorm, target: Double? = nil, sphereCover: Bool = true) throws -> Double {
        let m = network.outputDimension
        try p.check(outputs: m)
        if let completions {
            return try completions.reduce(0.0) { max($0, try operatorNorm($1, p: p)) }
        }
        var best = try operatorNorm(magnitude, p: p)
        let hidden = chainWeights.count - 1
        if best == 0 { return best }
        let stopAt = target ?? -Double.infinity
        if best <= stopAt { return best }
        let last = chainWeights[hidden]
        switch p {
        case .one:
            if let signColumnBounds { best = min(best, signColumnBounds.max() ?? 0) }
        case .infinity, .p:
            let relaxation = Relaxation(weights: chainWeights, states: chainStates, input: .ball(p.dual))
            var rows = 0.0
            for r in 0..<m { rows = max(rows, relaxation.upperBound(onActivations: hidden - 1, coefficients: last.row(r))) }
            best = min(best, rows)
        case .two:
            if m > 1 {
                // ‖J‖_2 ≤ sqrt(‖J‖_1 ‖J‖_∞) for every J: the cheapest of the vector-output bounds.
                let one = try operatorNormBound(p: .one), infinity = try operatorNormBound(p: .infinity)
                best = min(best, (one * infinity).squareRoot())
                if best <= stopAt { return best }
            }
            let ball = Relaxation(weights: chainWeights, states: chainStates, input: .ball(.two))
            let rotated = rotatedFrame()
            var standard = m > 1 ? coordinateRelaxations ?? [] : []
            // max over δ of ‖cᵀ D_{L−1} ⋯ W_0‖_2 for a row combination c: the ball relaxation,
            // or any orthonormal frame's per-axis bounds (the standard one, the rotated one).
            func combination(_ c: [Double]) -> Double {
                var value = ball.upperBound(onActivations: hidden - 1, coefficients: c)
                if !rotated.isEmpty { value = min(value, Self.frameBound(rotated, c)) }
                if !standard.isEmpty { value = min(value, Self.frameBound(standard, c)) }
                return value
            }
            let rowBounds = (0..<m).map { combination(last.row($0)) }
            if m == 1 { return min(best, rowBounds[0]) }
            standard = []  // for the directions below, the ball and the rotated frame only (cost)
            best = min(best, rowBounds.reduce(0) { $0 + $1 * $1 }.squareRoot())
            if best <= stopAt { return best }
            if m == 2 {
                // Directions y_t = (cos tπ/K, sin tπ/K): every unit y is within π/2K of some ±y_t.
                let k = Self.circleDirections
                var directional = 0.0
                for t in 0..<k {
                    let angle = Double(t) * .pi / Double(k)
                    let (cy, sy) = (cos(angle), sin(angle))
                    directional = max(directional, combination((0..<last.columns).map { cy * last[0, $0] + sy * last[1, $0] }))
                }
                best = min(best, directional / cos(.pi / Double(2 * k)))
            } else if sphereCover, let cover = SphereCover.forOutputs(m) {
                // The same for three or four outputs, with a covering of the sphere up to sign
                // (`SphereCover`); stops once the directions cannot improve on `best`.
                var directional = 0.0
                for y in cover.directions {
                    directional = max(directional, combination((0..<last.columns).map { i in
                        (0..<m).reduce(0.0) { $0 + y[$1] * last[$1, i] }
                    }))
                    if directional / cover.cosine >= best { break }
                }
                best = min(best, directional / cover.cosine)
            }
        }
        return best
    }

    /// max over δ of ‖cᵀ D_{L−1} ⋯ W_0‖_2 bounded in the orthonormal frame whose axes q_t the
    /// relaxations follow: ‖g‖_2 = ‖Qᵀg‖_2 ≤ sqrt(Σ_t max(U_t, −L_t)²) with L_t ≤ q_t·g ≤ U_t.
    static func frameBound(_ axes: [Relaxation], _ c: [Double]) -> Double {
        let hidden = axes[0].weights.count - 1
        var total = 0.0
        for axis in axes {
            let (up, down) = c.withUnsafeBufferPointer {
                (axis.upperBound(onActivations: hidden - 1, coefficients: $0, sign: 1),
                 axis.upperBound(onActivations: hidden - 1, coefficients: $0, sign: -1))
            }
            let size = max(abs(up), abs(down))
            total += size * size
        }
        // Q is orthonormal up to rounding: one more relative margin.
        return total.squareRoot() * (1 + ModelTolerances.frameOrthonormality)
    }

    /// Relaxations along the axes of a rotated orthonormal frame Q whose first axis is the top right
    /// singular vector of the enclosure's midpoint (for one output: the midpoint gradient's
    /// direction). When the admissible gradients point roughly one way, their spread off that axis
    /// is small, which the standard frame cannot see. Q is a Householder reflection. Empty when
    /// d = 1 or the midpoint is 0. Any orthonormal Q is sound; this one is a heuristic choice.
    private func rotatedFrame() -> [Relaxation] {
        let d = lower.columns, m = lower.rows
        guard d > 1, coordinateRelaxations != nil else { return [] }
        let mid = Matrix(rows: m, columns: d, storage: zip(lower.storage, upper.storage).map { ($0 + $1) / 2 })
        // Power iteration on midᵀmid from the largest row.
        var best = 0, bestNorm = -1.0
        for r in 0..<m { let n = vectorNorm(mid.row(r), p: .two); if n > bestNorm { best = r; bestNorm = n } }
        var v = mid.row(best)
        guard bestNorm > 0, bestNorm.isFinite else { return [] }
        if m > 1 {
            for _ in 0..<30 {
                let u = mid * v
                var next = [Double](repeating: 0, count: d)
                for r in 0..<m { for c in 0..<d { next[c] += mid[r, c] * u[r] } }
                let n = vectorNorm(next, p: .two)
                guard n > 0, n.isFinite else { break }
                v = next.map { $0 / n }
            }
        }
        let norm = vectorNorm(v, p: .two)
        var w = v.map { $0 / norm }
        // H = I − 2wwᵀ/‖w‖² with w = v̂ − e_1 maps e_1 to v̂; its columns are the axes.
        w[0] -= 1
        let ww = w.reduce(0) { $0 + $1 * $1 }
        let w0 = chainWeights[0]
        return (0..<d).map { t in
            var q = (0..<d).map { i in (i == t ? 1.0 : 0.0) }
            if ww > 0 { for i in 0..<d { q[i] -= 2 * w[i] * w[t] / ww } }
            return Relaxation(weights: chainWeights, states: chainStates, input: .direction(w0 * q))
        }
    }

    /// Directions for the two-output ℓ2 bound (inflation 1/cos(π/2K) ≈ 1.02 for K = 8).
    static let circleDirections = 8

    /// The Jacobian of every completion of the chain's unknown neurons (2^unknown of them).
    static func completionJacobians(_ weights: [Matrix], states: [[NeuronState]]) -> [Matrix] {
        let unknown = states.enumerated().flatMap { k, layer in
            layer.enumerated().compactMap { i, s in s == .unknown ? (k, i) : nil }
        }
        return (0..<(1 << unknown.count)).map { mask in
            var pattern = states.map { $0.map { $0 == .active } }
            for (bit, (k, i)) in unknown.enumerated() { pattern[k][i] = (mask >> bit) & 1 == 1 }
            var j = weights[0]
            for k in 1..<weights.count {
                for i in 0..<j.rows where !pattern[k - 1][i] {
                    for c in 0..<j.columns { j[i, c] = 0 }
                }
                j = weights[k] * j
            }
            return j
        }
    }

    /// Entrywise bounds on J multiplied from the output side: an m × N_k interval matrix times
    /// D_k (unknown neurons widen each entry to include 0) times the point matrix W_k, whose exact
    /// range is taken entry by entry. Row-major m × d.
    public static func backwardInterval(_ weights: [Matrix], states: [[NeuronState]]) -> (lower: [Double], upper: [Double]) {
        let m = weights[weights.count - 1].rows
        var lo = weights[weights.count - 1].storage
        var hi = lo
        var k = weights.count - 2
        while k >= 0 {
            let w = weights[k]
            let rows = w.rows, cols = w.columns
            let layerStates = states[k]
            var newLo = [Double](repeating: 0, count: m * cols), newHi = newLo
            w.storage.withUnsafeBufferPointer { wb in
                newLo.withUnsafeMutableBufferPointer { nl in
                    newHi.withUnsafeMutableBufferPointer { nh in
                        for r in 0..<m {
                            for i in 0..<rows {
                                var a = lo[r * rows + i], b = hi[r * rows + i]
                                switch layerStates[i] {
                                case .active: break
                                case .inactive: continue
                                case .unknown: a = min(0, a); b = max(0, b)
                                }
                                if a == 0 && b == 0 { continue }
                                let out = r * cols, src = i * cols
                                for c in 0..<cols {
                                    let x = wb[src + c]
                                    if x > 0 { nl[out + c] += a * x; nh[out + c] += b * x }
                                    else if x < 0 { nl[out + c] += b * x; nh[out + c] += a * x }
                                }
                            }
                        }
                    }
                }
            }
            lo = newLo
            hi = newHi
            k -= 1
        }
        return (lo, hi)
    }
}

/// The last fold (`JacobianBound.fold`) of one network, reused while the decided leading layers
/// stay the same: a depth-first search splits one layer for many nodes in a row, and refolding
/// costs a matrix product per layer at every node. The key is the whole state of the folded
/// layers, compared exactly, so a hit returns what `fold` would compute. One cache per thread.
public final class FoldCache {
    private var key: [[NeuronState]] = []
    private var folded: Matrix?

    public init() {}

    func fold(_ network: ReLUNetwork, states: [[NeuronState]]) -> ([Matrix], [[NeuronState]]) {
        let first = states.firstIndex { $0.contains(.unknown) } ?? states.count
        let prefix = Array(states[0..<first])
        if folded == nil || prefix != key {
            key = prefix
            folded = JacobianBound.fold(network, states: states).0[0]
        }
        return ([folded!] + network.layers.dropFirst(first + 1).map(\.weights), Array(states.dropFirst(first)))
    }
}

/// Linear bound propagation through the Jacobian chain for one set X of directions (see
/// `JacobianBound`): interval bounds [lo, hi] on every a^k over (δ, x ∈ X), refined by backward
/// linear bounds, and the backward bound itself.
struct Relaxation {
    enum Input {
        /// X = {u} for one direction u, given as a⁰ = W_0 u: the chain computes J u
        /// (u = e_j: column j of the Jacobian).
        case direction([Double])
        /// X = the unit ball of ℓp; the support function is the dual norm ‖·‖_q (q given here).
        case ball(LipschitzNorm)
    }

    /// Relative margin added to every linear-relaxation value, times the magnitude of its terms.
    static let roundingMargin = ModelTolerances.relaxationRounding

    let weights: [Matrix]
    let states: [[NeuronState]]
    let input: Input
    /// Bounds on a^k for every hidden layer k.
    private(set) var lo: [[Double]] = []
    private(set) var hi: [[Double]] = []
    /// Per hidden layer whose bounds are final, its neurons sorted by how the backward step
    /// relaxes them (`relax`), so that it does not switch on every neuron's state and interval.
    private var kinds: [LayerKinds] = []
    /// The widest hidden layer: the size of each of `upperBound`'s scratch vectors.
    private let width: Int

    init(weights: [Matrix], states: [[NeuronState]], input: Input) {
        self.weights = weights
        self.states = states
        self.input = input
        width = states.reduce(1) { max($0, $1.count) }
        let w0 = weights[0]
        switch input {
        case .direction(let a0):
            lo.append(a0); hi.append(a0)
        case .ball(let q):
            let radius = (0..<w0.rows).map { vectorNorm(w0.row($0), p: q) }
            lo.append(radius.map { -$0 }); hi.append(radius)
        }
        kinds.append(LayerKinds(states[0], lower: lo[0], upper: hi[0]))
        let hidden = weights.count - 1
        for k in 1..<max(1, hidden) {
            let (bLo, bHi) = activationInterval(layer: k - 1)
            let (l, u) = Self.intervalProduct(weights[k], lower: bLo, upper: bHi)
            lo.append(l); hi.append(u)
            // Interval bounds are exact at layer 1 for a coordinate (b⁰ ranges over a box there).
            if case .direction = input, k == 1 {} else { refine(layer: k, lower: l, upper: u) }
            kinds.append(LayerKinds(states[k], lower: lo[k], upper: hi[k]))
        }
    }

    /// The interval product W·[bLo, bHi]: each term takes the endpoint its weight's sign selects.
    private static func intervalProduct(_ w: Matrix, lower bLo: [Double], upper bHi: [Double]) -> ([Double], [Double]) {
        var l = [Double](repeating: 0, count: w.rows), u = l
        let columns = w.columns
        w.storage.withUnsafeBufferPointer { wb in
            bLo.withUnsafeBufferPointer { bl in
                bHi.withUnsafeBufferPointer { bh in
                    for i in 0..<w.rows {
                        var sl = 0.0, su = 0.0
                        for c in 0..<columns {
                            let x = wb[i * columns + c]
                            if x > 0 { sl += x * bl[c]; su += x * bh[c] } else if x < 0 { sl += x * bh[c]; su += x * bl[c] }
                        }
                        l[i] = sl; u[i] = su
                    }
                }
            }
        }
        return (l, u)
    }

    /// Tightens the interval [l_i, u_i] of each unknown neuron of layer k that straddles 0 by the
    /// backward bound on its own pre-activation a_i = (row i of W_k)·b^{k−1}, from both sides.
    /// Both bounds hold every admissible a_i, so their intersection with the interval does.
    private mutating func refine(layer k: Int, lower l: [Double], upper u: [Double]) {
        let w = weights[k]
        for i in 0..<w.rows where states[k][i] == .unknown && l[i] < 0 && u[i] > 0 {
            let (up, down) = w.storage.withUnsafeBufferPointer { wb in
                let row = UnsafeBufferPointer(rebasing: wb[(i * w.columns)..<((i + 1) * w.columns)])
                return (upperBound(onActivations: k - 1, coefficients: row, sign: 1, zonotope: false),
                        upperBound(onActivations: k - 1, coefficients: row, sign: -1, zonotope: false))
            }
            lo[k][i] = max(l[i], -down)
            hi[k][i] = min(u[i], up)
            if lo[k][i] > hi[k][i] { lo[k][i] = l[i]; hi[k][i] = u[i] }  // rounding only
        }
    }

    /// Interval of b^k = δ^k ⊙ a^k.
    func activationInterval(layer k: Int) -> ([Double], [Double]) {
        var bLo = lo[k], bHi = hi[k]
        for i in bLo.indices {
            switch states[k][i] {
            case .active: break
            case .inactive: bLo[i] = 0; bHi[i] = 0
            case .unknown: bLo[i] = min(0, bLo[i]); bHi[i] = max(0, bHi[i])
            }
        }
        return (bLo, bHi)
    }

    /// An upper bound on max μ·b^k over every δ (unknown indicators in [0, 1]) and x ∈ X.
    func upperBound(onActivations k: Int, coefficients mu: [Double]) -> Double {
        mu.withUnsafeBufferPointer { upperBound(onActivations: k, coefficients: $0, sign: 1) }
    }

    /// The same bound for the coefficients sign·μ, sign = ±1 (the product is exact, so sign −1
    /// bounds −μ to the bit), read in place: callers pass a weight row without copying or
    /// negating it. The vectors of the backward pass live in one scratch allocation: three of the
    /// widest layer's size (the coefficients, Wᵀs for the next layer down, the chord slopes s),
    /// swapped between layers rather than reallocated, four of the input dimension and three d × d
    /// matrices (`layerZero`).
    ///
    /// `zonotope`: whether the last step may use `zonotopeBound` (ℓ2 ball only). The intermediate
    /// bounds (`refine`) do not: there it doubled the cost of a relaxation (one Gram bound per
    /// straddling neuron) and changed no bound of a pattern tree after its first levels (trained-like
    /// 11-24-24-1, 30,000 bounds: 2.4321 against 2.4362, in twice the time); in the last step it
    /// cut the nodes of wine 11-12-12-1 by 6 % (3,491 → 3,274) and of the double pendulum by 1 %.
    func upperBound(onActivations k: Int, coefficients mu: UnsafeBufferPointer<Double>, sign: Double,
                    zonotope: Bool = true) -> Double {
        precondition(mu.count == states[k].count, "coefficients do not fit layer \(k)")
        let d = weights[0].columns
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: 3 * width + 4 * d + (zonotope ? Self.zonotopeScratch(d) : 0)) { scratch in
            let base = scratch.baseAddress!
            var coefficients = UnsafeMutableBufferPointer(start: base, count: mu.count)
            var next = base + width
            let s = base + 2 * width, zeroScratch = base + 3 * width
            for i in 0..<mu.count { coefficients[i] = sign * mu[i] }
            var constant = 0.0, magnitude = 0.0
            var layer = k
            while true {
                let chord = UnsafeMutableBufferPointer(start: s, count: coefficients.count)
                let layerConstant = relax(layer: layer, coefficients: UnsafeBufferPointer(coefficients), into: chord)
                // Every chord constant is ≥ 0 (the chord of a function ≥ 0 that vanishes at 0 ∈ (l, u)).
                if layer == 0 {
                    let (value, size) = layerZero(chord: UnsafeBufferPointer(chord), constant: layerConstant,
                                                  coefficients: UnsafeBufferPointer(coefficients), scratch: zeroScratch,
                                                  zonotope: zonotope)
                    return constant + value + Self.roundingMargin * (magnitude + size)
                }
                constant += layerConstant
                magnitude += layerConstant
                // s·a^layer = (W_layerᵀ s)·b^{layer−1}.
                let product = UnsafeMutableBufferPointer(start: next, count: weights[layer].columns)
                Self.transposedProduct(weights[layer], UnsafeBufferPointer(chord), into: product)
                next = coefficients.baseAddress!
                coefficients = product
                layer -= 1
            }
        }
    }

    /// Relaxes λ_i δ_i a_i ≤ s_i a_i + t_i on [l_i, u_i] for layer k (the chord of max(0, λ a) for
    /// an unknown neuron, the exact piece for an active one or a stable sign), writing s into `s`
    /// and returning Σ t_i (only straddling neurons have t_i ≠ 0; summed in ascending order, as a
    /// loop over every neuron would).
    private func relax(layer k: Int, coefficients: UnsafeBufferPointer<Double>, into s: UnsafeMutableBufferPointer<Double>) -> Double {
        s.initialize(repeating: 0)
        let kind = kinds[k]
        for i in kind.active where coefficients[i] != 0 { s[i] = coefficients[i] }
        for i in kind.nonnegative where coefficients[i] > 0 { s[i] = coefficients[i] }
        for i in kind.nonpositive where coefficients[i] < 0 { s[i] = coefficients[i] }
        var layerConstant = 0.0
        for neuron in kind.straddling {
            let lambda = coefficients[neuron.index]
            if lambda == 0 { continue }
            let (l, u) = (neuron.lower, neuron.upper)
            if lambda > 0 {
                let slope = lambda * u / neuron.width
                s[neuron.index] = slope
                layerConstant -= slope * l
            } else {
                let slope = -lambda * l / neuron.width
                s[neuron.index] = slope
                layerConstant -= slope * u
            }
        }
        return layerConstant
    }

    /// One hidden layer's neurons by the relaxation of λ δ a on their interval [l, u], each list
    /// ascending: active (s = λ), unknown with l ≥ 0 (s = λ when λ > 0), unknown with u ≤ 0
    /// (s = λ when λ < 0), unknown straddling 0 (the chord, with u − l kept; tested in this order,
    /// so a NaN end counts as straddling). Inactive neurons are in no list (s = 0).
    private struct LayerKinds {
        struct Straddling { let index: Int, lower: Double, upper: Double, width: Double }
        var active: [Int] = [], nonnegative: [Int] = [], nonpositive: [Int] = []
        var straddling: [Straddling] = []

        init(_ states: [NeuronState], lower: [Double], upper: [Double]) {
            for (i, state) in states.enumerated() {
                let l = lower[i], u = upper[i]
                switch state {
                case .active: active.append(i)
                case .inactive: break
                case .unknown:
                    if l >= 0 { nonnegative.append(i) }
                    else if u <= 0 { nonpositive.append(i) }
                    else { straddling.append(Straddling(index: i, lower: l, upper: u, width: u - l)) }
                }
            }
        }
    }

    /// out = Wᵀ s, summed over the rows i with s_i ≠ 0 in ascending order.
    private static func transposedProduct(_ w: Matrix, _ s: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        out.initialize(repeating: 0)
        let columns = w.columns
        w.storage.withUnsafeBufferPointer { wb in
            for i in 0..<w.rows where s[i] != 0 {
                let si = s[i], base = i * columns
                for c in 0..<columns { out[c] += si * wb[base + c] }
            }
        }
    }

    /// An upper bound on max μ·b⁰ over δ⁰ and x ∈ X, given the chord relaxation μ·b⁰ ≤ s·a⁰ + t
    /// (t = `constant`); returns the value and the magnitude of its terms (for the rounding margin).
    /// `scratch` holds 4 × (input dimension) doubles.
    private func layerZero(chord s: UnsafeBufferPointer<Double>, constant: Double, coefficients mu: UnsafeBufferPointer<Double>,
                           scratch: UnsafeMutablePointer<Double>, zonotope useZonotope: Bool) -> (Double, Double) {
        let w0 = weights[0]
        switch input {
        case .direction(let a0):
            // a⁰ = W_0 u is a point (no chord was needed): s·a⁰ + t exactly.
            var value = constant, size = constant
            for i in 0..<w0.rows where s[i] != 0 { let t = s[i] * a0[i]; value += t; size += abs(t) }
            return (value, size)
        case .ball(let q):
            // (i) The chord: t + h_X(W_0ᵀ s) = t + ‖W_0ᵀ s‖_q.
            // (ii) μ·b⁰ = (W_0ᵀ D_0 μ)·x ≤ ‖W_0ᵀ D_0 μ‖_q; coordinate c of W_0ᵀ D_0 μ ranges over
            // an interval [gLo_c, gHi_c] as δ⁰ varies, so the norm is at most that of the corner
            // of largest magnitudes. (iii) For the ℓ2 ball, `zonotopeBound`. All are sound; the
            // smallest is returned.
            let columns = w0.columns
            let vectors = UnsafeMutableBufferPointer(start: scratch, count: 4 * columns)
            vectors.initialize(repeating: 0)
            let g = scratch, size = scratch + columns, gLo = scratch + 2 * columns, gHi = scratch + 3 * columns
            let layerStates = states[0]
            w0.storage.withUnsafeBufferPointer { wb in
                for i in 0..<w0.rows {
                    let si = s[i], lambda = mu[i]
                    if si == 0 && lambda == 0 { continue }
                    let state = layerStates[i], row = i * columns
                    for c in 0..<columns {
                        let x = wb[row + c]
                        g[c] += si * x
                        size[c] += abs(si * x)
                        let t = lambda * x
                        switch state {
                        case .active: gLo[c] += t; gHi[c] += t
                        case .inactive: break
                        case .unknown: if t > 0 { gHi[c] += t } else { gLo[c] += t }
                        }
                    }
                }
            }
            let chord = constant + vectorNorm(UnsafeBufferPointer(start: g, count: columns), p: q)
            let zonotope = q == .two && useZonotope ? zonotopeBound(coefficients: mu, lower: gLo, upper: gHi, scratch: scratch + 4 * columns)
                                     : (value: Double.infinity, size: 0.0)
            for c in 0..<columns { gLo[c] = max(abs(gLo[c]), abs(gHi[c])) }  // the corner, in place
            let corner = vectorNorm(UnsafeBufferPointer(start: gLo, count: columns), p: q)
            let chordSize = constant + vectorNorm(UnsafeBufferPointer(start: size, count: columns), p: q)
            if zonotope.value < min(chord, corner) { return (zonotope.value, max(chordSize, zonotope.size)) }
            return (min(chord, corner), chordSize)
        }
    }

    /// Doubles of scratch `zonotopeBound` needs for input dimension d (none above its limit).
    static func zonotopeScratch(_ d: Int) -> Int { d <= GramEigenvalueBound.largestDimension ? 3 * d * d : 0 }

    /// (iii) For the ℓ2 ball (X = {‖x‖_2 ≤ 1}): a bound on max over δ⁰ and x of μ·b⁰ that keeps
    /// the coupling between coordinates which the corner (ii) loses, from the interval ends
    /// `lower`/`upper` of (ii) (c ranges over the input coordinates) and μ.
    ///
    /// With a_i = w_i·x (w_i row i of W_0) and v_i = μ_i w_i: an active neuron gives v_i·x, an
    /// unknown one μ_i δ_i a_i ≤ max(0, v_i·x) = (v_i·x + |v_i·x|)/2. So μ·b⁰ ≤ m·x + ½ Σ|v_i·x|
    /// over the unknown i, with m = Σ_active v_i + ½ Σ_unknown v_i = (lower + upper)/2 (each
    /// unknown term went to exactly one end). Then m·x ≤ ‖m‖_2, and by Cauchy–Schwarz with
    /// weights c_i = ‖v_i‖_2, Σ|v_i·x| ≤ √(Σc_i)·√(Σ (v_i·x)²/c_i) = √(Σc_i)·√(xᵀGx) ≤
    /// √(Σc_i · λ_max(G)), G = Σ v_i v_iᵀ/c_i = Σ |μ_i|/‖w_i‖ · w_i w_iᵀ (λ_max bounded by
    /// `GramEigenvalueBound`). When the v_i point different ways this is far below the corner:
    /// for a random second-layer pattern of a trained-like 11-24-24-1 network, 1.38 with the exact
    /// λ_max and 1.43 with the kernel's bound, against 2.45 for the corner and 2.80 for the chord,
    /// where the exact maximum over δ⁰ (2²⁴ patterns) is 1.14. Returns +∞ above the kernel's
    /// dimension limit; the size (for the rounding margin) is ‖m‖ + ½Σc_i (tr G = Σc_i).
    private func zonotopeBound(coefficients mu: UnsafeBufferPointer<Double>, lower: UnsafeMutablePointer<Double>,
                               upper: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>) -> (value: Double, size: Double) {
        let w0 = weights[0], d = w0.columns
        guard d <= GramEigenvalueBound.largestDimension else { return (.infinity, 0) }
        // Norms scaled (`vectorNorm`) and √(Σc·λ) as √Σc·√λ: trained weights span many decades,
        // and a square that underflows to 0 would drop a term, which no bound may do.
        for c in 0..<d { scratch[c] = lower[c] / 2 + upper[c] / 2 }
        let linear = vectorNorm(UnsafeBufferPointer(start: scratch, count: d), p: .two)
        let gram = scratch, z = scratch + d * d  // z: the eigenvalue bound's scratch, used before it
        for t in 0..<(d * d) { gram[t] = 0 }
        var weightSum = 0.0
        w0.storage.withUnsafeBufferPointer { wb in
            for i in 0..<w0.rows where states[0][i] == .unknown && mu[i] != 0 {
                // ‖w_i‖_2, as `init` computed it for the ℓ2 ball (layer 0 is never refined).
                let row = i * d, norm = hi[0][i]
                guard norm > 0 else { continue }  // a zero row: no term
                weightSum += abs(mu[i]) * norm
                // G += z zᵀ with z = √(|μ_i|/‖w_i‖)·w_i, whose entries are of the size of √c_i
                // (|μ_i|/‖w_i‖ itself may overflow when the weights are tiny and μ_i huge).
                let scale = abs(mu[i]).squareRoot() / norm.squareRoot()
                for a in 0..<d { z[a] = scale * wb[row + a] }
                for a in 0..<d where z[a] != 0 {
                    for b in a..<d { gram[a * d + b] += z[a] * z[b] }
                }
            }
        }
        for a in 0..<d { for b in 0..<a { gram[a * d + b] = gram[b * d + a] } }
        let lambda = GramEigenvalueBound.largestEigenvalue(gram, d: d, scratch: scratch + d * d)
        let value = linear + 0.5 * weightSum.squareRoot() * lambda.squareRoot()
        guard value.isFinite else { return (.infinity, 0) }
        return (value, linear + 0.5 * weightSum)
    }
}
