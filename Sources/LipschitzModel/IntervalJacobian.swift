/// The status of one hidden neuron when only part of the activation pattern is known.
public enum NeuronState: Sendable, Equatable {
    case active, inactive, unknown
}

/// Entrywise bounds `lower ≤ J ≤ upper` on every Jacobian `W_L D_{L-1} ⋯ D_0 W_0` whose
/// diagonals agree with a partial pattern (unknown neurons range over [0, 1]).
///
/// Sound by interval arithmetic: each product keeps the exact range of a point matrix times
/// an interval matrix. Used for upper bounds (LipBaB-style) and to bound unexplored subtrees.
public struct IntervalJacobian: Sendable {
    public let lower: Matrix
    public let upper: Matrix

    public init(network: ReLUNetwork, states: [[NeuronState]]) {
        precondition(states.map(\.count) == network.hiddenWidths, "states do not fit the network")
        var lo = network.layers[0].weights
        var hi = lo
        for k in 1..<network.layers.count {
            // Apply D_{k-1}: an unknown neuron's row ranges over the hull of 0 and itself.
            for (i, state) in states[k - 1].enumerated() {
                for c in 0..<lo.columns {
                    switch state {
                    case .active: break
                    case .inactive: lo[i, c] = 0; hi[i, c] = 0
                    case .unknown: lo[i, c] = min(0, lo[i, c]); hi[i, c] = max(0, hi[i, c])
                    }
                }
            }
            let w = network.layers[k].weights
            var newLo = Matrix(rows: w.rows, columns: lo.columns)
            var newHi = newLo
            for r in 0..<w.rows {
                for j in 0..<w.columns {
                    let a = w[r, j]
                    if a == 0 { continue }
                    for c in 0..<lo.columns {
                        if a > 0 {
                            newLo[r, c] += a * lo[j, c]; newHi[r, c] += a * hi[j, c]
                        } else {
                            newLo[r, c] += a * hi[j, c]; newHi[r, c] += a * lo[j, c]
                        }
                    }
                }
            }
            lo = newLo
            hi = newHi
        }
        lower = lo
        upper = hi
    }

    /// The entrywise largest magnitude M, with |J| ≤ M for every admissible J.
    public var magnitude: Matrix {
        Matrix(rows: lower.rows, columns: lower.columns,
               storage: zip(lower.storage, upper.storage).map { max(abs($0), abs($1)) })
    }

    /// A sound upper bound on ‖J‖_{p→p} over every admissible J: ‖M‖_{p→p} of the magnitude
    /// matrix, since these norms are monotone in entrywise absolute values.
    public func operatorNormBound(p: LipschitzNorm) throws -> Double {
        try operatorNorm(magnitude, p: p)
    }
}
