"""The forum's activity on a topic, read from a topic-list item, a topic, or a webhook payload
(pure).

Field sources: topic-list items carry posts_count, reply_count, views, like_count, last_posted_at
and `posters` (openapi.json listLatestTopics / `/c/{slug}/{id}.json`); the topic view and the
webhook topic payload add participant_count (API-NOTES §10, §12).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bridge.rules.discourse import parse_time as parse_time

# Discourse's topic-list `posters` summary shows at most five users (original poster, last poster
# and up to three frequent ones), so a list with fewer than five posters names them all.
LIST_POSTERS_CAP = 5


@dataclass(frozen=True)
class ActivityValues:
    replies: int
    views: int
    likes: int
    participants: int
    posts_count: int
    last_posted_at: datetime | None
    participants_exact: bool  # False when read from a list whose posters summary may be capped


@dataclass(frozen=True)
class TopicSeen:
    """What a pull saw of a paired (project) topic, for the steps after it: issue 22's requests
    made as a reply in a project's topic are looked for only where the topic grew."""

    posts_before: int | None  # what the last pull or post event recorded; None: never seen
    posts_count: int
    closed: bool  # closed, archived or deleted

    @property
    def new_posts(self) -> int:
        """How many posts the topic gained; 0 the first time (nothing to compare with)."""
        if self.posts_before is None:
            return 0
        return max(self.posts_count - self.posts_before, 0)


def from_topic(topic: dict[str, Any]) -> ActivityValues:
    """From a topic-list item, a topic view (`GET /t/{id}.json`) or a webhook `topic` payload."""
    posts_count = int(topic.get("posts_count") or 0)
    if "participant_count" in topic:
        participants, exact = int(topic["participant_count"] or 0), True
    else:
        posters = topic.get("posters") or []
        participants, exact = len(posters), len(posters) < LIST_POSTERS_CAP
    return ActivityValues(
        # A reply, for the observatory, is any post after the first one.
        replies=max(posts_count - 1, 0),
        views=int(topic.get("views") or 0),
        likes=int(topic.get("like_count") or 0),
        participants=participants,
        posts_count=posts_count,
        last_posted_at=parse_time(topic.get("last_posted_at")),
        participants_exact=exact,
    )


def merge_participants(new: ActivityValues, previous: int | None) -> int:
    """Keep an exact count learnt earlier (webhook, deep pull) when a capped list shows fewer."""
    if new.participants_exact or previous is None:
        return new.participants
    return max(new.participants, previous)
