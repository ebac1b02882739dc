// ComparisonHarness: filled in by its issue.
