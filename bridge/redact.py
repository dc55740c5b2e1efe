"""One scrubber for every message that leaves the process: no secret on screen, in a log or in the
database, whatever path the message took (issue 14 item 1).

Secrets are the Discourse API key, the webhook secret and the passwords of URLs (DISCOURSE_URL,
BRIDGE_DATABASE_URL). They are registered once, when the configuration is read (and when a forum
client is built), in a process-wide registry; `scrub(text)` replaces each of them, in the forms
in which a message may quote them (as is, stripped, `repr`-escaped, JSON-escaped,
percent-encoded), and any `scheme://user:password@` in the text, by `***`.

Where it is applied (the exits, so a new message path cannot forget it):
- the CLI's consoles (`bridge.cli.app.out` / `err`) and `fail()`;
- `sync_state.last_error` and the run log (`sync_run.message`, `sync_run.failures`), in the store;
- logging: every LogRecord is scrubbed when it is made (message, arguments and traceback), so no
  handler, ours or a library's, ever sees a secret.

Why a registry rather than passing the secrets around: messages are built deep inside libraries
(requests echoes a bad header value, a proxy echoes request headers in its error page), far from
the code that knows the settings.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import traceback
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

if TYPE_CHECKING:  # pydantic is not loaded for this: the read commands never import it
    from pydantic import SecretStr

MASK = "***"
# A secret this short cannot be told from ordinary text (masking "s" would mask every "s" of
# every message) and protects nothing anyway; URL credentials are masked by pattern whatever
# their length.
MIN_SECRET_LENGTH = 6

# scheme://user:password@host or scheme://token@host: everything between `//` and `@`.
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/@]+@")

_lock = threading.Lock()
_secrets: tuple[str, ...] = ()  # longest first, so a secret that contains another goes first
_factory_installed = False


def _forms(secret: str) -> set[str]:
    """The ways a message may spell `secret`."""
    forms = {secret, secret.strip(), repr(secret)[1:-1], json.dumps(secret)[1:-1]}
    forms.add(quote(secret, safe=""))
    forms.add(quote(secret.strip(), safe=""))
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def register(*values: str | SecretStr | None) -> None:
    """Add secrets to the registry (None and blanks are ignored). Safe to call repeatedly."""
    global _secrets
    new: set[str] = set()
    for value in values:
        plain = _plain(value)
        if plain and len(plain.strip()) >= MIN_SECRET_LENGTH:
            new |= _forms(plain)
    if not new:
        return
    with _lock:
        _secrets = tuple(sorted(set(_secrets) | new, key=len, reverse=True))
    _install_log_scrubber()


def _plain(value: Any) -> str | None:
    """A secret's text: pydantic's SecretStr (told by its method, so pydantic need not be
    imported here) or a plain string."""
    reveal = getattr(value, "get_secret_value", None)
    return reveal() if reveal is not None else value


def register_url(url: str | None) -> None:
    """Register the password in a URL's user-info part (a user name alone is no secret: any
    user-info in a URL quoted in a message is masked by `scrub` anyway)."""
    if not url:
        return
    try:
        password = urlsplit(url).password
    except ValueError:
        return
    if password:
        register(password, unquote(password))


def scrub(text: str) -> str:
    """`text` with every registered secret and any URL credentials replaced by `***`."""
    if not text:
        return text
    # Until nothing is left: a mask next to the text around it could spell a secret again
    # (one that contains "*"). Each pass shortens the text, so this ends.
    changed = True
    while changed:
        changed = False
        for secret in _secrets:
            if secret in text:
                text = text.replace(secret, MASK)
                changed = True
    return _URL_CREDENTIALS.sub(rf"\1{MASK}@", text)


def forget_all() -> None:
    """Empty the registry (tests only: a secret of one test must not mask another's text)."""
    global _secrets
    with _lock:
        _secrets = ()


# --------------------------------------------------------------------------- logging


def _install_log_scrubber() -> None:
    """Wrap the LogRecord factory once: records are scrubbed when made, before any handler."""
    global _factory_installed
    with _lock:
        if _factory_installed:
            return
        _factory_installed = True
        make_record = logging.getLogRecordFactory()

    def scrubbed_record(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: let logging report it as it always does
            return record
        record.msg, record.args = scrub(message), None
        if record.exc_info and record.exc_info[0] is not None:
            # Formatters use a ready exc_text instead of formatting the exception themselves.
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = scrub(text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return record

    logging.setLogRecordFactory(scrubbed_record)


__all__ = ["MASK", "forget_all", "register", "register_url", "scrub"]
