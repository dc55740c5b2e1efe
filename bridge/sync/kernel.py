"""The one path by which the bridge writes an object it owns in the forum (issue 19 point 1).

A record's topic, an index or overview page, a challenge reply — and next a request's reply, a
topic invite, an upload — are each written the same crash-safe way, here and nowhere else:

1. **intent**: the owner of the object's table commits "about to create" (a timestamp, the
   external id) *before* the request is sent, so a run killed after the forum took the write
   but before its answer was stored finds the object next time instead of writing it twice;
2. **create**: one request;
3. **taken**: "external id taken" means an earlier write of ours got there: it is looked up and
   adopted, never created again under another id;
4. **lost answer** (`AmbiguousWrite`: timeout, dropped connection, 5xx after sending): the
   object is *looked up*, never blindly sent again; found → adopted; certainly absent → sent once
   more (at most once); not knowable (an invite has no lookup by id) → the intent stays and the
   write is reported uncertain (`Uncertain`), for a person or a later lookup to settle;
5. **confirm**: the owner stores what the forum answered and clears the intent;
6. a **definite refusal** (422) clears the intent (nothing exists, nothing to look up) unless the
   adapter can answer it (a taken title → the fallback title) and send again.

The drift merge (`merge_drift`, in bridge.rules.status: pure) and finding or creating a
category under a parent (`bridge.sync.categories.find_or_create`) are the other two rules every
object kind shares; they live once, there.

A new object kind is a small adapter (`ForumObject`), not a copy of the path: its `label`,
`record_intent`/`clear_intent` (through its table's owner), `send`, `lookup` (what the forum holds
after a lost answer: found, `Lookup.absent`, or `Lookup.unknown` when nothing can tell, and the
kernel then keeps the intent and raises `Uncertain`: never a blind resend), `confirmed`, `adopt`
and `refused`. The kinds written through it: records' topics (`bridge.sync.apply`), pages and
uploads (`bridge.observatory.step`), challenge replies (`bridge.challenges.answer`), and a
connection request's invites and notes (`bridge.connections.forum_writes`: `_InviteWrite`, whose
lookup is `Lookup.unknown`, and `_PostWrite`)::

    done = create_or_adopt(_InviteWrite(client, engine, intent, topic_id, target, message))

The adapter calls its table's owner module (bridge.sync.state for `sync_state`,
bridge.observatory.store for `forum_page`, bridge.challenges.store for challenges): the kernel never
touches a table itself.
"""

from __future__ import annotations

from enum import Enum, StrEnum
from typing import Any, Protocol, TypeVar, Unpack

from bridge.forum.client import Category, NewCategory, NewTopic, PostEdit, Topic
from bridge.forum.errors import AmbiguousWrite, ExternalIdTaken, ForumValidationError
from bridge.rules.status import merge_drift as merge_drift

__all__ = [
    "Done",
    "Forum",
    "ForumObject",
    "Lookup",
    "Uncertain",
    "WriteFailed",
    "create_or_adopt",
    "merge_drift",
    "reasons",
]


# --------------------------------------------------------------------------- the forum, typed


class CategoryForum(Protocol):
    """Categories, parsed (bridge.forum.client.Category)."""

    def categories_found(self) -> list[Category]: ...
    def new_category(self, **fields: Unpack[NewCategory]) -> Category: ...


class Forum(CategoryForum, Protocol):
    """What the kernel's adapters use of bridge.forum.client.ForumClient: parsed answers
    (`Topic`, `NewTopic`, `Category`) for what is read; writes answer what the client gives."""

    requests_made: int

    def open_topic(
        self, *, title: str, raw: str, category_id: int, tags: list[str], external_id: str
    ) -> NewTopic: ...
    def find_topic(self, external_id: str) -> Topic | None: ...
    def read_topic(self, topic_id: int) -> Topic: ...
    def post_raw(self, post_id: int) -> str | None: ...
    def update_post(self, post_id: int, **edit: Unpack[PostEdit]) -> dict[str, Any]: ...
    def update_topic(
        self,
        topic_id: int,
        *,
        title: str | None = None,
        category_id: int | None = None,
        tags: list[str] | None = None,
    ) -> dict[str, Any]: ...
    def set_topic_status(self, topic_id: int, status: str, enabled: bool) -> dict[str, Any]: ...
    def upload_image(self, data: bytes, filename: str, content_type: str) -> dict[str, Any]: ...


# --------------------------------------------------------------------------- the adapter


class Lookup(Enum):
    """What a lookup answers when it finds nothing to adopt."""

    absent = "absent"  # certainly not in the forum: sending (again) is safe
    unknown = "unknown"  # cannot tell (no lookup exists): never send again, keep the intent
    # The object's next run reads what shows it anyway (a challenge's topic view lists its
    # posts): the lost answer is raised as it came, the intent kept, the lookup made then.
    next_run = "next_run"


class Done(StrEnum):
    """How the object came to exist in the forum."""

    created = "created"
    adopted = "adopted"  # found after a lost answer, a taken external id or an earlier intent


Made = TypeVar("Made")  # what the create request answers (NewTopic, a post, None)
Found = TypeVar("Found")  # what a lookup finds (Topic, a post, a username)
Result_co = TypeVar("Result_co", covariant=True)


class ForumObject(Protocol[Made, Found, Result_co]):
    """One object the bridge writes, adapted to the kernel. Each method calls the forum once or
    the object's table owner once; none retries (the kernel decides)."""

    noun: str  # "topic", "page", "reply", "invite": in messages
    ident: str  # its external id ("" when it has none)

    @property
    def label(self) -> str:
        """For messages and logs: `record R1`, `page overview`."""
        ...

    def record_intent(self) -> None:
        """Commit "about to create" through the table's owner, before anything is sent."""
        ...

    def clear_intent(self) -> None:
        """The forum refused outright: nothing exists, the next run need not look it up."""
        ...

    def send(self) -> Made:
        """The create request. Raises ExternalIdTaken, AmbiguousWrite or ForumValidationError
        as the client does."""
        ...

    def lookup(self) -> Found | Lookup:
        """Find the object as the forum has it, after a lost answer or a taken id."""
        ...

    def confirmed(self, made: Made) -> Result_co:
        """Store what the create answered (clearing the intent) and say what was done."""
        ...

    def adopt(self, found: Found) -> Result_co:
        """Pair with what the lookup found and bring it in line; say what was done."""
        ...

    def refused(self, exc: ForumValidationError) -> bool:
        """A 422: True when the adapter changed what it sends (a fallback title) and the kernel
        should send again; False for a definite refusal. May raise to let the caller handle it
        (a deleted category)."""
        ...


class ReplyPost:
    """What every reply post adapter shares (a challenge's answer, a request's note or
    reminder): no external id (it is found among the topic's posts by its author), and a 422 is
    a definite refusal (the next run tries again)."""

    noun = "reply"
    ident = ""

    def refused(self, exc: ForumValidationError) -> bool:
        return False


class WriteFailed(Exception):
    """The object was not written this run; the message is for a person (retried next run)."""


class Uncertain(WriteFailed):
    """The forum may or may not have the object and no lookup can tell: the intent stays, nothing
    is sent again until a person (or a later lookup) settles it."""


def reasons(exc: Any) -> str:
    """A ForumError's reasons as Discourse gave them, else its message."""
    return "; ".join(exc.errors) if exc.errors else exc.message


# At most: one resend after an adapter's answer to a refusal (a fallback title) and one create
# after a lookup found nothing.
MAX_SENDS = 3


def create_or_adopt(
    obj: ForumObject[Made, Found, Result_co],
    *,
    look_first: bool = False,
    hint: str = "",
) -> Result_co:
    """Write `obj` once: intent, create, adopt after a taken id or a lost answer, confirm.

    `look_first`: an intent from an earlier run is stored (its answer may have been lost), so the
    forum is asked before anything is sent. `hint`: what a person can do when the external id is
    taken by an object the API user cannot see (appended to the message).

    Raises WriteFailed (Uncertain when no lookup can tell), or the AmbiguousWrite itself when
    the lookup is the next run's (`Lookup.next_run`); lets the forum's other errors
    (ForumAuthError, ForumUnreachable, a 429 after the client's retries) and whatever
    `obj.refused` raises through."""
    if look_first:
        found = obj.lookup()
        if not isinstance(found, Lookup):
            return obj.adopt(found)
        if found is not Lookup.absent:
            raise Uncertain(f"{obj.label}: an earlier write may have reached the forum")
    obj.record_intent()
    looked_up = False
    for _attempt in range(MAX_SENDS):
        try:
            made = obj.send()
        except ExternalIdTaken as exc:
            # Ours already (an earlier run whose answer was lost, a database restored from a
            # backup): adopt it rather than create a second one.
            found = obj.lookup()
            if isinstance(found, Lookup):
                tail = f"; {hint}" if hint else ""
                raise WriteFailed(
                    f"external id {obj.ident} is taken by a {obj.noun} the API user cannot see "
                    f"(deleted?){tail}"
                ) from exc
            return obj.adopt(found)
        except AmbiguousWrite as exc:
            # The write may or may not have happened: look before anything else.
            found = obj.lookup()
            if not isinstance(found, Lookup):
                return obj.adopt(found)
            if found is Lookup.next_run:
                raise
            if found is Lookup.unknown:
                raise Uncertain(
                    f"{obj.label}: the forum's answer was lost ({exc.message}) and nothing can "
                    "tell whether it was written; not sent again"
                ) from exc
            if looked_up:
                raise WriteFailed(
                    f"the forum's answer to the create was lost twice ({exc.message}); "
                    "retried next run"
                ) from exc
            looked_up = True  # not there: the write did not happen, so sending it is safe
            continue
        except ForumValidationError as exc:
            if obj.refused(exc):
                continue
            # A definite refusal: nothing was created, so the next run need not look it up.
            obj.clear_intent()
            raise WriteFailed(f"the forum refused the {obj.noun}: {reasons(exc)}") from exc
        return obj.confirmed(made)
    raise WriteFailed("the forum kept refusing the create")
