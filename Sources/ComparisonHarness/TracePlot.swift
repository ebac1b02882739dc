import FoundationEssentials
import Glibc

/// The bound history of exact searches (`lipschitz plot-trace`), as ExLipBaB's paper draws it
/// but for any network: left, the certified lower (dashed) and upper (solid) bounds against
/// time, one colour per trace, with the known constant as a dotted line when given; right, the
/// certified ratio upper / lower against time, with the factor-1.1 line of issue 10's target.
/// Both panels have logarithmic axes. Bounds are drawn as steps: each value holds until the next
/// point. Points whose upper bound is not yet known (+∞) are left out of the upper curve.
public enum TracePlot {
    struct Curve { let color: String; let dash: String?; let points: [(x: Double, y: Double)] }

    public static func svg(_ traces: [TraceHistory], truth: Double? = nil, title: String = "Certified bounds of the exact search against time") -> String {
        let width = 460.0, height = 320.0, left = 80.0, top = 70.0
        let colors = ComparisonPlot.palette
        var bounds: [Curve] = [], ratios: [Curve] = []
        for (i, trace) in traces.enumerated() {
            let color = colors[i % colors.count]
            let finite = trace.points.filter { $0.upper.isFinite }
            bounds.append(Curve(color: color, dash: nil, points: finite.map { (time($0.seconds), $0.upper) }))
            bounds.append(Curve(color: color, dash: "6,4", points: trace.points.filter { $0.lower > 0 }.map { (time($0.seconds), $0.lower) }))
            ratios.append(Curve(color: color, dash: nil, points: finite.filter { $0.lower > 0 }.map { (time($0.seconds), $0.upper / $0.lower) }))
        }
        var body = ComparisonPlot.text(left + width + 10, 30, title, size: 16, anchor: "middle", bold: true)
        body += panel(x0: left, y0: top, width: width, height: height, title: "lower (dashed) and upper (solid) bound",
                      yLabel: "Lipschitz bound", curves: bounds, reference: truth.map { ($0, "exact") })
        body += panel(x0: 2 * left + width + 20, y0: top, width: width, height: height, title: "upper / lower",
                      yLabel: "certified ratio", curves: ratios, reference: (1.1, "1.1"))
        for (i, trace) in traces.enumerated() {
            let y = top + height + 60 + Double(i) * 16, color = colors[i % colors.count]
            let last = trace.points.last!
            let state = last.lower == last.upper ? "exact \(tableNumber(last.lower, 10))" : "[\(tableNumber(last.lower, 6)), \(tableNumber(last.upper, 6))]"
            body += ComparisonPlot.line(left, y - 4, left + 24, y - 4, color, width: 2)
            body += ComparisonPlot.text(left + 30, y, "\(trace.label): \(state) after \(tableNumber(last.seconds, 4)) s, \(last.nodes) nodes", size: 11)
        }
        let totalWidth = 2 * (left + width) + 60, totalHeight = top + height + 70 + 16 * Double(traces.count)
        return """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(totalWidth))" height="\(Int(totalHeight))" viewBox="0 0 \(Int(totalWidth)) \(Int(totalHeight))" font-family="Helvetica, Arial, sans-serif">
        <rect width="100%" height="100%" fill="white"/>
        \(body)</svg>

        """
    }

    /// Times below a millisecond share the left edge: a log axis has no 0.
    static func time(_ seconds: Double) -> Double { max(seconds, 1e-3) }

    static func panel(x0: Double, y0: Double, width: Double, height: Double, title: String, yLabel: String,
                      curves: [Curve], reference: (value: Double, label: String)?) -> String {
        let all = curves.flatMap(\.points)
        guard !all.isEmpty else { return ComparisonPlot.text(x0, y0, "\(title): no data", size: 12) }
        let (xMin, xMax) = padded(all.map(\.x).min()!, all.map(\.x).max()!)
        let ys = all.map(\.y) + (reference.map { [$0.value] } ?? [])
        let (yMin, yMax) = padded(ys.min()!, ys.max()!)
        func px(_ x: Double) -> Double { x0 + log(x / xMin) / log(xMax / xMin) * width }
        func py(_ y: Double) -> Double { y0 + height - log(y / yMin) / log(yMax / yMin) * height }
        var s = ComparisonPlot.frame(x0: x0, y0: y0, width: width, height: height, title: title)
        for t in ComparisonPlot.ticks(xMin, xMax) {
            s += ComparisonPlot.line(px(t), y0 + height, px(t), y0 + height + 5, "#333")
            s += ComparisonPlot.text(px(t), y0 + height + 18, tableNumber(t, 3), size: 11, anchor: "middle")
        }
        s += ComparisonPlot.text(x0 + width / 2, y0 + height + 36, "seconds (log scale)", size: 12, anchor: "middle")
        s += ComparisonPlot.yAxis(ComparisonPlot.ticks(yMin, yMax), at: py, x0: x0, width: width, digits: 4)
        s += ComparisonPlot.verticalLabel("\(yLabel) (log scale)", x: x0 - 62, y: y0 + height / 2)
        if let reference { s += ComparisonPlot.referenceLine(at: py(reference.value), x0: x0, width: width, label: reference.label) }
        for curve in curves where !curve.points.isEmpty {
            s += step(curve, px: px, py: py, right: x0 + width)
        }
        return s
    }

    /// A step path: each value holds until the next point's time, the last one to the edge.
    static func step(_ curve: Curve, px: (Double) -> Double, py: (Double) -> Double, right: Double) -> String {
        var path = "M\(ComparisonPlot.r(px(curve.points[0].x))),\(ComparisonPlot.r(py(curve.points[0].y)))"
        for point in curve.points.dropFirst() {
            path += " H\(ComparisonPlot.r(px(point.x))) V\(ComparisonPlot.r(py(point.y)))"
        }
        path += " H\(ComparisonPlot.r(right))"
        let dash = curve.dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
        return "<path d=\"\(path)\" fill=\"none\" stroke=\"\(curve.color)\" stroke-width=\"2\"\(dash)/>\n"
    }

    /// A log-axis range around [low, high] (positive), widened by 10% of its span on each side
    /// and to at least a factor 2, so that flat curves and single points stay inside the frame.
    static func padded(_ low: Double, _ high: Double) -> (Double, Double) {
        var (a, b) = (low, high)
        if b / a < 2 { let mid = (a * b).squareRoot(); a = mid / 1.5; b = mid * 1.5 }
        let margin = pow(b / a, 0.1)
        return (a / margin, b * margin)
    }
}
