"""KAI on the dev cluster: the cache folder agrees with hack/build-kai.sh, and every component is told to
listen on loopback only, answer for kai-scheduler, and run without webhooks or leader election."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from grove.devcluster.binaries import BinariesMissing
from grove.devcluster.kai import (
    COMPONENTS,
    KaiBinaries,
    KaiPorts,
    build_script,
    component_argv,
    default_queues,
    load_queues,
)
from tests.upstream import E2E

# flags that open a listener, per component (read from each cmd's options at commit d5bc503a)
LISTEN_FLAGS = {"--listen-address", "--metrics-bind-address", "--health-probe-bind-address",
                "--metrics-listen-address"}


@pytest.mark.parametrize("archive", [None, "/x/kai-scheduler-v9.9.9.tar.gz"])
def test_cache_folder_agrees_with_build_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                archive: str | None) -> None:
    script = build_script()
    assert script is not None and script.name == "build-kai.sh"
    monkeypatch.setenv("GROVE_CACHE_DIR", str(tmp_path))
    if archive:
        monkeypatch.setenv("GROVE_KAI_ARCHIVE", archive)
    out = subprocess.run(["bash", str(script), "--print-dir"], capture_output=True, text=True, check=True,
                         env=dict(os.environ))
    assert Path(out.stdout.strip()) == KaiBinaries.default().root
    assert KaiBinaries.default().root.parent == tmp_path / "control-plane"


def test_missing_binaries_name_the_build_command(tmp_path: Path) -> None:
    bins = KaiBinaries(tmp_path / "kai")
    with pytest.raises(BinariesMissing, match=r"build-kai\.sh") as err:
        bins.require()
    assert "kai-scheduler" in str(err.value) and "crds" in str(err.value)


@pytest.mark.parametrize("component", COMPONENTS)
def test_every_listener_is_on_loopback(component: str, tmp_path: Path) -> None:
    ports = KaiPorts.free()
    argv = component_argv(KaiBinaries(tmp_path), component, ports)
    assert argv[0] == str(tmp_path / "bin" / f"kai-{component}")
    flags = dict(a.split("=", 1) for a in argv[1:])
    listeners = {k: v for k, v in flags.items() if k in LISTEN_FLAGS}
    assert listeners, f"{component}: no listener flag set, so it would bind its :8080 default"
    assert all(re.fullmatch(r"127\.0\.0\.1:\d+", v) for v in listeners.values()), listeners
    assert flags.get("--leader-elect") == "false"
    if component != "queuecontroller":  # the queue controller has no scheduler-name flag
        assert flags["--scheduler-name"] == "kai-scheduler"
    if component == "queuecontroller":
        assert flags["--enable-webhook"] == "false"
    if component == "podgroupcontroller":
        assert flags["--enable-podgroup-webhook"] == "false"


def test_ports_are_distinct() -> None:
    ports = KaiPorts.free()
    nums = [p for pair in ports.ports.values() for p in pair]
    assert len(set(nums)) == len(nums) == 2 * len(COMPONENTS)


def test_unknown_component_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown KAI component 'admission'"):
        component_argv(KaiBinaries(tmp_path), "admission", KaiPorts.free())


def test_default_queues_are_upstreams_e2e_queues() -> None:
    assert default_queues() == load_queues(E2E / "queues.yaml")


def test_load_queues_refuses_other_kinds(tmp_path: Path) -> None:
    f = tmp_path / "q.yaml"
    f.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    with pytest.raises(ValueError, match=r"expected scheduling\.run\.ai Queue documents, found ConfigMap"):
        load_queues(f)
