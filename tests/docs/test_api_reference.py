"""docs/reference/api.md agrees with the pydantic models: every model field is on the page with its type,
requiredness and default, no field on the page is missing from the models, and every hand-written note
describes a field that exists."""

from __future__ import annotations

import re

from tests.docs import api_reference as ref


def _page_fields() -> dict[str, set[str]]:
    fields: dict[str, set[str]] = {}
    kind = None
    for line in ref.PAGE.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            kind = line[3:].strip()
            fields[kind] = set()
        m = re.match(r"^\| `([^`]+)` \|", line)
        if m and kind is not None:
            fields[kind].add(m.group(1))
    return fields


def test_every_model_field_is_on_the_page_and_nothing_else() -> None:
    page = _page_fields()
    assert set(page) == {model.__name__ for model, _, _ in ref.KINDS}
    for model, _, _ in ref.KINDS:
        expected = {row[0] for row in ref.rows(model)}
        on_page = page[model.__name__]
        assert expected - on_page == set(), f"{model.__name__}: fields missing from the page"
        assert on_page - expected == set(), f"{model.__name__}: fields on the page that the models lack"
    assert "spec.template.podCliqueScalingGroups[].scaleConfig.maxReplicas" in page["PodCliqueSet"]
    assert "status.updateProgress.readyPodsSelectedToUpdate.current" in page["PodClique"]


def test_page_is_generated_from_the_models() -> None:
    """Types, requiredness, defaults and notes too: regenerate with `python -m tests.docs.api_reference`."""
    assert ref.PAGE.read_text(encoding="utf-8") == ref.render(), "docs/reference/api.md is stale"


def test_every_note_describes_a_real_field() -> None:
    used = {row[4] for model, _, _ in ref.KINDS for row in ref.rows(model)}
    assert set(ref.NOTES) - used == set(), "notes for fields no model has (renamed or removed?)"


def test_every_field_is_described() -> None:
    """Every field has a note, except object-typed ones, which their own fields describe."""
    bare = [f"{model.__name__}: {row[0]}" for model, _, _ in ref.KINDS for row in ref.rows(model)
            if not row[5] and not row[1][0].isupper()]
    assert bare == [], f"fields without a note: {bare}"
