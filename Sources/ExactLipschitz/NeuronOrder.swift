import LipschitzModel

/// The order in which branch and bound splits each hidden layer's neurons: the LP search
/// decides neurons layer by layer in index order, so it runs on an equivalent network whose
/// neurons are permuted within each layer, most influential first, and reports its witnesses
/// in the original numbering.
///
/// Why: a subtree is pruned when the Jacobian bound over the completions of its pattern falls
/// below the best value; an undecided neuron widens that bound by roughly its influence on the
/// Jacobian, |backward path to the outputs| × |forward path from the inputs|. Deciding the
/// influential neurons first makes the bound fall fastest along every path, and leaves the
/// neurons that barely move it for the deep levels, where pruned subtrees are small anyway.
/// Influence of neuron i of layer k: ‖column i of |W_L|⋯|W_{k+1}|‖₂ · ‖row i of |W_k|⋯|W_0|‖₂
/// (entrywise absolute values: an upper bound on how much that neuron's indicator can change any
/// Jacobian entry, whatever the other neurons do). Ties keep the original order. Measured
/// (1 thread, nodes, the network's neurons permuted by hand, base build): random (4,16,16,16,1)
/// seed 8 91,014 → 72,288 (reverse order 107,278); double pendulum 49,137 → 28,907; wine
/// 11-12-12-1 4,743 → 3,827; cartpole 22,797 → 22,450.
///
/// Soundness: permuting a layer's neurons (rows of W_k and b_k, columns of W_{k+1}) gives the
/// same function with the same numbers, hence the same regions and Jacobians; only the shape of
/// the search tree changes. Region values and witnesses are computed on the original network
/// (`SharedSearchState.originalJacobian`), so they are the very numbers an unpermuted search gives. The order depends on the weights alone, so every thread count and
/// every shard uses the same one.
struct NeuronOrder: Sendable {
    /// `permutation[k][i]`: the original index of the searched network's neuron i in layer k.
    let permutation: [[Int]]

    init(influenceOf network: ReLUNetwork) {
        let layers = network.layers.map { $0.weights.absolute }
        let hidden = network.hiddenWidths.count
        var forward = layers[0]
        var orders: [[Int]] = []
        for k in 0..<hidden {
            if k > 0 { forward = layers[k] * forward }
            var backward = layers[hidden]
            for j in stride(from: hidden - 1, to: k, by: -1) { backward = backward * layers[j] }
            let influence = (0..<forward.rows).map { i in
                vectorNorm((0..<backward.rows).map { backward[$0, i] }, p: .two) * vectorNorm(forward.row(i), p: .two)
            }
            orders.append(influence.indices.sorted { influence[$0] != influence[$1] ? influence[$0] > influence[$1] : $0 < $1 })
        }
        permutation = orders
    }

    var isIdentity: Bool { permutation.allSatisfy { $0.enumerated().allSatisfy { $0.offset == $0.element } } }

    /// The network with each hidden layer's neurons in this order.
    func apply(to network: ReLUNetwork) throws -> ReLUNetwork {
        var layers = network.layers
        for (k, order) in permutation.enumerated() {
            let w = layers[k].weights, next = layers[k + 1].weights
            let rows = Matrix(rowArrays: order.map { w.row($0) })
            let columns = Matrix(rowArrays: (0..<next.rows).map { r in order.map { next[r, $0] } })
            layers[k] = AffineLayer(weights: rows, biases: order.map { layers[k].biases[$0] })
            layers[k + 1] = AffineLayer(weights: columns, biases: layers[k + 1].biases)
        }
        return try ReLUNetwork(name: network.name, layers: layers)
    }

    /// A pattern of the searched network in the original numbering.
    func original(_ pattern: ActivationPattern) -> ActivationPattern {
        ActivationPattern(layers: pattern.layers.enumerated().map { k, bits in
            var mapped = bits
            for (i, source) in permutation[k].enumerated() { mapped[source] = bits[i] }
            return mapped
        })
    }
}

/// A search on `order.apply(to: original)` that reports in `original`'s numbering.
struct Renumbering: Sendable {
    let order: NeuronOrder
    let original: ReLUNetwork
}
