"""Reading the configuration ``grove validate``/``grove sim run`` use: the shapes a user has at hand (a
``kubectl get cm -o json`` ConfigMap, a bare file, nothing) and the stderr line that names it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grove.api.models.config import OperatorConfiguration
from grove.cli.offline_config import describe, load_offline_config
from grove.operator.config import ConfigError

CONFIG_YAML = """apiVersion: operator.config.grove.io/v1alpha1
kind: OperatorConfiguration
topologyAwareScheduling: {enabled: true}
authorizer: {enabled: true}
scheduler:
  defaultProfileName: kai-scheduler
  profiles: [{name: default-scheduler}, {name: kai-scheduler}]
"""


def test_configmap_as_kubectl_prints_it_in_json(tmp_path: Path) -> None:
    path = tmp_path / "cm.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                "metadata": {"name": "grove-operator-config", "namespace": "grove-system",
                                             "resourceVersion": "812"},
                                "data": {"config.yaml": CONFIG_YAML}}))
    config, source = load_offline_config(str(path))
    assert config.scheduler.default_profile_name == "kai-scheduler" and config.topology_aware_scheduling.enabled
    assert describe(config, source) == (
        f"config: {path} (ConfigMap grove-system/grove-operator-config, data.config.yaml): scheduler profiles "
        "default-scheduler, kai-scheduler (default); topologyAwareScheduling on; network.autoMNNVLEnabled off; "
        "authorizer on (not simulated)")


def test_no_config_is_the_embedded_default() -> None:
    config, source = load_offline_config(None)
    assert source == "embedded cluster default (no --config)"
    assert describe(config, source).endswith("scheduler profiles grove-scheduler (default), default-scheduler, "
                                             "kai-scheduler, volcano; topologyAwareScheduling on; "
                                             "network.autoMNNVLEnabled off")


def test_empty_file_is_the_go_defaults_like_the_operator(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("")
    config, _ = load_offline_config(str(path))
    assert config == OperatorConfiguration()


def test_unreadable_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=f"{tmp_path / 'none.yaml'}: cannot read operator configuration"):
        load_offline_config(str(tmp_path / "none.yaml"))
