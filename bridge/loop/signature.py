"""Discourse webhook signatures: `X-Discourse-Event-Signature: sha256=<hex HMAC-SHA256 of the raw
body>`.

Source: API-NOTES §12 [core: app/jobs/regular/emit_web_hook_event.rb].
"""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(body: bytes, secret: str) -> str:
    """The header value Discourse sends for `body` with `secret`."""
    return PREFIX + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str | None, secret: str) -> bool:
    """True when `header` is the signature of the exact `body` bytes. Constant-time comparison."""
    if not header or not header.startswith(PREFIX):
        return False
    return hmac.compare_digest(
        sign(body, secret).encode("ascii"), header.strip().encode("ascii", "replace")
    )
