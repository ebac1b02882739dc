import FoundationEssentials
import LipschitzModel
import LipschitzTheory

/// Text, CSV and JSON renderings of a comparison run.
public struct ComparisonReport: Sendable {
    public let results: [CaseResult]
    public let settings: HarnessSettings
    /// A line saying where the networks came from (the sweep or suite options).
    public let origin: String
    /// Set for one part of a sharded run (`compare --shard K/N`): written as the "shard" key,
    /// which `lipschitz merge` reads. Nil for a whole run or a merge.
    public var shard: ComparisonShard?

    public init(results: [CaseResult], settings: HarnessSettings, origin: String, shard: ComparisonShard? = nil) {
        self.results = results
        self.settings = settings
        self.origin = origin
        self.shard = shard
    }

    public var violations: [Violation] { results.flatMap(\.violations) }
    public var cells: [CellSummary] { CellSummary.cells(results) }
    public var growth: [GrowthFit] { GrowthFit.fits(results) }
    var methodNames: [String] { results.first?.norms.first?.methods.map(\.method) ?? [] }

    // MARK: - text

    /// The readable report: per network (when `perNetwork`), per cell, growth in N, violations.
    public func text(perNetwork: Bool) -> String {
        // Labels, paths and names come from files: control characters are escaped so that
        // none can break a row or forge a line.
        var out = "Comparison: \(escapingControlCharacters(origin))\n"
        out += "norms \(settings.norms.map(\.description).joined(separator: ", ")); exact time limit "
            + (settings.timeLimit.map { "\(tableNumber($0)) s" } ?? "none") + " per network; \(results.count) networks\n"
        let incomplete = results.filter { !$0.exact.isExact }.count
        if incomplete > 0 {
            out += "\(incomplete) network(s) hit the time limit: their certified [lower, upper] is shown and they are left out of the summaries\n"
        }
        let uncovered = results.filter { !RandomNetworkTheory.covers($0.input.network) }.count
        if uncovered > 0 {
            out += "note: the theory's scale E‖g‖_q is stated for one hidden layer and a scalar output; for the \(uncovered) other network(s) Lip/E‖g‖ is only a reference\n"
        }
        if perNetwork {
            out += "\nPer network (ratio = value / exact; prediction = E‖g‖_q of THEORY.md §2)\n"
            var rows: [[String]] = [["network", "p", "exact", "regions", "s", "prediction", "Lip/pred"]
                + methodNames.flatMap { [$0, "ratio"] }]
            for r in results {
                for nc in r.norms {
                    let exact = r.exact.isExact ? tableNumber(nc.exact.lower) : "[\(tableNumber(nc.exact.lower)), \(tableNumber(nc.exact.upper))]"
                    var row = [escapingControlCharacters(r.input.label), nc.norm.description, exact, "\(r.exact.regions)", tableNumber(r.exact.seconds, 3),
                               tableNumber(nc.prediction.value), nc.lipOverPrediction(isExact: r.exact.isExact).map { tableNumber($0, 3) } ?? "-"]
                    for m in nc.methods {
                        if let v = m.value {
                            row.append(tableNumber(v) + (m.violation != nil ? " !" : ""))
                            row.append(m.ratioToExact.map { tableNumber($0, 3) } ?? "-")
                        } else {
                            row += ["error", "-"]
                        }
                    }
                    rows.append(row)
                }
            }
            out += table(rows)
        }
        out += "\nPer cell: median [min, max] over networks whose exact search finished\n"
        var rows: [[String]] = [["p", "d", "N", "L", "bias", "exact/n", "regions", "exact s", "E‖g‖", "Lip/E‖g‖", "Lip/√d"]
            + methodNames.map { "\($0) /exact" }]
        for c in cells {
            var row = [c.norm.description, "\(c.inputDimension)", c.width.map(String.init) ?? "mixed", "\(c.depth)", c.bias,
                       "\(c.exactNetworks)/\(c.networks)", c.regions.map { tableNumber($0.median, 6) } ?? "-",
                       c.exactSeconds.map { tableNumber($0.median, 2) } ?? "-", tableNumber(c.prediction, 4),
                       spread(c.lipOverPrediction), spread(c.lipOverSqrtD)]
            row += c.methodRatios.map { m in
                (m.ratio.map { tableNumber($0.median, 3) } ?? "-") + (m.errors > 0 ? " (\(m.errors) err)" : "")
            }
            rows.append(row)
        }
        out += table(rows)
        let fits = growth
        if !fits.isEmpty {
            out += "\nGrowth in N: slope of log(median ratio to E‖g‖) against log N (theory: 0 for the truth of shallow nets, ½ for layer-product)\n"
            out += "(slope over all widths with its verdict at ±\(GrowthFit.growthThreshold), then the slope over the wider half of the widths)\n"
            var rows: [[String]] = [["p", "d", "L", "bias", "quantity", "N", "slope", "verdict", "wide half", "slope"]]
            for g in fits {
                rows.append([g.norm.description, "\(g.inputDimension)", "\(g.depth)", g.bias, g.quantity,
                             "\(g.widths.first!)…\(g.widths.last!)", tableNumber(g.slope, 3), g.verdict,
                             "\(g.widths[min(g.widths.count / 2, g.widths.count - 2)])…\(g.widths.last!)", tableNumber(g.upperSlope, 3)])
            }
            out += table(rows)
        }
        let v = violations
        out += "\n" + (v.isEmpty ? "No soundness violations.\n"
            : "SOUNDNESS VIOLATIONS (\(v.count)):\n" + v.map { "  \(escapingControlCharacters("\($0)"))\n" }.joined())
        return out
    }

    private func spread(_ s: Spread?) -> String {
        guard let s else { return "-" }
        return "\(tableNumber(s.median, 3)) [\(tableNumber(s.min, 3)), \(tableNumber(s.max, 3))]"
    }

    private func table(_ rows: [[String]]) -> String {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == 0 ? cell.paddingWithSpaces(toLength: widths[i])
                    : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    // MARK: - CSV

    /// One row per (network, norm); per method: value, claim, ratio to exact, seconds,
    /// violation flag and error.
    public func csv() -> String {
        var header = ["network", "d", "N", "L", "outputs", "bias", "bias_scale", "seed", "p", "exact_lower", "exact_upper",
                      "is_exact", "stop_reason", "regions", "exact_seconds", "prediction_label", "prediction",
                      "lip_over_prediction", "lip_over_sqrt_d"]
        for m in methodNames { header += ["\(m)_value", "\(m)_kind", "\(m)_ratio", "\(m)_seconds", "\(m)_violation", "\(m)_error"] }
        var lines = [header.joined(separator: ",")]
        for r in results {
            for nc in r.norms {
                let recipe = r.input.recipe
                var row: [String] = [csvField(r.input.label), "\(r.input.inputDimension)", r.input.width.map(String.init) ?? ""]
                row += ["\(r.input.depth)", "\(r.input.network.outputDimension)", csvField(r.input.biasLabel)]
                row += [recipe.map { csvNumber($0.biasScale) } ?? "", recipe.map { "\($0.seed)" } ?? ""]
                row += [nc.norm.description, csvNumber(nc.exact.lower), csvNumber(nc.exact.upper), r.exact.isExact ? "true" : "false"]
                row += [r.exact.stopReason ?? "", "\(r.exact.regions)", csvNumber(r.exact.seconds), csvField(nc.prediction.label)]
                let lipOverPrediction = nc.lipOverPrediction(isExact: r.exact.isExact).map(csvNumber) ?? ""
                row += [csvNumber(nc.prediction.value), lipOverPrediction, r.lipOverSqrtD(nc.norm).map(csvNumber) ?? ""]
                for m in nc.methods {
                    row += [m.value.map(csvNumber) ?? "", m.claim.map { csvField($0.rawValue) } ?? "", m.ratioToExact.map(csvNumber) ?? "",
                            csvNumber(m.seconds), m.violation != nil ? "true" : "false", m.error.map(csvField) ?? ""]
                }
                lines.append(row.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingEvery("\"", with: "\"\"") + "\"" : s
    }

    // MARK: - JSON

    public func json() -> String {
        var out = "{\n  \"origin\": \(q(origin)),\n"
        out += "  \"settings\": {\"norms\": [\(settings.norms.map { q($0.description) }.joined(separator: ", "))], "
            + "\"time_limit\": \(jn(settings.timeLimit)), \"theory_samples\": \(settings.theorySamples), \"theory_seed\": \(settings.theorySeed)},\n"
        if let shard { out += "  \"shard\": \(shard.json),\n" }
        out += "  \"networks\": [\n" + results.map(caseJSON).joined(separator: ",\n") + "\n  ],\n"
        out += "  \"cells\": [\n" + cells.map(cellJSON).joined(separator: ",\n") + "\n  ],\n"
        out += "  \"growth\": [\n" + growth.map { g in
            "    {\"p\": \(q(g.norm.description)), \"d\": \(g.inputDimension), \"L\": \(g.depth), \"bias\": \(q(g.bias)), "
                + "\"quantity\": \(q(g.quantity)), \"widths\": [\(g.widths.map(String.init).joined(separator: ", "))], "
                + "\"medians\": [\(g.medians.map(jn).joined(separator: ", "))], \"slope\": \(jn(g.slope)), \"verdict\": \(q(g.verdict)), \"wide_half_slope\": \(jn(g.upperSlope))}"
        }.joined(separator: ",\n") + "\n  ],\n"
        out += "  \"violations\": [" + violations.map { v in
            "{\"network\": \(q(v.network)), \"method\": \(q(v.method)), \"p\": \(q(v.norm.description)), \"claim\": \(q(v.claim.rawValue)), "
                + "\"value\": \(jn(v.value)), \"lower\": \(jn(v.lower)), \"upper\": \(jn(v.upper)), \"message\": \(q(v.description))}"
        }.joined(separator: ", ") + "]\n}\n"
        return out
    }

    private func caseJSON(_ r: CaseResult) -> String {
        var s = "    {\"network\": \(q(r.input.label)), \"d\": \(r.input.inputDimension), \"N\": \(r.input.width.map(String.init) ?? "null"), "
        s += "\"L\": \(r.input.depth), \"architecture\": [\(r.input.network.architecture.map(String.init).joined(separator: ", "))], "
        s += "\"bias\": \(q(r.input.biasLabel)), \"bias_scale\": \(jn(r.input.recipe?.biasScale)), \"seed\": \(r.input.recipe.map { "\($0.seed)" } ?? "null"), "
        s += "\"is_exact\": \(r.exact.isExact), \"stop_reason\": \(r.exact.stopReason.map(q) ?? "null"), "
        s += "\"regions\": \(r.exact.regions), \"exact_seconds\": \(jn(r.exact.seconds)), \"norms\": ["
        s += r.norms.map { nc in
            var t = "{\"p\": \(q(nc.norm.description)), \"exact_lower\": \(jn(nc.exact.lower)), \"exact_upper\": \(jn(nc.exact.upper)), "
            t += "\"prediction\": {\"label\": \(q(nc.prediction.label)), \"value\": \(jn(nc.prediction.value)), "
            t += "\"standard_error\": \(jn(nc.prediction.scale.standardError)), \"covers\": \(nc.theoryCovers)}, "
            t += "\"lip_over_prediction\": \(jn(nc.lipOverPrediction(isExact: r.exact.isExact))), "
            t += "\"lip_over_sqrt_d\": \(jn(r.lipOverSqrtD(nc.norm))), \"methods\": ["
            t += nc.methods.map { m in
                "{\"method\": \(q(m.method)), \"kind\": \(m.claim.map { q($0.rawValue) } ?? "null"), \"value\": \(jn(m.value)), "
                    + "\"ratio\": \(jn(m.ratioToExact)), \"seconds\": \(jn(m.seconds)), \"violation\": \(m.violation != nil), "
                    + "\"error\": \(m.error.map(q) ?? "null")}"
            }.joined(separator: ", ")
            return t + "]}"
        }.joined(separator: ", ")
        return s + "]}"
    }

    private func cellJSON(_ c: CellSummary) -> String {
        func sj(_ s: Spread?) -> String {
            guard let s else { return "null" }
            return "{\"median\": \(jn(s.median)), \"min\": \(jn(s.min)), \"max\": \(jn(s.max)), "
                + "\"q1\": \(jn(s.lowerQuartile)), \"q3\": \(jn(s.upperQuartile)), \"count\": \(s.count)}"
        }
        var s = "    {\"p\": \(q(c.norm.description)), \"d\": \(c.inputDimension), \"N\": \(c.width.map(String.init) ?? "null"), "
        s += "\"L\": \(c.depth), \"bias\": \(q(c.bias)), \"networks\": \(c.networks), \"exact_networks\": \(c.exactNetworks), "
        s += "\"prediction_label\": \(q(c.predictionLabel)), \"prediction\": \(jn(c.prediction)), "
        s += "\"lip_over_prediction\": \(sj(c.lipOverPrediction)), \"lip_over_sqrt_d\": \(sj(c.lipOverSqrtD)), "
        s += "\"regions\": \(sj(c.regions)), \"exact_seconds\": \(sj(c.exactSeconds)), \"methods\": ["
        s += c.methodRatios.map { m in
            "{\"method\": \(q(m.method)), \"kind\": \(m.claim.map { q($0.rawValue) } ?? "null"), \"ratio_to_exact\": \(sj(m.ratio)), "
                + "\"seconds\": \(sj(m.seconds)), \"errors\": \(m.errors)}"
        }.joined(separator: ", ")
        return s + "]}"
    }

    private func q(_ s: String) -> String { NetworkJSON.quote(s) }
    private func jn(_ x: Double?) -> String { x.flatMap { $0.isFinite ? NetworkJSON.encode($0) : nil } ?? "null" }
}

/// `%.Ng`: short numbers for tables.
func tableNumber(_ x: Double, _ digits: Int = 6) -> String { cFormat("%.\(digits)g", x) }
/// Round-trip numbers for CSV.
func csvNumber(_ x: Double) -> String { x.isFinite ? "\(x)" : "" }
