"""Quantities parse exactly and round up like resource.Quantity."""

from __future__ import annotations

from fractions import Fraction

import pytest

from grove.api.quantity import (
    QuantityError,
    format_amount,
    int_value,
    milli_value,
    parse_quantity,
    resource_amount,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("10m", Fraction(1, 100)),
        ("2", Fraction(2)),
        ("80Mi", Fraction(80 * 2**20)),
        ("150Mi", Fraction(150 * 2**20)),
        ("1Gi", Fraction(2**30)),
        ("1e3", Fraction(1000)),
        ("1E-3", Fraction(1, 1000)),
        ("1.5", Fraction(3, 2)),
        (".5Gi", Fraction(2**29)),
        ("1k", Fraction(1000)),
        ("1M", Fraction(10**6)),
        ("500u", Fraction(1, 2000)),
        ("100n", Fraction(1, 10**7)),
        ("+4", Fraction(4)),
        ("-1", Fraction(-1)),
        (" 2 ", Fraction(2)),
    ],
)
def test_parse_quantity(text: str, value: Fraction) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "Mi", "1.2.3", "1mi", "1 Gi", "abc", "1e", "1Kb", "--1"])
def test_malformed_quantities_are_rejected_naming_the_value(text: str) -> None:
    with pytest.raises(QuantityError, match="quantities must match"):
        parse_quantity(text)


@pytest.mark.parametrize(
    ("resource", "text", "amount"),
    [
        ("cpu", "10m", 10),
        ("cpu", "2", 2000),
        ("cpu", "0.5", 500),
        ("cpu", "0.0001", 1),  # rounds up: never lets in more than the real scheduler
        ("memory", "80Mi", 83886080),
        ("memory", "1Gi", 1073741824),
        ("memory", "1e3", 1000),
        ("memory", "0.5", 1),
        ("nvidia.com/gpu", "1", 1),
        ("pods", "110", 110),
    ],
)
def test_resource_amount_uses_milli_for_cpu_and_units_otherwise(
    resource: str, text: str, amount: int
) -> None:
    assert resource_amount(resource, text) == amount


def test_numbers_are_accepted() -> None:
    assert milli_value(2) == 2000
    assert int_value(1.5) == 2
    assert resource_amount("cpu", 0.25) == 250
    with pytest.raises(QuantityError):
        parse_quantity(True)


def test_format_amount() -> None:
    assert format_amount("cpu", 2500) == "2500m"
    assert format_amount("cpu", 3000) == "3"
    assert format_amount("memory", 150 * 2**20) == "150Mi"
    assert format_amount("memory", 1000) == "1000"
