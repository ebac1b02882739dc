import ArgumentParser
import ExactLipschitz

/// `exact --method`: automatic, lp, plain or arrangement (the raw values).
extension ExactLipschitz.SearchMethod: ArgumentParser.ExpressibleByArgument {}
