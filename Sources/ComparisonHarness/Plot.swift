import FoundationEssentials
import Glibc
import LipschitzModel

/// A hand-written SVG of a comparison run, one row per norm:
/// left, Lip / E‖g‖_q against N, one line per input dimension d (median, with a bar from the
/// lower to the upper quartile of the networks); right, each method's value / exact against N (median over
/// every d and bias), so a flat truth and a growing product bound can be seen side by side.
/// Both axes are logarithmic. Only networks whose exact search finished are drawn.
public enum ComparisonPlot {
    struct Point { let x: Double; let median: Double; let low: Double; let high: Double }
    struct Series { let label: String; let color: String; let dash: String?; let points: [Point] }

    static let dashes: [String?] = [nil, "7,4", "2,3", "9,3,2,3"]
    static let methodPalette = ["#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]

    public static func svg(_ report: ComparisonReport) -> String {
        let results = report.results.filter { $0.exact.isExact && $0.input.width != nil }
        let norms = report.settings.norms
        let panelWidth = 420.0, panelHeight = 300.0, legendWidth = 200.0
        let left = 70.0, top = 60.0 + 14 * Double(wrap(report.origin, width: 190).count - 1), rowHeight = panelHeight + 110
        let totalWidth = 2 * (left + panelWidth + legendWidth) + 20
        let totalHeight = top + Double(norms.count) * rowHeight
        var body = ""
        body += text(totalWidth / 2, 28, "Exact Lipschitz constants of random networks against the theory's scale", size: 17, anchor: "middle", bold: true)
        for (i, line) in wrap(report.origin, width: 190).enumerated() {
            body += text(totalWidth / 2, 46 + Double(i) * 14, line, size: 11, anchor: "middle")
        }
        for (row, norm) in norms.enumerated() {
            let y0 = top + Double(row) * rowHeight + 30
            let members = results.compactMap { r in r.norms.first { $0.norm == norm }.map { (r, $0) } }
            guard let label = members.first?.1.prediction.label else {
                body += text(left, y0 + 20, "ℓ\(norm): no network finished its exact search", size: 13)
                continue
            }
            // Left: Lip / prediction per d (and per bias distribution when there are several).
            let dims = Array(Set(members.map { $0.0.input.inputDimension })).sorted()
            var biases: [String] = []
            for m in members where !biases.contains(m.0.input.biasLabel) { biases.append(m.0.input.biasLabel) }
            let truth = dims.enumerated().flatMap { i, d in
                biases.enumerated().map { b, bias in
                    Series(label: "d = \(d)" + (biases.count > 1 ? ", \(bias) bias" : ""), color: palette[i % palette.count],
                           dash: dashes[b % dashes.count],
                           points: points(members.filter { $0.0.input.inputDimension == d && $0.0.input.biasLabel == bias }) {
                               $0.1.lipOverPrediction(isExact: true)
                           })
                }
            }
            body += panel(x0: left, y0: y0, width: panelWidth, height: panelHeight,
                          title: "ℓ\(symbol(norm)): Lip / \(label) (median, quartiles)", yLabel: "Lip_\(symbol(norm)) / \(label)",
                          series: truth, legendWidth: legendWidth, reference: nil)
            // Right: every method / exact, pooled.
            let names = members[0].1.methods.map(\.method)
            let methodSeries = names.enumerated().map { i, name in
                Series(label: name + (members[0].1.methods[i].claim.map { " (\($0.short))" } ?? ""),
                       color: methodPalette[i % methodPalette.count], dash: members[0].1.methods[i].claim == .heuristic ? "6,4" : nil,
                       points: points(members) { $0.1.methods[i].ratioToExact })
            }
            body += panel(x0: left + panelWidth + legendWidth + left + 20, y0: y0, width: panelWidth, height: panelHeight,
                          title: "ℓ\(symbol(norm)): method value / exact (median over d and bias, quartiles)", yLabel: "value / exact",
                          series: methodSeries, legendWidth: legendWidth, reference: 1)
        }
        return """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(totalWidth))" height="\(Int(totalHeight))" viewBox="0 0 \(Int(totalWidth)) \(Int(totalHeight))" font-family="Helvetica, Arial, sans-serif">
        <rect width="100%" height="100%" fill="white"/>
        \(body)</svg>

        """
    }

    static func points(_ members: [(CaseResult, NormComparison)], _ value: ((CaseResult, NormComparison)) -> Double?) -> [Point] {
        let widths = Array(Set(members.compactMap { $0.0.input.width })).sorted()
        return widths.compactMap { n in
            guard let s = Spread(members.filter { $0.0.input.width == n }.compactMap(value).filter { $0 > 0 }) else { return nil }
            return Point(x: Double(n), median: s.median, low: s.lowerQuartile, high: s.upperQuartile)
        }
    }

    static func panel(x0: Double, y0: Double, width: Double, height: Double, title: String, yLabel: String,
                      series: [Series], legendWidth: Double, reference: Double?) -> String {
        let all = series.flatMap(\.points)
        guard !all.isEmpty else { return text(x0, y0, "\(title): no data", size: 12) }
        let xs = all.map(\.x)
        var (xMin, xMax) = (xs.min()!, xs.max()!)
        if xMin == xMax { xMin /= 2; xMax *= 2 }
        var yMin = all.map(\.low).min()!, yMax = all.map(\.high).max()!
        if let reference { yMin = min(yMin, reference); yMax = max(yMax, reference) }
        if yMax / yMin < 2 { let mid = (yMax * yMin).squareRoot(); yMin = mid / 1.5; yMax = mid * 1.5 }
        yMin /= 1.1; yMax *= 1.1
        let lx0 = log(xMin) - 0.15 * log(xMax / xMin), lx1 = log(xMax) + 0.15 * log(xMax / xMin)
        func px(_ x: Double) -> Double { x0 + (log(x) - lx0) / (lx1 - lx0) * width }
        func py(_ y: Double) -> Double { y0 + height - (log(y) - log(yMin)) / (log(yMax) - log(yMin)) * height }

        var s = "<g>\n"
        s += frame(x0: x0, y0: y0, width: width, height: height, title: title)
        for n in Array(Set(xs)).sorted() {
            s += line(px(n), y0 + height, px(n), y0 + height + 5, "#333")
            s += text(px(n), y0 + height + 18, tableNumber(n, 6), size: 11, anchor: "middle")
        }
        s += text(x0 + width / 2, y0 + height + 36, "width N (log scale)", size: 12, anchor: "middle")
        s += yAxis(ticks(yMin, yMax), at: py, x0: x0, width: width, digits: 3)
        s += verticalLabel("\(yLabel) (log scale)", x: x0 - 52, y: y0 + height / 2)
        if let reference { s += referenceLine(at: py(reference), x0: x0, width: width, label: "exact") }
        // Spread series over at most 40% of the smallest gap between neighbouring widths.
        let sortedX = Array(Set(xs)).sorted()
        let gaps = zip(sortedX.dropFirst(), sortedX).map { px($0) - px($1) }
        let spacing = min(8.0, 0.4 * (gaps.min() ?? width / 4) / Double(max(series.count, 1)))
        let middle = Double(series.count - 1) / 2
        for (k, series) in series.enumerated() {
            // Offset each series a little along x so that range bars at the same N do not overlap.
            let shift = (Double(k) - middle) * spacing
            let dash = series.dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
            let path = series.points.enumerated().map { i, p in "\(i == 0 ? "M" : "L")\(r(px(p.x) + shift)),\(r(py(p.median)))" }.joined(separator: " ")
            s += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(series.color)\" stroke-width=\"2\"\(dash)/>\n"
            for p in series.points {
                s += line(px(p.x) + shift, py(p.low), px(p.x) + shift, py(p.high), series.color, opacity: 0.6, width: 1.5)
                s += "<circle cx=\"\(r(px(p.x) + shift))\" cy=\"\(r(py(p.median)))\" r=\"3.2\" fill=\"\(series.color)\"/>\n"
            }
            let ly = y0 + 14 + Double(k) * 16
            s += "<line x1=\"\(r(x0 + width + 12))\" y1=\"\(r(ly - 4))\" x2=\"\(r(x0 + width + 36))\" y2=\"\(r(ly - 4))\" stroke=\"\(series.color)\" stroke-width=\"2\"\(dash)/>\n"
            s += text(x0 + width + 42, ly, series.label, size: 11)
        }
        return s + "</g>\n"
    }

    /// A panel's title and frame.
    static func frame(x0: Double, y0: Double, width: Double, height: Double, title: String) -> String {
        text(x0 + width / 2, y0 - 10, title, size: 13, anchor: "middle", bold: true)
            + "<rect x=\"\(r(x0))\" y=\"\(r(y0))\" width=\"\(r(width))\" height=\"\(r(height))\" fill=\"none\" stroke=\"#333\"/>\n"
    }

    /// Grid lines across the panel, tick marks and labels at `ticks` (placed by `py`).
    static func yAxis(_ ticks: [Double], at py: (Double) -> Double, x0: Double, width: Double, digits: Int) -> String {
        var s = ""
        for t in ticks {
            s += line(x0, py(t), x0 + width, py(t), "#e5e5e5")
            s += line(x0 - 5, py(t), x0, py(t), "#333")
            s += text(x0 - 8, py(t) + 4, tableNumber(t, digits), size: 11, anchor: "end")
        }
        return s
    }

    /// An axis title written bottom to top, centred on (x, y).
    static func verticalLabel(_ label: String, x: Double, y: Double) -> String {
        "<text x=\"\(r(x))\" y=\"\(r(y))\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 \(r(x)) \(r(y)))\">\(escape(label))</text>\n"
    }

    /// A dotted horizontal line across the panel at height `y`, labelled at its right end.
    static func referenceLine(at y: Double, x0: Double, width: Double, label: String) -> String {
        "<line x1=\"\(r(x0))\" y1=\"\(r(y))\" x2=\"\(r(x0 + width))\" y2=\"\(r(y))\" stroke=\"#000\" stroke-width=\"1.2\" stroke-dasharray=\"2,3\"/>\n"
            + text(x0 + width - 4, y - 4, label, size: 10, anchor: "end")
    }

    /// Splits text at spaces into lines of at most `width` characters.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = [], current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty, current.count + 1 + word.count > width { lines.append(current); current = "" }
            current += (current.isEmpty ? "" : " ") + word
        }
        return lines + (current.isEmpty ? [] : [current])
    }

    static func symbol(_ norm: LipschitzNorm) -> String { norm == .infinity ? "∞" : norm.description }

    /// Round ticks inside [low, high]: 1-2-5 per decade, or finer steps when that gives fewer than three.
    static func ticks(_ low: Double, _ high: Double) -> [Double] {
        for mantissas in [[1.0, 2, 5], [1.0, 1.5, 2, 3, 5, 7], [1.0, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9]] {
            var out: [Double] = []
            var decade = pow(10, floor(log10(low)))
            while decade <= high {
                for m in mantissas where decade * m >= low && decade * m <= high { out.append(decade * m) }
                decade *= 10
            }
            if out.count >= 3 { return out }
        }
        return [low, (low * high).squareRoot(), high]
    }

    static func text(_ x: Double, _ y: Double, _ s: String, size: Int, anchor: String = "start", bold: Bool = false) -> String {
        "<text x=\"\(r(x))\" y=\"\(r(y))\" font-size=\"\(size)\" text-anchor=\"\(anchor)\"\(bold ? " font-weight=\"bold\"" : "")>\(escape(s))</text>\n"
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ color: String, opacity: Double = 1, width: Double = 1) -> String {
        "<line x1=\"\(r(x1))\" y1=\"\(r(y1))\" x2=\"\(r(x2))\" y2=\"\(r(y2))\" stroke=\"\(color)\" stroke-opacity=\"\(opacity)\" stroke-width=\"\(width)\"/>\n"
    }

    static func r(_ x: Double) -> String { cFormat("%.1f", x) }

    static func escape(_ s: String) -> String {
        s.replacingEvery("&", with: "&amp;").replacingEvery("<", with: "&lt;").replacingEvery(">", with: "&gt;")
    }
}
