import Foundation
import LinearProgramming
import LipschitzModel
import XCTest
import LipschitzTestSupport

/// The reference method: every one of the 2^n activation patterns gets its own fresh LP
/// (no warm start, no shared geometry, x-space coordinates) asking for an inscribed ball.
/// A pattern counts when the ball's radius exceeds `tolerance · scale`.
struct BruteForce {
    struct Result { var regions = 0; var best: [Double] }

    static func run(_ net: ReLUNetwork, norms: [LipschitzNorm], box: InputBox? = nil, tolerance: Double = 1e-7) throws -> Result {
        let d = net.inputDimension
        let scale: Double
        if let box {
            scale = box.widths.map { $0 / 2 }.max()!
        } else {
            var s = 0.0
            for i in 0..<net.layers[0].weights.rows {
                let w = net.layers[0].weights.row(i)
                let n = sqrt(w.reduce(0) { $0 + $1 * $1 })
                if n > 0 { s = max(s, abs(net.layers[0].biases[i]) / n) }
            }
            scale = s > 0 ? s : 1
        }
        let widths = net.hiddenWidths
        let n = widths.reduce(0, +)
        precondition(n <= 16, "brute force is for tiny networks")
        var result = Result(best: Array(repeating: 0, count: norms.count))
        patterns: for code in 0..<(1 << n) {
            var bits: [[Bool]] = []
            var t = 0
            for w in widths {
                bits.append((0..<w).map { i in (code >> (t + i)) & 1 == 1 })
                t += w
            }
            let lp = try LinearProgram(columns: d + 1, optimisation: .maximise)
            try lp.setObjective(Array(repeating: 0, count: d) + [1])
            try lp.setColumnBound(d, .between(0, scale))
            if let box {
                for i in 0..<d {
                    var row = Array(repeating: 0.0, count: d + 1)
                    row[i] = 1; row[d] = -1
                    try lp.addRow(row, .atLeast(box.lower[i]))
                    row[d] = 1
                    try lp.addRow(row, .atMost(box.upper[i]))
                }
            }
            // Affine map of the current layer's input: A x + c.
            var a = Matrix.identity(d)
            var c = Array(repeating: 0.0, count: d)
            for (k, layer) in net.layers.enumerated() {
                let z = layer.weights * a
                var zc = layer.weights * c
                for i in zc.indices { zc[i] += layer.biases[i] }
                if k == net.layers.count - 1 { break }
                for i in 0..<z.rows {
                    let row = z.row(i)
                    let length = sqrt(row.reduce(0) { $0 + $1 * $1 })
                    let magnitude = (0..<layer.weights.columns).reduce(0.0) { s, j in
                        s + abs(layer.weights[i, j]) * sqrt(a.row(j).reduce(0) { $0 + $1 * $1 })
                    }
                    if length <= 1e-10 * magnitude || length == 0 {
                        if bits[k][i] != (zc[i] > 0) { continue patterns }
                        continue
                    }
                    let sign = bits[k][i] ? 1.0 : -1.0
                    // sign·(row·x + zc) ≥ length·r
                    try lp.addRow(row.map { sign * $0 } + [-length], .atLeast(-sign * zc[i]))
                }
                a = z
                c = zc
                for i in 0..<a.rows where !bits[k][i] {
                    for j in 0..<d { a[i, j] = 0 }
                    c[i] = 0
                }
            }
            let solution = try lp.solve()
            guard solution.status == .optimal, solution.objective > tolerance * scale else { continue }
            result.regions += 1
            // Jacobian by its own product, not the package's.
            var j = net.layers[0].weights
            for k in 1..<net.layers.count {
                for i in 0..<j.rows where !bits[k - 1][i] { for col in 0..<d { j[i, col] = 0 } }
                j = net.layers[k].weights * j
            }
            for (m, norm) in norms.enumerated() { result.best[m] = max(result.best[m], try operatorNorm(j, p: norm)) }
        }
        return result
    }
}
