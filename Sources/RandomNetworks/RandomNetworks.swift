// RandomNetworks: filled in by its issue.
