// lipschitz-bench: the fixed, seeded benchmark suite of issue 4 (`make bench`).
//
// Draws networks as in THEORY.md §2 (RandomNetworks), runs the `lipschitz` binary on each as a
// separate process (so times include process start, as users see them), and reports regions,
// LPs solved and skipped, pruned subtrees, median wall time and peak memory per method; the
// plain one-LP-per-split baseline runs in the same session, so every speed-up is a ratio
// measured here. Writes docs/benchmarks.md.
import Foundation
import LipschitzModel
import RandomNetworks

struct Configuration {
    let label: String
    let arguments: [String]
    let norms: [String]
    let timeLimit: Double
    let isBaseline: Bool
}

struct Case {
    let label: String
    let spec: RandomNetworkSpec
    let configurations: [Configuration]
}

struct Measurement {
    var seconds: [Double] = []
    var peakKilobytes = 0
    var json: [String: Any] = [:]
    var median: Double { seconds.sorted()[seconds.count / 2] }
    var exact: Bool { json["exact"] as? Bool ?? false }
    var statistics: [String: Any] { json["statistics"] as? [String: Any] ?? [:] }
}

/// Runs `binary` with `arguments`, stdout to a file; returns wall seconds, peak RSS (KB) and stdout.
func runProcess(_ binary: String, _ arguments: [String]) throws -> (Double, Int, Data) {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("lipschitz-bench-\(getpid()).json").path
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let argv = ([binary] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let start = DispatchTime.now().uptimeNanoseconds
    guard posix_spawn(&pid, binary, &actions, nil, argv, environ) == 0 else {
        throw NSError(domain: "bench", code: 1, userInfo: [NSLocalizedDescriptionKey: "cannot start \(binary)"])
    }
    var status: Int32 = 0
    var usage = rusage()
    wait4(pid, &status, 0, &usage)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let data = (try? Data(contentsOf: URL(fileURLWithPath: output))) ?? Data()
    try? FileManager.default.removeItem(atPath: output)
    return (seconds, Int(usage.ru_maxrss), data)
}

func measure(_ binary: String, network: String, configuration: Configuration, norm: String, repeats: Int) throws -> Measurement {
    var m = Measurement()
    for run in 0..<repeats {
        let arguments = ["exact", network, "--json", "--norm", norm, "--time-limit", "\(configuration.timeLimit)"] + configuration.arguments
        let (seconds, peak, data) = try runProcess(binary, arguments)
        m.seconds.append(seconds)
        m.peakKilobytes = max(m.peakKilobytes, peak)
        m.json = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        // Slow or stopped runs are not repeated: their time is the limit, not a sample.
        if run == 0 && (seconds > 5 || !m.exact) { break }
    }
    return m
}

func binomialSum(_ n: Int, _ d: Int) -> Int {
    var total = 0, c = 1
    for i in 0...d { total += c; c = c * (n - i) / (i + 1) }
    return total
}

// MARK: - The suite

var outputPath = "docs/benchmarks.md"
var quick = false
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--output": outputPath = arguments.next() ?? outputPath
    case "--quick": quick = true
    default:
        FileHandle.standardError.write("usage: lipschitz-bench [--output FILE] [--quick]\n".data(using: .utf8)!)
        exit(2)
    }
}
let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("lipschitz").path
guard FileManager.default.isExecutableFile(atPath: binary) else {
    FileHandle.standardError.write("lipschitz-bench: build the lipschitz binary first (\(binary))\n".data(using: .utf8)!)
    exit(2)
}
let baselineLimit = quick ? 5.0 : 20.0
let deepBaselineLimit = quick ? 10.0 : 400.0
let shallow: [Configuration] = [
    Configuration(label: "plain (baseline)", arguments: ["--method", "plain", "--threads", "1"], norms: ["2"], timeLimit: baselineLimit, isBaseline: true),
    Configuration(label: "lp, 2 threads", arguments: ["--method", "lp", "--threads", "2"], norms: ["2"], timeLimit: baselineLimit, isBaseline: false),
    Configuration(label: "arrangement, 1 thread", arguments: ["--method", "arrangement", "--threads", "1"], norms: ["2", "inf"], timeLimit: 60, isBaseline: false),
    Configuration(label: "arrangement, 2 threads", arguments: ["--method", "arrangement", "--threads", "2"], norms: ["2", "inf"], timeLimit: 60, isBaseline: false),
]
let deep: [Configuration] = [
    Configuration(label: "plain (baseline)", arguments: ["--method", "plain", "--threads", "1"], norms: ["2"], timeLimit: deepBaselineLimit, isBaseline: true),
    Configuration(label: "lp, 1 thread", arguments: ["--method", "lp", "--threads", "1"], norms: ["2"], timeLimit: deepBaselineLimit, isBaseline: false),
    Configuration(label: "lp, 2 threads", arguments: ["--method", "lp", "--threads", "2"], norms: ["2"], timeLimit: deepBaselineLimit, isBaseline: false),
    Configuration(label: "lp + pruning, 1 thread", arguments: ["--method", "lp", "--threads", "1", "--prune"], norms: ["2", "inf"], timeLimit: 120, isBaseline: false),
    Configuration(label: "lp + pruning, 2 threads", arguments: ["--method", "lp", "--threads", "2", "--prune"], norms: ["2", "inf"], timeLimit: 120, isBaseline: false),
]
func spec(_ d: Int, _ n: Int, depth: Int = 1, seed: UInt64) throws -> RandomNetworkSpec {
    try RandomNetworkSpec(inputDimension: d, width: n, depth: depth, outputs: 1, bias: .normal, biasScale: 1, seed: seed)
}
let cases: [Case] = [
    Case(label: "(2, 40)", spec: try spec(2, 40, seed: 1), configurations: shallow),
    Case(label: "(2, 1000)", spec: try spec(2, 1000, seed: 2), configurations: shallow),
    Case(label: "(3, 30)", spec: try spec(3, 30, seed: 3), configurations: shallow),
    Case(label: "(3, 100)", spec: try spec(3, 100, seed: 4), configurations: shallow),
    Case(label: "(4, 60)", spec: try spec(4, 60, seed: 5), configurations: shallow),
    Case(label: "(5, 40)", spec: try spec(5, 40, seed: 6), configurations: shallow),
    Case(label: "(3, 20, 20, 1)", spec: try spec(3, 20, depth: 2, seed: 7), configurations: deep),
    Case(label: "(4, 16, 16, 16, 1)", spec: try spec(4, 16, depth: 3, seed: 8), configurations: deep),
]

let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lipschitz-bench-nets-\(getpid())")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }

var report: [String] = []
func emit(_ line: String = "") {
    print(line)
    fflush(stdout)
    report.append(line)
}

let started = Date()
emit("# Benchmarks")
emit()
emit("Written by `make bench` (`lipschitz-bench`) on \(ISO8601DateFormatter().string(from: started)), \(ProcessInfo.processInfo.activeProcessorCount) cores, release build. Every time is the wall time of a separate `lipschitz exact` process (including process start), the median of up to 3 runs (1 when a run takes over 5 s or stops at its time limit). Memory is the peak resident set of the process. Networks are drawn as in THEORY.md §2 (hidden weights N(0, 2/N), output weights N(0, 1), biases N(0, 1)) with the seeds shown, so `lipschitz generate` redraws them. The machine has 2 noisy cores: read ratios, not single figures.")
emit()
emit("Columns: regions = full-dimensional regions visited (all of them unless pruned or stopped); LPs = linear programs solved; skipped = splits decided by a known interior ball with no LP; vertices = arrangement vertices visited; pruned = subtrees cut by branch and bound; speed-up = baseline time / this time (≥ when the baseline stopped at its limit).")
for item in cases {
    let net = try RandomNetworkGenerator.generate(item.spec)
    let path = folder.appendingPathComponent("net-\(item.spec.seed).json").path
    try NetworkJSON.encode(net).write(toFile: path, atomically: true, encoding: .utf8)
    emit()
    emit("## \(item.label), seed \(item.spec.seed)")
    emit()
    emit("| method | norm | Lipschitz | exact | regions | LPs | skipped | vertices | pruned | median s | peak MB | speed-up |")
    emit("|---|---|---|---|---|---|---|---|---|---|---|---|")
    var baseline: Measurement?
    for configuration in item.configurations {
        for norm in configuration.norms {
            let m = try measure(binary, network: path, configuration: configuration, norm: norm, repeats: 3)
            if configuration.isBaseline { baseline = m }
            let s = m.statistics
            let value = (m.json["lipschitz"] as? Double).map { String(format: "%.10g", $0) } ?? "—"
            let exactText = m.exact ? "yes" : "stopped: [\(String(format: "%.4g", m.json["lower"] as? Double ?? 0)), \(String(format: "%.4g", m.json["upper"] as? Double ?? 0))]"
            var speedup = "—"
            if let baseline, !configuration.isBaseline, let b = baseline.seconds.first {
                let ratio = baseline.median / m.median
                speedup = (baseline.exact ? "" : "≥ ") + String(format: "%.1f×", ratio)
                _ = b
            }
            let cells = [configuration.label, norm, value, exactText, "\(m.json["regions"] ?? "—")",
                         "\(s["linear_programs"] ?? "—")", "\(s["skipped_linear_programs"] ?? "—")", "\(s["vertices"] ?? "—")",
                         "\(s["pruned_subtrees"] ?? "—")", String(format: "%.3f", m.median),
                         String(format: "%.1f", Double(m.peakKilobytes) / 1024), speedup]
            emit("| " + cells.joined(separator: " | ") + " |")
        }
    }
}

// Counting more than a million regions, checked against Σ_{i≤d} C(N, i).
let countSpec = try spec(3, 200, seed: 9)
let countPath = folder.appendingPathComponent("count.json").path
try NetworkJSON.encode(try RandomNetworkGenerator.generate(countSpec)).write(toFile: countPath, atomically: true, encoding: .utf8)
let count = try measure(binary, network: countPath,
                        configuration: Configuration(label: "count", arguments: ["--count-regions", "--threads", "2"], norms: ["2"], timeLimit: 120, isBaseline: false),
                        norm: "2", repeats: 3)
let expected = binomialSum(200, 3)
emit()
emit("## Counting regions: (3, 200), seed 9")
emit()
emit("`lipschitz exact --count-regions` visited \(count.json["regions"] ?? "—") regions (arrangement formula Σ_{i≤3} C(200, i) = \(expected): \((count.json["regions"] as? Int) == expected ? "equal" : "DIFFERENT")) in \(String(format: "%.2f", count.median)) s median, peak memory \(String(format: "%.1f", Double(count.peakKilobytes) / 1024)) MB.")
emit()
emit("Total benchmark time: \(String(format: "%.0f", Date().timeIntervalSince(started))) s.")
try (report.joined(separator: "\n") + "\n").write(toFile: outputPath, atomically: true, encoding: .utf8)
