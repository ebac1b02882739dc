import ArgumentParser
import LipschitzModel

/// `--norm P`, shared by `exact`, `estimate` and `compare`: repeated, or a comma list. Every
/// norm given is kept (the exact search certifies them all in one pass), none is dropped
/// silently; with none, ℓ2.
struct NormOptions: ParsableArguments {
    @Option(name: .customLong("norm"),
            help: ArgumentHelp("The ℓp norm on inputs and outputs: 1, 2, inf, or a real p ≥ 1 (scalar outputs only). Repeat the option or give a comma list (1,2,inf) for several norms.", valueName: "P"),
            transform: { try LipschitzNorm.parseList($0) })
    var lists: [[LipschitzNorm]] = []

    /// The norms in the order first given, without repeats; ℓ2 when none was given.
    var norms: [LipschitzNorm] {
        var result: [LipschitzNorm] = []
        for norm in lists.joined() where !result.contains(norm) { result.append(norm) }
        return result.isEmpty ? [.two] : result
    }
}
