import LipschitzModel

/// What one half of the neurons gave: its packed breakpoints (the negative ones written from
/// the half's first position up, the others from its last position down), its constant and
/// crossed neurons, and (one output) its share of the gradient left and right of the domain.
struct CollectedHalf {
    var negatives = 0, others = 0
    var zeroRows: [Int] = [], crossed: [Int] = []
    var start = CompensatedSum(), end = CompensatedSum()
    var decided = true
}

extension OneInputSweep {
    /// The first neuron (and sorted position) of the second half.
    var halfNeurons: Int { neurons / 2 }

    /// Packs every breakpoint inside the domain, each half of the neurons into its half of the
    /// entries (on two threads when there are two); sums the gradients at both ends of the
    /// domain (one output). False when a breakpoint is undecided or after a stop.
    func collect() -> Bool {
        var halves = [CollectedHalf(), CollectedHalf()]
        let h = halfNeurons
        halves.withUnsafeMutableBufferPointer { halves in
            inHalves(parallel: isLarge) { part in
                halves[part] = collectHalf(part == 0 ? 0..<h : h..<neurons)
            }
        }
        guard halves[0].decided && halves[1].decided else { return false }
        zeroRows = halves[0].zeroRows + halves[1].zeroRows
        crossed = halves[0].crossed + halves[1].crossed
        startSum = halves[0].start
        startSum.add(halves[1].start)
        endSum = halves[0].end
        endSum.add(halves[1].end)
        counts = (halves[0].negatives, halves[0].others, halves[1].negatives, halves[1].others)
        breakpoints.count = counts.0 + counts.1 + counts.2 + counts.3
        return !checkStop()
    }

    /// Neurons `range`: the breakpoints inside the domain, packed into positions `range`, the
    /// negative ones (the key's top bit clear) from the front and the others from the back, so
    /// that `order` sorts the two signs apart and needs no merge. Both slots get the entry and
    /// only one count advances: no branch on the sign, which random breakpoints mispredict
    /// (the other slot is free: the counts sum to at most the neurons placed so far).
    /// With one output it writes each neuron's step v·|w|, and the neuron's term v·w joins the start sum when the neuron is active
    /// just right of the domain's lower end, and the end sum when active just left of its upper
    /// end (w > 0: active right of t; w < 0: left of it).
    private func collectHalf(_ range: Range<Int>) -> CollectedHalf {
        weights.withUnsafeBufferPointer { w in
            biases.withUnsafeBufferPointer { b in
                outputWeights.withUnsafeBufferPointer { v in
                    box == nil ? collectUnbounded(range, w, b, v) : collectInBox(range, w, b, v)
                }
            }
        }
    }

    /// `collectHalf` without a box: every breakpoint is inside. The counts and sums are locals
    /// (registers) until the end.
    private func collectUnbounded(_ range: Range<Int>, _ w: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>,
                                  _ v: UnsafeBufferPointer<Double>) -> CollectedHalf {
        var half = CollectedHalf()
        let front = breakpoints.entries + range.lowerBound, back = breakpoints.entries + range.upperBound - 1
        let neuronSteps = self.neuronSteps, scalar = outputs == 1
        var negatives = 0, others = 0, start = CompensatedSum(), end = CompensatedSum()
        for i in range {
            let wi = w[i]
            if scalar { neuronSteps[i] = v[i] * abs(wi) }
            if wi == 0 { half.zeroRows.append(i); continue }
            let t = BreakpointOrder.breakpoint(b[i], wi)
            guard t.isFinite else { half.decided = false; break }
            let e = breakpoints.pack(t, i), other = Int(truncatingIfNeeded: e >> 63)
            front[negatives] = e
            back[-others] = e
            others += other
            negatives += 1 - other
            // Active at the left end iff w < 0 (adding ±0 otherwise changes nothing).
            if scalar { start.add(v[i] * min(wi, 0)); end.add(v[i] * max(wi, 0)) }
        }
        (half.negatives, half.others, half.start, half.end) = (negatives, others, start, end)
        return half
    }

    /// `collectHalf` with a box: each breakpoint's side of it decided exactly (`side`).
    private func collectInBox(_ range: Range<Int>, _ w: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>,
                              _ v: UnsafeBufferPointer<Double>) -> CollectedHalf {
        var half = CollectedHalf()
        let front = breakpoints.entries + range.lowerBound, back = breakpoints.entries + range.upperBound - 1
        let neuronSteps = self.neuronSteps, scalar = outputs == 1
        for i in range {
            let wi = w[i]
            if scalar { neuronSteps[i] = v[i] * abs(wi) }
            if wi == 0 { half.zeroRows.append(i); continue }
            guard let side = self.side(i) else { half.decided = false; break }
            switch side {
            case .inside:
                let e = breakpoints.pack(BreakpointOrder.breakpoint(b[i], wi), i), other = Int(truncatingIfNeeded: e >> 63)
                front[half.negatives] = e
                back[-half.others] = e
                half.others += other
                half.negatives += 1 - other
            case .crossed: half.crossed.append(i)
            case .beyond: break
            }
            guard scalar else { continue }
            let left = wi < 0 ? side != .crossed : side == .crossed
            let right = wi > 0 ? side != .beyond : side == .beyond
            if left { half.start.add(v[i] * wi) }
            if right { half.end.add(v[i] * wi) }
        }
        return half
    }

    /// Polls the stop test (time limit, signal, progress); true when the search must stop.
    func checkStop() -> Bool {
        if monitor.shouldStop() { stopped = true }
        return stopped
    }
}
