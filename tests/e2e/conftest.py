"""e2e tests run against the session dev cluster; its fixture (``e2e_cluster``) lives in
tests/conftest.py so the KubeClient contract suite's ``http`` backend shares the same cluster."""
