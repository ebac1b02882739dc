/// An axis-aligned box `lower ≤ x ≤ upper` in input space, for local constants.
///
/// Invariant: equal lengths, finite bounds, `lower[i] < upper[i]` (a box of zero width has
/// no full-dimensional region, so it is refused rather than answered with nothing).
public struct InputBox: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let lower: [Double]
    public let upper: [Double]

    public init(lower: [Double], upper: [Double]) throws {
        guard lower.count == upper.count, !lower.isEmpty else {
            throw InputError.badBox("lower and upper bounds have different lengths (\(lower.count) and \(upper.count))")
        }
        for i in lower.indices {
            guard lower[i].isFinite, upper[i].isFinite else {
                throw InputError.badBox("dimension \(i + 1): bounds must be finite numbers")
            }
            guard lower[i] < upper[i] else {
                throw InputError.badBox("dimension \(i + 1): lower bound \(lower[i]) is not below upper bound \(upper[i])")
            }
        }
        self.lower = lower
        self.upper = upper
    }

    /// The same interval `[lo, hi]` in every one of `dimension` coordinates.
    public init(uniform lo: Double, _ hi: Double, dimension: Int) throws {
        try self.init(lower: Array(repeating: lo, count: dimension), upper: Array(repeating: hi, count: dimension))
    }

    /// Parses "LO,HI" (e.g. "-1,1") into an interval.
    public static func parseInterval(_ text: String) throws -> (Double, Double) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingWhitespaces()
        }
        guard parts.count == 2, let lo = Double(parts[0]), let hi = Double(parts[1]) else {
            throw InputError.badBox("\"\(text)\" is not of the form LO,HI (two numbers separated by a comma)")
        }
        guard lo.isFinite, hi.isFinite else { throw InputError.badBox("\"\(text)\": bounds must be finite numbers") }
        guard lo < hi else { throw InputError.badBox("\"\(text)\": LO must be below HI") }
        return (lo, hi)
    }

    public var dimension: Int { lower.count }
    /// The centre, computed as lo/2 + hi/2 so that it never overflows.
    public var center: [Double] { zip(lower, upper).map { $0 / 2 + $1 / 2 } }
    /// Full widths; infinite when hi − lo overflows (use `halfWidths` for arithmetic).
    public var widths: [Double] { zip(lower, upper).map { $1 - $0 } }
    /// Half widths, computed as hi/2 − lo/2: finite for every box (positive unless the box is
    /// narrower than twice the smallest subnormal, which `init` cannot tell apart from zero).
    public var halfWidths: [Double] { zip(lower, upper).map { $1 / 2 - $0 / 2 } }

    public func contains(_ x: [Double]) -> Bool {
        x.count == dimension && x.indices.allSatisfy { lower[$0] <= x[$0] && x[$0] <= upper[$0] }
    }

    /// Checks that the box fits a network with `inputs` inputs.
    public func check(inputs: Int) throws {
        guard dimension == inputs else {
            throw InputError.badBox("the box has \(dimension) dimensions but the network has \(inputs) inputs")
        }
    }

    public var description: String {
        zip(lower, upper).map { "[\($0), \($1)]" }.joined(separator: " × ")
    }
}

import FoundationEssentials
