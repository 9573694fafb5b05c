"""The long-running processes for a real cluster: ``grove operator`` and ``grove scheduler``.

Both are a Manager over an HTTP KubeClient, with leader election on a Lease (only the leader runs
controllers), ``/healthz`` + ``/readyz`` and Prometheus ``/metrics`` on plain HTTP, and clean shutdown
on SIGTERM. The operator also provisions webhook certificates and serves admission on every replica.
This package sits above controllers, scheduler and webhook (it wires them together) and below the CLI.
"""
