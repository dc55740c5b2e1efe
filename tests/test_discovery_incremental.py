"""Issue 20 point 3: a change to k records recomputes only the similar lists that can change,
the persisted index is updated rather than rebuilt, and the result is a full recomputation's."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.discovery.rank import index_documents, similar_refresh, similar_scored
from bridge.discovery.text import analyze, build_index, update_index

DEMO = Path(__file__).resolve().parent.parent / "bridge" / "samples" / "demo_catalogue.yaml"
BASE: list[dict[str, Any]] = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
TEXTS = [r["description"] for r in BASE] + [r["title"] for r in BASE]
AREAS = sorted({r["area"] for r in BASE})

# One change to one record: its description taken from another's (words the index knows), its
# area, archived or not, removed; or a record added (a copy of one, with another's text).
change = st.tuples(
    st.sampled_from(["text", "area", "archive", "remove", "add"]),
    st.integers(min_value=0, max_value=len(BASE) - 1),
    st.integers(min_value=0, max_value=len(TEXTS) - 1),
    st.sampled_from(AREAS),
)


def _apply(records: list[dict[str, Any]], changes: list[Any]) -> tuple[list[dict], set[str]]:
    out = copy.deepcopy(records)
    changed: set[str] = set()
    for n, (what, i, t, area) in enumerate(changes):
        if not out:
            break
        record = out[i % len(out)]
        if what == "text":
            record["description"] = TEXTS[t]
        elif what == "area":
            record["area"] = area
        elif what == "archive":
            record["archived"] = not record.get("archived")
        elif what == "remove":
            out.remove(record)
        else:
            record = {**copy.deepcopy(record), "ref": f"added-{n}", "description": TEXTS[t]}
            out.append(record)
        changed.add(record["ref"])
    return out, changed


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.lists(change, min_size=1, max_size=4), limit=st.sampled_from([1, 3, 5]))
def test_refreshing_the_changed_lists_equals_recomputing_them_all(changes, limit) -> None:
    before = BASE
    index = build_index(index_documents(before))
    previous = similar_scored(before, limit=limit, index=index)
    after, changed = _apply(before, changes)
    documents = index_documents(after)
    updated = update_index(index, {ref: documents.get(ref) for ref in changed})
    assert set(updated.refs) == set(documents) and updated.build == index.build

    refreshed, recomputed = similar_refresh(after, previous, changed, limit=limit, index=updated)
    assert refreshed == similar_scored(after, limit=limit, index=updated)
    assert recomputed <= len(documents)


def test_an_updated_index_weighs_rows_as_a_build_with_the_same_vocabulary() -> None:
    index = build_index(index_documents(BASE))
    ref = BASE[3]["ref"]
    text = BASE[7]["description"]
    assert all(term in index.vocabulary for term in analyze(text))
    updated = update_index(index, {ref: text})
    columns, weights = updated.row(updated.at[ref])
    expected = index.transform(text)
    assert columns.tolist() == expected[0].tolist()
    assert abs(weights - expected[1]).max() < 1e-6  # stored as float32, as a build stores it
    # Every other row is untouched.
    other = BASE[0]["ref"]
    assert updated.row(updated.at[other])[0].tolist() == index.row(index.at[other])[0].tolist()
    # Removed.
    assert ref not in update_index(index, {ref: None}).refs


def test_one_change_recomputes_few_lists() -> None:
    records = BASE
    index = build_index(index_documents(records))
    previous = similar_scored(records, index=index)
    after, changed = _apply(records, [("text", 5, 9, AREAS[0])])
    documents = index_documents(after)
    updated = update_index(index, {ref: documents.get(ref) for ref in changed})
    _, recomputed = similar_refresh(after, previous, changed, index=updated)
    assert recomputed < len(documents) // 2


# --------------------------------------------------------------------------- through the sync


def test_a_sync_after_one_edit_refreshes_few_lists_as_a_full_recomputation_would(
    harness: Any, caplog: Any
) -> None:
    import logging

    from plugins.sync import add_projects, edit_project

    from bridge.discovery import index as persisted
    from bridge.observatory import step, store
    from bridge.sync.store import load_records

    refs = add_projects(harness.engine, 30)
    harness.sync(observatory=True)
    before_index = store.load_cache(harness.engine, persisted.KEY)
    before_choice = store.load_cache(harness.engine, step.CHOICE_KEY)
    assert before_index is not None and before_choice is not None

    # An edit in words the catalogue already has: the index is updated, not built anew.
    records = load_records(harness.engine, harness.settings.home_region)
    words = next(r for r in records if r.ref == refs[7]).record["description"]
    edit_project(harness.engine, refs[3], description=words)
    with caplog.at_level(logging.INFO, logger="bridge.discovery"):
        harness.sync(observatory=True)
    after_index = store.load_cache(harness.engine, persisted.KEY)
    assert after_index is not None and after_index[1]["build"] == before_index[1]["build"]
    assert after_index[1]["updates"] == 1
    refreshed = [m for m in caplog.messages if m.startswith("similar lists:")]
    assert refreshed, "the lists were refreshed, not recomputed in full"
    done, total = map(int, refreshed[-1].split(":")[1].split(" recomputed")[0].split(" of "))
    assert done < total

    # The same lists as a full recomputation on the same index, from the same previous choice.
    incremental = store.load_cache(harness.engine, step.CHOICE_KEY)
    assert incremental is not None
    store.save_cache(
        harness.engine, step.CHOICE_KEY, before_choice[0], {**before_choice[1], "build": ""}
    )
    records = load_records(harness.engine, harness.settings.home_region)
    full = step.similar_choice(harness.engine, harness.settings, records, save=False)
    assert full == incremental[1]["choice"]
