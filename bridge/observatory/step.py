"""The observatory's part of a sync run (issue 11): I/O at the edge of the pure planners.

- `similar_sections`: each record's "similar projects" section, from `similar_all`'s choice
  (kept in DiscoveryCache while the catalogue is unchanged, so a no-op sync does not recompute
  it) and the topic links known now;
- `defer_waiting`: the run writes a record whose new section lists a project that has no topic
  yet only once that topic exists (after the run's creates), so a record entering other
  records' lists costs each of those one write, not two;
- `sync_pages`: the index and overview topics, created (pinned) or rewritten when what they
  show changed; what a moderator changed on them (found by the pull, bridge.loop.pull) written
  back under catalogue-wins, a deleted one created again, or left under report-only; a no-op
  costs no request.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.engine import Engine

from bridge.discovery import index_store
from bridge.forum.client import NewTopic, Topic
from bridge.forum.errors import (
    ForumAuthError,
    ForumError,
    ForumUnreachable,
    ForumValidationError,
)
from bridge.models.enums import DriftPolicy
from bridge.observatory import store
from bridge.observatory.pages import (
    OVERVIEW,
    DesiredPage,
    PageAction,
    PagePicture,
    StoredPage,
    desired_pages,
    index_key,
    plan_pages,
)
from bridge.observatory.sections import (
    SIMILAR_LIMIT,
    Sections,
    build_sections,
    keep_order,
)
from bridge.rules.discourse import upload_short_url
from bridge.settings import Settings
from bridge.sync.catalogue_record import CatalogueRecord
from bridge.sync.categories import CategoryError, find_or_create
from bridge.sync.desired import body_hash
from bridge.sync.external_id import recreated_external_id
from bridge.sync.kernel import Done, Forum, Lookup, WriteFailed, create_or_adopt
from bridge.sync.plan import Action, ActionName, Adopt, Create, Plan, Update

log = logging.getLogger("bridge.discovery")
CHOICE_KEY = "similar"


def _as_dict(record: CatalogueRecord) -> dict[str, Any]:
    return {**record.record, "archived": record.archived, "proximity": record.proximity}


def similar_choice(
    engine: Engine, settings: Settings, records: Sequence[CatalogueRecord], *, save: bool = True
) -> dict[str, list[str]]:
    """ref → the refs `similar` chooses for it, recomputed only when the catalogue changed, and
    then only the lists that can change (issue 20: `rank.similar_refresh`) when the text index
    was updated rather than built anew since they were chosen; a list naming the same projects
    as before keeps its order (sections.keep_order)."""
    fingerprint = index_store.fingerprint(
        ((r.ref, r.content_hash, r.archived) for r in records), _CHOICE_FORMAT
    )
    cached = store.load_cache(engine, CHOICE_KEY)
    previous = _choice_state(cached[1]) if cached is not None else None
    if cached is not None and cached[0] == fingerprint and previous is not None:
        return dict(previous["choice"])
    from bridge.catalogue.read_store import Filters, list_records
    from bridge.discovery.index import catalogue_index, catalogue_key, changed_refs
    from bridge.discovery.rank import similar_refresh, similar_scored

    # The records as `similar` sees them (with their places) and the same persisted text index,
    # so both choose alike.
    key = catalogue_key(engine)
    dicts = list_records(engine, settings.home_region, None, Filters(archived="include"))
    index = catalogue_index(engine, key, dicts, save=(lambda: engine) if save else None)
    hashes = {r.ref: [r.content_hash or "", bool(r.archived)] for r in records}
    if previous is not None and index.build and previous["build"] == index.build:
        scored = {
            ref: (list(refs), previous["last"].get(ref)) for ref, refs in previous["fresh"].items()
        }
        changed = changed_refs(previous["hashes"], hashes)
        fresh, recomputed = similar_refresh(
            dicts, scored, changed, limit=SIMILAR_LIMIT, index=index
        )
        log.info("similar lists: %d of %d recomputed", recomputed, len(fresh))
    else:
        fresh = similar_scored(dicts, limit=SIMILAR_LIMIT, index=index)
    choice = {ref: refs for ref, (refs, _) in fresh.items()}
    if previous is not None:
        choice = keep_order(choice, previous["choice"])
    elif cached is not None:  # a cache of the earlier format: its lists' order is kept too
        choice = keep_order(choice, cached[1])
    if save:
        state = {
            "format": _CHOICE_FORMAT,
            "choice": choice,
            "fresh": {ref: refs for ref, (refs, _) in fresh.items()},
            "last": {ref: last for ref, (_, last) in fresh.items()},
            "hashes": hashes,
            "build": index.build,
        }
        store.save_cache(engine, CHOICE_KEY, fingerprint, state)
    return choice


# The cached choice: the lists shown (kept in order), the lists as scored now ("fresh", best
# first) with each one's last score, and the records' (content hash, archived) and the text
# index's build they were chosen with.
_CHOICE_FORMAT = "similar-choice-2"


def _choice_state(data: Any) -> dict[str, Any] | None:
    if isinstance(data, dict) and data.get("format") == _CHOICE_FORMAT:
        return data
    return None


class Linker:
    """The similar-projects sections of one sync run, kept up to date as topics are created.

    A first sync creates many topics whose sections list one another: each create is written
    with the links known at that moment (`relink`), the most-listed records first
    (`order_creates`), so fewer posts need the second pass that adds the links still missing."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        records: Sequence[CatalogueRecord],
        *,
        only: Iterable[str] | None = None,
        save: bool = True,
    ) -> None:
        self.settings = settings
        self.only = None if only is None else set(only)
        self.choice = similar_choice(engine, settings, records, save=save)
        self.by_ref = {r.ref: _as_dict(r) for r in records if not r.archived}
        self.places = {r.ref: r.place for r in records if not r.archived and r.place}
        self.links = store.topic_links(engine)
        self.current = self.sections()

    def sections(self, only: Iterable[str] | None = None) -> Sections:
        wanted = self.only if only is None else set(only)
        return build_sections(
            self.choice, self.by_ref, self.links, self.settings, wanted, places=self.places
        )

    def order_creates(self, plan: Plan) -> Plan:
        """Creates (which the plan puts last) with the records most listed by others first."""
        listed: Counter[str] = Counter(t for targets in self.choice.values() for t in targets)
        creates: list[Action] = [a for a in plan.actions if isinstance(a, (Create, Adopt))]
        if len(creates) < 2:
            return plan
        rest = [a for a in plan.actions if not isinstance(a, (Create, Adopt))]
        creates.sort(key=lambda a: (-listed[a.ref], a.ref))
        return replace(plan, actions=tuple(rest + creates))

    def relink(self, action: Action) -> Action:
        """A create or adoption whose section can link more topics now than when planned."""
        if not isinstance(action, (Create, Adopt)):
            return action
        old = self.current.text.get(action.ref)
        if not old:
            return action
        new = self.sections([action.ref]).text.get(action.ref, "")
        raw = action.desired.raw
        if new == old or not raw.endswith(old):
            return action
        raw = raw[: len(raw) - len(old)] + new
        desired = replace(action.desired, raw=raw, body_hash=body_hash(raw))
        return replace(action, desired=desired)

    def created(self, ref: str, topic_id: int | None) -> None:
        if topic_id is not None:
            self.links[ref] = store.record_link(topic_id)


def similar_sections(
    engine: Engine,
    settings: Settings,
    records: Sequence[CatalogueRecord],
    *,
    only: Iterable[str] | None = None,
    save: bool = True,
) -> Sections:
    return Linker(engine, settings, records, only=only, save=save).current


def defer_waiting(plan: Plan, sections: Sections) -> tuple[Plan, frozenset[str]]:
    """The plan without the updates of records whose section waits for a topic this run
    creates; those records are planned again once the creates are done."""
    deferred = frozenset(
        a.ref for a in plan.actions if isinstance(a, Update) and a.ref in sections.waiting
    )
    if not deferred:
        return plan, deferred
    kept = tuple(a for a in plan.actions if a.ref not in deferred)
    return replace(plan, actions=kept), deferred


# --------------------------------------------------------------------------- pages


@dataclass
class PagesResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)
    plan: list[dict[str, Any]] | None = None  # dry run only
    topics: list[dict[str, Any]] = field(default_factory=list)  # key, title, topic path
    # What moderators changed on page topics (found by the pull): repaired (catalogue-wins;
    # a deleted page is created again) or left and reported (report-only).
    repaired: dict[str, list[str]] = field(default_factory=dict)
    drift: dict[str, list[str]] = field(default_factory=dict)
    uploaded: int = 0  # pictures uploaded (issue 24): only those whose bytes the forum lacked

    def as_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "failures": self.failures,
        }
        if self.uploaded:
            doc["uploaded"] = self.uploaded
        if self.repaired:
            doc["repaired"] = self.repaired
        if self.drift:
            doc["drift"] = self.drift
        if self.plan is not None:
            doc["plan"] = self.plan
        return doc


PAGES_KEY = "pages"


def _settings_key(settings: Settings) -> str:
    """What of the settings the pages show: words, area names, ids, the observatory."""
    return json.dumps(
        [
            settings.language,
            settings.labels,
            {str(a): c.model_dump() for a, c in settings.areas.items()},
            settings.observatory.model_dump(),
            settings.sync.external_id_prefix,
        ],
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )


def _sound(row: StoredPage) -> bool:
    return row.topic_id is not None and row.pinned and row.create_started_at is None


def _requests_overview(engine: Engine) -> Any:
    from bridge.connections.read_store import counted
    from bridge.connections.rules import overview
    from bridge.dbapi import rows_of

    with rows_of(engine) as found:
        return overview(counted(found))


def _page_records(engine: Engine, settings: Settings) -> list[dict[str, Any]]:
    from bridge.catalogue.read_store import list_records

    # Relative topic paths (no forum URL given): what the pages link with.
    return list_records(engine, settings.home_region, None)


def observatory_category(client: Forum, settings: Settings, stored: StoredPage | None) -> int:
    """The `[observatory]` category's id: remembered on the overview page, else found by slug
    among top-level categories (or under its configured parent), else created."""
    cfg = settings.observatory
    if stored and stored.category_id and stored.category_slug == cfg.slug:
        return stored.category_id
    return find_or_create(client, settings, cfg, "[observatory]", parent=cfg.parent).id


def sync_pages(
    engine: Engine,
    settings: Settings,
    client: Forum | None,
    area_categories: dict[str, int],
    *,
    dry_run: bool = False,
) -> PagesResult:
    """Make the index and overview topics match the catalogue. Raises ForumAuthError and
    ForumUnreachable (the run stops); other failures are counted and retried next time."""
    stored = store.load_pages(engine)
    result = PagesResult()
    repair = settings.sync.drift_policy == DriftPolicy.catalogue_wins
    with engine.connect() as conn:
        drift = {k: list(v.get("what") or ()) for k, v in store.load_page_drift(conn).items()}
    drift = {k: v for k, v in drift.items() if k in stored}
    if not repair:
        result.drift = drift
    requests = _requests_overview(engine)  # issue 22: the overview's totals
    fingerprint = store.pages_inputs(engine, _settings_key(settings) + repr(requests))
    cached = store.load_cache(engine, PAGES_KEY)
    if (
        not dry_run
        and cached is not None
        and cached[0] == fingerprint
        and stored
        and all(_sound(row) for row in stored.values())
        and not (repair and drift)
    ):
        # Nothing the pages show has changed since they were last written in full.
        result.unchanged = len(stored)
        return result
    if repair:
        stored = _forget_deleted(engine, stored, drift, result, dry_run=dry_run)
    records = _page_records(engine, settings)
    areas = {str(r["area"]) for r in records if not r.get("archived")} | {
        key.split(":", 1)[1] for key in stored if key.startswith("index:")
    }
    pictures = page_pictures(engine, settings, records, sorted(areas))
    desired = [
        replace(page, external_id=stored[page.key].external_id) if page.key in stored else page
        for page in desired_pages(
            records, settings, keep=tuple(stored), pictures=pictures, requests=requests
        )
    ]
    categories: dict[str | None, int | None] = {k: v for k, v in area_categories.items()}
    overview_row = stored.get(OVERVIEW)
    if dry_run:
        known = overview_row.category_id if overview_row else None
        categories[None] = known
        actions = plan_pages(desired, stored, categories, drift, repair=repair)
        result.plan = [a.as_json() for a in actions if a.writes]
        for a in actions:
            _count(result, a)
        return result
    assert client is not None, "a run that writes needs the forum"
    if any(p.area is None for p in desired):
        try:
            observatory = observatory_category(client, settings, overview_row)
        except (ForumAuthError, ForumUnreachable):
            raise
        except (CategoryError, ForumError) as exc:
            # The overview waits for its category (retried next run); the indexes go on.
            result.failed += 1
            result.failures.append({"page": OVERVIEW, "error": f"[observatory] category: {exc}"})
            desired = [p for p in desired if p.area is not None]
        else:
            categories[None] = observatory
            if overview_row is not None and overview_row.category_id != observatory:
                # Remembered at once, so the next run asks the forum nothing.
                store.page_category(engine, OVERVIEW, observatory, settings.observatory.slug)
    for action in plan_pages(desired, stored, categories, drift, repair=repair):
        if not action.writes:
            result.unchanged += 1
            continue
        try:
            _apply(
                engine, settings, client, action, stored.get(action.page.key), categories, result
            )
        except (ForumAuthError, ForumUnreachable):
            raise
        except (ForumError, WriteFailed) as exc:
            result.failed += 1
            result.failures.append({"page": action.page.key, "error": str(exc)})
            store.page_written(engine, action.page.key, last_error=str(exc)[:2000])
            continue
        _count(result, action)
        if action.repairs:
            result.repaired[action.page.key] = list(action.repairs)
    if not result.failed:
        store.save_cache(engine, PAGES_KEY, fingerprint, {})
    for key, row in store.load_pages(engine).items():
        if row.topic_id is not None:
            result.topics.append({"page": key, "title": row.title, "topic_id": row.topic_id})
    return result


# --------------------------------------------------------------------------- pictures (issue 24)

# discovery_cache: the SHA-1 of each picture's bytes → the `upload://` short URL the forum gave
# it. Recorded as soon as the forum answers, before the page is written: a run that stops in
# between uploads the same bytes again next time, and the forum (which keeps one upload per
# SHA-1, core UploadCreator) answers with the same upload.
UPLOADS_KEY = "uploads"


def known_uploads(engine: Engine) -> dict[str, str]:
    cached = store.load_cache(engine, UPLOADS_KEY)
    return dict(cached[1]) if cached else {}


def page_pictures(
    engine: Engine, settings: Settings, records: Sequence[dict[str, Any]], areas: Sequence[str]
) -> dict[str, list[PagePicture]]:
    """The pictures of the overview (maps and charts) and of each area's index (its map),
    drawn from the catalogue: the same catalogue gives the same bytes."""
    from bridge.catalogue.read_store import created_dates
    from bridge.visual.pictures import Picture, area_picture, overview_pictures

    known = known_uploads(engine)

    def page_picture(picture: Picture) -> PagePicture:
        short = known.get(picture.sha1)
        width, height = picture.display_size
        return PagePicture(
            key=picture.key,
            sha1=picture.sha1,
            short_url=short or upload_short_url(picture.sha1, picture.fmt),
            alt=picture.alt,
            width=width,
            height=height,
            uploaded=short is not None,
            data=picture.data,
            filename=picture.filename,
            content_type=picture.content_type,
        )

    found = {
        OVERVIEW: [
            page_picture(p) for p in overview_pictures(records, created_dates(engine), settings)
        ]
    }
    for area in areas:
        found[index_key(area)] = [page_picture(area_picture(records, settings, area))]
    return found


def _uploaded(
    engine: Engine, client: Forum, page: DesiredPage, result: PagesResult | None = None
) -> DesiredPage:
    """The page with each of its pictures uploaded (those the forum does not have yet), its raw
    naming them by the short URLs the forum answered."""
    if all(p.uploaded for p in page.pictures):
        return page
    known = known_uploads(engine)
    raw = page.raw
    pictures = []
    for picture in page.pictures:
        if not picture.uploaded:
            short = known.get(picture.sha1)
            if short is None:
                short = create_or_adopt(_UploadWrite(engine, client, picture, known))
                if result is not None:
                    result.uploaded += 1
            if short != picture.short_url:
                raw = raw.replace(f"]({picture.short_url})", f"]({short})")
            picture = replace(picture, short_url=short, uploaded=True)
        pictures.append(picture)
    return replace(page, raw=raw, pictures=tuple(pictures))


def _forget_deleted(
    engine: Engine,
    stored: dict[str, StoredPage],
    drift: dict[str, list[str]],
    result: PagesResult,
    *,
    dry_run: bool,
) -> dict[str, StoredPage]:
    """catalogue-wins: a page whose topic a moderator deleted is created again, under a new
    external id (the deleted topic keeps its own reserved: core topic.rb's uniqueness counts
    deleted rows). Unlike a record's topic, a page holds nothing but what the bridge wrote, so
    nothing is lost by recreating it without being asked."""
    gone = [key for key, what in drift.items() if "deleted" in what]
    if not gone:
        return stored
    fresh = dict(stored)
    for key in gone:
        new_id = recreated_external_id(stored[key].external_id, key)
        fresh[key] = StoredPage(key=key, external_id=new_id)
        result.repaired[key] = ["deleted"]
        if not dry_run:
            store.page_recreated(engine, key, new_id)
            store.set_page_drift(engine, key, None)
    return fresh


_CREATES = (ActionName.create, ActionName.adopt)


def _count(result: PagesResult, action: PageAction) -> None:
    if action.name in _CREATES:
        result.created += 1
    elif action.name is ActionName.update or action.pin:
        result.updated += 1
    else:
        result.unchanged += 1


def _apply(
    engine: Engine,
    settings: Settings,
    client: Forum,
    action: PageAction,
    row: StoredPage | None,
    categories: dict[str | None, int | None],
    result: PagesResult | None = None,
) -> None:
    page: DesiredPage = action.page
    if action.name in _CREATES or "body" in action.fields:
        page = _uploaded(engine, client, page, result)
    category_id = categories[page.area]
    assert category_id is not None
    if action.name in _CREATES:
        create_or_adopt(
            _PageWrite(engine, settings, client, page, category_id),
            look_first=action.name is ActionName.adopt,
        )
        return
    assert row is not None and row.topic_id is not None
    values: dict[str, Any] = {"last_error": None}
    reason = settings.label("edit_reason_drift" if action.repairs else "edit_reason_update")
    if {"title", "category", "tags"} & set(action.fields):
        client.update_topic(
            row.topic_id,
            title=page.title if "title" in action.fields else None,
            category_id=category_id if "category" in action.fields else None,
            tags=[] if "tags" in action.fields else None,  # a page carries no tags
        )
        values |= {"title": page.stored_title, "category_id": category_id}
    if "body" in action.fields and row.first_post_id is not None:
        client.update_post(row.first_post_id, raw=page.raw, edit_reason=reason)
        values["body_hash"] = page.body_hash
    if "closed" in action.fields:
        client.set_topic_status(row.topic_id, "closed", False)
    if action.pin:
        client.set_topic_status(row.topic_id, "pinned", True)
        values["pinned"] = True
    store.page_written(engine, page.key, settled=_written(action), **values)


def _written(action: PageAction) -> tuple[str, ...]:
    """The aspects an update wrote: drift on them is settled with the write."""
    return (*action.fields, *(("pinned",) if action.pin else ()))


class _PageWrite:
    """An index or overview page as a kernel object (bridge.sync.kernel): its intent and topic
    are forum_page's (bridge.observatory.store), its lookup the external id. An adopted page's
    content is unknown to us, so ours is written over it."""

    noun = "page"

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        client: Forum,
        page: DesiredPage,
        category_id: int,
    ) -> None:
        self.engine, self.settings, self.client = engine, settings, client
        self.page, self.category_id = page, category_id
        self.ident = page.external_id

    @property
    def label(self) -> str:
        return f"page {self.page.key}"

    def record_intent(self) -> None:
        store.page_intent(self.engine, self.page.key, self.ident)

    def clear_intent(self) -> None:
        store.page_written(self.engine, self.page.key, create_started_at=None)

    def send(self) -> NewTopic:
        return self.client.open_topic(
            title=self.page.title,
            raw=self.page.raw,
            category_id=self.category_id,
            tags=[],
            external_id=self.ident,
        )

    def lookup(self) -> Topic | Lookup:
        return self.client.find_topic(self.ident) or Lookup.absent

    def refused(self, exc: ForumValidationError) -> bool:
        return False

    def _written(self, **values: Any) -> None:
        page = self.page
        store.page_written(
            self.engine,
            page.key,
            title=page.stored_title,
            body_hash=page.body_hash,
            category_id=self.category_id,
            category_slug=None if page.area else self.settings.observatory.slug,
            create_started_at=None,
            last_error=None,
            **values,
        )

    def confirmed(self, post: NewTopic) -> Done:
        self._written(topic_id=post.topic_id, first_post_id=post.post_id, topic_slug=post.slug)
        # Pinned in its category (PUT /t/{id}/status, notes §5): the index leads the area's list.
        self.client.set_topic_status(post.topic_id, "pinned", True)
        store.page_written(self.engine, self.page.key, pinned=True)
        return Done.created

    def adopt(self, topic: Topic) -> Done:
        page, client = self.page, self.client
        client.update_topic(topic.id, title=page.title, category_id=self.category_id)
        if topic.first_post_id is not None:
            client.update_post(
                topic.first_post_id,
                raw=page.raw,
                edit_reason=self.settings.label("edit_reason_update"),
            )
        client.set_topic_status(topic.id, "pinned", True)
        self._written(
            topic_id=topic.id, first_post_id=topic.first_post_id, topic_slug=topic.slug, pinned=True
        )
        return Done.adopted


class _UploadWrite:
    """A page's picture as a kernel object (issue 24): its id is its bytes' SHA-1, and the forum
    keeps one upload per SHA-1 (core UploadCreator answers known bytes with the existing upload),
    so nothing is recorded before sending and the lookup after a lost answer is the same upload,
    sent once more. The SHA-1 → short URL map (`discovery_cache["uploads"]`) is written as soon
    as the forum answers, before the page that embeds it."""

    noun = "upload"

    def __init__(
        self, engine: Engine, client: Forum, picture: PagePicture, known: dict[str, str]
    ) -> None:
        self.engine, self.client, self.picture, self.known = engine, client, picture, known
        self.ident = picture.sha1

    @property
    def label(self) -> str:
        return f"picture {self.picture.key}"

    def record_intent(self) -> None:
        pass  # the bytes are their own id: sending them again finds the same upload

    def clear_intent(self) -> None:
        pass

    def send(self) -> str:
        p = self.picture
        return str(self.client.upload_image(p.data, p.filename, p.content_type)["short_url"])

    def lookup(self) -> str:
        return self.send()

    def refused(self, exc: ForumValidationError) -> bool:
        return False

    def confirmed(self, short: str) -> str:
        self.known[self.picture.sha1] = short
        store.save_cache(self.engine, UPLOADS_KEY, "", self.known)
        return short

    adopt = confirmed
