"""The OperatorConfiguration ``grove validate`` and ``grove sim run`` check and simulate with (``--config``).

The file may be what the chart renders, in any of the shapes a user has at hand: the bare
``OperatorConfiguration`` (the ConfigMap's ``config.yaml``), the ConfigMap itself
(``kubectl get cm grove-operator-config -o yaml``, or ``-o json``), or a multi-document stream in which
exactly one document is either (``helm template`` output). It is validated with the operator's own rules
(:func:`grove.operator.config.operator_config_from_body`), so a file the operator would refuse (exit 2)
is refused here too. Without ``--config`` the embedded cluster's configuration applies.

:func:`describe` is the one line printed on stderr, so a user sees which profiles, default profile and
topology-aware setting the verdict or the simulation used, without touching stdout's JSON/YAML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grove.api import constants as c
from grove.api.bounded_yaml import YAMLInputError, decode_utf8, load_one
from grove.api.bounded_yaml import load_documents as load_yaml_documents
from grove.api.models.config import OperatorConfiguration, embedded_cluster_config
from grove.operator.config import ConfigError, operator_config_from_body

CONFIGMAP_KEY = "config.yaml"


def _is_configmap(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("kind") == "ConfigMap" and doc.get("apiVersion") == "v1"


def _is_config(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("kind") == c.KIND_OPERATOR_CONFIG


def _configmap_name(doc: dict[str, Any]) -> str:
    meta = doc.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    ns, name = meta.get("namespace"), meta.get("name", "?")
    return f"{ns}/{name}" if ns else str(name)


def _from_configmap(doc: dict[str, Any], path: str) -> tuple[OperatorConfiguration, str]:
    where = f"ConfigMap {_configmap_name(doc)}"
    data = doc.get("data")
    data = data if isinstance(data, dict) else {}
    text = data.get(CONFIGMAP_KEY)
    if not isinstance(text, str):
        keys = ", ".join(sorted(str(k) for k in data)) or "none"
        raise ConfigError(f"{path}: {where}: data.{CONFIGMAP_KEY}: Required value (data keys: {keys})")
    try:
        loaded = load_one(text)
    except YAMLInputError as exc:
        raise ConfigError(f"{path}: {where}: data.{CONFIGMAP_KEY}: cannot parse: {exc}") from exc
    body = loaded.body if loaded is not None else None
    return operator_config_from_body(body, f"{path}: {where} data.{CONFIGMAP_KEY}"), \
        f"{path} ({where}, data.{CONFIGMAP_KEY})"


def load_offline_config(path: str | None) -> tuple[OperatorConfiguration, str]:
    """The configuration and where it came from; raises ConfigError naming the file and the problem."""
    if path is None:
        return embedded_cluster_config(), "embedded cluster default (no --config)"
    try:  # bounded YAML (no alias bomb), duplicate keys refused as load_operator_config refuses them
        loaded = load_yaml_documents(decode_utf8(Path(path).read_bytes()))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read operator configuration: {exc.strerror or exc}") from exc
    except YAMLInputError as exc:
        raise ConfigError(f"{path}: cannot read operator configuration: {exc}") from exc
    duplicates = [f"{path}: {d}" for doc in loaded for d in doc.duplicates]
    if duplicates:
        raise ConfigError("\n".join(duplicates))
    docs = [d.body for d in loaded if d.body is not None]
    if len(docs) <= 1:
        doc = docs[0] if docs else None
        if _is_configmap(doc):
            assert isinstance(doc, dict)
            return _from_configmap(doc, path)
        return operator_config_from_body(doc, path), path
    found = [(i, d) for i, d in enumerate(docs) if _is_config(d) or (_is_configmap(d) and CONFIGMAP_KEY in
                                                                     (d.get("data") or {}))]
    if len(found) != 1:
        what = "no document" if not found else f"{len(found)} documents (#{', #'.join(str(i) for i, _ in found)})"
        raise ConfigError(f"{path}: {what} of {len(docs)} is an {c.KIND_OPERATOR_CONFIG} or a ConfigMap with "
                          f"data.{CONFIGMAP_KEY}: pass a file with exactly one")
    i, doc = found[0]
    if _is_configmap(doc):
        return _from_configmap(doc, f"{path}#{i}")
    return operator_config_from_body(doc, f"{path}#{i}"), f"{path}#{i}"


def _on(flag: bool) -> str:
    return "on" if flag else "off"


def describe(config: OperatorConfiguration, source: str) -> str:
    """``config: SOURCE: scheduler profiles a (default), b; topologyAwareScheduling off; ...``."""
    sched = config.scheduler
    profiles = ", ".join(f"{n} (default)" if n == sched.default_profile_name else n for n in sched.enabled_names())
    parts = [f"scheduler profiles {profiles}",
             f"topologyAwareScheduling {_on(config.topology_aware_scheduling.enabled)}",
             f"network.autoMNNVLEnabled {_on(config.network.auto_mnnvl_enabled)}"]
    if config.authorizer.enabled:
        parts.append("authorizer on (not simulated)")
    return f"config: {source}: {'; '.join(parts)}"
