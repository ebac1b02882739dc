// ExactLipschitz
