// The cost of sharding (issue 13): a comparison sweep run whole and as 8 shards one after
// another (plus the merge), and `exact --shard` on deep networks against one process, both
// seeded with `--lower-bound` from `lipschitz estimate`. Every run is a separate process, as on
// a cluster, so the per-shard fixed cost (process start, reading, planning) is included.
import Foundation

/// Runs the binary and returns its wall seconds, stdout and CPU seconds. On a shared machine the
/// CPU time is the steadier measure of work (other processes stretch the wall time).
func timedRun(_ arguments: [String]) throws -> (seconds: Double, output: Data, cpu: Double) {
    let (seconds, _, data, cpu) = try runProcess(binary, arguments)
    return (seconds, data, cpu)
}

func shardingOverhead() throws {
    let shards = 8
    let trials = quick ? 4 : 40
    let sweep = ["--dims", "2,3,4", "--widths", "8,16,24", "--depths", "1,2", "--trials", "\(trials)", "--samples", "500",
                 "--seed", "13", "--quiet"]
    let out = folder.appendingPathComponent("shards")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    emit()
    emit("## Sharding (`--shard K/N`, `lipschitz merge`)")
    emit()
    emit("A compare sweep (`lipschitz compare \(sweep.joined(separator: " "))`, \(18 * trials) networks) run as one process, then as \(shards) shards run one after another (each a separate process writing `--json`), then merged. Overhead = (Σ shard times + merge) / whole.")
    emit()
    let whole = try timedRun(["compare"] + sweep + ["--csv", out.appendingPathComponent("whole.csv").path])
    var parts: [(seconds: Double, output: Data, cpu: Double)] = []
    for k in 1...shards {
        parts.append(try timedRun(["compare"] + sweep + ["--shard", "\(k)/\(shards)", "--json", out.appendingPathComponent("part-\(k).json").path]))
    }
    let files = (1...shards).map { out.appendingPathComponent("part-\($0).json").path }
    let merge = try timedRun(["merge"] + files + ["--csv", out.appendingPathComponent("merged.csv").path])
    let idle = try timedRun(["compare", "--dims", "1", "--widths", "1", "--trials", "1", "--samples", "1", "--quiet"])
    let wall = parts.map(\.seconds).reduce(0, +), cpu = parts.map(\.cpu).reduce(0, +)
    emit("| | whole | Σ \(shards) shards | slowest shard | merge | overhead | fixed cost per process |")
    emit("|---|---|---|---|---|---|---|")
    emit(String(format: "| wall s | %.2f | %.2f | %.2f | %.2f | %.3f× | %.3f |", whole.seconds, wall, parts.map(\.seconds).max()!,
                merge.seconds, (wall + merge.seconds) / whole.seconds, idle.seconds))
    emit(String(format: "| CPU s | %.2f | %.2f | %.2f | %.2f | %.3f× | %.3f |", whole.cpu, cpu, parts.map(\.cpu).max()!,
                merge.cpu, (cpu + merge.cpu) / whole.cpu, idle.cpu))
    emit()
    emit("The fixed cost per process (a one-network compare: start, theory cache, output) is paid once per shard, so \(shards) shards of a sweep that takes W seconds cost about W + \(shards)·fixed + merge; for W ≥ 10 min that is below 1.05× when fixed + merge/\(shards) < 3.75 s.")
    try exactShards()
}

/// `exact --shard` on deep networks: the shards' total work against one process, single-threaded,
/// pruning against the best lower bound of `lipschitz estimate`.
func exactShards() throws {
    let shapes: [(label: String, d: Int, n: Int, depth: Int, seed: UInt64)] = quick
        ? [("(3, 12, 12, 1)", 3, 12, 2, 7)]
        : [("(3, 20, 20, 1)", 3, 20, 2, 7), ("(4, 16, 16, 16, 1)", 4, 16, 3, 8)]
    emit()
    emit("`exact --shard K/N --prune --lower-bound X --threads 1` on deep networks, X = the best lower bound of `lipschitz estimate` times 1 − 1e-9; \"work\" = Σ over shards of LP-search nodes (and seconds), divided by one process's with the same options.")
    emit()
    emit("| network | N | constant | merged exact | = one process | nodes ratio | seconds ratio |")
    emit("|---|---|---|---|---|---|---|")
    for shape in shapes {
        let path = try randomNetworkFile(shape.d, shape.n, depth: shape.depth, seed: shape.seed, name: "shard")
        let estimate = try JSONSerialization.jsonObject(with: try timedRun(["estimate", path, "--json"]).output) as? [String: Any]
        let lower = ((estimate?["estimates"] as? [[String: Any]]) ?? [])
            .filter { $0["kind"] as? String == "lower bound" }.compactMap { $0["value"] as? Double }.max() ?? 0
        // A little below the estimate, as docs/cluster.md advises: the estimate's rounding (and
        // JSONSerialization's last bit) may put it an ulp above the constant.
        let seed = lower * (1 - 1e-9)
        let options = ["--prune", "--lower-bound", "\(seed)", "--threads", "1", "--json"]
        let one = try timedRun(["exact", path] + options)
        let single = try JSONSerialization.jsonObject(with: one.output) as? [String: Any] ?? [:]
        let singleNodes = Double((single["statistics"] as? [String: Any])?["nodes"] as? Int ?? 1)
        let singleValue = single["lipschitz"] as? Double ?? .nan
        for n in [4, 8] {
            var nodes = 0.0, seconds = 0.0
            var parts: [String] = []
            for k in 1...n {
                let run = try timedRun(["exact", path, "--shard", "\(k)/\(n)"] + options)
                let part = folder.appendingPathComponent("shard-\(shape.seed)-\(k).json").path
                try run.output.write(to: URL(fileURLWithPath: part))
                parts.append(part)
                seconds += run.seconds
                let object = try JSONSerialization.jsonObject(with: run.output) as? [String: Any] ?? [:]
                nodes += Double((object["statistics"] as? [String: Any])?["nodes"] as? Int ?? 0)
            }
            let merged = try JSONSerialization.jsonObject(with: try timedRun(["merge"] + parts + ["--json"]).output) as? [String: Any] ?? [:]
            let value = merged["lipschitz"] as? Double ?? .nan
            let same = abs(value - singleValue) <= 1e-12 * abs(singleValue) ? "yes" : "NO"
            emit("| \(shape.label) | \(n) | \(format(value)) | \(merged["exact"] as? Bool == true ? "yes" : "no") | \(same) | "
                 + String(format: "%.2f | %.2f |", nodes / singleNodes, seconds / one.seconds))
        }
    }
}
