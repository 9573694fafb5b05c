"""The startup waiter (spec §6): the ``grove-initc`` init container of pods whose clique starts after others.

It blocks until every parent clique has at least its ``minAvailable`` Ready pods in the pod's own PodGang,
then exits 0 (no timeout); it exits 1 on an error or on SIGTERM/SIGINT. The same core,
:func:`grove.initc.waiter.wait_for_parents`, runs in a real container (``python -m grove.initc`` /
``grove initc``, over :mod:`grove.kube.http`) and in process in the embedded cluster
(:mod:`grove.initc.embedded`, registered with the fake kubelet).

Startup latency matters here, so this package imports only the standard library and ``grove.kube``; the
HTTP backend (aiohttp, yaml) is imported only once the pod-info files have been read and parsed.
"""
