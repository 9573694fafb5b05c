from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grove.kube.errors import BadRequest
from grove.kube.selectors import (
    format_label_selector,
    parse_field_selector,
    parse_label_selector,
    selector_from_dict,
)


@pytest.mark.parametrize(("selector", "labels", "expected"), [
    ("", {}, True),
    ("app=web", {"app": "web"}, True),
    ("app==web", {"app": "db"}, False),
    ("app!=web", {}, True),
    ("app in (web, db)", {"app": "db"}, True),
    ("app notin (web,db)", {"app": "db"}, False),
    ("app notin (web,db)", {}, True),
    ("app", {"app": ""}, True),
    ("!app", {"app": "x"}, False),
    ("grove.io/role in (a,b),tier", {"grove.io/role": "a", "tier": "1"}, True),
    ("replicas>2", {"replicas": "3"}, True),
    ("replicas<2", {"replicas": "x"}, False),
])
def test_label_selector_matching(selector: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_label_selector(selector).matches(labels) is expected


@pytest.mark.parametrize("bad", ["app in (a", "app=b=c", "app in a,b)", ",", "bad key=x", "x=has space"])
def test_malformed_label_selectors_are_bad_requests(bad: str) -> None:
    with pytest.raises(BadRequest):
        parse_label_selector(bad)


def test_dict_selector_round_trips_through_string() -> None:
    sel = {"matchLabels": {"app": "x"},
           "matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]},
                                {"key": "canary", "operator": "DoesNotExist"}]}
    text = format_label_selector(sel)
    assert text == "app=x,tier in (a,b),!canary"
    parsed = parse_label_selector(text)
    for labels in ({"app": "x", "tier": "a"}, {"app": "x", "tier": "c"}, {"app": "x", "tier": "a", "canary": "1"}):
        assert parsed.matches(labels) == selector_from_dict(sel).matches(labels)


_names = st.text(alphabet="abcxyz", min_size=1, max_size=3)


@settings(max_examples=50)
@given(st.dictionaries(_names, _names, max_size=4), st.dictionaries(_names, _names, max_size=3))
def test_equality_selector_matches_iff_labels_are_a_superset(labels: dict[str, str], want: dict[str, str]) -> None:
    sel = parse_label_selector(",".join(f"{k}={v}" for k, v in want.items()))
    assert sel.matches(labels) == all(labels.get(k) == v for k, v in want.items())


def test_field_selectors_on_paths() -> None:
    pod = {"metadata": {"name": "p", "namespace": "n"}, "spec": {"nodeName": "a", "unschedulable": True},
           "status": {"phase": "Running"}}
    assert parse_field_selector("metadata.name=p,status.phase==Running").matches(pod)
    assert parse_field_selector("spec.nodeName!=b").matches(pod)
    assert not parse_field_selector("spec.nodeName=").matches(pod)
    assert parse_field_selector("spec.missing=").matches(pod)
    assert parse_field_selector("spec.unschedulable=true").matches(pod)
    with pytest.raises(BadRequest):
        parse_field_selector("metadata.name")
