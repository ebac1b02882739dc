// The line-sweep section (issue 11): one hidden layer at large widths, against the targets and
// against the numpy line sweep in scripts/line_sweep_reference.py.
import ExactLipschitz
import Foundation
import LipschitzModel
import RandomNetworks

struct SweepShape {
    let d: Int
    let n: Int
    /// Target for the search time (the result's `seconds`).
    let target: Double
}

let sweepShapes = [
    SweepShape(d: 1, n: 1_000_000, target: 0.5), SweepShape(d: 1, n: 200_000, target: 0.1),
    SweepShape(d: 2, n: 5000, target: 1), SweepShape(d: 2, n: 2000, target: 0.3),
    SweepShape(d: 3, n: 500, target: 1), SweepShape(d: 4, n: 120, target: 1), SweepShape(d: 5, n: 60, target: 2),
]

/// The reference runs under `timeout` with this many seconds (its Python loop over lines is slow for d ≥ 3).
let numpyLimit = 120

func numpyAvailable() -> Bool {
    ((try? runProcess("/usr/bin/env", ["python3", "-c", "import numpy; print(1)"]))?.2.count ?? 0) > 0
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// Times the sweep and the numpy reference on each shape (those with `inputs` inputs, or all
/// when empty) and writes the section.
func sweepSection(quick: Bool, inputs: [Int] = []) throws {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/line_sweep_reference.py").path
    let haveNumpy = numpyAvailable()
    emit()
    emit("## One hidden layer: the line sweep (issue 11)")
    emit()
    emit("Networks drawn as above (`lipschitz generate --input-dim d --width N --seed S`). search s = `ExactSearch.compute` with ℓ2 and 2 threads in this process after the network is read (median of 3; the target applies to it); process s = the wall time of `lipschitz exact NET --norm 2 --threads 2` (reading the file included, median of 3); search CPU s = the CPU time of the search summed over its threads (on a machine shared with other work the wall times grow, the CPU times much less: at most 2 × search s is available); numpy s = the search time of `scripts/line_sweep_reference.py` (file reading excluded, one run, stopped after \(numpyLimit) s), which evaluates all 2^d cells at every vertex in a Python loop over lines. Same constant = relative difference ≤ 1e-9.")
    if !haveNumpy { emit(); emit("numpy is not installed (`pip install numpy`): the numpy columns are skipped.") }
    emit()
    emit("| d | N | seed | regions | = Σ C(N, i) | Lipschitz (ℓ2) | search s | search CPU s | target s | process s | numpy s | numpy / search | same constant |")
    emit("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for (index, shape) in sweepShapes.enumerated() where inputs.isEmpty || inputs.contains(shape.d) {
        let seed = UInt64(200 + index)
        let spec = try RandomNetworkSpec(inputDimension: shape.d, width: shape.n, depth: 1, outputs: 1, bias: .normal, biasScale: 1, seed: seed)
        let path = folder.appendingPathComponent("sweep-\(shape.d)-\(shape.n).json").path
        try NetworkJSON.encode(try RandomNetworkGenerator.generate(spec)).write(toFile: path, atomically: true, encoding: .utf8)
        var searches: [Double] = [], cpus: [Double] = [], walls: [Double] = []
        let network = try NetworkJSON.read(contentsOf: path)
        var options = ExactOptions(norms: [.two])
        options.threads = 2
        options.timeLimit = 120
        var result: ExactReport?
        for _ in 0..<(quick ? 1 : 3) {
            let start = DispatchTime.now().uptimeNanoseconds, cpuStart = processCPUSeconds()
            result = try ExactSearch.compute(network, options: options)
            searches.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            cpus.append(processCPUSeconds() - cpuStart)
            let (wall, _, _, _) = try runProcess(binary, ["exact", path, "--json", "--norm", "2", "--threads", "2", "--time-limit", "120"])
            walls.append(wall)
        }
        let value = result.map { $0.isExact ? $0.bounds[0].value : .nan } ?? .nan
        let regions = result?.regions ?? -1
        var numpyText = "—", ratio = "—", same = "—"
        if haveNumpy {
            let (_, _, data, _) = try runProcess("/usr/bin/timeout", ["\(numpyLimit)", "python3", script, path])
            if let reference = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
               let seconds = reference["seconds"] as? Double, let constant = reference["lipschitz"] as? Double {
                numpyText = String(format: "%.3f", seconds)
                ratio = String(format: "%.0f×", seconds / median(searches))
                same = abs(constant - value) <= 1e-9 * max(abs(value), 1e-300) ? "yes" : "NO (\(constant))"
            } else {
                numpyText = "> \(numpyLimit)"
                ratio = String(format: "≥ %.0f×", Double(numpyLimit) / median(searches))
            }
        }
        let cells = ["\(shape.d)", "\(shape.n)", "\(seed)", "\(regions)", regions == binomialSum(shape.n, shape.d) ? "yes" : "NO",
                     String(format: "%.10g", value), String(format: "%.3f", median(searches)), String(format: "%.3f", median(cpus)), String(format: "%.1f", shape.target),
                     String(format: "%.3f", median(walls)), numpyText, ratio, same]
        emit("| " + cells.joined(separator: " | ") + " |")
        if index == 0 { try readingBreakdown(path) }
    }
    for note in pendingNotes { emit(); emit(note) }
}

/// Where the time of reading the largest file goes: the file, the JSON parse, the network.
func readingBreakdown(_ path: String) throws {
    func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
    var data = Data()
    var value = JSONValue.null
    let read = try seconds { data = try FileAccess.read(path) }
    let parse = try seconds { value = try JSONValue.parse(data) }
    _ = value
    let whole = try seconds { _ = try NetworkJSON.read(contentsOf: path) }
    pendingNotes.append(String(format: "Reading the d = 1, N = 10^6 file (%.0f MB) in this process: %.2f s in all (`NetworkJSON.read`), of which %.2f s reading the bytes and %.2f s parsing them into JSON values; the rest (%.2f s) builds the network from the values.",
                               Double(data.count) / 1e6, whole, read, parse, max(0, whole - read - parse)))
}

var pendingNotes: [String] = []

/// User plus system CPU seconds of this process so far (all threads).
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
