import LipschitzModel

extension LineSweeper {
    /// Walks the sorted crossings carrying the Jacobian and the count of box faces on their
    /// negative side; handles the owned vertices inside the box.
    func walk(_ line: [Int], _ frame: LineFrame<Double>, _ n: Int, ordinals: Range<Int>, into outcome: inout SweepOutcome) -> Bool {
        let last = line.last ?? -1
        var faces = negativeFaces
        var qc = [Double](repeating: 0, count: max(1, d - 1))
        functional.withUnsafeBufferPointer { frame.project($0.baseAddress!, into: &qc) }
        let cDir = zip(functional, frame.direction).reduce(0) { $0 + $1.0 * $1.1 }
        let kappa = 1 / frame.smallestPivot
        for i in 0..<n {
            let k = Int(values[i]), r = rate[k]
            if k > last && ordinals.contains(k - last - 1) {
                // Faces through the vertex are free; any other face negative puts it outside.
                let beforeNegativeFace = k >= networkCount && r > 0
                if faces - (beforeNegativeFace ? 1 : 0) == 0 {
                    let situation = VertexSituation(line: line, plane: k, rate: r, kappa: kappa, qc: qc, cDir: cDir)
                    if !vertex(situation, frame, into: &outcome) { return false }
                }
            }
            if k < networkCount {
                let f = flip + k * m
                if r > 0 { for e in 0..<m { running[e] += f[e] } } else { for e in 0..<m { running[e] -= f[e] } }
            } else {
                faces += r > 0 ? -1 : 1
            }
            if i & 4095 == 4095 && control.shouldStop() { outcome.complete = false; return false }
        }
        return true
    }

    struct VertexSituation {
        let line: [Int]
        let plane: Int
        let rate: Double
        let kappa: Double
        let qc: [Double]
        let cDir: Double
    }

    /// One vertex: the sign of each λ in c = Σ λ_i a_i names the cell whose lowest vertex this
    /// is (λ_k = c·dir / rate; the members' λ from Lᵀλ = Q(c − λ_k a_k)). A λ within its
    /// rounding bound of zero means c is nearly in a face's span: degenerate. A face with
    /// negative λ means that cell lies outside the box. False when the work must end.
    private func vertex(_ s: VertexSituation, _ frame: LineFrame<Double>, into outcome: inout SweepOutcome) -> Bool {
        outcome.vertices += 1
        let k = s.plane, last = d - 1
        let lk = s.cDir / s.rate
        frame.project(a + k * d, into: projected)
        var total = abs(lk)
        for i in 0..<last { lambda[i] = s.qc[i] - lk * projected[i] }
        frame.coefficients(lambda)
        for i in 0..<last { total += abs(lambda[i]) }
        lambda[last] = lk
        let tolerance = roundoff * s.kappa / abs(s.rate) * (functionalSize + total)
        for i in 0..<d where !(abs(lambda[i]) > tolerance) { outcome.degenerate = true; return false }
        for i in 0..<last where s.line[i] >= networkCount && lambda[i] < 0 { return true }
        if k >= networkCount && lk < 0 { return true }
        if let claim = control.claim {
            if budget == 0 { budget = claim() }
            if budget == 0 { outcome.complete = false; return false }
            budget -= 1
        }
        outcome.regions += 1
        for e in 0..<m { cellJacobian[e] = running[e] }
        if k < networkCount {
            // `running` has plane k on its side before the crossing (positive iff rate < 0).
            let coefficient = (lk > 0 ? 1.0 : 0.0) - (s.rate < 0 ? 1.0 : 0.0)
            if coefficient != 0 { for e in 0..<m { cellJacobian[e] += coefficient * flip[k * m + e] } }
        }
        for i in 0..<last where s.line[i] < networkCount && lambda[i] > 0 {
            let f = flip + s.line[i] * m
            for e in 0..<m { cellJacobian[e] += f[e] }
        }
        return evaluate(s, into: &outcome)
    }

    /// Compares the cell's Jacobian with the best so far for every norm (scalar outputs: the
    /// dual norm of the gradient, by its proxy when safe).
    private func evaluate(_ s: VertexSituation, into outcome: inout SweepOutcome) -> Bool {
        let jacobian = UnsafeBufferPointer(start: cellJacobian, count: m)
        for n in norms.indices {
            let score: Double
            if scalar {
                score = useProxy ? normProxy(jacobian, p: dualNorms[n]) : vectorNorm(jacobian, p: dualNorms[n])
            } else {
                score = (try? operatorNorm(Matrix(rows: arrangement.outputs, columns: d, storage: Array(jacobian)), p: norms[n])) ?? .nan
            }
            guard score.isFinite else { outcome.degenerate = true; return false }
            if score > bestScore[n] {
                bestScore[n] = score
                outcome.best[n] = scalar && useProxy ? vectorNorm(jacobian, p: dualNorms[n]) : score
                outcome.witness[n] = SweepVertex(line: s.line, plane: s.plane, positive: (0..<d).map { lambda[$0] > 0 })
            }
        }
        return true
    }

    /// Hands unused region permission back (`--max-regions`).
    func returnBudget(_ give: (Int) -> Void) {
        if budget > 0 { give(budget); budget = 0 }
    }
}
