import LinearProgramming
import LipschitzModel

/// Decides in exact rational arithmetic whether the region of a partial activation pattern
/// has an interior point, on the network's own numbers (every double is a rational).
///
/// The argument. Let the first `depth` neurons (layer by layer) follow `pattern`. The region
/// has an interior point iff some x (inside the open box, if any) makes every decided neuron
/// strictly positive when active and strictly negative when inactive — except an inactive
/// neuron that is constant on the region (its gradient there is zero), which only needs
/// pre-activation ≤ 0, since it then holds on a whole neighbourhood. Strictness is a margin
/// t > 0 common to all rows: the region is full-dimensional iff max t > 0.
///
/// No product of weight matrices is formed: the LP is *lifted*, with one column per active
/// neuron's output z and equality rows z = W·(previous layer's active outputs, or x) + b, so
/// every coefficient is one of the network's doubles and `glp_exact` decides without error.
/// Whether a neuron is constant is decided the same way: its gradient is zero iff
/// max g·v over v ∈ [−1, 1]^d is 0, an exact LP in lifted tangent form (u = W·u_prev), unless
/// a floating-point gradient with a rigorous error bound already shows a non-zero entry.
struct ExactRegionTest {
    enum Verdict: Equatable {
        /// The region has interior points; `point` is the exact LP's optimum, rounded.
        case fullDimensional(point: [Double])
        case empty
    }

    let network: ReLUNetwork
    let box: InputBox?
    /// Tests only: see `ExactOptions.injectedExactFailurePeriod`.
    var injectedFailurePeriod: Int?
    /// Milliseconds each exact solve may take (`glp_exact`'s own limit: it cannot be interrupted
    /// otherwise). The search sets it to what its `--time-limit` leaves, so that one rational
    /// solve on a long path (10^4 rows took ~40 s) cannot carry the run far past the limit; a
    /// solve cut short throws, and the side is kept undecided (an honest interval).
    var timeLimit: () -> Int32 = { ExactRegionTest.longestSolve }
    static let longestSolve: Int32 = 60_000

    /// The exact-solve limit for a search with `remaining` seconds left (nil: no limit): at
    /// least 1 ms (GLPK then stops at once and reports the limit), at most `longestSolve`.
    static func milliseconds(remaining: Double?) -> Int32 {
        guard let remaining else { return longestSolve }
        guard remaining.isFinite else { return remaining > 0 ? longestSolve : 1 }
        return Int32(max(1, min(Double(longestSolve), (remaining * 1000).rounded(.up))))
    }

    /// The verdict for the first `depth` neurons of `pattern` (layer by layer).
    func decide(_ pattern: [[Bool]], depth: Int) throws -> Verdict {
        let decided = decidedCounts(depth)
        if let composed = ComposedRows(network: network, pattern: pattern, decided: decided) {
            return try decideComposed(composed, pattern: pattern, decided: decided)
        }
        return try decideLifted(pattern, decided: decided)
    }

    /// When every pre-activation, as an affine function of x, was computed without a single
    /// rounding (checked operation by operation), the LP needs only x and the margin t: the
    /// rows are exact, and a neuron is constant iff its row is exactly zero.
    private func decideComposed(_ composed: ComposedRows, pattern: [[Bool]], decided: [Int]) throws -> Verdict {
        let d = network.inputDimension
        var rows = boxRows(margin: d)
        var seen = Set<[Double]>()  // identical rows (a neuron repeated through layers) count once
        for (k, count) in decided.enumerated() {
            for i in 0..<count {
                let (gradient, offset) = composed.row(layer: k, neuron: i)
                let sign = pattern[k][i] ? 1.0 : -1.0
                var row = gradient.map { sign * $0 }
                let constant = !pattern[k][i] && gradient.allSatisfy { $0 == 0 }
                row.append(constant ? 0 : -1)
                if seen.insert(row + [-sign * offset]).inserted { rows.append((row, .atLeast(-sign * offset))) }
            }
        }
        return try verdict(rows, columns: d + 1)
    }

    /// The lifted LP: a column per active neuron output, every coefficient a network double.
    private func decideLifted(_ pattern: [[Bool]], decided: [Int]) throws -> Verdict {
        let d = network.inputDimension
        var columns = ColumnMap(inputs: d)
        for k in decided.indices where k + 1 < decided.count && decided[k + 1] > 0 {
            for i in 0..<decided[k] where pattern[k][i] { columns.addOutput(layer: k, neuron: i) }
        }
        let margin = columns.count
        var rows = boxRows(margin: margin)
        let gradients = CertifiedGradients(network: network, pattern: pattern, layers: decided.count)
        for (k, count) in decided.enumerated() {
            for i in 0..<count {
                let (coefficients, bias) = preActivation(layer: k, neuron: i, pattern: pattern, columns: columns, width: margin + 1)
                if let z = columns.output(layer: k, neuron: i) {
                    var row = coefficients.map { -$0 }
                    row[z] = 1
                    rows.append((row, .fixed(bias)))
                }
                let constant = try !pattern[k][i] && isConstant(layer: k, neuron: i, pattern: pattern, gradients: gradients)
                var row = pattern[k][i] ? coefficients : coefficients.map { -$0 }
                if !constant { row[margin] = -1 }
                rows.append((row, .atLeast(pattern[k][i] ? -bias : bias)))
            }
        }
        return try verdict(rows, columns: margin + 1)
    }

    /// x_j − t ≥ lo_j and −x_j − t ≥ −hi_j: the open box, with the margin column `margin`.
    private func boxRows(margin: Int) -> [([Double], Bound)] {
        guard let box else { return [] }
        var rows: [([Double], Bound)] = []
        for j in 0..<network.inputDimension {
            var row = Array(repeating: 0.0, count: margin + 1)
            row[j] = 1; row[margin] = -1
            rows.append((row, .atLeast(box.lower[j])))
            row[j] = -1
            rows.append((row, .atLeast(-box.upper[j])))
        }
        return rows
    }

    /// Maximises the margin (the last column, at most 1): full-dimensional iff it is positive.
    private func verdict(_ rows: [([Double], Bound)], columns: Int) throws -> Verdict {
        let d = network.inputDimension
        guard !rows.isEmpty else { return .fullDimensional(point: Array(repeating: 0, count: d)) }
        let solution = try solve(rows, columns: columns, objective: columns - 1, upperBound: 1)
        switch solution.status {
        case .optimal where solution.values[columns - 1] > 0: return .fullDimensional(point: Array(solution.values[0..<d]))
        case .optimal, .infeasible: return .empty
        case .unbounded: throw LinearProgramError.undecidedStatus(status: -1)
        }
    }

    /// How many neurons of each hidden layer are decided, up to the last layer touched.
    private func decidedCounts(_ depth: Int) -> [Int] {
        var left = depth, counts: [Int] = []
        for width in network.hiddenWidths where left > 0 {
            counts.append(min(width, left))
            left -= min(width, left)
        }
        return counts
    }

    /// Neuron (k, i)'s pre-activation as coefficients over the columns, and its bias.
    private func preActivation(layer k: Int, neuron i: Int, pattern: [[Bool]], columns: ColumnMap, width: Int) -> ([Double], Double) {
        let w = network.layers[k].weights
        var row = Array(repeating: 0.0, count: width)
        for j in 0..<w.columns {
            if k == 0 { row[j] = w[i, j] } else if let z = columns.output(layer: k - 1, neuron: j) { row[z] = w[i, j] }
        }
        return (row, network.layers[k].biases[i])
    }

    /// True when neuron (k, i)'s gradient is exactly zero on the region of the layers before k.
    func isConstant(layer k: Int, neuron i: Int, pattern: [[Bool]]) throws -> Bool {
        try isConstant(layer: k, neuron: i, pattern: pattern,
                       gradients: CertifiedGradients(network: network, pattern: pattern, layers: k + 1))
    }

    private func isConstant(layer k: Int, neuron i: Int, pattern: [[Bool]], gradients: CertifiedGradients) throws -> Bool {
        if gradients.certainlyNonZero(layer: k, neuron: i) { return false }
        if k == 0 { return (0..<network.inputDimension).allSatisfy { network.layers[0].weights[i, $0] == 0 } }
        let d = network.inputDimension
        var columns = ColumnMap(inputs: d)
        for l in 0..<k { for j in 0..<network.hiddenWidths[l] where pattern[l][j] { columns.addOutput(layer: l, neuron: j) } }
        if !(0..<network.hiddenWidths[k - 1]).contains(where: { pattern[k - 1][$0] }) { return true }
        var rows: [([Double], Bound)] = []
        for l in 0..<k {
            for j in 0..<network.hiddenWidths[l] {
                guard let u = columns.output(layer: l, neuron: j) else { continue }
                var row = preActivation(layer: l, neuron: j, pattern: pattern, columns: columns, width: columns.count).0.map { -$0 }
                row[u] = 1
                rows.append((row, .fixed(0)))
            }
        }
        // The objective g·v gets its own column (glp_exact reads only integral objective
        // coefficients exactly): maximise s subject to s − W_{k,i}·u_{k−1} = 0.
        let objective = columns.count
        var defining = preActivation(layer: k, neuron: i, pattern: pattern, columns: columns, width: objective + 1).0.map { -$0 }
        defining[objective] = 1
        let lp = try LinearProgram(columns: objective + 1, optimisation: .maximise)
        lp.injectedFailurePeriod = injectedFailurePeriod
        var c = Array(repeating: 0.0, count: objective + 1)
        c[objective] = 1
        try lp.setObjective(c)
        for j in 0..<d { try lp.setColumnBound(j, .between(-1, 1)) }
        for (row, bound) in rows { try lp.addRow(row + [0], bound) }
        try lp.addRow(defining, .fixed(0))
        _ = try? lp.solve()
        let solution = try lp.solveExactly(timeLimit: timeLimit())
        guard solution.status == .optimal else { throw LinearProgramError.undecidedStatus(status: -1) }
        return solution.values[objective] <= 0
    }

    /// Maximises column `objective` (bounded above) subject to `rows`: a floating-point solve
    /// for a starting basis, then the exact one.
    private func solve(_ rows: [([Double], Bound)], columns: Int, objective: Int, upperBound: Double) throws -> Solution {
        let lp = try LinearProgram(columns: columns, optimisation: .maximise)
        lp.injectedFailurePeriod = injectedFailurePeriod
        var c = Array(repeating: 0.0, count: columns)
        c[objective] = 1
        try lp.setObjective(c)
        try lp.setColumnBound(objective, .atMost(upperBound))
        for (row, bound) in rows { try lp.addRow(row, bound) }
        _ = try? lp.solve()
        return try lp.solveExactly(timeLimit: timeLimit())
    }
}

/// Columns of a lifted LP: the inputs x first, then one per active neuron output.
private struct ColumnMap {
    private var outputs: [Int: Int] = [:]
    private(set) var count: Int
    private var widthKey = 1 << 32

    init(inputs: Int) { count = inputs }

    mutating func addOutput(layer: Int, neuron: Int) {
        outputs[layer * widthKey + neuron] = count
        count += 1
    }

    func output(layer: Int, neuron: Int) -> Int? { outputs[layer * widthKey + neuron] }
}

/// Floating-point gradients of the pre-activations of layers 0..<layers on the region of a
/// pattern, with rigorous entrywise error bounds (|fl(AB) − AB| ≤ γ_n |A||B|, Higham §3.5,
/// doubled): an entry larger than its bound proves the exact gradient non-zero.
struct CertifiedGradients {
    private var gradients: [Matrix] = []
    private var errors: [Matrix] = []

    init(network: ReLUNetwork, pattern: [[Bool]], layers: Int) {
        var g = network.layers[0].weights
        var e = Matrix(rows: g.rows, columns: g.columns)
        var magnitude = g.absolute
        gradients.append(g); errors.append(e)
        for k in 1..<max(1, layers) {
            let w = network.layers[k].weights
            let gamma = 2 * Double(w.columns + 2) * Tolerances.unitRoundoff
            var next = Matrix(rows: w.rows, columns: g.columns), nextError = next, nextMagnitude = next
            for r in 0..<w.rows {
                for j in 0..<w.columns where pattern[k - 1][j] && w[r, j] != 0 {
                    let a = w[r, j]
                    for c in 0..<g.columns {
                        next[r, c] += a * g[j, c]
                        nextMagnitude[r, c] += abs(a) * magnitude[j, c]
                        nextError[r, c] += abs(a) * e[j, c]
                    }
                }
            }
            for index in nextError.storage.indices {
                nextError.storage[index] = 2 * gamma * nextMagnitude.storage[index] + (1 + 2 * gamma) * nextError.storage[index] + Double.leastNormalMagnitude
            }
            g = next; e = nextError; magnitude = nextMagnitude
            gradients.append(g); errors.append(e)
        }
    }

    func certainlyNonZero(layer k: Int, neuron i: Int) -> Bool {
        (0..<gradients[k].columns).contains { abs(gradients[k][i, $0]) > errors[k][i, $0] }
    }

    /// An upper bound on the Euclidean norm of the exact gradient of neuron (k, i).
    func normBound(layer k: Int, neuron i: Int) -> Double {
        let g = gradients[k].row(i), e = errors[k].row(i)
        return zip(g, e).reduce(0) { $0 + (abs($1.0) + $1.1) * (abs($1.0) + $1.1) }.squareRoot() * (1 + 1e-12)
    }
}

/// Every decided neuron's pre-activation as an affine function of x (gradient row and offset),
/// built in floating point with each product and sum checked to be exact (FMA residual and
/// TwoSum error zero): nil as soon as one operation rounds or a value is not finite. Networks
/// whose weights are small integers or binary fractions (identities, hand-made and degenerate
/// networks) pass, and their exact LP then has d + 1 columns instead of one per neuron.
struct ComposedRows {
    private var gradients: [Matrix] = []
    private var offsets: [[Double]] = []

    init?(network: ReLUNetwork, pattern: [[Bool]], decided: [Int]) {
        guard !decided.isEmpty else { return }
        gradients.append(network.layers[0].weights)
        offsets.append(network.layers[0].biases)
        for k in 1..<decided.count {
            let w = network.layers[k].weights, g = gradients[k - 1], c = offsets[k - 1]
            var next = Matrix(rows: w.rows, columns: g.columns)
            var nextOffsets = network.layers[k].biases
            for r in 0..<w.rows {
                for j in 0..<w.columns where pattern[k - 1][j] && w[r, j] != 0 {
                    for col in 0..<g.columns {
                        guard let sum = Self.exactMultiplyAdd(next[r, col], w[r, j], g[j, col]) else { return nil }
                        next[r, col] = sum
                    }
                    guard let sum = Self.exactMultiplyAdd(nextOffsets[r], w[r, j], c[j]) else { return nil }
                    nextOffsets[r] = sum
                }
            }
            gradients.append(next)
            offsets.append(nextOffsets)
        }
    }

    func row(layer k: Int, neuron i: Int) -> ([Double], Double) { (gradients[k].row(i), offsets[k][i]) }

    /// s + a·b when both the product and the sum are exact in double precision, else nil.
    /// The FMA residual proves a product exact only without underflow (the residual of a
    /// product is representable once |fl(ab)| ≥ 2⁻⁹⁶⁹, Boldo & Muller): 1e-200·1e-200 rounds
    /// to 0 with a residual that also rounds to 0, and was taken for an exact zero gradient.
    private static func exactMultiplyAdd(_ s: Double, _ a: Double, _ b: Double) -> Double? {
        let p = a * b
        guard p.isFinite, a == 0 || b == 0 || abs(p) >= 0x1p-969, (-p).addingProduct(a, b) == 0 else { return nil }
        let sum = s + p
        let bb = sum - s
        guard sum.isFinite, (s - (sum - bb)) + (p - bb) == 0 else { return nil }
        return sum
    }
}
