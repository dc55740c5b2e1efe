"""What each record should look like in the forum: title, first post, category (by area), tags,
open or closed. Pure: catalogue records and settings in, `DesiredTopic`s out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bridge.rules.discourse import (
    MAX_POST_LENGTH,
    body_fingerprint,
    body_problems,
    prettify_title,
    tags_for_saving,
    title_problems,
)
from bridge.settings import Settings
from bridge.sync.catalogue_record import CatalogueRecord
from bridge.sync.render import render_post
from bridge.sync.titles import TitleInput, build_titles


@dataclass(frozen=True)
class DesiredTopic:
    project_id: int
    ref: str
    content_hash: str
    area: str
    title: str  # what we send
    fallback_title: str  # what we send when a topic we do not own has `title` (see titles.py)
    raw: str
    body_hash: str
    tags: tuple[str, ...]  # cleaned as Discourse stores them, in the order sent
    closed: bool  # archived records' topics are closed, never deleted
    error: str | None = None  # why this record cannot be written; it then fails without a request

    @property
    def archived(self) -> bool:
        """The record is archived (its topic is to be closed): read by bridge.sync.state's rule."""
        return self.closed

    @property
    def stored_title(self) -> str:
        """The title Discourse will store for `title` (API-NOTES §8)."""
        return prettify_title(self.title)

    @property
    def stored_fallback_title(self) -> str:
        return prettify_title(self.fallback_title)


def body_hash(raw: str) -> str:
    """The same fingerprint drift detection computes from the raw Discourse stores (which strips
    trailing whitespace and normalises Unicode spaces), so what we wrote and what the forum shows
    compare equal."""
    return body_fingerprint(raw)


def tags_for(record: dict[str, Any], proximity: str, settings: Settings) -> tuple[str, ...]:
    """km0|foreign, phase and kind, named as the TOML file says and cleaned as Discourse cleans
    new tags (API-NOTES §7), so what we store is what the forum will show."""
    names = [
        settings.tag_for(proximity),
        settings.tag_for(record["phase"]),
        settings.tag_for(record["kind"]),
    ]
    return tuple(tags_for_saving(names))


def desired_topics(
    records: Iterable[CatalogueRecord],
    settings: Settings,
    *,
    render_only: set[str] | None = None,
    similar: Mapping[str, str] | None = None,
) -> dict[str, DesiredTopic]:
    """Desired topics keyed by ref. Titles are decided over all `records` (they must be distinct
    across the catalogue); posts are rendered only for refs in `render_only` when given. A post
    ends with its record's section in `similar` (bridge.observatory.sections), when it has one."""
    records = list(records)
    titles = build_titles(
        TitleInput(r.ref, r.record["title"], r.record["local_body"]["name"]) for r in records
    )
    result: dict[str, DesiredTopic] = {}
    for rec in records:
        if render_only is not None and rec.ref not in render_only:
            continue
        choice = titles[rec.ref]
        error = None
        raw = render_post(
            rec.record,
            proximity=rec.proximity,
            settings=settings,
            place=rec.place,
            requests=rec.requests,
            relations=rec.relations,
        )
        if similar and similar.get(rec.ref):
            raw += "\n\n" + similar[rec.ref]
        if len(raw) > MAX_POST_LENGTH:
            # Never cut silently: a truncated record would misrepresent it (issue 4).
            error = (
                f"the record's post would be {len(raw):,} characters and Discourse accepts at most "
                f"{MAX_POST_LENGTH:,}: shorten its description, value, savings or analysis"
            )
        else:
            problems = body_problems(raw)
            if problems:
                error = "post refused by Discourse's rules: " + "; ".join(problems)
        if not error:
            problems = title_problems(choice.primary)
            if problems:
                error = f"title {choice.primary!r} refused by Discourse's rules: " + "; ".join(
                    problems
                )
        result[rec.ref] = DesiredTopic(
            project_id=rec.project_id,
            ref=rec.ref,
            content_hash=rec.content_hash,
            area=rec.record["area"],
            title=choice.primary,
            fallback_title=choice.fallback,
            raw=raw,
            body_hash=body_hash(raw),
            tags=tags_for(rec.record, rec.proximity, settings),
            closed=rec.archived,
            error=error,
        )
    return result
