// NetworkFormats: filled in by its issue.
