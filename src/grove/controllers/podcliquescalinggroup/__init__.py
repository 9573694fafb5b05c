"""PodCliqueScalingGroup controller: planners for member PodCliques and status."""
