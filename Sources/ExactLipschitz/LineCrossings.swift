import LipschitzModel

/// A line of the sweep before its crossings are computed.
enum LineSetup {
    /// Two of its planes are exactly parallel (and distinct): they cut out no line.
    case empty
    case ready
}

extension LineSweeper {
    /// Whether the line's planes are exactly parallel (empty): then it holds no vertex.
    func setUp(_ line: [Int]) -> LineSetup {
        hasParallelPair(line) ? .empty : .ready
    }

    /// The line's Gram–Schmidt frame (point and direction), for the witness and the box's
    /// extent; nil when `setUp` would not call it ready.
    func frame(_ line: [Int]) -> LineFrame<Double>? {
        if hasParallelPair(line) { return nil }
        var rows: [Double] = [], offsets: [Double] = []
        for k in line {
            for c in 0..<d { rows.append(a[k * d + c]) }
            offsets.append(b[k])
        }
        guard let frame = LineFrame(rows: rows, offsets: offsets, dimension: d),
              frame.smallestPivot >= Tolerances.sweepSmallestPivot else { return nil }
        return frame
    }

    /// Whether two of the line's planes are exactly parallel (one group).
    private func hasParallelPair(_ line: [Int]) -> Bool {
        for i in line.indices {
            for j in (i + 1)..<max(i + 1, line.count) where groupOf[line[i]] == groupOf[line[j]] { return true }
        }
        return false
    }

    /// Computes every other plane's crossing with the line (packed entries: position, plane)
    /// and the state at x_s = −∞: `running` (the Jacobian with the line's planes on their
    /// negative sides) and `negativeFaces`. Every side and every position comes from the
    /// network's own numbers with a proven bound (`CertifiedLine`); a plane in the group of a
    /// line member is exactly parallel to the line (R = 0) and keeps the side of −X/D_s (decided
    /// exactly when the bound does not: `exactParallelSide`). Nearly dependent line planes and
    /// nearly parallel crossing planes need no special case: every value is certified from the
    /// network's numbers however small D or R are, once the bound separates them from zero. Nil
    /// when the line's direction is not certified (`CertifiedLine.load`), a parallel plane
    /// contains the line, or a crossing's R is within its bound: not in general position within
    /// the bounds, so the LP search decides.
    ///
    /// The radius of τ̂ = fl(X̂/R̂): with |X̂ − X| ≤ e_X, |R̂ − R| ≤ e_R < |R̂|,
    /// |X/R − X̂/R̂| = |(X − X̂)R̂ − X̂(R − R̂)| / |R R̂| ≤ (e_X + |X̂/R̂| e_R)/(|R̂| − e_R), and the
    /// division adds u|X̂/R̂| ≤ u|τ̂|/(1 − u). The expression has at most six roundings, each a
    /// factor within 1 ± u, covered by 1 + 8u (with 2u|τ̂| for the division); a further 4u(|τ̂| + ρ)
    /// covers the roundings of the comparisons made with τ̂ ± ρ (`orderIsCertain`, the gaps of
    /// `sweepFaceLine`, the cluster cuts and interval tests of `resolveOrder`): hence the factors 1 + 12u and 6u|τ̂| below.
    func crossings(_ line: [Int]) -> Int? {
        guard certified.load(line, normals: rawA, offsets: rawB) else { return nil }
        let values = LineValues(certified)
        let scale = certified.orientation / certified.directionLength
        arrangement.base.withUnsafeBufferPointer { running.update(from: $0.baseAddress!, count: m) }
        negativeFaces = 0
        var n = 0, nextMember = 0
        let lineCount = line.count
        for k in 0..<count {
            if nextMember < lineCount && line[nextMember] == k { nextMember += 1; continue }
            let (x, r, eX, eR) = certifiedValues(k, values)
            let positiveAtStart: Bool
            if d > 1 && hasParallel[k] && line.contains(where: { groupOf[$0] == groupOf[k] }) {
                guard let positive = parallelSide(line, plane: k, x: x, eX: eX) else { return nil }
                positiveAtStart = positive
            } else if abs(r) > eR, case let flat = r * inverseLength[k] * scale, flat != 0 {
                // However flat the crossing (a plane nearly parallel to the line meets it far
                // out), its position is certified once R̂ is separated from zero; its vertex is
                // inside the box (`vertexExtent`). A rate that underflows to zero would read as
                // parallel: not placed.
                let t = x / r
                rate[k] = flat
                position[k] = t
                radius[k] = crossingRadius(t, r, eX, eR)
                entries[n] = CrossingSort.pack(t, k)
                n += 1
                positiveAtStart = flat < 0
            } else {
                // R̂ within its bound: parallel to the line only if R = 0 exactly (d ≥ 3: the
                // normal lies in the span of the line's normals), else not placed.
                guard abs(r) <= eR, exactRateIsZero(line, plane: k),
                      let positive = parallelSide(line, plane: k, x: x, eX: eX) else { return nil }
                positiveAtStart = positive
            }
            if k < networkCount {
                if positiveAtStart { for e in 0..<m { running[e] += flip[k * m + e] } }
            } else if !positiveAtStart {
                negativeFaces += 1
            }
        }
        return n
    }

    /// A plane parallel to the line (R = 0): its constant side, the sign of −X/D_s, exactly
    /// (`exactParallelSide`) when X̂ is within its bound; recorded as rate 0 and position ±1.
    /// Nil when X = 0 too (the plane contains the line).
    private func parallelSide(_ line: [Int], plane k: Int, x: Double, eX: Double) -> Bool? {
        let positive: Bool
        if abs(x) > eX { positive = (x > 0) != (certified.orientation > 0) } else {
            guard let exactSide = exactParallelSide(line, plane: k) else { return nil }
            positive = exactSide
        }
        rate[k] = 0
        position[k] = positive ? 1 : -1
        return positive
    }

    /// X̂ and R̂ of plane k on the loaded line (`CertifiedLine`), with their error bounds; the
    /// line's vectors and bounds are read once per line (`LineValues`), not per plane.
    @inline(__always)
    private func certifiedValues(_ k: Int, _ line: LineValues) -> (x: Double, r: Double, eX: Double, eR: Double) {
        let u = line.u, v = line.v, tiny = Tolerances.sweepUnderflowAllowance
        let row = rawA + k * d
        var x = rawB[k] * u[d], r = 0.0
        for c in 0..<d { x += row[c] * u[c]; r += row[c] * v[c] }
        return (x, r, weightSize[k] * line.uError + abs(rawB[k]) * line.uOffsetError + tiny, weightSize[k] * line.vError + tiny)
    }

    /// The proven radius of τ̂ = fl(X̂/R̂) (see `crossings`); needs |R̂| > e_R.
    @inline(__always)
    private func crossingRadius(_ t: Double, _ r: Double, _ eX: Double, _ eR: Double) -> Double {
        let unit = Tolerances.unitRoundoff, size = abs(t)
        return (eX + size * eR * (1 + unit)) / (abs(r) - eR) * (1 + 12 * unit) + 6 * unit * size + Tolerances.sweepUnderflowAllowance
    }

    /// True when the sorted crossings' intervals τ̂ ± ρ are pairwise disjoint (each starts above
    /// every earlier one's end), so the computed order is the exact order of the network's
    /// planes' crossings: by `crossings`' bounds the true τ lies in its interval, and the
    /// rounding of τ̂ ± ρ itself is covered by the radius's extra 4u(|τ̂| + ρ).
    func orderIsCertain(_ n: Int) -> Bool {
        var reach = -Double.infinity
        for i in 0..<n {
            let k = plane(i)
            let t = position[k], r = radius[k]
            if !(t - r > reach) { return false }
            reach = max(reach, t + r)
        }
        return true
    }

    /// The largest coordinate of a vertex of the network's planes on `line` (its own vertices:
    /// crossing planes above its last member), for the box that holds them all. Only the
    /// extreme crossings t are evaluated: each coordinate fl(p_c + fl(t·dir_c)) is monotone in t
    /// (rounding is monotone), so its magnitude is largest at the smallest or the largest t —
    /// the same value as evaluating every crossing. A crossing at a rate below
    /// `sweepSmallestPivot` (a plane nearly parallel to the line, its vertex far out, where the
    /// frame's rounding could misplace it) is bounded from the certified values instead
    /// (`certifiedExtent`); infinity when it cannot be (the caller then has no box).
    func vertexExtent(_ line: [Int]) -> Double {
        guard let frame = frame(line) else { return hasParallelPair(line) ? 0 : certifiedExtent(line) }
        let point = frame.point, direction = frame.direction
        var low = Double.infinity, high = -Double.infinity, flat = false
        point.withUnsafeBufferPointer { p in
            direction.withUnsafeBufferPointer { dir in
                for k in ((line.last ?? -1) + 1)..<networkCount {
                    if d > 1 && hasParallel[k] && line.contains(where: { groupOf[$0] == groupOf[k] }) { continue }
                    let row = a + k * d
                    var dot = b[k], r = 0.0
                    for c in 0..<d { dot += row[c] * p[c]; r += row[c] * dir[c] }
                    guard abs(r) >= Tolerances.sweepSmallestPivot else { flat = true; continue }
                    let t = -dot / r
                    low = min(low, t)
                    high = max(high, t)
                }
            }
        }
        var largest = 0.0
        if low <= high { for t in [low, high] { for c in 0..<d { largest = max(largest, abs(point[c] + t * direction[c])) } } }
        return flat ? max(largest, certifiedExtent(line)) : largest
    }

    /// A bound on every coordinate of the line's own vertices from the certified values alone
    /// (no frame): the vertex of plane k has x_s = τ_k with |τ_k| ≤ |τ̂_k| + ρ_k = T, and the
    /// coordinate function x_c is the plane ã = e_c, whose value at the point x_s = τ is
    /// (τ·R_c − X_c)/D_s with R_c = v_c, X_c = u_c (`CertifiedLine`), each within its bound
    /// (‖e_c‖₁ = 1). So |x_c| ≤ (T(|v̂_c| + e_v) + |û_c| + e_u)/(|v̂_s| − e_v); the few roundings of
    /// that expression are covered by 1 + 16u. Infinity when a crossing cannot be certified
    /// (|R̂| within its bound and R not exactly 0) or the line's direction is not certain.
    private func certifiedExtent(_ line: [Int]) -> Double {
        guard certified.load(line, normals: rawA, offsets: rawB) else { return .infinity }
        let values = LineValues(certified)
        var far = 0.0
        for k in ((line.last ?? -1) + 1)..<networkCount {
            if d > 1 && hasParallel[k] && line.contains(where: { groupOf[$0] == groupOf[k] }) { continue }
            let (x, r, eX, eR) = certifiedValues(k, values)
            guard abs(r) > eR else {
                if exactRateIsZero(line, plane: k) { continue }  // parallel to the line: no vertex
                return .infinity
            }
            let t = x / r
            far = max(far, abs(t) + crossingRadius(t, r, eX, eR))
        }
        let u = certified.u, v = certified.v, eu = certified.uError, ev = certified.vError
        let ds = abs(v[certified.axis]) - ev
        guard ds > 0 else { return .infinity }
        var largest = 0.0
        for c in 0..<d { largest = max(largest, (far * (abs(v[c]) + ev) + abs(u[c]) + eu) / ds) }
        return largest * (1 + 16 * Tolerances.unitRoundoff)
    }

    /// The point of the loaded line with x_s = τ (approximately: x_c = (τ v̂_c − û_c)/v̂_s), a
    /// starting point for the witness, which certifies what it builds on it.
    func pointOnLine(at t: Double) -> [Double] {
        let u = certified.u, v = certified.v, ds = v[certified.axis]
        return (0..<d).map { c in c == certified.axis ? t : (t * v[c] - u[c]) / ds }
    }
}

/// The loaded line's vectors u, v and their error bounds, copied out of `CertifiedLine` once
/// per line: the per-plane loop then reads locals, not class properties.
struct LineValues {
    let u: UnsafeMutablePointer<Double>, v: UnsafeMutablePointer<Double>
    let uError: Double, uOffsetError: Double, vError: Double

    init(_ line: CertifiedLine) {
        (u, v) = (line.u, line.v)
        (uError, uOffsetError, vError) = (line.uError, line.uOffsetError, line.vError)
    }
}
