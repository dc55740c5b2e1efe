"""The order of a first sync's creates (issue 20, point 4). Pure.

Each first post ends with links to similar projects' topics, and a link can only be written once
the topic exists. A record whose similar projects all have topics already (or get them earlier in
the run) is written complete at its create; one listing a topic made later needs a second write.
So creates go in dependency order: first every record whose list names no topic still to be
made, then each record as soon as the last of its list is made. Where lists form a cycle (A lists
B, B lists A) one record must wait: the one most listed by the records still waiting goes first,
which frees the most others. Deterministic: ties go by ref.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence


def creation_order(refs: Sequence[str], choice: Mapping[str, Sequence[str]]) -> list[str]:
    """`refs` (records to create) in the order that leaves the fewest similar lists naming a
    topic made after them. `choice`: ref → the refs its similar list names."""
    pending = set(refs)
    waits_for = {r: {t for t in choice.get(r, ()) if t in pending and t != r} for r in refs}
    listers: dict[str, list[str]] = defaultdict(list)
    listed: Counter[str] = Counter()
    for r, targets in waits_for.items():
        for t in targets:
            listers[t].append(r)
            listed[t] += 1
    ready = [r for r in refs if not waits_for[r]]
    heapq.heapify(ready)
    order: list[str] = []

    def made(ref: str) -> None:
        order.append(ref)
        pending.discard(ref)
        for t in waits_for[ref]:
            listed[t] -= 1  # `ref` waits for nothing any more
        for lister in listers[ref]:
            if lister in pending:
                waits_for[lister].discard(ref)
                if not waits_for[lister]:
                    heapq.heappush(ready, lister)

    while pending:
        while ready:
            ref = heapq.heappop(ready)
            if ref in pending:
                made(ref)
        if pending:
            # A cycle: free the most-listed record among those still waiting.
            made(min(pending, key=lambda r: (-listed[r], r)))
    return order
