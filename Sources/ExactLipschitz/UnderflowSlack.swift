import FoundationEssentials
import Glibc
import LipschitzModel

/// What gradual underflow can take off a floating-point bound on ‖J‖ built from products of
/// weights (interval products, completions, the pruning bound's relaxation; `RegionEnumerator`'s
/// `boundRounding` covers their relative rounding, this their absolute underflow).
///
/// The argument. A product or sum whose exact value lies below 2⁻¹⁰²² is rounded to a multiple
/// of 2⁻¹⁰⁷⁴, so each multiply-add of a dot product of n_k terms at layer k loses at most
/// 2⁻¹⁰⁷⁴ absolutely (n_k + 2 of them per entry, with the bias). Computed from the input side,
/// such a loss is then multiplied by the later layers' weights (at most the norm of
/// |W_L|⋯|W_{k+1}|, and indicators in [0, 1] only shrink it); from the output side by the
/// earlier ones (|W_{k−1}|⋯|W_0|). Both are bounded by products of max(‖|W_j|‖₁, ‖|W_j|‖_∞),
/// which bounds every ℓp operator norm of |W_j| (Riesz–Thorin), and an operator norm of an
/// m × d error matrix is at most m·d times its largest entry. Summed over the layers, with every
/// factor at least 1 and the constant rounded up generously (its value is ~1e-300 for ordinary
/// networks, far below any bound it is added to), this bounds the total loss.
///
/// Without it, Φ(x) = 1e300·relu(1e-200·relu(1e-200·x + 1)) (constant 1e-100) had every product
/// |W₁||W₀| = 1e-400 round to 0: its only non-zero region was pruned against the value 0 of the
/// other one, and 0 was reported as exact.
enum UnderflowSlack {
    /// Whether some product of weights along consecutive layers can fall below 2⁻⁹⁶⁹, where a
    /// product's rounding stops being relative: the smallest non-zero |w| of each layer, and
    /// the most negative sum of their log2 over consecutive layers (Kadane). A layer of zeros
    /// breaks the chain (products through it are exact zeros). False for ordinary networks, and
    /// then nothing here changes any bound or answer.
    static func risk(_ network: ReLUNetwork) -> Bool {
        var running = 0.0
        for layer in network.layers {
            let smallest = smallestNonZeroMagnitude(layer.weights.storage)
            guard smallest.isFinite else { running = 0; continue }
            let l = log2(smallest)
            running = min(l, running + l)
            if running < -969 { return true }
        }
        return false
    }

    /// min |w| over the non-zero entries (∞ when none), four entries at a time (SIMD): the
    /// minimum is exact, so the order changes nothing, and a 10^6-neuron layer is not one chain
    /// of dependent selects (a network's numbers are finite: no NaN to order).
    static func smallestNonZeroMagnitude(_ weights: [Double]) -> Double {
        weights.withUnsafeBufferPointer { w in
            let none = SIMD4<Double>(repeating: .infinity)
            var lanes = none
            var i = 0
            if let base = UnsafeRawPointer(w.baseAddress) {
                while i + 4 <= w.count {
                    let x = base.loadUnaligned(fromByteOffset: i * 8, as: SIMD4<Double>.self)
                    let magnitude = unsafeBitCast(unsafeBitCast(x, to: SIMD4<UInt64>.self) & 0x7FFF_FFFF_FFFF_FFFF, to: SIMD4<Double>.self)
                    let candidate = magnitude.replacing(with: none, where: x .== 0)
                    lanes = lanes.replacing(with: candidate, where: candidate .< lanes)
                    i += 4
                }
            }
            var smallest = min(min(lanes[0], lanes[1]), min(lanes[2], lanes[3]))
            while i < w.count { if w[i] != 0 { smallest = min(smallest, abs(w[i])) }; i += 1 }
            return smallest
        }
    }

    /// Every bound on ‖J‖ and every region value computed in floating point may be too low by
    /// at most this (0 when `risk` is false).
    static func bound(_ network: ReLUNetwork) -> Double {
        guard risk(network) else { return 0 }
        let layers = network.layers
        // log2 of an upper bound on each layer's ℓp operator norm of |W| (any p ≥ 1): the larger
        // of its ℓ1 and ℓ∞ norms (largest column and row sums of |W|; neither can throw).
        let logNorms = layers.map { layer -> Double in
            let sums = [LipschitzNorm.one, .infinity].map { (try? operatorNorm(layer.weights, p: $0)) ?? .infinity }
            let norm = (sums.max() ?? 0) * (1 + 1e-10)
            return norm > 0 ? max(0, log2(norm)) : 0
        }
        let total = logNorms.reduce(0, +)
        let size = Double(network.inputDimension + network.outputDimension + network.hiddenNeuronCount + 2)
        var slack = 0.0
        for (k, layer) in layers.enumerated() {
            // Loss per entry at layer k, times both sides' amplification (each factor ≥ 1).
            let exponent = -1074 + log2(Double(layer.inputDimension + 2)) + total - logNorms[k] + 2 * log2(size) + 1
            slack += exponent >= 1023 ? .infinity : pow(2, exponent)
        }
        return slack
    }
}

extension UnderflowSlack {
    /// A report whose values could be off by underflow by more than 1e-9 relative (the model's
    /// Jacobian kernel forms region values as products of weights: 1e290·(1e-300·1e-300) is 0
    /// in one order, 1e-310 in exact arithmetic) becomes an interval: each region value v̂
    /// stands for some v in [v̂ − s, v̂ + s], so the constant lies in [max(0, lower − s), upper + s].
    /// Seen: a d = 1 network whose only non-zero region has Jacobian −6.0e-304 was certified
    /// "exact" 0. Marked `.undecided`: no solver could decide those values.
    static func qualify(_ report: ExactReport, _ network: ReLUNetwork) -> ExactReport {
        let slack = bound(network)
        guard slack > 0, report.bounds.contains(where: { $0.lower < 1e9 * slack }) else { return report }
        let bounds = report.bounds.map { b in
            b.lower < 1e9 * slack
                ? NormBound(norm: b.norm, lower: max(0, b.lower - slack), upper: max(b.upper, b.lower) + slack, witness: b.witness)
                : b
        }
        var qualified = ExactReport(bounds: bounds, regions: report.regions, isExact: false,
                                    stopReason: report.stopReason ?? .undecided, seconds: report.seconds,
                                    statistics: report.statistics, method: report.method)
        qualified.partition = report.partition
        return qualified
    }
}
