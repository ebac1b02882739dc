import ComparisonHarness

#if DEBUG
import FoundationEssentials

/// Debug builds only (the tests run the debug binary): with `LIPSCHITZ_TEST_UNSOUND_METHOD`
/// set, `compare` also runs a method that claims 0 as an upper bound, so that the CLI tests
/// can watch a soundness violation reach the exit status (1) through a real process. Release
/// builds, which users run, contain no such method.
extension CompareCommand {
    static var testMethods: [ComparedMethod] {
        guard ProcessInfo.processInfo.environment["LIPSCHITZ_TEST_UNSOUND_METHOD"] != nil else { return [] }
        return [ComparedMethod(name: "unsound-for-tests") { _, _ in ClaimedValue(value: 0, claim: .upperBound) }]
    }
}
#else
extension CompareCommand {
    static var testMethods: [ComparedMethod] { [] }
}
#endif
