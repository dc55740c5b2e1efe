"""The rules of connection requests (issue 22), pure: what a request asks for, which project
it names, who is invited, where it stands, and the figures a project's topic shows.

Nothing here reads the database or the forum; `bridge.connections.step` feeds it what the
forum's lists and topics showed and what the store holds.
"""

from __future__ import annotations

import hashlib
import re
import statistics
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from bridge.models.enums import InviteChannel, RequestKind, RequestNote, RequestStatus

# --------------------------------------------------------------------------- what is asked

# Words that say what a request wants, in Catalan, Spanish and English, folded (no accents,
# lowercase). Stems, matched at a word's start: "visitar", "visita", "visiting".
_WORDS: dict[RequestKind, tuple[str, ...]] = {
    RequestKind.visit: ("visit", "veure-ho", "conèixer-ho in situ", "in situ", "desplac"),
    RequestKind.collaboration: (
        "col-labor",
        "col·labor",
        "collabor",
        "colabor",
        "cooper",
        "aliança",
        "alianza",
        "partner",
        "replica",
        "replicar",
        "conveni",
        "convenio",
    ),
    RequestKind.contact: ("contact", "parlar", "hablar", "talk", "call", "trucar", "llamar"),
}
# When several kinds are named, the most committing one wins: a visit or a collaboration
# implies a contact, not the other way round.
_PRECEDENCE = (RequestKind.collaboration, RequestKind.visit, RequestKind.contact)


def fold(text: str) -> str:
    """Lowercase without accents, the `·` of "col·laborar" kept as `-` (its tag's spelling)."""
    text = text.replace("·", "-").replace("l.l", "l-l")
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_STEMS = {kind: tuple(fold(w) for w in words) for kind, words in _WORDS.items()}


def kind_of(tags: Iterable[str], text: str, kind_tags: Mapping[RequestKind, str]) -> RequestKind:
    """The request's kind: its tag when it carries one (the configured names), else read from
    its words in ca/es/en; a contact when nothing says otherwise."""
    carried = {t.lower() for t in tags}
    for kind in _PRECEDENCE:
        if kind_tags.get(kind, "").lower() in carried:
            return kind
    words = re.findall(r"[\w·-]+", fold(text))
    for kind in _PRECEDENCE:
        if any(word.startswith(stem) for word in words for stem in _STEMS[kind]):
            return kind
    return RequestKind.contact


def hashtags(raw: str) -> tuple[str, ...]:
    """The `#words` of a post (Discourse's category and tag hashtags), lowercased."""
    return tuple(
        m.lower() for m in re.findall(r"(?<![\w#&/])#([a-z0-9][a-z0-9-]*)", raw or "", re.I)
    )


def asks(raw: str, category_slug: str, kind_tags: Iterable[str]) -> bool:
    """A reply in a project's own topic is a request when it carries the connections category's
    hashtag or a kind's tag as a hashtag (`#contactes`, `#visita`)."""
    wanted = {category_slug.lower(), *(t.lower() for t in kind_tags)}
    return any(tag in wanted for tag in hashtags(raw))


# --------------------------------------------------------------------------- which project

_TOPIC_LINK = re.compile(
    r"(?P<origin>https?://[^\s/()<>\[\]\"']+)?/t/(?:(?P<slug>[^\s/()<>\[\]\"'?#]+)/)?(?P<id>\d+)"
)


def linked_topics(raw: str, forum_url: str | None) -> list[int]:
    """Topic ids the text links on this forum (absolute links to its host, or relative ones),
    in order, each once. Links to other sites are not ours."""
    host = (urlsplit(forum_url).netloc or "").lower() if forum_url else ""
    found: list[int] = []
    for match in _TOPIC_LINK.finditer(raw or ""):
        origin = match.group("origin")
        if origin and urlsplit(origin).netloc.lower() != host:
            continue
        topic_id = int(match.group("id"))
        if topic_id not in found:
            found.append(topic_id)
    return found


@dataclass(frozen=True)
class Project:
    """What a request needs of a catalogue record (from `projects list`'s form)."""

    ref: str
    title: str
    council: str
    topic_id: int | None
    archived: bool


@dataclass(frozen=True)
class Linked:
    """The project a request names, or why it names none (`note`)."""

    project: Project | None
    note: RequestNote | None


def find_project(
    topic_ids: Sequence[int], by_topic: Mapping[int, Project], own_topic: int
) -> Linked:
    """The first linked topic that is a record's (never the request's own topic). An archived
    project is found but noted: it is withdrawn, nobody is invited."""
    others = [t for t in topic_ids if t != own_topic]
    if not others:
        return Linked(None, RequestNote.no_link)
    for topic_id in others:
        project = by_topic.get(topic_id)
        if project is not None:
            return Linked(project, RequestNote.archived_project if project.archived else None)
    return Linked(None, RequestNote.not_catalogue)


# --------------------------------------------------------------------------- who is invited


@dataclass(frozen=True)
class Target:
    """One contact to invite: by username (a forum user) or by address (Discourse writes)."""

    name: str | None
    role: str | None
    channel: InviteChannel
    address: str = ""  # the username, or the email: only ever passed to the invite call
    key: str = ""  # what the invite row stores: the username, or a hash of the address

    def __repr__(self) -> str:  # never the address in a traceback or a log
        return f"Target({self.name!r}, {self.role!r}, {self.channel.value}, {self.key[:12]!r})"


def targets(contacts: Iterable[Mapping[str, Any]]) -> list[Target]:
    """The contacts to invite, in the record's order: a forum user by username, else by email;
    none that opted out (`invite: false`), none with neither; each person once."""
    found: list[Target] = []
    seen: set[str] = set()
    for contact in contacts:
        if contact.get("invite") is False:
            continue
        user = str(contact.get("forum_username") or "").strip()
        email = str(contact.get("email") or "").strip()
        if user:
            target = Target(
                contact.get("name") or user, contact.get("role"), InviteChannel.user,
                user, user.lower(),
            )  # fmt: skip
        elif email:
            digest = hashlib.sha256(email.lower().encode()).hexdigest()
            target = Target(
                contact.get("name"), contact.get("role"), InviteChannel.email, email, digest
            )
        else:
            continue
        if target.key not in seen:
            seen.add(target.key)
            found.append(target)
    return found


def within_limit(sent_today: int, wanted: int, limit: int) -> int:
    """How many of `wanted` invites may go now, `sent_today` having gone for the project in the
    last 24 hours (the flood limit, `[connections] max_invites_per_project_per_day`)."""
    return max(0, min(wanted, limit - sent_today))


# --------------------------------------------------------------------------- where it stands


@dataclass(frozen=True)
class Facts:
    """What the forum shows of a request's topic, and what the store knows of it."""

    closed: bool
    solved: bool
    agreed: bool  # a participant put an agreed tag on it
    answered_at: datetime | None  # the first post by an invited person or the council's user
    asked_at: datetime
    reminded: bool
    now: datetime


def next_status(current: RequestStatus, facts: Facts, stale_days: int) -> RequestStatus:
    """The one status rule. Closed wins; then agreed; then answered (an answer or solved);
    then stale once `stale_days` passed unanswered; else open. An ignored request stays so."""
    if current == RequestStatus.ignored:
        return current
    if facts.closed:
        return RequestStatus.closed
    if facts.agreed:
        return RequestStatus.agreed
    if facts.answered_at is not None or facts.solved or current == RequestStatus.answered:
        return RequestStatus.answered
    if facts.reminded or is_due(facts.asked_at, facts.now, stale_days):
        return RequestStatus.stale
    return RequestStatus.open


def is_due(asked_at: datetime, now: datetime, stale_days: int) -> bool:
    return now - asked_at >= timedelta(days=stale_days)


def first_answer(
    posts: Iterable[Mapping[str, Any]], answerers: set[str]
) -> Mapping[str, Any] | None:
    """The first post (after the asking one) by someone who can answer, folded usernames."""
    for post in sorted(posts, key=lambda p: int(p.get("post_number") or 0)):
        if (
            int(post.get("post_number") or 0) > 1
            and str(post.get("username") or "").lower() in answerers
        ):
            return post
    return None


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Stats:
    """How requests to one project (or all) went: what its topic and open data show."""

    count: int = 0
    answered: int = 0  # answered or agreed
    median_days: float | None = None  # from asked to answered, over the answered ones
    visits_agreed: int = 0
    collaborations_agreed: int = 0

    @property
    def agreed(self) -> int:
        return self.visits_agreed + self.collaborations_agreed

    def as_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "answered": self.answered,
            "median_days": self.median_days,
            "visits_agreed": self.visits_agreed,
            "collaborations_agreed": self.collaborations_agreed,
        }


@dataclass(frozen=True)
class Counted:
    """One request as the figures need it (no asker: figures never say who asked)."""

    ref: str | None
    kind: RequestKind
    status: RequestStatus
    asked_at: datetime
    answered_at: datetime | None
    council: str | None = None  # the project's council, as recorded with the request


@dataclass(frozen=True)
class Overview:
    """What the overview topic shows of requests: the totals and the councils answering most."""

    totals: Stats
    top: tuple[tuple[str, int], ...]


def overview(requests: Iterable[Counted], limit: int = 5) -> Overview:
    rows = list(requests)
    return Overview(stats(rows), tuple(top_answering(rows, limit)))


def stats(requests: Iterable[Counted]) -> Stats:
    """The figures of some requests; ignored ones are not requests to anyone."""
    counted = [r for r in requests if r.status != RequestStatus.ignored]
    answered = [r for r in counted if r.status in (RequestStatus.answered, RequestStatus.agreed)]
    days = [
        (r.answered_at - r.asked_at).total_seconds() / 86400
        for r in answered
        if r.answered_at is not None
    ]
    agreed = [r for r in counted if r.status == RequestStatus.agreed]
    return Stats(
        count=len(counted),
        answered=len(answered),
        median_days=round(statistics.median(days), 1) if days else None,
        visits_agreed=sum(1 for r in agreed if r.kind == RequestKind.visit),
        collaborations_agreed=sum(1 for r in agreed if r.kind != RequestKind.visit),
    )


def stats_by_ref(requests: Iterable[Counted]) -> dict[str, Stats]:
    grouped: dict[str, list[Counted]] = {}
    for request in requests:
        if request.ref is not None:
            grouped.setdefault(request.ref, []).append(request)
    return {ref: stats(rows) for ref, rows in sorted(grouped.items())}


def top_answering(requests: Iterable[Counted], limit: int = 5) -> list[tuple[str, int]]:
    """The councils that answered most requests, most first (ties by name)."""
    counts: dict[str, int] = {}
    for r in requests:
        if r.status in (RequestStatus.answered, RequestStatus.agreed) and r.council:
            counts[r.council] = counts.get(r.council, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
