"""Reading a harvest source: an http(s) URL or a local path, bounded and conditional.

This is HTTP to other observatories' open data, not to Discourse, so it is not in `bridge/forum/`
(whose client paces, retries and maps errors for one forum's API and carries its key): a source
is read once, without credentials, with a timeout, a size cap, redirects followed only within the
same host, and the validators of the last read (ETag / If-Modified-Since), so an unchanged source
costs one small request and nothing else.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

from bridge.catalogue.sources import SourceError, read_bytes
from bridge.harvest.model import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_S, Validators

MAX_REDIRECTS = 5
_CHUNK = 1 << 16


class FetchError(Exception):
    """The source could not be read; the message says why, for a person."""


@dataclass(frozen=True)
class Fetched:
    location: str  # the URL or path as read (after same-host redirects)
    body: bytes | None  # None: not modified since `validators` (HTTP 304)
    validators: Validators
    content_type: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.body is None


def is_url(location: str) -> bool:
    return urlsplit(location).scheme in ("http", "https")


def origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()


def fetch(
    location: str,
    *,
    validators: Validators | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    max_bytes: int = DEFAULT_MAX_BYTES,
    session: requests.Session | None = None,
) -> Fetched:
    """The bytes at `location` (a URL or a local path). Raises FetchError with the reason."""
    if not is_url(location):
        if urlsplit(location).scheme not in ("", "file") and len(urlsplit(location).scheme) > 1:
            raise FetchError(f"unsupported address {location!r}: give an http(s) URL or a path")
        path = location.removeprefix("file://")
        try:
            return Fetched(os.path.abspath(path), read_bytes(path, max_bytes), Validators())
        except SourceError as exc:
            raise FetchError(exc.reason) from None
    return _fetch_http(location, validators or Validators(), timeout, max_bytes, session)


def _fetch_http(
    url: str,
    validators: Validators,
    timeout: float,
    max_bytes: int,
    session: requests.Session | None,
) -> Fetched:
    own = session or requests.Session()
    own.trust_env = False  # no proxy or .netrc credentials sent to a third party's server
    headers = {"Accept": "application/ld+json, application/json, text/csv, text/turtle, */*;q=0.5"}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    current = url
    try:
        for _ in range(MAX_REDIRECTS + 1):
            response = own.get(
                current, headers=headers, timeout=timeout, stream=True, allow_redirects=False
            )
            with response:
                if response.is_redirect:
                    target = urljoin(current, response.headers.get("Location", ""))
                    if origin(target) != origin(url):
                        raise FetchError(
                            f"redirected to another host ({urlsplit(target).netloc or target}); "
                            "not followed: give that address as the source if it is meant"
                        )
                    current = target
                    continue
                if response.status_code == 304:
                    return Fetched(current, None, validators)
                if response.status_code >= 400:
                    raise FetchError(f"the server answered HTTP {response.status_code}")
                body = _read_capped(response, max_bytes)
                return Fetched(
                    current,
                    body,
                    Validators(response.headers.get("ETag"), response.headers.get("Last-Modified")),
                    response.headers.get("Content-Type"),
                )
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")
    except requests.exceptions.ChunkedEncodingError:
        raise FetchError("partial: the connection closed before the whole file arrived") from None
    except requests.Timeout:
        raise FetchError(f"no answer within {timeout:g} s") from None
    except requests.ConnectionError as exc:
        raise FetchError(f"unreachable ({type(exc).__name__})") from None
    except requests.RequestException as exc:
        raise FetchError(f"cannot be read ({type(exc).__name__})") from None
    finally:
        if session is None:
            own.close()


def _read_capped(response: requests.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"is {int(declared) / 2**20:.0f} MB; at most {_mb(max_bytes)} MB is read")
    chunks: list[bytes] = []
    total = 0
    for chunk in response.iter_content(_CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise FetchError(f"more than {_mb(max_bytes)} MB; not read further")
        chunks.append(chunk)
    body = b"".join(chunks)
    if declared and declared.isdigit() and len(body) < int(declared):
        raise FetchError(f"partial: {len(body)} of {declared} bytes arrived")
    return body


def _mb(size: int) -> str:
    return f"{size / 2**20:g}"


def resource_location(base: str, path: str) -> str:
    """Where a package's resource is: `path` relative to the package's own directory, never
    outside it (no `..` escaping, no absolute path, no other host). Raises FetchError."""
    if is_url(path):
        if not is_url(base) or origin(path) != origin(base):
            raise FetchError(f"resource {path!r} is on another host than its package; not read")
        target = path
    elif path.startswith(("/", "\\")) or urlsplit(path).scheme:
        raise FetchError(f"resource path {path!r} is absolute; a package's paths are relative")
    elif is_url(base):
        target = urljoin(base, path)
    else:
        directory = os.path.dirname(os.path.abspath(base))
        target = os.path.normpath(os.path.join(directory, path))
        real_dir = os.path.realpath(directory)
        if os.path.commonpath([real_dir, os.path.realpath(target)]) != real_dir:
            raise FetchError(f"resource path {path!r} escapes the package's directory; not read")
        return target
    directory = urljoin(base, ".")
    escaped = "%2e" in path.lower() or "/../" in urlsplit(target).path + "/"
    if not target.startswith(directory) or escaped:
        raise FetchError(f"resource path {path!r} escapes the package's directory; not read")
    return target
