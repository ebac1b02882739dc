import LipschitzModel

/// A line of the sweep before its crossings are computed.
enum LineSetup {
    /// Two of its planes are exactly parallel (and distinct): they cut out no line.
    case empty
    /// Its planes are nearly dependent: not in general position within the rounding.
    case degenerate
    case ready(LineFrame<Double>)
}

extension LineSweeper {
    func setUp(_ line: [Int]) -> LineSetup {
        for i in line.indices {
            for j in (i + 1)..<max(i + 1, line.count) where groupOf[line[i]] == groupOf[line[j]] { return .empty }
        }
        var rows: [Double] = [], offsets: [Double] = []
        for k in line {
            for c in 0..<d { rows.append(a[k * d + c]) }
            offsets.append(b[k])
        }
        guard let frame = LineFrame(rows: rows, offsets: offsets, dimension: d),
              frame.smallestPivot >= Tolerances.sweepSmallestPivot else { return .degenerate }
        return .ready(frame)
    }

    /// Computes every other plane's crossing with the line (keys/values: position, plane) and
    /// the state at t = −∞: `running` (the Jacobian with the line's planes on their negative
    /// sides) and `negativeFaces`. A plane in the group of a line member is parallel to the line
    /// and keeps one side, certified by its rounding bound. Nil when a crossing is too flat to
    /// place or a parallel plane too close to call: not in general position.
    ///
    /// Rounding: with κ = 1/pivot, the frame's point and direction are accurate to about
    /// κ·u·|p| and κ·u, so a·p + β to u(κ|p| + |β|) and the rate to κu; hence the radius of t.
    func crossings(_ line: [Int], _ frame: LineFrame<Double>) -> Int? {
        let p = frame.point, dir = frame.direction
        let kappa = 1 / frame.smallestPivot, pNorm = vectorNorm(p, p: .two)
        let memberGroups = line.map { groupOf[$0] }
        arrangement.base.withUnsafeBufferPointer { running.update(from: $0.baseAddress!, count: m) }
        negativeFaces = 0
        var n = 0, nextMember = 0
        let lineCount = line.count
        for k in 0..<count {
            if nextMember < lineCount && line[nextMember] == k { nextMember += 1; continue }
            var dot = b[k], r = 0.0
            let row = a + k * d
            for c in 0..<d { dot += row[c] * p[c]; r += row[c] * dir[c] }
            let positiveAtStart: Bool
            if d > 1 && hasParallel[k] && memberGroups.contains(groupOf[k]) {
                guard abs(dot) > roundoff * (kappa * pNorm + abs(b[k])) else { return nil }
                positiveAtStart = dot > 0
                rate[k] = 0
                position[k] = dot > 0 ? 1 : -1
            } else {
                guard abs(r) >= Tolerances.sweepSmallestPivot else { return nil }
                let inverse = 1 / r
                let t = -dot * inverse
                rate[k] = r
                position[k] = t
                radius[k] = roundoff * (kappa * (pNorm + abs(t)) + abs(b[k])) * abs(inverse)
                entries[n] = CrossingSort.pack(t, k)
                n += 1
                positiveAtStart = r < 0
            }
            if k < networkCount {
                if positiveAtStart { for e in 0..<m { running[e] += flip[k * m + e] } }
            } else if !positiveAtStart {
                negativeFaces += 1
            }
        }
        return n
    }

    /// True when the sorted crossings' rounding intervals are pairwise disjoint, so the
    /// computed order is the exact order of the (double) planes' crossings.
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

    /// Orders the crossings again in extended precision from the network's own numbers (its
    /// weights and biases, not the normalised planes, whose rounding is what made the order
    /// uncertain). False when intervals of the extended rounding radius still touch: a vertex
    /// on more than d planes as far as any precision can tell.
    func refineOrder(_ line: [Int], _ frame: LineFrame<Double>, _ n: Int) -> Bool {
        typealias E = ExtendedFloat
        let rawNormals = arrangement.rawNormals, rawOffsets = arrangement.rawOffsets
        let rows: [E] = line.flatMap { k in (0..<d).map { E(rawNormals[k * d + $0]) } }
        guard let exact = LineFrame<E>(rows: rows, offsets: line.map { E(rawOffsets[$0]) }, dimension: d),
              exact.smallestPivot >= E(Tolerances.sweepSmallestPivot) else { return false }
        // The same orientation as the double frame, whose rates gave the sides.
        let aligned = zip(exact.direction, frame.direction).reduce(E(0)) { $0 + $1.0 * E($1.1) } >= 0
        let dir = aligned ? exact.direction : exact.direction.map { -$0 }
        let kappa = 1 / exact.smallestPivot, pNorm = LineFrame<E>.length(exact.point)
        let unit = E(Tolerances.extendedUnitRoundoff) * E(Tolerances.sweepRoundingFactor(dimension: d))
        var list: [(t: E, radius: E, plane: UInt32)] = []
        list.reserveCapacity(n)
        for i in 0..<n {
            let k = plane(i)
            var dot = E(rawOffsets[k]), r: E = 0, length: E = 0
            for c in 0..<d {
                let w = E(rawNormals[k * d + c])
                dot += w * exact.point[c]
                r += w * dir[c]
                length += w * w
            }
            let t = -dot / r
            let bound = unit * (kappa * (pNorm + abs(t)) * length.squareRoot() + abs(E(rawOffsets[k]))) / abs(r)
            list.append((t, bound, UInt32(k)))
        }
        list.sort { $0.t < $1.t }
        var reach = -E.infinity
        for entry in list {
            if !(entry.t - entry.radius > reach) { return false }
            reach = max(reach, entry.t + entry.radius)
        }
        for (i, entry) in list.enumerated() { entries[i] = UInt64(entry.plane) }
        return true
    }

    /// The largest coordinate of a vertex of the network's planes on `line` (its own vertices:
    /// crossing planes above its last member), for the box that holds them all.
    func vertexExtent(_ line: [Int]) -> Double {
        guard case .ready(let frame) = setUp(line) else { return 0 }
        let p = frame.point, dir = frame.direction
        let memberGroups = line.map { groupOf[$0] }
        var largest = 0.0
        for k in ((line.last ?? -1) + 1)..<networkCount where d == 1 || !memberGroups.contains(groupOf[k]) {
            var dot = b[k], r = 0.0
            for c in 0..<d { dot += a[k * d + c] * p[c]; r += a[k * d + c] * dir[c] }
            guard abs(r) >= Tolerances.sweepSmallestPivot else { continue }  // the sweep will say degenerate
            let t = -dot / r
            for c in 0..<d { largest = max(largest, abs(p[c] + t * dir[c])) }
        }
        return largest
    }
}
