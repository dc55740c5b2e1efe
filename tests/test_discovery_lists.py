"""Every record's similar list at once (`rank.EveryList`, what `similar_all` and the sync's
`similar_scored` run) chooses exactly what `similar` chooses record by record: the same records,
in the same order, with the same scores to the last bit, on the real inventories and on the demo
catalogue with its places, archived records and blocks and groups of every size."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plugins.catalogue import real_records

from bridge.discovery import rank, similar, similar_all
from bridge.discovery.rank import Corpus, EveryList, similar_scored
from bridge.discovery.text import build_index

DEMO = Path(__file__).resolve().parent.parent / "bridge" / "samples" / "demo_catalogue.yaml"
BASE: list[dict[str, Any]] = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
LIMITS = (1, 2, 5, 12, 40)


def per_record(corpus: Corpus, limit: int) -> dict[str, list[tuple[str, float, float]]]:
    """The straightforward reference: each record alone, its text cosines through the index's
    numpy path (`TextIndex.cosine`, not scipy), scored and chosen as `similar` does."""
    chosen = {}
    for i, record in enumerate(corpus.records):
        text = corpus.text_of(i)
        scores = corpus.similar_scores(np.array([i]), text[None, :])[0]
        chosen[record["ref"]] = [
            (corpus.records[j]["ref"], float(scores[j]), float(text[j]))
            for j in corpus.best(scores, limit)
        ]
    return chosen


def at_once(corpus: Corpus, limit: int) -> dict[str, list[tuple[str, float, float]]]:
    every = EveryList(corpus).best(range(len(corpus.records)), limit)
    return {
        corpus.records[i]["ref"]: [
            (corpus.records[j]["ref"], score, cosine)
            for j, score, cosine in zip(cols.tolist(), scores.tolist(), text.tolist(), strict=True)
        ]
        for i, cols, scores, text in every
    }


@pytest.fixture(scope="module")
def real(shared_dir: Path) -> list[dict[str, Any]]:
    return real_records(shared_dir)


@pytest.mark.parametrize("limit", LIMITS)
def test_every_list_at_once_is_each_list_alone_on_the_real_inventories(
    real: list[dict[str, Any]], limit: int
) -> None:
    corpus = Corpus(real)
    assert len(corpus.records) > rank._GROUP * 5  # the groups' floor is what chooses here
    expected = per_record(corpus, limit)
    assert at_once(corpus, limit) == expected
    assert any(len(refs) == limit for refs in expected.values()) or limit == 40


def test_similar_all_and_similar_scored_are_similar_on_the_real_inventories(
    real: list[dict[str, Any]],
) -> None:
    index = build_index(rank.index_documents(real))
    together = similar_all(real, index=index)
    scored = similar_scored(real, index=index)
    refs = sorted(together)
    assert len(refs) == len(real)
    for ref in refs[:: len(refs) // 40]:  # reasons included: each ref asked alone
        alone = similar(real, ref, index=index)
        assert together[ref] == alone
        refs_chosen, kept = scored[ref]
        assert refs_chosen == [m.ref for m in alone]
        if len(alone) == 5:  # a full list keeps its last score, which `similar` shows rounded
            assert kept is not None and round(kept, 4) == alone[-1].score
        else:
            assert kept is None


change = st.tuples(
    st.sampled_from(["archive", "area", "text", "no-concept"]),
    st.integers(min_value=0, max_value=len(BASE) - 1),
    st.integers(min_value=0, max_value=len(BASE) - 1),
)


def _changed(changes: list[Any]) -> list[dict[str, Any]]:
    records = copy.deepcopy(BASE)
    for what, i, j in changes:
        if what == "archive":
            records[i]["archived"] = not records[i].get("archived")
        elif what == "area":
            records[i]["area"] = records[j]["area"]
        elif what == "text":
            records[i]["description"] = records[j]["description"]
        else:  # an asker naming no concept of the vocabulary: its text decides
            records[i].update(title="Zzz", description=records[j]["title"], analysis={})
    return records


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    changes=st.lists(change, max_size=6),
    limit=st.sampled_from(LIMITS),
    group=st.sampled_from([1, 2, 3, 7, 64]),
    block=st.sampled_from([1, 30, 100, 160_000]),
)
def test_every_list_at_once_whatever_the_blocks_and_groups(changes, limit, group, block) -> None:
    corpus = Corpus(_changed(changes))
    with mock.patch.object(rank, "_GROUP", group), mock.patch.object(rank, "_BLOCK_FLOATS", block):
        assert at_once(corpus, limit) == per_record(corpus, limit)
