"""Local-run overrides of ``grove operator`` / ``grove scheduler``: the command line replaces the ports,
bind host and certificate directory of a chart-rendered configuration file, so replicas can share it on
one host; and the help text says what the flags do."""

from __future__ import annotations

import subprocess
import sys

from grove.api.models.config import OperatorConfiguration
from grove.operator.main import RunOptions, apply_overrides

CHART_LIKE = OperatorConfiguration.model_validate({"server": {
    "webhooks": {"bindAddress": "0.0.0.0", "port": 9443, "serverCertDir": "/etc/grove-operator/webhook-certs"},
    "healthProbes": {"bindAddress": "0.0.0.0", "port": 9444},
    "metrics": {"bindAddress": ":9445", "port": 1}}})


def _servers(cfg: OperatorConfiguration) -> list[tuple[str, int]]:
    srv = cfg.server
    return [(s.bind_address, s.port) for s in (srv.webhooks, srv.health_probes, srv.metrics)]


def test_no_option_keeps_the_file() -> None:
    out = apply_overrides(CHART_LIKE, RunOptions(config_path="x"))
    assert out == CHART_LIKE and out is not CHART_LIKE


def test_ports_cert_dir_and_host_replace_the_file_values() -> None:
    out = apply_overrides(CHART_LIKE, RunOptions(config_path="x", webhook_port=19443, health_port=0,
                                                 metrics_port=19445, cert_dir="/tmp/r1", bind_address="127.0.0.1"))
    assert _servers(out) == [("127.0.0.1:19443", 19443), ("127.0.0.1:0", 0), ("127.0.0.1:19445", 19445)]
    assert out.server.webhooks.server_cert_dir == "/tmp/r1"
    assert _servers(CHART_LIKE)[0] == ("0.0.0.0", 9443)  # the loaded config is not changed


def test_a_port_inside_bind_address_is_replaced_not_kept() -> None:
    # ":9445" would win over the port field, so the override must replace it there too
    out = apply_overrides(CHART_LIKE, RunOptions(config_path="x", metrics_port=7000))
    assert _servers(out)[2] == ("", 7000)  # empty host: loopback, as ":9445" was
    host_only = apply_overrides(CHART_LIKE, RunOptions(config_path="x", bind_address="127.0.0.1"))
    assert _servers(host_only) == [("127.0.0.1:9443", 9443), ("127.0.0.1:9444", 9444), ("127.0.0.1:9445", 9445)]


def test_empty_bind_address_stays_loopback_default() -> None:
    out = apply_overrides(OperatorConfiguration(), RunOptions(config_path="x", health_port=5000))
    assert _servers(out)[1] == ("", 5000)


def _help(command: str) -> str:
    return subprocess.run([sys.executable, "-m", "grove", command, "--help"], capture_output=True, text=True,
                          timeout=60, env={"COLUMNS": "200", "PATH": ""}).stdout


def test_help_lists_the_overrides() -> None:
    operator, scheduler = _help("operator"), _help("scheduler")
    for flag in ("--webhook-port", "--health-port", "--metrics-port", "--cert-dir", "--bind-address"):
        assert flag in operator
    for flag in ("--health-port", "--metrics-port", "--bind-address"):
        assert flag in scheduler
    assert "default only grove-scheduler" in scheduler and "exit 8" in scheduler


def test_out_of_range_port_is_a_cli_error() -> None:
    out = subprocess.run([sys.executable, "-m", "grove", "operator", "--config", "x", "--webhook-port", "70000"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "--webhook-port" in out.stderr
