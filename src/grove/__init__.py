"""Grove for Python: a Kubernetes API and operator for AI inference workloads.

Wire-compatible with upstream Grove (NVIDIA Dynamo): the same CRDs, names, labels and defaults.
"""

__version__ = "0.1.0"
