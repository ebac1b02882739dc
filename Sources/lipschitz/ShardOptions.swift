import ArgumentParser
import ExactLipschitz

/// `--shard K/N`: run only part K of N of the work (`docs/cluster.md`); `lipschitz merge`
/// combines the parts' outputs into what one unsharded run writes.
struct ShardOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Run only part K of N (1 ≤ K ≤ N), e.g. 3/8 or $SLURM_ARRAY_TASK_ID/8; combine the parts' outputs with `lipschitz merge`.", valueName: "K/N"))
    var shard: String?

    /// A malformed K/N is a usage error (exit 2), found before anything is read.
    func validate() throws {
        do { _ = try parsed() } catch let error as ShardError { throw ValidationError(error.description) }
    }

    /// The parsed shard (`Shard.whole` when not given).
    func parsed() throws -> Shard {
        guard let shard else { return .whole }
        return try Shard(parsing: shard.trimmingWhitespaces())
    }
}
