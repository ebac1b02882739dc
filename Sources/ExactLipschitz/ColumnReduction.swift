import LinearProgramming
import LipschitzModel

/// Input directions that no hyperplane of the global search can see, removed from its LPs.
///
/// When two columns of the first layer's (scaled) weights are equal as doubles, or a column is
/// zero, every row the search builds is equal (zero) in them too: the deeper rows are sums of
/// the same products of the same doubles (`RegionEnumerator.advanceLayer`), normalised by the
/// same divisions. Then y ↦ y + t·(e_j − e_k) (t·e_k for a zero column) changes no row and
/// not the objective, so fixing y_k = 0 changes neither the optimum of the Chebyshev LP nor
/// whether it is feasible: every feasible (y, r) maps to the feasible (y with y_j += y_k,
/// y_k = 0, r). Without the fix GLPK leaves such a free column non-basic with a reduced cost
/// that is zero only within its tolerance, the conditioning test cannot trust the basis
/// (`LinearProgram.tightConstraintCondition` is infinite) and every empty verdict goes to the
/// exact solver (the cartpole controller: two equal input columns, ~49,000 exact decisions).
///
/// The argument needs the equality in *every* row given to the LP. `RegionEnumerator` checks it
/// for each row it adds (`holds`); where it fails, an empty verdict is decided exactly (a
/// restricted LP can only shrink the feasible set, so positive radii stay witnessed).
/// With a box the box rows tell the columns apart: no reduction.
struct ColumnReduction {
    /// Column k fixed at 0, with the column it duplicates (nil: k is zero in every row).
    let fixed: [(column: Int, twin: Int?)]

    init(firstLayer a0: Matrix, box: InputBox?) {
        var fixed: [(column: Int, twin: Int?)] = []
        if box == nil {
            for k in 0..<a0.columns {
                if (0..<a0.rows).allSatisfy({ a0[$0, k] == 0 }) {
                    fixed.append((k, nil))
                } else if let j = (0..<k).first(where: { j in
                    !fixed.contains { $0.column == j } && (0..<a0.rows).allSatisfy { a0[$0, j] == a0[$0, k] }
                }) {
                    fixed.append((k, j))
                }
            }
        }
        self.fixed = fixed
    }

    var isEmpty: Bool { fixed.isEmpty }

    /// True when `row` (y-coefficients first) is equal in every fixed column and its twin.
    func holds(for row: [Double]) -> Bool {
        fixed.allSatisfy { row[$0.column] == ($0.twin.map { row[$0] } ?? 0) }
    }

    /// Fixes the removed columns of `lp` (columns y) at 0.
    func apply(to lp: LinearProgram) throws {
        for (column, _) in fixed { try lp.setColumnBound(column, .fixed(0)) }
    }
}
