"""PodCliqueSet controller: planners for its children, PodGangs and status."""
