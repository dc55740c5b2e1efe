"""Issue 24: the emulator's uploads, as core Discourse takes them (each rule's source in
bridge/emulator/uploads.py and docs/emulator-fidelity.md, "Issue 24"), over real HTTP: plain
requests for the API's edges, the bridge's ForumClient for what the sync relies on."""

from __future__ import annotations

import hashlib
import struct
import zlib

from bridge.emulator import RunningEmulator
from bridge.forum.client import ForumClient
from bridge.rules import discourse as rules


def png(width: int = 3, height: int = 2, seed: int = 0) -> bytes:
    """A valid PNG of that size (different seeds, different bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes([seed % 256]) * (3 * width) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _upload(api, data: bytes, name: str = "map.png", **form):
    form.setdefault("type", "composer")
    return api.post("/uploads.json", data=form, files={"file": (name, data, "image/png")})


def test_multipart_upload_answers_url_short_url_and_sha1(api):
    data = png()
    response = _upload(api, data)
    assert response.status_code == 200, response.text
    body = response.json()
    sha1 = hashlib.sha1(data).hexdigest()
    assert body["sha1"] == sha1
    assert body["url"] == f"/uploads/default/original/1X/{sha1}.png"
    # core Upload#short_url: upload://{Base62.encode(sha1.hex)}.{extension}
    assert body["short_url"] == rules.upload_short_url(sha1, "png")
    assert body["short_path"] == f"/uploads/short-url/{rules.base62_sha1(sha1)}.png"
    assert (body["width"], body["height"], body["extension"]) == (3, 2, "png")
    assert body["original_filename"] == "map.png" and body["filesize"] == len(data)


def test_same_bytes_same_upload(api):
    """core UploadCreator: `Upload.find_by(sha1: sha1)` returns the existing upload."""
    first = _upload(api, png(seed=1), "a.png").json()
    again = _upload(api, png(seed=1), "b.png").json()
    other = _upload(api, png(seed=2), "a.png").json()
    assert again["id"] == first["id"] and again["short_url"] == first["short_url"]
    assert again["original_filename"] == "a.png"  # the first upload, as it was stored
    assert other["id"] != first["id"]


def test_type_is_required_and_a_file_too(api):
    response = api.post("/uploads.json", files={"file": ("a.png", png(), "image/png")})
    assert response.status_code == 400  # Discourse::InvalidParameters
    response = api.post("/uploads.json", data={"type": "composer"})
    assert response.status_code == 422
    assert response.json()["errors"] == ["Sorry, you must provide a file to upload."]


def test_extension_must_be_authorized(api):
    """core UploadValidator + site setting authorized_extensions (SVG is not a default)."""
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'
    response = api.post(
        "/uploads.json", data={"type": "composer"}, files={"file": ("m.svg", svg, "image/svg")}
    )
    assert response.status_code == 422
    (message,) = response.json()["errors"]
    assert "not authorized" in message and "jpg, jpeg, png, gif, heic, heif, webp" in message


def test_image_size_limit_and_empty_or_unreadable_files(api, emulator: RunningEmulator):
    emulator.state.upload_settings.max_image_size_kb = 1
    big = png(200, 200, seed=7) + b"\x00" * 2048  # trailing bytes: still a readable PNG
    response = _upload(api, big)
    assert response.status_code == 422
    assert "maximum size is 1KB" in response.json()["errors"][0]
    assert _upload(api, png()).status_code == 200  # under the limit
    response = _upload(api, b"")
    assert response.status_code == 422 and "empty" in response.json()["errors"][0]
    response = _upload(api, b"not a png at all")
    assert response.status_code == 422 and "size of the image" in response.json()["errors"][0]


def test_upload_needs_a_user(emulator: RunningEmulator):
    import requests

    response = requests.post(
        emulator.url + "/uploads.json",
        data={"type": "composer"},
        files={"file": ("a.png", png(), "image/png")},
        timeout=10,
    )
    assert response.status_code == 403


def test_upload_short_urls_in_raw_are_resolved_when_cooked(api, emulator: RunningEmulator):
    category = api.category()
    known = _upload(api, png(seed=3)).json()
    unknown = rules.upload_short_url("ab" * 20, "png")
    raw = (
        "The map of the projects, drawn from the catalogue.\n\n"
        f"![Map of Catalonia|690x500]({known['short_url']})\n\n"
        f"![Pending|10x10]({unknown})"
    )
    created = api.topic(category["id"], raw=raw)
    post = api.get(f"/posts/{created['id']}.json").json()
    assert post["raw"] == raw  # raw keeps the short URL, as Discourse stores it
    cooked = post["cooked"]
    base62 = known["short_url"].removeprefix("upload://").removesuffix(".png")
    assert (
        f'<img src="{known["url"]}" alt="Map of Catalonia" data-base62-sha1="{base62}" '
        'width="690" height="500">'
    ) in cooked
    assert f'src="/images/transparent.png" data-orig-src="{unknown}"' in cooked


def test_forum_client_upload_is_safe_to_repeat(emulator: RunningEmulator):
    with ForumClient(emulator.url, emulator.api_key, emulator.api_username) as client:
        data = png(seed=9)
        first = client.upload_image(data, "chart.png", "image/png")
        again = client.upload_image(data, "chart.png", "image/png")
    assert (
        first["short_url"]
        == again["short_url"]
        == rules.upload_short_url(hashlib.sha1(data).hexdigest(), "png")
    )
    assert len(emulator.state.uploads) == 1
