"""What can go wrong when talking to the forum, as exceptions a person can read.

No exception here ever holds the API key: messages are built from the method, the path, the
status and Discourse's own `errors` strings, never from request headers.
"""

from __future__ import annotations

from collections.abc import Sequence


class ForumError(Exception):
    """Any failure talking to the forum. `status` is the HTTP status (None when no answer came)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        errors: Sequence[str] = (),
        error_type: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.errors: list[str] = list(errors)
        self.error_type = error_type
        self.method = method
        self.path = path

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status!r})"


class ForumAuthError(ForumError):
    """403: the forum refused the key (unknown, revoked, wrong user, suspended user, outside its
    scope).
    Stops a run (exit 2)."""


class ForumUnreachable(ForumError):
    """No usable answer after retries: connection refused, DNS failure, timeouts. Stops a run (exit
    2)."""


class ForumMisconfigured(ForumUnreachable):
    """Something answers at DISCOURSE_URL, but not the forum's API: a redirect (to another host,
    or to a login page), an HTML page where Discourse always answers JSON. A configuration error
    (exit 2) that stops the run, never a failed record: every record would fail the same way, and
    a 404 page of the wrong site must not read as "the topic was deleted"."""


class ForumValidationError(ForumError):
    """The forum refused this request's content (422, or 400 for a bad parameter); `errors` holds
    Discourse's reasons. A per-record failure: record it and go on."""


class ExternalIdTaken(ForumValidationError):
    """A create refused because another (visible) topic already carries this external id.

    Discourse validates `external_id` with Rails' `uniqueness: { case_sensitive: false }` and no
    custom message [core: app/models/topic.rb], and defines no label for the attribute, so Rails
    humanises `external_id` to "External" (humanize drops a trailing `_id`): the 422 body says
    `{"action":"create_post","errors":["External has already been taken"]}`. A production client
    relies on exactly that string [umbraco/OurUmbraco:
    OurUmbraco/Forum/Controllers/DiscourseController.cs].
    The caller should look the topic up by external id and adopt it.
    """

    def __init__(self, message: str, *, external_id: str, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.external_id = external_id


class ForumNotFound(ForumError):
    """404 (or 410): no such topic, post or category, or not visible to the API user."""


class ForumRateLimited(ForumError):
    """429 still coming back after the allowed retries. `wait_seconds` is the forum's last hint."""

    def __init__(
        self, message: str, *, wait_seconds: float | None = None, **kwargs: object
    ) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.wait_seconds = wait_seconds


class ForumServerError(ForumError):
    """5xx still coming back after the allowed retries of an idempotent request."""


class AmbiguousWrite(ForumError):
    """A non-idempotent request (a create) whose outcome is unknown: it may or may not have been
    applied (timeout or connection lost after sending, 5xx, an unreadable success). It is never
    retried blindly: look the record up (by external id) before anything else."""


__all__ = [
    "AmbiguousWrite",
    "ExternalIdTaken",
    "ForumAuthError",
    "ForumError",
    "ForumMisconfigured",
    "ForumNotFound",
    "ForumRateLimited",
    "ForumServerError",
    "ForumUnreachable",
    "ForumValidationError",
]
