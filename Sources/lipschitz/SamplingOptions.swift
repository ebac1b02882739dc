import ArgumentParser
import LipschitzEstimates

/// `--samples K`, shared by `estimate` and `compare`; the library's rule, checked before any
/// file is read.
struct SamplingOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Random points for sampled, local-search and clever.", valueName: "K"))
    var samples: Int = 1000

    func validate() throws {
        do { try EstimateOptions.checkSamples(samples) } catch let problem as EstimateError {
            throw ValidationError("--samples: \(problem.description)")
        }
    }
}
