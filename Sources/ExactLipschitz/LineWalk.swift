import LipschitzModel

extension LineSweeper {
    /// Walks the sorted crossings carrying the Jacobian and the count of box faces on their
    /// negative side; handles the owned vertices inside the box: those whose ordinal lies in
    /// `ordinals`, and those `extra` adds, planes of a group above a plane (`LineCover`; group
    /// −1: none). The line's data are in flat buffers, so that the per-vertex work touches no
    /// array and no reference count.
    func walk(_ line: [Int], _ n: Int, ordinals: Range<Int>, extra: (group: Int32, above: Int),
              into outcome: inout SweepOutcome) -> Bool {
        let (functionalSign, orientation) = load(line)
        let last = line.last ?? -1
        let first = last + 1 + ordinals.lowerBound, end = last + 1 + ordinals.upperBound
        var faces = negativeFaces
        for i in 0..<n {
            let k = plane(i), r = rate[k]
            // first ≤ k < end as one unsigned comparison.
            let handled = UInt(bitPattern: k &- first) < UInt(bitPattern: end &- first) || (coverGroup[k] == extra.group && k > extra.above)
            if handled {
                // Faces through the vertex are free; any other face negative puts it outside.
                let beforeNegativeFace = k >= networkCount && r > 0
                if faces == (beforeNegativeFace ? 1 : 0) {
                    guard vertex(plane: k, rate: r, before: running, functionalSign: functionalSign, orientation: orientation,
                                 into: &outcome) else { return false }
                }
            }
            if k < networkCount {
                // ±1·flip is exact: the same sum as adding or subtracting, without a branch on the side.
                let f = flip + k * m, sign = r > 0 ? 1.0 : -1.0
                for e in 0..<m { running[e] += sign * f[e] }
            } else {
                faces += r > 0 ? -1 : 1
            }
            if i & 4095 == 4095 && control.shouldStop() { outcome.complete = false; return false }
        }
        return true
    }

    /// A line through a box face owns only crossings with faces (they come last among the
    /// planes), of which at most two lie on the box: their Jacobians are summed directly, each
    /// side decided by the pair's rounding radii, instead of sorting the line. Nil when a pair
    /// is too close to call: the caller then sorts and certifies the whole line.
    func sweepFaceLine(_ line: [Int], ordinals: Range<Int>, into outcome: inout SweepOutcome) -> Bool? {
        let last = line.last ?? -1
        var loaded: (Double, Double)?
        for ordinal in ordinals {
            let k = last + 1 + ordinal
            guard rate[k] != 0 else { continue }  // parallel to the line: no vertex
            let t = position[k], tk = radius[k]
            // The side of plane j at the crossing of k (nil: too close to call).
            func positive(_ j: Int) -> Bool? {
                if rate[j] == 0 { return position[j] > 0 }
                let gap = t - position[j]
                guard abs(gap) > tk + radius[j] else { return nil }
                return (gap > 0) == (rate[j] > 0)
            }
            var inside = true
            for f in networkCount..<count where f != k && !line.contains(f) {
                guard let side = positive(f) else { return nil }
                if !side { inside = false; break }
            }
            if !inside { continue }
            arrangement.base.withUnsafeBufferPointer { running.update(from: $0.baseAddress!, count: m) }
            for j in 0..<networkCount where !line.contains(j) {
                guard let side = positive(j) else { return nil }
                if side { for e in 0..<m { running[e] += flip[j * m + e] } }
            }
            if loaded == nil { loaded = load(line) }
            if !vertex(plane: k, rate: rate[k], before: running, functionalSign: loaded!.0, orientation: loaded!.1, into: &outcome) { return false }
        }
        return true
    }

    /// Copies the line's members to the flat buffer and certifies the functional's
    /// coefficients on it (`CertifiedLine.loadCoefficients`); returns the sign of c·D (decided
    /// exactly when its bound does not: `exactFunctionalSign`; 0 only when c·D = 0, so any vertex
    /// on this line is degenerate) and the line's orientation (the sign of D_s).
    private func load(_ line: [Int]) -> (Double, Double) {
        for i in 0..<(d - 1) { members[i] = line[i] }
        let sign = certified.loadCoefficients(line, normals: rawA)
        return (sign != 0 ? sign : exactFunctionalSign(line), certified.orientation)
    }

    /// One vertex: the signs of λ in c = Σ λ_i a_i name the cell whose lowest vertex this is,
    /// decided with proven bounds (`CertifiedLine.loadCoefficients`: λ_k R_k = c·D and
    /// λ_j R_k = w_k·g_j), and exactly where a bound does not separate a sign from zero
    /// (`uncertainVertex`, out of line: the hot loop is as it was); only λ = 0 (c in a face's
    /// span) is degenerate. A face with negative λ means that cell lies outside the box.
    /// `before` is the Jacobian just before the crossing. False when the work must end.
    /// `lambda` keeps the signs (±1).
    @inline(__always)
    private func vertex(plane k: Int, rate: Double, before: UnsafePointer<Double>, functionalSign: Double, orientation: Double,
                        into outcome: inout SweepOutcome) -> Bool {
        outcome.vertices += 1
        let k1 = d - 1
        // The sign of R_k: rate = R_k·orientation/(‖w_k‖‖D‖).
        let rSign: Double = (rate > 0) == (orientation > 0) ? 1 : -1
        guard functionalSign != 0 else { outcome.degenerate = true; return false }
        let row = rawA + k * d, size = weightSize[k], tiny = Tolerances.sweepUnderflowAllowance
        for j in 0..<k1 {
            let g = coefficientVectors + j * d
            var s = 0.0
            for c in 0..<d { s += row[c] * g[c] }
            guard abs(s) > size * coefficientErrors[j] + tiny else {
                return uncertainVertex(plane: k, rate: rate, before: before, functionalSign: functionalSign, rSign: rSign, into: &outcome)
            }
            lambda[j] = s > 0 ? rSign : -rSign
        }
        return countVertex(plane: k, rate: rate, before: before, functionalSign: functionalSign, rSign: rSign, into: &outcome)
    }

    /// The rest of `vertex` once every λ_j sign is in `lambda`: the cell named, counted and
    /// evaluated unless it lies outside the box.
    @inline(__always)
    private func countVertex(plane k: Int, rate: Double, before: UnsafePointer<Double>, functionalSign: Double, rSign: Double,
                             into outcome: inout SweepOutcome) -> Bool {
        let k1 = d - 1
        let lk = functionalSign * rSign
        lambda[k1] = lk
        for i in 0..<k1 where members[i] >= networkCount && lambda[i] < 0 { return true }
        if k >= networkCount && lk < 0 { return true }
        if let claim = control.claim {
            if budget == 0 { budget = claim() }
            if budget == 0 { outcome.complete = false; return false }
            budget -= 1
        }
        outcome.regions += 1
        formCellJacobian(before: before, plane: k, rate: rate, crossingSign: lk)
        return evaluate(plane: k, into: &outcome)
    }

    /// A vertex where some λ_j sign is within its bound: every λ_j from the exact sign of
    /// w_k·g_j (`exactCoefficientSign`), then as usual; degenerate when one is exactly zero.
    @inline(never)
    private func uncertainVertex(plane k: Int, rate: Double, before: UnsafePointer<Double>, functionalSign: Double, rSign: Double,
                                 into outcome: inout SweepOutcome) -> Bool {
        for j in 0..<(d - 1) {
            let exactSign = exactCoefficientSign(member: j, plane: k)
            guard exactSign != 0 else { outcome.degenerate = true; return false }
            lambda[j] = exactSign > 0 ? rSign : -rSign
        }
        return countVertex(plane: k, rate: rate, before: before, functionalSign: functionalSign, rSign: rSign, into: &outcome)
    }

    /// The cell's Jacobian from the one just before the crossing: plane k was on its side
    /// before the crossing (positive iff rate < 0) and is on the cell's (λ_k's) side, each
    /// network member on λ's side. The flips are added times 0 or ±1 (exact: adding 0·flip
    /// changes at most the sign of a zero, which no norm sees), in the order of a direct sum.
    @inline(__always)
    private func formCellJacobian(before: UnsafePointer<Double>, plane k: Int, rate: Double, crossingSign lk: Double) {
        for e in 0..<m { cellJacobian[e] = before[e] }
        if k < networkCount {
            let coefficient = (lk > 0 ? 1.0 : 0.0) - (rate < 0 ? 1.0 : 0.0), f = flip + k * m
            for e in 0..<m { cellJacobian[e] += coefficient * f[e] }
        }
        for i in 0..<(d - 1) where members[i] < networkCount {
            let weight = lambda[i] > 0 ? 1.0 : 0.0, f = flip + members[i] * m
            for e in 0..<m { cellJacobian[e] += weight * f[e] }
        }
    }

    /// Compares the cell's Jacobian with the best so far for every norm (scalar outputs: the
    /// dual norm of the gradient, by its proxy when safe); improvements are recorded apart
    /// (`record`), so that this stays small enough to inline.
    @inline(__always)
    private func evaluate(plane k: Int, into outcome: inout SweepOutcome) -> Bool {
        let jacobian = UnsafeBufferPointer(start: cellJacobian, count: m)
        for n in 0..<norms.count {
            let score: Double
            if scalar {
                let dual = dualNormList[n]
                score = useProxy ? normProxy(jacobian, p: dual) : vectorNorm(jacobian, p: dual)
            } else {
                score = matrixScore(n)
            }
            guard score.isFinite else { outcome.degenerate = true; return false }
            if score > bestScore[n] { record(score, norm: n, plane: k, into: &outcome) }
        }
        return true
    }

    @inline(never)
    private func matrixScore(_ n: Int) -> Double {
        let jacobian = Array(UnsafeBufferPointer(start: cellJacobian, count: m))
        return (try? operatorNorm(Matrix(rows: arrangement.outputs, columns: arrangement.jacobianColumns, storage: jacobian), p: norms[n])) ?? .nan
    }

    /// A new best for norm n: its value (the norm itself, not the proxy) and its vertex; in
    /// collect mode, one more candidate.
    @inline(never)
    private func record(_ score: Double, norm n: Int, plane k: Int, into outcome: inout SweepOutcome) {
        let vertex = SweepVertex(line: Array(UnsafeBufferPointer(start: members, count: d - 1)), plane: k,
                                 positive: (0..<d).map { lambda[$0] > 0 })
        if collecting {
            guard outcome.candidates[n].count < candidateLimit else {
                outcome.overflowed = true
                bestScore[n] = .infinity  // nothing more to keep for this norm
                return
            }
            outcome.candidates[n].append(vertex)
            return
        }
        bestScore[n] = score
        let jacobian = UnsafeBufferPointer(start: cellJacobian, count: m)
        outcome.best[n] = scalar && useProxy ? vectorNorm(jacobian, p: dualNorms[n]) : score
        outcome.witness[n] = vertex
    }

    /// Hands unused region permission back (`--max-regions`).
    func returnBudget(_ give: (Int) -> Void) {
        if budget > 0 { give(budget); budget = 0 }
    }
}
