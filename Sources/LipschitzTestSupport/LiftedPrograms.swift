import LipschitzModel

/// The two exact questions the brute force asks, as linear programs in lifted form: every
/// coefficient is one of the network's own doubles (or ±1), never a product computed in floating
/// point, so `RationalLP` answers them exactly.
enum LiftedPrograms {
    /// Is the set of points with pattern `bits` (first `decided` neurons, layer by layer)
    /// full-dimensional (inside the box's interior when there is a box)?
    ///
    /// Soundness. Fix the pattern of layers < k; then each neuron of layer k has an affine
    /// pre-activation p_i(x) on the candidate set, and that set is
    ///   {x : p_i(x) > 0 (active), p_i(x) ≤ 0 (inactive)} for every decided neuron.
    /// It has nonempty interior iff the open set S where every non-constant p_i is strictly on
    /// its side (and every constant p_i has the right sign) is nonempty: S is open and inside
    /// the set; conversely an open subset of the set minus the finitely many hyperplanes
    /// p_i = 0 of non-constant neurons is nonempty and lies in S. A constant neuron has no
    /// hyperplane and only its sign matters, so it gets no margin. S ≠ ∅ iff the LP
    ///   max t  s.t.  p_i − t ≥ 0 (active), −p_i − t ≥ 0 (inactive, non-constant),
    ///               −p_i ≥ 0 (inactive, constant), x_j − lo_j ≥ t, hi_j − x_j ≥ t, t ≤ 1
    /// has optimum t* > 0. Lifting: z_j = p_j(x) for each active neuron (its post-activation,
    /// inactive ones output 0 and are left out), with equality rows z_j = W_j·(inputs) + b_j,
    /// so every p_i is linear in (x, z) with the network's own coefficients; the lifted feasible
    /// set is the graph of x ↦ z, so it projects onto the x-space program without change.
    static func isFullDimensional(_ network: ReLUNetwork, box: InputBox?, bits: [[Bool]],
                                  constant: [[Bool]], decided: Int) throws -> Bool {
        let d = network.inputDimension
        var next = d
        var zColumn: [[Int?]] = []
        var remaining = decided
        for k in bits.indices {
            zColumn.append(bits[k].indices.map { i in
                guard i < remaining, bits[k][i] else { return nil }
                defer { next += 1 }
                return next
            })
            remaining = max(0, remaining - bits[k].count)
        }
        let t = next
        let lp = RationalLP(columns: t + 1)
        lp.setObjective(column: t)
        try lp.addRow([(t, 1)], .atMost, 1)
        if let box {
            for j in 0..<d {
                try lp.addRow([(j, 1), (t, -1)], .atLeast, box.lower[j])
                try lp.addRow([(j, -1), (t, -1)], .atLeast, -box.upper[j])
            }
        }
        remaining = decided
        for k in bits.indices where remaining > 0 {
            let inputs = k == 0 ? (0..<d).map { ($0, $0) } : activeColumns(zColumn[k - 1])
            for i in 0..<min(bits[k].count, remaining) {
                let w = network.layers[k].weights, b = network.layers[k].biases[i]
                let terms = inputs.map { (column, j) in (column, w[i, j]) }
                let negated = terms.map { ($0.0, -$0.1) }
                if bits[k][i] {
                    try lp.addRow(terms + [(t, -1)], .atLeast, -b)             // p_i ≥ t
                    try lp.addRow([(zColumn[k][i]!, 1)] + negated, .equal, b)  // z_i = p_i
                } else if constant[k][i] {
                    try lp.addRow(negated, .atLeast, b)                        // p_i ≤ 0
                } else {
                    try lp.addRow(negated + [(t, -1)], .atLeast, b)            // p_i ≤ −t
                }
            }
            remaining -= bits[k].count
        }
        if case .optimal(let sign, _) = try lp.solve() { return sign > 0 }
        return false
    }

    /// Is neuron `i` of layer `k` constant wherever layers < k have pattern `bits`, i.e. is its
    /// gradient g = W_k[i] D_{k−1} W_{k−1} ⋯ D_0 W_0 zero?
    ///
    /// Soundness: g = 0 iff max g·v over v ∈ [−1, 1]^d is 0 (otherwise v = sign(g) gives
    /// ‖g‖₁ > 0). In tangent form u_0 = W_0 v on active layer-0 neurons, u_l = W_l u_{l−1} on
    /// active layer-l neurons (inactive ones contribute 0), g·v = W_k[i]·u_{k−1}: each row holds
    /// network doubles only, and the objective is a column with its own defining row.
    static func isConstant(_ network: ReLUNetwork, layer k: Int, neuron i: Int, bits: [[Bool]]) throws -> Bool {
        let w = network.layers[k].weights
        if k == 0 { return (0..<w.columns).allSatisfy { w[i, $0] == 0 } }
        // No active input with a non-zero weight: constant without any arithmetic.
        if !(0..<w.columns).contains(where: { bits[k - 1][$0] && w[i, $0] != 0 }) { return true }
        let d = network.inputDimension
        var next = d
        var uColumn: [[Int?]] = []
        for l in 0..<k {
            uColumn.append(bits[l].map { active in
                guard active else { return nil }
                defer { next += 1 }
                return next
            })
        }
        let g = next
        let lp = RationalLP(columns: g + 1)
        for j in 0..<d { lp.bound(j, lower: -1, upper: 1) }
        lp.setObjective(column: g)
        for l in 0..<k {
            let inputs = l == 0 ? (0..<d).map { ($0, $0) } : activeColumns(uColumn[l - 1])
            let wl = network.layers[l].weights
            for (row, column) in uColumn[l].enumerated() {
                guard let column else { continue }
                try lp.addRow([(column, 1)] + inputs.map { ($0.0, -wl[row, $0.1]) }, .equal, 0)
            }
        }
        try lp.addRow([(g, 1)] + activeColumns(uColumn[k - 1]).map { ($0.0, -w[i, $0.1]) }, .equal, 0)
        guard case .optimal(let sign, _) = try lp.solve() else {
            throw BruteForceError.impossible("tangent program infeasible although v = 0 is feasible")
        }
        return sign == 0
    }

    /// (column, neuron index) of the active neurons of a layer.
    private static func activeColumns(_ columns: [Int?]) -> [(Int, Int)] {
        columns.enumerated().compactMap { j, column in column.map { ($0, j) } }
    }
}
