"""Argument parsing of the startup waiter (spec §6: repeated ``--podcliques``/``-p`` ``name:count``)."""

from __future__ import annotations

import pytest

from grove.initc.args import POD_INFO_ENV, UsageError, parse_args, parse_parent, parse_parents


def test_every_flag_form_is_merged() -> None:
    opts = parse_args(["--podcliques=x-0-a:2", "-p", "x-0-b:1", "-px-0-c:3", "--podcliques", "x-0-d:1", "x-0-e:4",
                       "--podcliques=x-0-f:1,x-0-g:2"], env={})
    assert opts.parents == {"x-0-a": 2, "x-0-b": 1, "x-0-c": 3, "x-0-d": 1, "x-0-e": 4, "x-0-f": 1, "x-0-g": 2}


def test_pod_info_dir_default_env_and_flag() -> None:
    assert parse_args(["-p", "a:1"], env={}).pod_info_dir == "/var/grove/pod-info"
    assert parse_args(["-p", "a:1"], env={POD_INFO_ENV: "/tmp/pi"}).pod_info_dir == "/tmp/pi"
    assert parse_args(["-p", "a:1", "--pod-info-dir", "/x"], env={POD_INFO_ENV: "/tmp/pi"}).pod_info_dir == "/x"


def test_name_is_everything_before_the_last_colon_and_duplicates_keep_the_max() -> None:
    assert parse_parent("ns:odd:name:5") == ("ns:odd:name", 5)
    assert parse_parents(["a:1", "a:3", "a:2"]) == {"a": 3}


@pytest.mark.parametrize("value, why", [
    ("a", "expected NAME:COUNT"),
    (":1", "expected NAME:COUNT"),
    ("a:x", "is not an integer"),
    ("a:0", "must be > 0"),
    ("a:-2", "must be > 0"),
])
def test_bad_values_are_rejected(value: str, why: str) -> None:
    with pytest.raises(UsageError, match=why):
        parse_parent(value)


@pytest.mark.parametrize("argv, message", [
    ([], "at least one --podcliques"),
    (["-p", "a:0"], "count must be > 0"),
    (["--bogus"], "unrecognized arguments"),
])
def test_usage_errors_exit_1_with_a_message(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        parse_args(argv, env={})
    assert exc.value.code == 1
    assert message in capsys.readouterr().err
