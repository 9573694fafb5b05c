"""PodClique controller: planners for pods (construction, indices, scale-in, gates) and status."""
