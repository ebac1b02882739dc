// LipschitzEstimates: filled in by its issue.
