"""The stable external id each topic carries (API-NOTES §3: ≤50 of [A-Za-z0-9_-], unique).

Chosen once per record, stored in SyncState.external_id and never recomputed: changing the
prefix in the TOML file later must not orphan existing topics, so callers only call
`new_external_id` for a record that has no SyncState row yet (or when recreating a topic a
moderator deleted).

Shape: `{prefix}-{ref}` when it fits. Refs are `[a-z0-9-]` (contract §4), so the natural form
never contains `_`; every derived form uses `_` as its separator, which keeps derived ids from
ever colliding with a natural id of another record:
- too long → `{prefix}-{ref cut}_{8 hex of sha256(ref)}`;
- recreated after a deletion → `{base}_r{n}` (n ≥ 2), base cut to make room.
"""

from __future__ import annotations

import hashlib
import re

from bridge.rules.discourse import EXTERNAL_ID_MAX_LENGTH, is_valid_external_id

_INVALID = re.compile(r"[^A-Za-z0-9-]+")
_HASH_LEN = 8
_RECREATED = re.compile(r"_r(\d+)$")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HASH_LEN]


def _fit(base: str, ref: str, room: int) -> str:
    """`base` if it fits in `room` characters, else cut + `_` + hash of the ref."""
    if len(base) <= room:
        return base
    cut = base[: room - _HASH_LEN - 1].rstrip("-")
    return f"{cut}_{_digest(ref)}"


def new_external_id(prefix: str, ref: str) -> str:
    """The external id for a record seen for the first time."""
    # Refs are already [a-z0-9-]; anything else (an older catalogue, a hand-edited row) is
    # replaced, and the hash of the original ref keeps two such refs apart.
    cleaned = _INVALID.sub("-", ref).strip("-")
    base = f"{prefix}-{cleaned}"
    if cleaned == ref:
        value = _fit(base, ref, EXTERNAL_ID_MAX_LENGTH)
    else:
        value = f"{base[: EXTERNAL_ID_MAX_LENGTH - _HASH_LEN - 1]}_{_digest(ref)}"
    assert is_valid_external_id(value), value
    return value


def recreated_external_id(current: str, ref: str) -> str:
    """A new id for recreating a deleted topic. The deleted topic keeps its id in Discourse's
    unique index (API-NOTES §13.10), so the new one must differ: `_r2`, then `_r3`…"""
    match = _RECREATED.search(current)
    base, n = (current[: match.start()], int(match.group(1)) + 1) if match else (current, 2)
    suffix = f"_r{n}"
    room = EXTERNAL_ID_MAX_LENGTH - len(suffix)
    if len(base) > room:
        base = f"{base[: room - _HASH_LEN - 1]}_{_digest(ref)}"
    value = f"{base}{suffix}"
    assert is_valid_external_id(value), value
    return value
