"""The forum client: the only code that does HTTP to Discourse (see client.py)."""

from bridge.forum.client import ForumClient
from bridge.forum.errors import (
    AmbiguousWrite,
    ExternalIdTaken,
    ForumAuthError,
    ForumError,
    ForumNotFound,
    ForumRateLimited,
    ForumServerError,
    ForumUnreachable,
    ForumValidationError,
)

__all__ = [
    "AmbiguousWrite",
    "ExternalIdTaken",
    "ForumAuthError",
    "ForumClient",
    "ForumError",
    "ForumNotFound",
    "ForumRateLimited",
    "ForumServerError",
    "ForumUnreachable",
    "ForumValidationError",
]
