import FoundationEssentials
import Glibc
import LipschitzModel
import RandomNetworks

/// An expectation, either in closed form or estimated by seeded Monte Carlo.
public struct Expectation: Sendable, Equatable, CustomStringConvertible {
    public enum Source: Sendable, Equatable {
        /// Exact; the string is the formula, for reports.
        case closedForm(String)
        /// The mean of `samples` draws from `SeededGenerator(seed:)`.
        case monteCarlo(samples: Int, seed: UInt64)
    }

    public let value: Double
    /// 0 for closed forms; the Monte Carlo standard error otherwise.
    public let standardError: Double
    public let source: Source

    public var isClosedForm: Bool { if case .closedForm = source { return true }; return false }

    public var description: String {
        switch source {
        case .closedForm(let formula): return "\(value) (\(formula))"
        case .monteCarlo(let n, let seed): return "\(value) ± \(standardError) (Monte Carlo, \(n) samples, seed \(seed))"
        }
    }
}

/// Norms of a standard Gaussian vector g ∈ R^d: the scale of Lip_p of a random shallow
/// network (THEORY.md §2). Closed forms where they exist, seeded Monte Carlo elsewhere.
public enum GaussianNorms {
    /// E‖g‖₂ = √2·Γ((d+1)/2)/Γ(d/2) (the mean of a chi distribution), through `lgamma` so
    /// large d neither overflows nor loses digits.
    public static func expectedEuclideanNorm(dimension d: Int) -> Double {
        precondition(d > 0)
        let x = Double(d)
        return 2.0.squareRoot() * exp(lgamma((x + 1) / 2) - lgamma(x / 2))
    }

    /// E‖g‖₁ = d·√(2/π): d half-normal means.
    public static func expectedL1Norm(dimension d: Int) -> Double {
        precondition(d > 0)
        return Double(d) * (2 / Double.pi).squareRoot()
    }

    /// (E‖g‖_q^q)^{1/q} = (d·2^{q/2}·Γ((q+1)/2)/√π)^{1/q}: by Jensen an upper bound on E‖g‖_q
    /// for q ≥ 1 (equal at q = 1). For checks of the Monte Carlo path.
    public static func momentBound(q: Double, dimension d: Int) -> Double {
        precondition(d > 0 && q >= 1 && q.isFinite)
        let logMoment = (q / 2) * log(2) + lgamma((q + 1) / 2) - 0.5 * log(Double.pi)
        return exp((log(Double(d)) + logMoment) / q)
    }

    /// E‖g‖_q: closed form for q = 1 and q = 2, Monte Carlo for every other q (∞ included).
    public static func expectedNorm(_ q: LipschitzNorm, dimension d: Int,
                                    samples: Int = 200_000, seed: UInt64 = 0) -> Expectation {
        switch q {
        case .one:
            return Expectation(value: expectedL1Norm(dimension: d), standardError: 0, source: .closedForm("d·√(2/π)"))
        case .two:
            return Expectation(value: expectedEuclideanNorm(dimension: d), standardError: 0,
                               source: .closedForm("√2·Γ((d+1)/2)/Γ(d/2)"))
        case .infinity, .p:
            return monteCarlo(q, dimension: d, samples: samples, seed: seed)
        }
    }

    /// E‖g‖_q by the mean of `samples` seeded draws (portable normals, so the same everywhere).
    public static func monteCarlo(_ q: LipschitzNorm, dimension d: Int, samples: Int, seed: UInt64) -> Expectation {
        precondition(d > 0 && samples >= 2)
        var rng = SeededGenerator(seed: seed)
        var moments = Moments()
        var g = [Double](repeating: 0, count: d)
        for _ in 0..<samples {
            for i in 0..<d { g[i] = rng.nextPortableNormal() }
            moments.add(vectorNorm(g, p: q))
        }
        return Expectation(value: moments.mean, standardError: moments.standardError,
                           source: .monteCarlo(samples: samples, seed: seed))
    }

    /// E‖g‖_∞ = ∫₀^∞ 1 − erf(t/√2)^d dt by composite Simpson on [0, 40] (the tail beyond is
    /// below 1e-300). An independent check of the Monte Carlo path, not used in reports.
    public static func expectedMaxAbsByQuadrature(dimension d: Int, intervals: Int = 40_000) -> Double {
        precondition(d > 0 && intervals > 0 && intervals % 2 == 0)
        let upper = 40.0, h = upper / Double(intervals)
        func f(_ t: Double) -> Double { -expm1(Double(d) * log1p(-erfc(t / 2.0.squareRoot()))) }
        var sum = f(0) + f(upper)
        for i in 1..<intervals { sum += (i % 2 == 1 ? 4 : 2) * f(Double(i) * h) }
        return sum * h / 3
    }
}
