// LipschitzTheory: filled in by its issue.
