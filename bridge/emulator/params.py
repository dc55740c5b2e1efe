"""Request parameters as Rails sees them (notes §2: form, multipart or JSON bodies).

Rails nests bracketed form keys: `tags[]=a&tags[]=b` is a list, `post[raw]=x` a nested object,
`permissions[everyone]=1` a mapping. Query-string and body parameters are merged, the body
winning, as in Rails' `params`.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from bridge.emulator.errors import bad_request

_KEY_RE = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Fold `a[b][]=v` style pairs into nested dicts and lists."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY_RE.match(key)
        if not match:
            out[key] = value
            continue
        head, rest = match.group(1), match.group(2)
        parts = [head, *re.findall(r"\[([^\[\]]*)\]", rest)]
        node: Any = out
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt_is_list = not last and parts[i + 1] == ""
            if part == "":  # list append
                if isinstance(node, list):
                    node.append(value)
                break
            if last:
                node[part] = value
            else:
                container = node.get(part)
                if nxt_is_list and not isinstance(container, list):
                    container = []
                    node[part] = container
                elif not nxt_is_list and not isinstance(container, dict):
                    container = {}
                    node[part] = container
                node = container
    return out


def parse_query(query: str) -> dict[str, Any]:
    return nest(parse_qsl(query, keep_blank_values=True))


def parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    """The body's parameters; a malformed JSON body is a 400 (Rails' ParseError)."""
    if not body:
        return {}
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise bad_request(
                "Error occurred while parsing request parameters: "
                f"{exc.msg if hasattr(exc, 'msg') else exc}"
            ) from None
        if not isinstance(data, dict):
            raise bad_request(
                "Error occurred while parsing request parameters: a JSON object is required"
            )
        return data
    if media in ("application/x-www-form-urlencoded", ""):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise bad_request(
                "Error occurred while parsing request parameters: invalid UTF-8"
            ) from None
        return nest(parse_qsl(text, keep_blank_values=True))
    if media == "multipart/form-data":
        return _parse_multipart(content_type, body)
    # Rails (ActionDispatch::Http::Parameters) parses only the MIME types it has a parser for;
    # any other body is ignored, not refused: the request goes on with its query parameters.
    return {}


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """The fields of a multipart body: text fields as strings, file parts (a `filename` in
    their Content-Disposition) as UploadedFile, as Rails gives `params[:file]` (issue 24)."""
    from email.parser import BytesParser
    from email.policy import HTTP

    from bridge.emulator.uploads import UploadedFile

    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise bad_request("Error occurred while parsing request parameters: bad multipart body")
    pairs: list[tuple[str, str]] = []
    files: dict[str, UploadedFile] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            payload = part.get_payload(decode=True)  # bytes, or None when there is none
            data = payload if isinstance(payload, bytes) else b""
            filename = part.get_filename()
            if filename is not None:
                files[str(name)] = UploadedFile(str(filename), part.get_content_type(), data)
                continue
            pairs.append((str(name), data.decode("utf-8", errors="replace")))
    return {**nest(pairs), **files}
