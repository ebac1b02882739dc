import FoundationEssentials
import Glibc

/// A reverse Weibull (Weibull for maxima) distribution, `F(y) = exp(−((μ − y)/σ)^k)` for
/// y ≤ μ and 1 above: the limit law of maxima of samples bounded above by μ. CLEVER
/// (Weng et al., 2018) fits it to batch maxima of gradient norms and reads the location μ
/// as the Lipschitz estimate.
struct ReverseWeibullFit: Equatable {
    let location: Double
    let scale: Double
    let shape: Double
    /// Log-likelihood of the data at the fit.
    let logLikelihood: Double

    /// Shapes tried: 60 log-spaced values in [1, 50]. Below k = 1 the likelihood is unbounded
    /// as μ → max(y) (the density blows up at the endpoint), so no maximum exists there.
    static let shapes: [Double] = (0..<60).map { exp(log(50.0) * Double($0) / 59) }
    /// Location offsets above max(y), relative to the data range: 10^-8 … 10^3, log-spaced.
    static let offsets: [Double] = (0..<111).map { pow(10, -8 + 11 * Double($0) / 110) }

    /// Maximum likelihood over the grid of shapes × locations, with the scale profiled out
    /// (for fixed μ and k, σ^k = mean((μ − y_i)^k) maximises the likelihood), then a
    /// golden-section refinement of the location at the best shape. Nil when the data have
    /// fewer than 3 values, no spread (every maximum equal) or non-finite values.
    static func fit(_ data: [Double]) -> ReverseWeibullFit? {
        guard data.count >= 3, data.allSatisfy(\.isFinite), let top = data.max(), let bottom = data.min(),
              top > bottom else { return nil }
        let range = top - bottom
        guard range.isFinite else { return nil }
        var best: ReverseWeibullFit?
        for k in shapes {
            for t in offsets {
                let candidate = evaluate(data, location: top + range * t, shape: k)
                if let c = candidate, c.logLikelihood > (best?.logLikelihood ?? -.infinity) { best = c }
            }
        }
        guard var result = best else { return nil }
        // Refine log(offset) between the neighbouring grid points at the best shape.
        let step = 11.0 / 110
        var a = log10((result.location - top) / range) - step, b = a + 2 * step
        let ratio = (5.0.squareRoot() - 1) / 2
        func score(_ e: Double) -> Double {
            evaluate(data, location: top + range * pow(10, e), shape: result.shape)?.logLikelihood ?? -.infinity
        }
        for _ in 0..<60 {
            let c = b - ratio * (b - a), d = a + ratio * (b - a)
            if score(c) > score(d) { b = d } else { a = c }
        }
        if let refined = evaluate(data, location: top + range * pow(10, (a + b) / 2), shape: result.shape),
           refined.logLikelihood > result.logLikelihood {
            result = refined
        }
        return result
    }

    /// The profiled log-likelihood n log k − n k log σ̂ + (k−1) Σ log(μ − y_i) − n.
    static func evaluate(_ data: [Double], location mu: Double, shape k: Double) -> ReverseWeibullFit? {
        let n = Double(data.count)
        var sumPow = 0.0, sumLog = 0.0
        for y in data {
            let gap = mu - y
            guard gap > 0 else { return nil }
            sumPow += pow(gap, k)
            sumLog += log(gap)
        }
        let scaleToK = sumPow / n
        guard scaleToK > 0, scaleToK.isFinite else { return nil }
        let logScale = log(scaleToK) / k
        let ll = n * log(k) - n * k * logScale + (k - 1) * sumLog - n
        guard ll.isFinite else { return nil }
        return ReverseWeibullFit(location: mu, scale: exp(logScale), shape: k, logLikelihood: ll)
    }
}
