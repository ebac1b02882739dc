import FoundationEssentials
import LipschitzModel

/// The anytime interval of one exact search, as `lipschitz exact --trace FILE` writes it: one
/// JSON object per line, `{"lower": L, "upper": U, "nodes": N, "seconds": S}`, in the order the
/// search emitted them. An upper bound not yet known is written `null` (kept as +∞).
public struct TraceHistory: Sendable, Equatable {
    public struct Point: Sendable, Equatable {
        public let lower: Double
        public let upper: Double
        public let nodes: Int
        public let seconds: Double
    }

    /// What the plot's legend calls this search (the file name by default).
    public let label: String
    public let points: [Point]

    /// Reads a trace file's bytes; `place` names it in errors. A trace is refused when a line is
    /// not such an object, a value is negative or not a number, lower exceeds upper, or time
    /// runs backwards: a plot of a corrupted trace would show a history that never happened.
    public static func read(_ data: Data, label: String, place: String) throws -> TraceHistory {
        guard let text = String(data: data, encoding: .utf8) else { throw TraceError("\(place): not UTF-8 text") }
        var points: [Point] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            let point = try parse(line, at: "\(place):\(index + 1)")
            if let previous = points.last, point.seconds < previous.seconds {
                throw TraceError("\(place):\(index + 1): seconds go backwards (\(point.seconds) after \(previous.seconds))")
            }
            points.append(point)
        }
        guard !points.isEmpty else { throw TraceError("\(place): no trace points (a `lipschitz exact --trace` file)") }
        return TraceHistory(label: label, points: points)
    }

    private static func parse(_ line: Substring, at place: String) throws -> Point {
        guard let object = (try? JSONValue.parse(Data(line.utf8)))?.object else {
            throw TraceError("\(place): not a JSON object")
        }
        func number(_ key: String, optional: Bool = false) throws -> Double? {
            switch object[key] {
            case .number(let x)? where x.isFinite && x >= 0: return x
            case .null? where optional: return nil
            default: throw TraceError("\(place): \"\(key)\" must be a number ≥ 0")
            }
        }
        let lower = try number("lower")!, upper = try number("upper", optional: true) ?? .infinity
        let nodes = try number("nodes")!, seconds = try number("seconds")!
        guard lower <= upper else { throw TraceError("\(place): lower \(lower) exceeds upper \(upper)") }
        guard nodes == nodes.rounded(), nodes < 9e15 else { throw TraceError("\(place): \"nodes\" must be a whole number") }
        return Point(lower: lower, upper: upper, nodes: Int(nodes), seconds: seconds)
    }
}

/// A trace file that cannot be read: one line for the CLI (exit status 2).
public struct TraceError: InputProblem, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
