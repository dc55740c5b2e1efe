"""Uploads as Discourse takes them (issue 24): `POST /uploads.json`, multipart, and the
`upload://` short URLs that posts embed. Each rule with its source in core:

- app/controllers/uploads_controller.rb `create`: `type` or `upload_type` is required
  (Discourse::InvalidParameters); the file is `params[:file]`; a missing file answers 422
  `{errors: [upload.file_missing]}`; an upload with errors answers 422 `{errors: [...]}`, else
  200 with the UploadSerializer's fields.
- lib/upload_creator.rb `create_for`: an empty file is refused (upload.empty); an image whose
  size cannot be read is refused (upload.images.size_not_found); the SHA-1 of the stored bytes
  is looked up first, `Upload.find_by(sha1: sha1)`, and an existing upload is returned as it
  is (deduplication; not when secure uploads are on, which the emulator does not emulate);
  `extension` is the image's type.
- lib/validators/upload_validator.rb: the extension must be in `authorized_extensions`
  (upload.unauthorized, naming them); an image larger than `max_image_size_kb` KB, any other
  file larger than `max_attachment_size_kb` KB is refused (upload.images.too_large /
  upload.attachments.too_large). UploadCreator first downsizes a too-large image outside the
  test environment; the emulator refuses it, as Discourse does when downsizing is not enough.
- config/site_settings.yml `files:` defaults: bridge.rules.discourse (4096 KB each,
  "jpg|jpeg|png|gif|heic|heif|webp").
- app/models/upload.rb: `short_url` is `upload://{Base62.encode(sha1.hex)}.{extension}`
  (lib/base62.rb's alphabet), `short_path` `/uploads/short-url/{base62}.{extension}`; the local
  store's url `/uploads/default/original/1X/{sha1}.{extension}`.
- Cooking: an `upload://` image in raw is drawn from the upload's url, `data-base62-sha1` naming
  it; one the forum does not know keeps `src="/images/transparent.png"` and
  `data-orig-src="upload://…"` (spec/models/post_spec.rb `have_uploads` fixtures).
"""

from __future__ import annotations

import hashlib
import html
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bridge.rules import discourse as rules

# core config/locales/server.en.yml, upload.*
FILE_MISSING = "Sorry, you must provide a file to upload."
EMPTY = "Sorry, but the file you provided is empty."
SIZE_NOT_FOUND = (
    "Sorry, but we couldn't determine the size of the image. Maybe your image is corrupted?"
)
UNAUTHORIZED = (
    "Sorry, the file you are trying to upload is not authorized "
    "(authorized extensions: {authorized_extensions})."
)
IMAGE_TOO_LARGE = (
    "Sorry, the image you are trying to upload is too big (maximum size is {max_size_kb}KB), "
    "please resize it and try again."
)
ATTACHMENT_TOO_LARGE = (
    "Sorry, the file you are trying to upload is too big (maximum size is {max_size_kb}KB)."
)


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part, as Rails hands `params[:file]` to the controller."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Upload:
    id: int
    user_id: int
    sha1: str
    original_filename: str
    filesize: int
    extension: str
    width: int | None
    height: int | None

    @property
    def url(self) -> str:
        return f"/uploads/default/original/1X/{self.sha1}.{self.extension}"

    @property
    def short_url(self) -> str:
        return rules.upload_short_url(self.sha1, self.extension)

    @property
    def short_path(self) -> str:
        return f"/uploads/short-url/{rules.base62_sha1(self.sha1)}.{self.extension}"


@dataclass
class UploadSettings:
    max_image_size_kb: int = rules.MAX_IMAGE_SIZE_KB
    max_attachment_size_kb: int = rules.MAX_ATTACHMENT_SIZE_KB
    authorized_extensions: tuple[str, ...] = rules.AUTHORIZED_EXTENSIONS


class UploadRefused(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def image_size(data: bytes) -> tuple[str, int, int] | None:
    """(type, width, height) of a PNG or GIF, as FastImage reads them; None otherwise."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return "png", int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a"):
        width, height = struct.unpack("<HH", data[6:10])
        return "gif", int(width), int(height)
    return None


def _extension(filename: str) -> str:
    _stem, dot, ext = filename.rpartition(".")
    return ext.lower() if dot else ""


def create(
    uploads: dict[str, Upload],
    next_id: int,
    user_id: int,
    file: UploadedFile,
    settings: UploadSettings,
) -> Upload:
    """The upload of these bytes: the existing one of the same SHA-1, or a new one (added to
    `uploads`, keyed by SHA-1). Raises UploadRefused with Discourse's messages."""
    if not file.data:
        raise UploadRefused([EMPTY])
    extension = _extension(file.filename)
    is_image = extension in rules.IMAGE_EXTENSIONS
    found = image_size(file.data)
    if extension in ("png", "gif") and found is None:  # FastImage cannot read its size
        raise UploadRefused([SIZE_NOT_FOUND])
    sha1 = hashlib.sha1(file.data).hexdigest()
    existing = uploads.get(sha1)
    if existing is not None:
        return existing  # UploadCreator: `Upload.find_by(sha1: sha1)` → returned as it is
    if extension not in settings.authorized_extensions:
        raise UploadRefused(
            [UNAUTHORIZED.format(authorized_extensions=", ".join(settings.authorized_extensions))]
        )
    if is_image and len(file.data) > settings.max_image_size_kb * 1024:
        raise UploadRefused([IMAGE_TOO_LARGE.format(max_size_kb=settings.max_image_size_kb)])
    if not is_image and len(file.data) > settings.max_attachment_size_kb * 1024:
        raise UploadRefused(
            [ATTACHMENT_TOO_LARGE.format(max_size_kb=settings.max_attachment_size_kb)]
        )
    kind, width, height = found if found else (extension, None, None)
    upload = Upload(
        id=next_id,
        user_id=user_id,
        sha1=sha1,
        original_filename=file.filename,
        filesize=len(file.data),
        extension=kind,
        width=width,
        height=height,
    )
    uploads[sha1] = upload
    return upload


def _human_size(size: int) -> str:
    if size < 1024:
        return f"{size} Bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB".replace(".0 KB", " KB")
    return f"{size / 1024 / 1024:.1f} MB".replace(".0 MB", " MB")


def serialize(upload: Upload) -> dict[str, Any]:
    """core UploadSerializer's attributes."""
    return {
        "id": upload.id,
        "url": upload.url,
        "original_filename": upload.original_filename,
        "filesize": upload.filesize,
        "width": upload.width,
        "height": upload.height,
        "thumbnail_width": upload.width,
        "thumbnail_height": upload.height,
        "extension": upload.extension,
        "short_url": upload.short_url,
        "short_path": upload.short_path,
        "retain_hours": None,
        "human_filesize": _human_size(upload.filesize),
        "dominant_color": None,
        "sha1": upload.sha1,
    }


# `![alt|WxH](upload://base62.ext)` as the emulator's cook leaves it (HTML-escaped text).
_IMAGE_RE = re.compile(
    r"!\[(?P<alt>[^\]\n|]*)(?:\|(?P<w>\d+)x(?P<h>\d+)(?:, ?\d+%)?)?\]"
    r"\(upload://(?P<base62>[0-9A-Za-z]+)(?:\.(?P<ext>[A-Za-z0-9]+))?\)"
)


def resolve(cooked: str, uploads: Mapping[str, Upload]) -> str:
    """Cooked HTML with each `upload://` image drawn from its upload (or left pending)."""
    if "upload://" not in cooked:
        return cooked

    def image(match: re.Match[str]) -> str:
        alt = html.escape(html.unescape(match["alt"]), quote=True)
        size = f' width="{match["w"]}" height="{match["h"]}"' if match["w"] else ""
        upload = uploads.get(rules.sha1_from_base62(match["base62"]))
        if upload is None:
            short = f"upload://{match['base62']}" + (f".{match['ext']}" if match["ext"] else "")
            return f'<img src="/images/transparent.png" data-orig-src="{short}" alt="{alt}"{size}>'
        return f'<img src="{upload.url}" alt="{alt}" data-base62-sha1="{match["base62"]}"{size}>'

    return _IMAGE_RE.sub(image, cooked)
