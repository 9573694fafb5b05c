"""Command-line parsing of the waiter: ``--podcliques NAME:COUNT`` (also ``-p``, repeatable, comma lists).

Accepted forms, all merged: ``--podcliques=a:1``, ``--podcliques a:1 b:2``, ``-p a:1 -p b:2`` and
``--podcliques=a:1,b:2`` (upstream's pflag string slice). The count must be a positive integer; a parent
named twice keeps the larger count. Usage errors exit 1 (spec §6: "exit 1 on error"), not argparse's 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn

from grove.api.constants import INITC_POD_INFO_MOUNT

POD_INFO_ENV = "GROVE_POD_INFO_DIR"


class UsageError(ValueError):
    """The command line (or a ``--podcliques`` value) is not usable; the message says why."""


@dataclass(frozen=True)
class Options:
    parents: dict[str, int]
    pod_info_dir: str
    namespace: str | None
    podgang: str | None
    kubeconfig: str | None
    quiet: bool


def parse_parent(text: str) -> tuple[str, int]:
    """``name:count`` → (name, count); the name is everything before the last colon."""
    name, sep, count_text = text.strip().rpartition(":")
    if not sep or not name:
        raise UsageError(f"invalid --podcliques value {text!r}: expected NAME:COUNT")
    try:
        count = int(count_text)
    except ValueError:
        raise UsageError(f"invalid --podcliques value {text!r}: count {count_text!r} is not an integer") from None
    if count <= 0:
        raise UsageError(f"invalid --podcliques value {text!r}: count must be > 0")
    return name, count


def parse_parents(values: Sequence[str]) -> dict[str, int]:
    parents: dict[str, int] = {}
    for value in values:
        for item in value.split(","):
            if not item.strip():
                continue
            name, count = parse_parent(item)
            parents[name] = max(count, parents.get(name, 0))
    return parents


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def build_parser(prog: str = "grove-initc") -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog,
        description="Wait until every parent PodClique has at least COUNT Ready pods in this pod's PodGang "
                    "(Grove startup ordering). Exits 0 when they do, 1 on error or SIGTERM/SIGINT.")
    parser.add_argument("-p", "--podcliques", action="extend", nargs="+", default=[], metavar="NAME:COUNT",
                        help="a parent PodClique FQN and how many of its pods must be Ready; repeatable, "
                             "comma-separated lists accepted")
    parser.add_argument("--pod-info-dir", default=None,
                        help=f"directory with the downward-API files 'namespace' and 'podgangname' "
                             f"(default ${POD_INFO_ENV} or {INITC_POD_INFO_MOUNT})")
    parser.add_argument("--namespace", default=None, help="override the namespace read from the pod-info dir")
    parser.add_argument("--podgang", default=None, help="override the PodGang read from the pod-info dir")
    parser.add_argument("--kubeconfig", default=None,
                        help="kubeconfig to use (default: $KUBECONFIG, then in-cluster service account)")
    parser.add_argument("-q", "--quiet", action="store_true", help="log only the final line")
    return parser


def parse_args(argv: Sequence[str] | None = None, *, prog: str = "grove-initc",
               env: dict[str, str] | None = None) -> Options:
    """Parse ``argv``; usage errors print to stderr and raise SystemExit(1)."""
    parser = build_parser(prog)
    ns = parser.parse_args(list(argv) if argv is not None else None)
    try:
        parents = parse_parents(ns.podcliques)
    except UsageError as err:
        parser.error(str(err))
    if not parents:
        parser.error("at least one --podcliques NAME:COUNT is required")
    environ = os.environ if env is None else env
    return Options(parents=parents,
                   pod_info_dir=ns.pod_info_dir or environ.get(POD_INFO_ENV) or INITC_POD_INFO_MOUNT,
                   namespace=ns.namespace, podgang=ns.podgang, kubeconfig=ns.kubeconfig, quiet=ns.quiet)
