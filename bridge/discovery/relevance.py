"""The one relevance rule: whether a project addresses the need of whoever asks (a challenge, a
`find --text` question, or the record whose similar projects are listed). Relevance decides
what may be listed; size, place and score only rank what it let through. Nothing is ever listed
to fill a list.

The need is the asker's concepts of the field's vocabulary (bridge.discovery.concepts), each
weighed by its kind. A project is relevant when it names concepts carrying at least
`CONCEPT_FLOOR` of the asker's weight: for "our phone lines drown in calls about the padró: who
has a chatbot?" (virtual assistant 1.0, population register 0.6, citizen service 0.2) a chatbot
covers 1.2 of 1.8, an online padró certificate 0.8 (0.44) and an office of citizen service 0.2:
only the chatbot is listed. An asker naming no concept of the vocabulary is compared by its
text alone, and then only a text cosine of at least `TEXT_FLOOR` is relevant (a word or two in
common, "oficina", stays well under it).

Both floors were calibrated on the judged set (tests/data/judged_challenges.yaml, its README):
scripts/bench_discovery.py --calibrate prints precision, recall and the no-match answers for
each candidate floor; the values below are where precision first stays ≥ 0.8 with the best
recall.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bridge.discovery.concepts import vocabulary
from bridge.discovery.text import DECIMALS

CONCEPT_FLOOR = 0.5
RELATIVE_FLOOR = 0.7
TEXT_FLOOR = 0.5


def weights(concept_ids: Sequence[str]) -> np.ndarray:
    """Each concept's weight (its kind's), in the order given."""
    known = vocabulary().concepts
    return np.array([known[c].weight if c in known else 0.0 for c in concept_ids])


def coverage(asker: np.ndarray, presence: np.ndarray, concept_weights: np.ndarray) -> np.ndarray:
    """The share of the asker's need each record addresses: the weight of the asker's concepts
    a record names over the weight of all the asker's concepts. `asker`: askers × concepts (or
    one vector), `presence`: records × concepts; 0 where the asker names none."""
    asked = np.atleast_2d(asker).astype(float) * concept_weights[None, :]
    total = asked.sum(axis=1)
    share = asked @ presence.T.astype(float)
    # In place: the forum's sections ask this for 512 records × every record at a time.
    share *= np.divide(1.0, total, out=np.zeros_like(total), where=total > 0)[:, None]
    # Rounded as the cosines are (text.DECIMALS): a record's coverage of itself is exactly 1, and
    # summing in another order cannot move a share across a floor.
    np.round(share, DECIMALS, out=share)
    return share if np.ndim(asker) == 2 else share[0]


def may_be_relevant(
    asker: np.ndarray, candidates: np.ndarray, concept_weights: np.ndarray, text: np.ndarray
) -> np.ndarray:
    """`relevant` of askers (askers × concepts) for some candidates only (candidates ×
    concepts; `text`: askers × candidates), as `similar` judges records: an asker is among the
    records, and covers its own need wholly (1), so its relative floor is RELATIVE_FLOOR whatever
    the others. A superset by a rounding's width (incremental discovery recomputes the lists
    this lets through, so erring on its side changes nothing)."""
    share = coverage(asker, candidates, concept_weights)
    has_need: np.ndarray = np.asarray(
        (np.atleast_2d(asker) & (concept_weights[None, :] > 0)).any(axis=1)
    )
    floor = max(CONCEPT_FLOOR, RELATIVE_FLOOR)
    margin = 10.0**-DECIMALS
    return np.asarray(
        np.where(has_need[:, None], share >= floor - margin, text >= TEXT_FLOOR - margin)
    )


def judged(
    asker: np.ndarray, presence: np.ndarray, concept_weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The rule below by concepts: which records address the asker's need (askers × records, or
    one vector as `asker` is given), and which askers name no concept of the vocabulary (one
    boolean an asker), whose relevance their text decides instead (`relevant`). Records with
    the same concepts are judged alike: `presence` may hold each distinct set once."""
    share = coverage(asker, presence, concept_weights)
    # What addresses more of the need outranks what addresses a part of it: when the catalogue
    # holds projects covering most of it, one sharing a part only is not listed beside them.
    best = np.atleast_2d(share).max(axis=1, initial=0.0)
    floor = np.maximum(CONCEPT_FLOOR, RELATIVE_FLOOR * best)
    share = share >= (floor[:, None] if np.ndim(share) == 2 else floor[0])
    has_need: np.ndarray = np.asarray(
        (np.atleast_2d(asker) & (concept_weights[None, :] > 0)).any(axis=1)
    )
    return share, ~has_need


def relevant(
    asker: np.ndarray, presence: np.ndarray, concept_weights: np.ndarray, text: np.ndarray
) -> np.ndarray:
    """Which records address the asker's need (the rule above): askers × records booleans (or
    one vector, as `asker` is given). `text`: the text cosines, of the same shape."""
    by_concepts, by_text = judged(asker, presence, concept_weights)
    if np.ndim(asker) == 1:
        return text >= TEXT_FLOOR if bool(by_text[0]) else by_concepts
    return np.asarray(np.where(by_text[:, None], text >= TEXT_FLOOR, by_concepts))


def shared_concepts(asker: Sequence[str], other: Sequence[str]) -> tuple[str, ...]:
    """The concepts both name, what weighs most first (then in the asker's order): what a reason
    says matched."""
    known = vocabulary().concepts
    mine = [c for c in asker if c in set(other) and c in known]
    return tuple(sorted(mine, key=lambda c: -known[c].weight))
