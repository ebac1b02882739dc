import LipschitzModel

/// What one half of the neurons gave: its packed breakpoints (written from the half's first
/// position on), its constant and crossed neurons, and (one output) its share of the gradient
/// left and right of the domain.
struct CollectedHalf {
    var count = 0
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
        counts = (halves[0].count, halves[1].count)
        breakpoints.count = halves[0].count + halves[1].count
        return !checkStop()
    }

    /// Neurons `range`: the breakpoints inside the domain, packed from position range.lowerBound.
    /// With one output it writes each neuron's step v·|w|, and the neuron's term v·w joins the start sum when the neuron is active
    /// just right of the domain's lower end, and the end sum when active just left of its upper
    /// end (w > 0: active right of t; w < 0: left of it).
    private func collectHalf(_ range: Range<Int>) -> CollectedHalf {
        var half = CollectedHalf()
        let entries = breakpoints.entries + range.lowerBound, neuronSteps = self.neuronSteps
        let scalar = outputs == 1
        weights.withUnsafeBufferPointer { w in
            biases.withUnsafeBufferPointer { b in
                outputWeights.withUnsafeBufferPointer { v in
                    for i in range {
                        let wi = w[i]
                        if scalar { neuronSteps[i] = v[i] * abs(wi) }
                        if wi == 0 { half.zeroRows.append(i); continue }
                        let side: BreakpointSide
                        if box == nil {
                            let t = BreakpointOrder.breakpoint(b[i], wi)
                            guard t.isFinite else { half.decided = false; return }
                            entries[half.count] = breakpoints.pack(t, i)
                            half.count += 1
                            // No box: active at the left end iff w < 0 (adding ±0 otherwise changes nothing).
                            if scalar { half.start.add(v[i] * min(wi, 0)); half.end.add(v[i] * max(wi, 0)) }
                            continue
                        }
                        guard let s = self.side(i) else { half.decided = false; return }
                        side = s
                        switch side {
                        case .inside: entries[half.count] = breakpoints.pack(BreakpointOrder.breakpoint(b[i], wi), i); half.count += 1
                        case .crossed: half.crossed.append(i)
                        case .beyond: break
                        }
                        guard scalar else { continue }
                        let left = wi < 0 ? side != .crossed : side == .crossed
                        let right = wi > 0 ? side != .beyond : side == .beyond
                        if left { half.start.add(v[i] * wi) }
                        if right { half.end.add(v[i] * wi) }
                    }
                }
            }
        }
        return half
    }

    /// Polls the stop test (time limit, signal, progress); true when the search must stop.
    func checkStop() -> Bool {
        if monitor.shouldStop() { stopped = true }
        return stopped
    }
}
