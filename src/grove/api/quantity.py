"""Kubernetes resource quantities (``10m``, ``2``, ``80Mi``, ``1Gi``, ``1e3``) as exact integers.

The scheduler compares requests with allocatable capacity, so rounding must never let a pod in that
the real kube-scheduler would keep out. Like ``resource.Quantity`` we parse to an exact rational and
round *up* when scaling: cpu is counted in milli-cores (``MilliValue``), every other resource in whole
units (``Value``: bytes for memory, devices for ``nvidia.com/gpu``, pods for ``pods``).

Parsing is cached: a cluster repeats the same few strings on thousands of pods and nodes. Parsing is
also bounded, since quantities come from untrusted manifests: at most :data:`MAX_QUANTITY_CHARS`
characters, and exponents beyond ±:data:`MAX_EXPONENT` are never computed (``1e999999999`` would be a
billion-digit integer): larger values are capped at int64's maximum as resource.Quantity caps them,
smaller non-zero ones round up to ``1n``.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import lru_cache

CPU = "cpu"
MEMORY = "memory"
PODS = "pods"

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 10**3),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}
_PATTERN = re.compile(
    r"^(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?:(?P<exp>[eE][+-]?[0-9]+)|(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$"
)


MAX_QUANTITY_CHARS = 64
MAX_EXPONENT = 40
INT64_MAX = 2**63 - 1


class QuantityError(ValueError):
    """A string that is not a Kubernetes quantity; the message quotes it."""


@lru_cache(maxsize=4096)
def _parse_text(text: str) -> Fraction:
    if len(text) > MAX_QUANTITY_CHARS:
        raise QuantityError(f"a quantity may not be longer than {MAX_QUANTITY_CHARS} characters: {text[:20]!r}...")
    match = _PATTERN.match(text.strip())
    if match is None:
        raise QuantityError(f"quantities must match the regular expression of resource.Quantity: {text!r}")
    number = Fraction(match["number"])
    if match["exp"] is not None:
        exponent = int(match["exp"][1:])
        if number == 0:
            return Fraction(0)
        sign = 1 if number > 0 else -1
        if exponent > MAX_EXPONENT:
            return Fraction(sign * INT64_MAX)
        if exponent < -MAX_EXPONENT:
            return Fraction(sign, 10**9)
        return number * Fraction(10) ** exponent
    suffix = match["suffix"] or ""
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    return number * _DECIMAL[suffix]


def parse_quantity(value: str | int | float) -> Fraction:
    """The exact value of a quantity (``"150Mi"`` → 157286400, ``"10m"`` → 1/100)."""
    if isinstance(value, bool):
        raise QuantityError(f"a quantity cannot be a boolean: {value!r}")
    if isinstance(value, int):
        return Fraction(max(-INT64_MAX, min(INT64_MAX, value)))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise QuantityError(f"a quantity must be finite: {value!r}")
        return Fraction(str(value)) if abs(value) < INT64_MAX else Fraction(INT64_MAX if value > 0 else -INT64_MAX)
    if not isinstance(value, str):
        raise QuantityError(f"a quantity must be a string or a number, not {type(value).__name__}")
    return _parse_text(value)


def milli_value(value: str | int | float) -> int:
    """The quantity in thousandths, rounded up (``"10m"`` → 10, ``"2"`` → 2000, ``"0.0001"`` → 1)."""
    return math.ceil(parse_quantity(value) * 1000)


def int_value(value: str | int | float) -> int:
    """The quantity in whole units, rounded up (``"1Gi"`` → 1073741824, ``"1e3"`` → 1000)."""
    return math.ceil(parse_quantity(value))


@lru_cache(maxsize=8192)
def _amount_text(resource: str, text: str) -> int:
    return milli_value(text) if resource == CPU else int_value(text)


def resource_amount(resource: str, value: str | int | float) -> int:
    """The integer the scheduler compares for ``resource``: milli-cores for cpu, whole units otherwise."""
    if isinstance(value, str):
        return _amount_text(resource, value)
    return milli_value(value) if resource == CPU else int_value(value)


def format_amount(resource: str, amount: int) -> str:
    """A readable form of an amount from :func:`resource_amount` (``2500`` cpu → ``2500m``)."""
    if resource == CPU:
        return f"{amount // 1000}" if amount % 1000 == 0 else f"{amount}m"
    if resource == MEMORY:
        for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
            if amount and amount % _BINARY[suffix] == 0:
                return f"{amount // _BINARY[suffix]}{suffix}"
    return str(amount)
