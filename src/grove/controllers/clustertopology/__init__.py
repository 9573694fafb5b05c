"""ClusterTopologyBinding controller: scheduler-backend topologies (KAI Topology) kept in step with each
binding, as a pure planner, shared sync I/O (also run once at operator start-up) and a thin reconciler."""
