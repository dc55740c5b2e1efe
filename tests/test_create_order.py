"""Issue 20 point 4: a first sync creates records whose similar lists name only topics that
exist already first (bridge.sync.create_order). Pure."""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter

from hypothesis import given
from hypothesis import strategies as st

from bridge.sync.create_order import creation_order


def _late(order: list[str], choice: dict[str, list[str]]) -> int:
    """Lists that name a topic made after their own record: each needs a second write."""
    at = {r: i for i, r in enumerate(order)}
    return sum(any(t in at and at[t] > at[r] for t in choice.get(r, ())) for r in order)


def test_a_chain_is_created_from_its_end_and_needs_no_second_write() -> None:
    choice = {"a": ["b"], "b": ["c"], "c": [], "d": ["a", "x"]}  # x has a topic already
    order = creation_order(["a", "b", "c", "d"], choice)
    assert order == ["c", "b", "a", "d"]
    assert _late(order, choice) == 0


def test_in_a_cycle_the_most_listed_goes_first() -> None:
    choice = {"a": ["b"], "b": ["a"], "c": ["a"]}
    order = creation_order(["c", "b", "a"], choice)
    assert order == ["a", "b", "c"] and _late(order, choice) == 1


REFS = [f"r{i}" for i in range(12)]


@given(st.dictionaries(st.sampled_from(REFS), st.lists(st.sampled_from(REFS), max_size=5)))
def test_every_record_once_and_without_a_cycle_no_second_write(
    choice: dict[str, list[str]],
) -> None:
    order = creation_order(REFS, choice)
    assert sorted(order) == sorted(REFS)
    graph = {r: {t for t in choice.get(r, ()) if t != r} for r in REFS}
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError:
        return  # with a cycle some list must wait; bench_sync measures how many
    assert _late(order, {r: sorted(ts) for r, ts in graph.items()}) == 0
