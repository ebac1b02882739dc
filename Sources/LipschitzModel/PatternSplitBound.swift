import FoundationEssentials

/// A sharper bound than one `JacobianBound`: branch and bound over the unknown indicators
/// themselves, in pattern space (no geometry, no LP), first hidden layer first.
///
/// Soundness and the tree itself: `PatternBoundTree`, run here to a budget of bounds.
///
/// ## Why the first layer first
///
/// The search itself splits the first layer first, so a queued subtree's unknown neurons are
/// the rest of the layer it was splitting and every later layer; an earlier layer's indicators
/// widen the intervals of every later one, so fixing them first tightens the most (the same
/// reason `PatternCap` splits that way from the root). Chosen by measurement, on the
/// time to the exact constant (trained-like 11-24-24-1, 2 threads, quiet machine, three runs
/// each): 2.28, 2.35 and 2.27 million nodes deepest layer first (the earlier order: with the
/// last layer fixed the row combination reaching the earlier layers is one vector), 2.15, 2.14
/// and 2.18 million first layer first; 132 s against 115 s for the pair run back to back. The
/// anytime interval after 30 s did not tell the two apart (`PatternCap`). In the search
/// (`ExactSearch.refine`, 400 bounds) a depth-5 subtree of that network goes from 3.65 to about
/// 2.6, while hill climbing over all patterns reaches 1.595.
public enum PatternSplitBound {
    /// A sound bound on ‖J‖_{p→p} over every completion of `states`; at most `budget` calls of
    /// `JacobianBound.bound`. Leaves bounded by at most `target` are closed; the answer is the
    /// largest bound of an open leaf (or of a closed one, when none is open). `shouldStop`, asked
    /// before every split, ends the work early with the bound reached so far.
    public static func bound(network: ReLUNetwork, states: [[NeuronState]], p: LipschitzNorm, target: Double,
                             budget: Int, cache: FoldCache? = nil, shouldStop: (() -> Bool)? = nil) throws -> Double {
        let tree = try PatternBoundTree(network: network, states: states, p: p, order: .shallowestLayerFirst,
                                        target: target, cache: cache)
        try tree.advance(target: target, evaluations: budget - 1, shouldStop: shouldStop)
        return tree.bound
    }
}
