"""The observatory's own topics (issue 11, contract §5), planned with no I/O:

- one **index topic** per area category, pinned: the area's projects (link, council, population
  band, Km0/foreign, phase, replies), newest topic first, capped within Discourse's post limit;
- one **overview topic** in the `[observatory]` category: counts by area × proximity × phase, the
  newest projects, the most discussed and those still without replies.

Each has an external id of its own (`{prefix}_index_{area}`, `{prefix}_overview`: refs never
hold `_`, so they cannot meet a record's `{prefix}-{ref}`), and is rewritten only when its title
or post changes: `plan_pages` compares with what was last written (bridge.observatory.store).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bridge.discovery.places import place_of
from bridge.models.enums import Area
from bridge.rules.discourse import MAX_POST_LENGTH, prettify_title
from bridge.rules.status import merge_drift
from bridge.settings import Settings
from bridge.sync.drift import Drift, Observed, Written, body_fingerprint, detect, seen_aspects
from bridge.sync.plan import ActionName
from bridge.sync.render import render_index, render_overview

OVERVIEW = "overview"
LIST_LENGTH = 10  # projects in each of the overview's lists
# Room left under Discourse's limit for what the forum adds (notes §8 counts the raw we send).
INDEX_LIMIT = MAX_POST_LENGTH - 1000


def index_key(area: str) -> str:
    return f"index:{area}"


def external_id_for(prefix: str, key: str) -> str:
    return f"{prefix}_{key.replace(':', '_')}"[:50]


@dataclass(frozen=True)
class IndexRow:
    title: str
    url: str | None
    council: str
    population: int | None
    proximity: str
    phase: str
    replies: int


@dataclass(frozen=True)
class OverviewItem:
    title: str
    url: str | None
    council: str
    replies: int


@dataclass(frozen=True)
class Overview:
    total: int
    counts: tuple[tuple[str, dict[tuple[str, str], int]], ...]  # (area label, counts), by area
    newest: tuple[OverviewItem, ...]
    discussed: tuple[OverviewItem, ...]
    unanswered: tuple[OverviewItem, ...]
    # Issue 25: medians of the derived evidence by area and population band; empty while no
    # record carries evidence (the overview then reads as before).
    medians: tuple[MedianRow, ...] = ()
    # Issue 22: contact requests' totals and the councils answering most
    # (bridge.connections.rules.Overview); None while nobody asked.
    requests: Any = None


@dataclass(frozen=True)
class MedianRow:
    area: str  # the area's label
    band: int  # population band index (bridge.discovery.bands)
    records: int  # records of that area and band with evidence
    cost_per_inhabitant: float | None  # medians over the records that have each figure
    savings_per_inhabitant: float | None
    months_to_implement: float | None


@dataclass(frozen=True)
class PagePicture:
    """A picture a page shows (issue 24): its bytes' SHA-1, and the `upload://` short URL the
    raw embeds: the one the forum answered when it was uploaded, else Discourse's short URL of
    those bytes (core Upload#short_url), replaced by the forum's answer when it is uploaded. So
    the page's body, hence its fingerprint, changes only when the picture does."""

    key: str
    sha1: str
    short_url: str
    alt: str
    width: int
    height: int
    uploaded: bool  # the forum's short URL for these bytes is known
    data: bytes = field(default=b"", repr=False, compare=False)
    filename: str = ""
    content_type: str = "image/png"


@dataclass(frozen=True)
class DesiredPage:
    key: str
    external_id: str
    area: str | None  # the area's category; None: the observatory's category
    title: str
    raw: str
    pictures: tuple[PagePicture, ...] = ()

    @property
    def body_hash(self) -> str:
        return body_fingerprint(self.raw)

    @property
    def stored_title(self) -> str:
        return prettify_title(self.title)


@dataclass(frozen=True)
class StoredPage:
    key: str
    external_id: str
    topic_id: int | None = None
    first_post_id: int | None = None
    topic_slug: str | None = None
    create_started_at: Any = None
    category_id: int | None = None
    category_slug: str | None = None
    title: str | None = None
    body_hash: str | None = None
    pinned: bool = False


@dataclass(frozen=True)
class PageAction:
    """What to do with one page: create, adopt (look the external id up first), update
    (`fields` among title, body, category, tags, closed), pin, or nothing. `repairs`: the drift
    this action undoes (catalogue-wins), written with the drift edit reason."""

    page: DesiredPage
    name: ActionName  # create, adopt, update or unchanged
    fields: tuple[str, ...] = ()
    pin: bool = False
    repairs: tuple[str, ...] = ()

    @property
    def writes(self) -> bool:
        return self.name is not ActionName.unchanged or self.pin

    def as_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "page": self.page.key,
            "action": self.name,
            "fields": list(self.fields),
        }
        if self.repairs:
            doc["repairs"] = list(self.repairs)
        return doc


# --------------------------------------------------------------------------- drift
# What a moderator changed on a page topic, found by the pull (bridge.loop.pull) as for record
# topics (bridge.sync.drift): title, category, tags and closed from the area lists, `pinned`
# too; the body from the overview's own read, `pull --deep` or a topic read; deleted when no list
# shows it and the forum says so. Kept per page key ({"what": [...], "detail": {...}}).

PAGE_ASPECTS = ("category", "tags", "title", "body", "closed", "pinned", "deleted")
# What an update of a page writes, in the order it is listed.
PAGE_FIELDS = ("title", "body", "category", "tags", "closed")


def page_drift(row: StoredPage, observed: Observed, pinned: bool | None = None) -> Drift:
    """The aspects the forum changed on a page since the bridge wrote it. A page is written
    without tags, open and pinned."""
    written = Written(
        title=row.title,
        category_id=row.category_id,
        tags=(),
        closed=False,
        body_hash=row.body_hash,
    )
    found = detect(written, observed)
    if observed.deleted or pinned is None or pinned or not row.pinned:
        return found
    what = tuple(a for a in PAGE_ASPECTS if a in found.what or a == "pinned")
    return Drift(what, {**found.detail, "pinned": {"written": True, "forum": False}})


def merge_page_drift(
    previous: Mapping[str, Any] | None, drift: Drift, observed: Observed, pinned: bool | None
) -> dict[str, Any] | None:
    """The page's drift after an observation: what it speaks for is replaced, the rest (a body
    edit a list cannot show) kept. None when nothing is left."""
    seen = set(seen_aspects(observed))
    if pinned is not None or observed.deleted:
        seen.add("pinned")
    what, detail = merge_drift(
        (previous or {}).get("what", ()),
        (previous or {}).get("detail"),
        drift.what,
        drift.detail,
        seen,
        PAGE_ASPECTS,
    )
    if not what:
        return None
    return {"what": list(what), "detail": detail}


def _replies(record: Mapping[str, Any]) -> int:
    return int((record.get("activity") or {}).get("replies") or 0)


def _newest_first(record: Mapping[str, Any]) -> tuple[bool, int, str]:
    topic_id = record.get("topic_id")
    return (topic_id is None, -(topic_id or 0), record["ref"])


def _council(record: Mapping[str, Any]) -> str:
    return (record.get("local_body") or {}).get("name", "")


def _item(record: Mapping[str, Any]) -> OverviewItem:
    return OverviewItem(
        record.get("title", ""), record.get("topic_url"), _council(record), _replies(record)
    )


def area_label(settings: Settings, area: str) -> str:
    return settings.area(area).label(settings.language) if settings.areas else area


def desired_pages(
    records: Sequence[Mapping[str, Any]],
    settings: Settings,
    *,
    keep: Sequence[str] = (),
    pictures: Mapping[str, Sequence[PagePicture]] | None = None,
    requests: Any = None,
) -> list[DesiredPage]:
    """Index pages for every area with projects (or named in `keep`: an index that exists
    stays, showing none) and the overview. `records` as `projects list --json` gives them
    with relative topic URLs; archived records are left out here. `pictures`: page key → the
    pictures it shows (issue 24: the overview's maps and charts, each index's area map)."""
    pictures = pictures or {}
    live = [r for r in records if not r.get("archived")]
    prefix = settings.sync.external_id_prefix
    label = settings.label
    by_area: dict[str, list[Mapping[str, Any]]] = {}
    for record in live:
        by_area.setdefault(record["area"], []).append(record)
    pages = []
    for area in [a.value for a in Area]:
        key = index_key(area)
        if area not in by_area and key not in keep:
            continue
        rows = [
            IndexRow(
                title=r.get("title", ""),
                url=r.get("topic_url"),
                council=_council(r),
                population=(place_of(r) or {}).get("population"),
                proximity=r.get("proximity", "foreign"),
                phase=r.get("phase", ""),
                replies=_replies(r),
            )
            for r in sorted(by_area.get(area, []), key=_newest_first)
        ]
        name = area_label(settings, area)
        pages.append(
            DesiredPage(
                key=key,
                external_id=external_id_for(prefix, key),
                area=area,
                title=label("index_title").replace("{area}", name),
                raw=render_index(
                    name, rows, settings, limit=INDEX_LIMIT, images=pictures.get(key, ())
                ),
                pictures=tuple(pictures.get(key, ())),
            )
        )
    if live or OVERVIEW in keep:
        pages.append(
            DesiredPage(
                key=OVERVIEW,
                external_id=external_id_for(prefix, OVERVIEW),
                area=None,
                title=label("overview_title"),
                raw=render_overview(
                    overview(live, settings, requests),
                    settings,
                    images=pictures.get(OVERVIEW, ()),
                ),
                pictures=tuple(pictures.get(OVERVIEW, ())),
            )
        )
    return pages


def overview(
    live: Sequence[Mapping[str, Any]], settings: Settings, requests: Any = None
) -> Overview:
    counts: dict[str, Counter[tuple[str, str]]] = {}
    for record in live:
        counts.setdefault(record["area"], Counter())[(record["proximity"], record["phase"])] += 1
    paired = [r for r in live if r.get("topic_id") is not None]
    newest = sorted(paired, key=_newest_first)[:LIST_LENGTH]
    discussed = sorted((r for r in paired if _replies(r)), key=lambda r: (-_replies(r), r["ref"]))[
        :LIST_LENGTH
    ]
    # Oldest first: the longest wait for an answer leads.
    unanswered = sorted(
        (r for r in paired if not _replies(r)), key=lambda r: (r["topic_id"], r["ref"])
    )[:LIST_LENGTH]
    return Overview(
        total=len(live),
        counts=tuple(
            (area_label(settings, a.value), dict(counts[a.value]))
            for a in Area
            if a.value in counts
        ),
        newest=tuple(_item(r) for r in newest),
        discussed=tuple(_item(r) for r in discussed),
        unanswered=tuple(_item(r) for r in unanswered),
        medians=medians(live, settings),
        requests=requests if requests is not None and requests.totals.count else None,
    )


def medians(live: Sequence[Mapping[str, Any]], settings: Settings) -> tuple[MedianRow, ...]:
    """By area and population band (of the population each figure is over), the medians of the
    per-inhabitant cost and savings and of the months to implement, over the records with
    evidence that have each figure. Records whose population is unknown have no band and stay
    out (their per-inhabitant figures do not exist)."""
    from statistics import median

    from bridge.catalogue.evidence import derived, has_evidence
    from bridge.discovery.bands import band_index

    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for record in live:
        if not has_evidence(record):
            continue
        figures = derived(record)
        band = band_index(figures["population_basis"]["population"])
        if band is not None:
            groups.setdefault((record["area"], band), []).append(figures)

    def middle(rows: list[dict[str, Any]], key: str) -> float | None:
        found = [r[key] for r in rows if r[key] is not None]
        return round(median(found), 2) if found else None

    return tuple(
        MedianRow(
            area_label(settings, area.value),
            band,
            len(rows),
            middle(rows, "cost_per_inhabitant_eur"),
            middle(rows, "savings_per_inhabitant_eur"),
            middle(rows, "months_to_implement"),
        )
        for area in Area
        for band in range(6)
        if (rows := groups.get((area.value, band)))
    )


def plan_pages(
    desired: Sequence[DesiredPage],
    stored: Mapping[str, StoredPage],
    categories: Mapping[str | None, int | None],
    drift: Mapping[str, Sequence[str]] | None = None,
    *,
    repair: bool = True,
) -> list[PageAction]:
    """One action per desired page. `categories` maps an area (None: the observatory) to its
    category id, or None when it is not known yet (a dry run before it was found). `drift`:
    page key → the aspects a moderator changed; with `repair` (catalogue-wins) they are written
    back, otherwise (report-only) they are left as the forum has them, as for record topics.
    A deleted page is created again by the caller (with a new external id) before planning."""
    return [
        plan_page(
            page,
            stored.get(page.key),
            categories.get(page.area),
            set((drift or {}).get(page.key, ())),
            repair,
        )
        for page in desired
    ]


def plan_page(
    page: DesiredPage,
    row: StoredPage | None,
    category: int | None,
    changed: set[str],
    repair: bool,
) -> PageAction:
    """One page's action: a row of the decision table records' topics use too
    (bridge.sync.plan.plan_record), by the state of its pairing."""
    if row is None or row.topic_id is None:
        return _page_unpaired(page, row)
    if "deleted" in changed and not repair:
        return _page_deleted(page)
    return _page_paired(page, row, category, changed, repair)


def _page_unpaired(page: DesiredPage, row: StoredPage | None) -> PageAction:
    """No topic yet: create it; or look it up first when an earlier create may have reached the
    forum (an intent is stored), as for a record (bridge.sync.plan._plan_unpaired)."""
    adopt = row is not None and row.create_started_at is not None
    name = ActionName.adopt if adopt else ActionName.create
    return PageAction(page, name, ("title", "body"))


def _page_deleted(page: DesiredPage) -> PageAction:
    """report-only: a moderator deleted the page's topic; it is left deleted and reported
    (under catalogue-wins the caller recreated it before planning)."""
    return PageAction(page, ActionName.unchanged)


def _page_paired(
    page: DesiredPage, row: StoredPage, category: int | None, changed: set[str], repair: bool
) -> PageAction:
    """The topic exists: what the forum shows is what we wrote, except where drift says
    otherwise; drift is repaired (catalogue-wins) or left (report-only), and the page is pinned
    again when it is not."""
    fields = []
    if row.title != page.stored_title:
        fields.append("title")
    if row.body_hash != page.body_hash:
        fields.append("body")
    if category is not None and row.category_id != category:
        fields.append("category")
    repairs: tuple[str, ...] = ()
    pin = not row.pinned
    if repair:
        repairs = tuple(a for a in PAGE_ASPECTS if a in changed and a != "deleted")
        fields += [a for a in PAGE_FIELDS if a in changed]
        pin = pin or "pinned" in changed
    else:
        fields = [f for f in fields if f not in changed]
        pin = pin and "pinned" not in changed
    fields = [f for f in PAGE_FIELDS if f in fields]
    name = ActionName.update if fields else ActionName.unchanged
    return PageAction(page, name, tuple(fields), pin=pin, repairs=repairs)
