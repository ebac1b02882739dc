import LipschitzModel

/// The coordinates every floating-point LP sees: `x_j = origin_j + scale_j · y_j`.
///
/// With a box, each coordinate is scaled by its own half width, so the box becomes [−1, 1]^d
/// whatever its size or aspect ratio (a 1 × 10⁻⁸ box is as well conditioned as a unit cube).
/// Globally, `origin` is 0 and every scale is `ReLUNetwork.lengthScale` (the farthest
/// first-layer hyperplane), so that first-layer offsets are at most 1. Pre-activations in
/// y-space are kept divided by `unit` (the largest scale) so that no product overflows, even
/// for a box as wide as the doubles allow (a common positive factor changes no sign, and rows
/// are normalised anyway). The scaling only
/// conditions the floating-point LPs: what counts as a region is decided by the certified
/// forward pass and, near the boundary, by exact arithmetic (`ExactRegionTest`), never by a
/// length in these coordinates.
struct ScaledDomain {
    let origin: [Double]
    let scale: [Double]
    /// The largest scale, and each scale divided by it (in (0, 1]).
    let unit: Double
    let ratio: [Double]
    let box: InputBox?

    init(network: ReLUNetwork, box: InputBox?) {
        self.box = box
        if let box {
            origin = box.center
            // hi/2 − lo/2 never overflows; it is 0 only for a box of width one subnormal step.
            scale = zip(box.halfWidths, box.widths).map { $0 > 0 ? $0 : $1 }
        } else {
            origin = Array(repeating: 0, count: network.inputDimension)
            scale = Array(repeating: network.lengthScale, count: network.inputDimension)
        }
        let largest = scale.max() ?? 1
        unit = largest
        ratio = scale.map { $0 / largest }
    }

    /// The input point of scaled coordinates `y`.
    func point(_ y: [Double]) -> [Double] { y.indices.map { origin[$0] + scale[$0] * y[$0] } }

    /// The scaled coordinates of input point `x`.
    func coordinates(_ x: [Double]) -> [Double] { x.indices.map { (x[$0] - origin[$0]) / scale[$0] } }

    /// True when x lies in the open box (always, globally).
    func strictlyInside(_ x: [Double]) -> Bool {
        guard let box else { return x.allSatisfy(\.isFinite) }
        return x.indices.allSatisfy { box.lower[$0] < x[$0] && x[$0] < box.upper[$0] }
    }
}
