"""Pure facts about Discourse that both the emulator and the sync engine rely on.

Every constant and function names its source: a section of ../shared/discourse/API-NOTES.md
("notes §N") and, where the notes only summarise, the core file it was read from
(discourse/discourse, read through the code index). Nothing here does I/O.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

# --------------------------------------------------------------------------- limits (notes §8)

MIN_TITLE_LENGTH = 15  # notes §8 min_topic_title_length
MAX_TITLE_LENGTH = 255  # notes §8 max_topic_title_length
MIN_FIRST_POST_LENGTH = 20  # notes §8 min_first_post_length
MIN_POST_LENGTH = 20  # notes §8 min_post_length
MAX_POST_LENGTH = 32000  # notes §8 max_post_length
TITLE_MIN_ENTROPY = 10  # notes §8 title_min_entropy
BODY_MIN_ENTROPY = 7  # notes §8 body_min_entropy
TITLE_MAX_WORD_LENGTH = 30  # notes §8 title_max_word_length
MAX_TAGS_PER_TOPIC = 5  # notes §7 / §8 max_tags_per_topic
MAX_TAG_LENGTH = 20  # notes §7 / §8 max_tag_length
EXTERNAL_ID_MAX_LENGTH = (
    50  # notes §3 external_id (core app/models/topic.rb EXTERNAL_ID_MAX_LENGTH)
)
# notes §3: `\A[\w-]+\z`; Ruby's \w is ASCII-only, hence the explicit class.
EXTERNAL_ID_RE = re.compile(r"[A-Za-z0-9_-]+")
# notes §3: API creates are memoized for 120 s (posts_controller.rb DistributedMemoizer).
CREATE_MEMO_SECONDS = 120
# notes §11: topic lists have per_page 30.
TOPIC_LIST_PER_PAGE = 30
# notes §9: max_admin_api_reqs_per_minute.
ADMIN_API_REQS_PER_MINUTE = 60

# core lib/text_sentinel.rb ENTROPY_SCALE: when the minimum length is below the configured
# entropy, the entropy requirement becomes length * 0.7 (not the case with the defaults above).
_ENTROPY_SCALE = 0.7

# --------------------------------------------------------------------------- error messages
# Rails' en messages with Discourse's attribute names: the topic title is "Title", the post raw
# is "Body". Source: core spec/requests/topics_controller_spec.rb expects
# "Body is too short (minimum is 5 characters) and Body seems unclear, is it a complete sentence?";
# notes §8 quotes "Title is too short …", "Title seems unclear …", "Title has already been used".
TITLE_BLANK = "Title can't be blank"
TITLE_TOO_SHORT = "Title is too short (minimum is {count} characters)"
TITLE_TOO_LONG = "Title is too long (maximum is {count} characters)"
TITLE_UNCLEAR = "Title seems unclear, is it a complete sentence?"
TITLE_TAKEN = "Title has already been used"  # notes §3 / §8
BODY_BLANK = "Body can't be blank"
BODY_TOO_SHORT = "Body is too short (minimum is {count} characters)"
# core StrippedLengthValidator: I18n "errors.messages.too_long_validation" (server.en.yml:
# "is limited to %{count} characters; you entered %{length}."), not Rails' "is too long".
BODY_TOO_LONG = "Body is limited to {count} characters; you entered {length}."
BODY_UNCLEAR = "Body seems unclear, is it a complete sentence?"
CATEGORY_BLANK = "Category can't be blank"  # notes §3 (allow_uncategorized_topics=false)


# --------------------------------------------------------------------------- tags (notes §7)

# core lib/discourse_tagging.rb TAGS_FILTER_REGEXP: / ? # [ ] @ ! $ & ' ( ) * + , ; = . % \ ` ^ | {
# } " < >
# and whitespace.
_TAGS_FILTER_RE = re.compile(r"""[/?#\[\]@!$&'()*+,;=.%\\`^\s|{}"<>]+""")
# Ruby (Onigmo) POSIX [[:punct:]] on Unicode strings also matches these ASCII symbols.
_ASCII_SYMBOLS_IN_PUNCT = frozenset("$+<=>^`|~")


def _is_word_or_punct(ch: str) -> bool:
    """[[:word:][:punct:]] as Onigmo evaluates it on a UTF-8 string: letters, marks, decimal
    digits, letter numbers, connector punctuation, any punctuation, and the ASCII symbols above."""
    if ch in _ASCII_SYMBOLS_IN_PUNCT:
        return True
    cat = unicodedata.category(ch)
    return cat[0] in ("L", "M", "P") or cat in ("Nd", "Nl")


def clean_tag(name: str) -> str:
    """DiscourseTagging.clean_tag (notes §7; core lib/discourse_tagging.rb): lowercase
    (force_lowercase_tags), strip, whitespace runs → '-', drop chars that are neither word nor
    punctuation, drop the filtered punctuation, THEN squeeze '-' (so "R & D" → "r-d": the '&'
    goes first and the two dashes around it become one), truncate to max_tag_length."""
    tag = name.lower().strip()
    tag = re.sub(r"\s+", "-", tag)
    tag = "".join(ch for ch in tag if _is_word_or_punct(ch))
    tag = _TAGS_FILTER_RE.sub("", tag)
    tag = re.sub(r"-{2,}", "-", tag)
    return tag[:MAX_TAG_LENGTH]


def tags_for_saving(
    names: list[str], existing: Iterable[str] | None = None, *, can_create: bool = True
) -> list[str]:
    """DiscourseTagging.tags_for_saving (notes §7; core lib/discourse_tagging.rb):
    `Tag.where_name(tags_arg)` (names given that already exist, matched case-insensitively, in
    the forum's order) come first; a user who may create tags (staff) then gets the others
    cleaned, blanks and duplicates dropped; silently cut to max_tags_per_topic. A user who may
    not create tags keeps only the existing ones. `existing` None means "assume none exist"."""
    given = {n.lower() for n in names}
    known = [t for t in (existing or ()) if t.lower() in given]
    tags = list(known)
    if can_create:
        for raw in names:
            if raw in known:
                continue  # core: `tags_arg - tag_names` (exact match) before cleaning
            tag = clean_tag(raw)
            if tag and tag not in tags:
                tags.append(tag)
    return tags[:MAX_TAGS_PER_TOPIC]


# --------------------------------------------------------------------------- titles (notes §8)

# core lib/text_cleaner.rb normalize_whitespaces: these become a plain space.
_UNICODE_SPACES_RE = re.compile("[\u00a0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
# Ruby's \s is ASCII whitespace only; Python's is Unicode, so spell Ruby's out.
_RUBY_WS = " \t\n\v\f\r"
_RUBY_STRIP = _RUBY_WS + "\x00"


def stored_raw(raw: str) -> str:
    """A post's raw as Discourse stores it, on create and on edit: unicode spaces normalised,
    trailing whitespace stripped (core lib/post_creator.rb and lib/post_revisor.rb
    `cleanup_whitespaces`: `TextCleaner.normalize_whitespaces(raw).rstrip`)."""
    return _UNICODE_SPACES_RE.sub(" ", raw).rstrip()


def prettify_title(title: str) -> str:
    """TextCleaner.clean_title with title_prettify on, allow_uppercase_posts off, locale en
    (notes §8; core lib/text_cleaner.rb). Steps in core's order."""
    text = title
    text = re.sub(r"!+", "!", text)  # deduplicate_exclamation_marks
    text = re.sub(r"\?+", "?", text)  # deduplicate_question_marks
    if text == text.upper():  # replace_all_upper_case (mb_chars: Unicode-aware)
        text = text.lower()
    # capitalize_first_letter: Ruby's split(' ', 2) is awk-style (skips leading whitespace,
    # then splits on the first whitespace run); the text is rebuilt from the two parts.
    parts = re.split(f"[{_RUBY_WS}]+", text.lstrip(_RUBY_WS), maxsplit=1)
    first = parts[0]
    if first and first == first.lower():
        rest = parts[1] if len(parts) > 1 else None
        text = first[:1].upper() + first[1:] + (" " + rest if rest is not None else "")
    # remove_all_periods_from_the_end: ([^.])\.+(\s*)\z → \1\2
    text = re.sub(rf"([^.])\.+([{_RUBY_WS}]*)\Z", r"\1\2", text, count=1)
    # remove_extraneous_space (locale en): \s+([!?]\s*)\z → \1
    text = re.sub(rf"[{_RUBY_WS}]+([!?][{_RUBY_WS}]*)\Z", r"\1", text, count=1)
    text = re.sub(r" +", " ", text)  # fixes_interior_spaces
    text = _UNICODE_SPACES_RE.sub(" ", text)  # normalize_whitespaces
    text = text.strip(_RUBY_STRIP)  # strip_whitespaces
    return text.replace("\u200b", "")  # strip_zero_width_spaces


# --------------------------------------------------------------------------- raw and tags as stored
# (stored_raw, the raw Discourse keeps, is defined with the titles above)


def body_fingerprint(raw: str) -> str:
    """Fingerprint of a first post, equal for what we sent and what Discourse stored from it."""
    return hashlib.sha256(stored_raw(raw).encode("utf-8")).hexdigest()


def tag_names(tags: list[Any] | None) -> tuple[str, ...] | None:
    """Tags as names, whether Discourse sent strings (older) or objects {id, name, slug}
    (current)."""
    if tags is None:
        return None
    return tuple(t["name"] if isinstance(t, dict) else str(t) for t in tags)


def entropy(text: str) -> int:
    """TextSentinel#entropy (notes §8; core lib/text_sentinel.rb): the number of distinct bytes
    of the stripped UTF-8 text."""
    return len(set(text.strip(_RUBY_STRIP).encode("utf-8")))


def _sentinel_valid(text: str, min_entropy: int, max_word_length: int | None) -> bool:
    """TextSentinel#valid? (core lib/text_sentinel.rb) with allow_uppercase_posts off."""
    if not text.strip():
        return False
    if entropy(text) < min_entropy:  # seems_meaningful?
        return False
    if not any(ch.isalnum() for ch in text):  # seems_pronounceable?: /\p{Alnum}/
        return False
    if max_word_length is not None:  # seems_unpretentious?: no \p{Alnum}{max+1,}
        run = 0
        for ch in text:
            run = run + 1 if ch.isalnum() else 0
            if run > max_word_length:
                return False
    # seems_quiet?: at least one lowercase or "other" letter, or no letters at all.
    cats = [unicodedata.category(ch) for ch in text]
    has_letter = any(c.startswith("L") for c in cats)
    return not has_letter or any(c in ("Ll", "Lo") for c in cats)


def _length_problems(
    value: str, low: int, high: int, blank: str, short: str, long: str
) -> list[str]:
    """StrippedLengthValidator (core lib/validators/stripped_length_validator.rb): blank, else the
    stripped length against the range."""
    stripped = value.strip()
    if not stripped:
        return [blank]
    problems = []
    if len(stripped) < low:
        problems.append(short.format(count=low))
    if len(stripped) > high:
        problems.append(long.format(count=high))
    return problems


def _sanitized_for_length(value: str) -> str:
    """StrippedLengthValidator.get_sanitized_value: HTML comments dropped, an emoji counts as one
    character, runs of dots become one ellipsis and runs of commas one comma, then stripped."""
    value = re.sub(r"<!--(.*?)-->", "", value, flags=re.DOTALL)
    value = re.sub(r":\w+(:\w+)?:", "X", value)
    value = re.sub(r"\.{2,}", "…", value)
    value = re.sub(r",{2,}", ",", value)
    return value.strip(_RUBY_STRIP)


def _stripped_length_problems(value: str, low: int, high: int) -> list[str]:
    """core lib/validators/stripped_length_validator.rb as the post validator uses it: blank;
    else too long on the whole value (with the length entered); else too short on the
    sanitized value."""
    if not value.strip():
        return [BODY_BLANK]
    if len(value) > high:
        return [BODY_TOO_LONG.format(count=high, length=len(value))]
    if len(_sanitized_for_length(value)) < low:
        return [BODY_TOO_SHORT.format(count=low)]
    return []


def title_problems(title: str) -> list[str]:
    """Why Discourse would refuse this title on create, as its en error strings; [] when valid.
    The title is prettified before validation (core app/models/topic.rb before_validation), so
    it is checked after prettify_title. Duplicates need the forum's state: see TITLE_TAKEN."""
    cleaned = prettify_title(title or "")
    if not cleaned.strip():
        # presence, length and quality validators all fire on a blank title: a real response
        # quoted in a client's source reads {"action":"create_post","errors":["Title can't be
        # blank","Title is too short (minimum is 1 character)","Title seems unclear, …"]}.
        return [TITLE_BLANK, TITLE_TOO_SHORT.format(count=MIN_TITLE_LENGTH), TITLE_UNCLEAR]
    problems = _length_problems(
        cleaned, MIN_TITLE_LENGTH, MAX_TITLE_LENGTH, TITLE_BLANK, TITLE_TOO_SHORT, TITLE_TOO_LONG
    )
    # text_sentinel.rb title_sentinel: min_topic_title_length (15) > title_min_entropy (10) → 10.
    min_entropy = (
        TITLE_MIN_ENTROPY
        if MIN_TITLE_LENGTH > TITLE_MIN_ENTROPY
        else int(MIN_TITLE_LENGTH * _ENTROPY_SCALE)
    )
    if cleaned.strip() and not _sentinel_valid(cleaned, min_entropy, TITLE_MAX_WORD_LENGTH):
        problems.append(TITLE_UNCLEAR)
    return problems


def body_problems(raw: str, first_post: bool = True) -> list[str]:
    """Why Discourse would refuse this post body, as its en error strings; [] when valid
    (notes §8; core lib/validators/post_validator.rb stripped_length + raw_quality)."""
    raw = raw or ""
    low = MIN_FIRST_POST_LENGTH if first_post else MIN_POST_LENGTH
    problems = _stripped_length_problems(raw, low, MAX_POST_LENGTH)
    # text_sentinel.rb body_sentinel: body_min_entropy (7) ≤ min_post_length (20) → 7.
    min_entropy = (
        BODY_MIN_ENTROPY
        if BODY_MIN_ENTROPY <= MIN_POST_LENGTH
        else int(MIN_POST_LENGTH * _ENTROPY_SCALE)
    )
    if raw.strip() and not _sentinel_valid(raw, min_entropy, None):
        problems.append(BODY_UNCLEAR)
    return problems


# --------------------------------------------------------------------------- external ids (notes
# §3)


def is_valid_external_id(value: str) -> bool:
    """At most 50 characters of [A-Za-z0-9_-], at least one (notes §3)."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= EXTERNAL_ID_MAX_LENGTH
        and EXTERNAL_ID_RE.fullmatch(value) is not None
    )


# --------------------------------------------------------------------------- usernames

# core app/models/username_validator.rb (UsernameValidator). Site settings decide the length
# (min_username_length, max_username_length) and whether Unicode letters are allowed
# (unicode_usernames); MAX_CHARS caps the length whatever they say. We accept what a site with
# unicode_usernames on accepts: a name the forum cannot have is harmless, because a contact's
# account is rendered as a link to its profile (/u/NAME), never as a mention.
USERNAME_MAX_CHARS = 60
# UNICODE_INVALID_CHAR_PATTERN's explicit exclusions: fillers and variation selectors that would
# make two names look alike.
_USERNAME_INVISIBLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u3164\uffa0"
) | frozenset(chr(c) for c in range(0xFE00, 0xFE10))
_USERNAME_SPECIAL = frozenset("._-")
# CONFUSING_EXTENSIONS: a name must not look like a file.
_USERNAME_CONFUSING_SUFFIX = re.compile(
    r"\.(js|json|css|htm|html|xml|jpg|jpeg|png|gif|bmp|ico|tif|tiff|woff)\Z", re.IGNORECASE
)


def _username_alnum_or_mark(ch: str) -> bool:
    """Onigmo's \\p{Alnum} (alphabetic or decimal digit) or \\p{M} (a mark)."""
    cat = unicodedata.category(ch)
    return cat[0] in ("L", "M") or cat in ("Nd", "Nl")


def is_valid_username(name: str) -> bool:
    """UsernameValidator#valid_format? with unicode_usernames on and the length only capped at
    MAX_CHARS: allowed characters (letters, digits, marks, '.', '_', '-'), first character
    alphanumeric, a mark or '_', last alphanumeric or a mark, no two of '._-' in a row, no
    confusing file suffix. Validated after NFC normalisation, as core does."""
    if not isinstance(name, str):
        return False
    name = unicodedata.normalize("NFC", name)
    if not 0 < len(name) <= USERNAME_MAX_CHARS:
        return False
    if not all(
        (_username_alnum_or_mark(ch) or ch in _USERNAME_SPECIAL or ch == "_")
        and ch not in _USERNAME_INVISIBLE
        and not 0xE0100 <= ord(ch) <= 0xE01EF
        for ch in name
    ):
        return False
    if not (_username_alnum_or_mark(name[0]) or name[0] == "_"):
        return False
    if not _username_alnum_or_mark(name[-1]):
        return False
    if re.search(r"[-_.]{2,}", name):
        return False
    return _USERNAME_CONFUSING_SUFFIX.search(name) is None


# --------------------------------------------------------------------------- mentions

# What starts a mention in a post (core app/assets/javascripts/discourse-markdown-it/src/
# features/mentions.js, with mentionRegex from pretty-text/mentions): `@` then a word character
# (`@(\w[\w.-]{0,58}\w)|@(\w)`, Unicode letters too when unicode_usernames is on). The rule runs
# on the text of the parsed post (features/text-post-process.js), and a match counts only when
# the character before it is whitespace or punctuation, or there is none (the start of a text
# token, e.g. right after emphasis or a line break). Punctuation there is markdown-it's
# isPunctChar: ASCII punctuation, "_" included, and Unicode P* categories. So "foo_@staff" and
# "_@admin_" mention, while "pere@vic.cat" (a letter before "@") does not.
MENTION_START = re.compile(r"@(?=\w)")


def mention_boundary(before: str) -> bool:
    """True when a mention may start after the character `before` ("" at the start of a text):
    anything but a letter, a mark or a digit (whitespace, punctuation, and, as markdown-it 14
    counts them, symbols; control and format characters too, to be safe)."""
    if not before:
        return True
    return unicodedata.category(before)[0] not in ("L", "M", "N")


# --------------------------------------------------------------------------- oneboxes (issue 27)
#
# When Discourse reaches out to another site because of a post's raw (core, read through the
# code index):
# - app/assets/javascripts/discourse-markdown-it/src/features/onebox.js `applyOnebox` (run after
#   markdown-it's linkify): only a link token with `markup === "linkify"` and `info === "auto"`,
#   i.e. a *bare* URL that linkify found in the text, whose href starts with `http` or `//`, is
#   considered. Alone in a top-level paragraph (nothing before it but a line break, nothing after
#   it but a line break) it gets class `onebox`; elsewhere, when it has a path (`isTopLevel` is
#   false), class `inline-onebox-loading`. An explicit Markdown link `[text](url)` (markup "")
#   and an autolink `<url>` (markup "autolink") are never oneboxed.
# - lib/oneboxer.rb `each_onebox_link` and lib/cooked_post_processor.rb (post_process_oneboxes,
#   inline oneboxes): the server fetches exactly the links carrying those classes (`a.onebox`,
#   `.inline-onebox-loading`) to build the preview or the title.
# - discourse-markdown-it/src/engine.js: the fuzzy links linkify finds without a scheme
#   ("evil.com/x") depend on the site setting `markdown_linkify_tlds` (`engine.linkify.tlds(…)`),
#   which each forum sets; `bare_links` therefore finds a superset: linkify-it's own defaults
#   (every two-letter country code included) plus the TLDs below.
# - engine.js `renderImageOrPlayableMedia`: `![alt](src)` becomes an <img> the reader's browser
#   loads from `src` (and which the forum may download: `download_remote_images_to_local`).
# So the renderer writes every bare URL of free text as an explicit link, never a bare one, and
# an image of another host as a link with its alt text (bridge.sync.render).
LINKIFY_EXTRA_TLDS = (
    "com", "net", "org", "io", "onion", "co", "tv", "ru", "cn", "us", "uk", "me", "de", "fr",
    "fi", "gov", "dev", "app", "do", "cat", "eus", "gal", "barcelona", "info", "eu",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class BareLink:
    """A URL that markdown-it's linkify would turn into a link (and Discourse could onebox)."""

    start: int
    end: int
    text: str
    url: str  # as linkify normalises it: "evil.com/x" → "http://evil.com/x"


@cache
def _linkify() -> Any:
    from linkify_it import LinkifyIt

    return LinkifyIt().tlds(list(LINKIFY_EXTRA_TLDS), True)


# markdown-it ≥ 13's inline linkify rule (lib/rules_inline/linkify.mjs, in the markdown-it
# Discourse bundles): at each "://", the scheme written just before it, then linkify's
# matchAtStart from there, whatever precedes the scheme (`@https://…` is a link).
_SCHEME_BEFORE = re.compile(r"(?:^|[^a-z0-9.+-])([a-z][a-z0-9.+-]*)$", re.IGNORECASE)


def bare_links(text: str) -> list[BareLink]:
    """The web links markdown-it's linkify would find in `text`, by its core rule (linkify-it
    over the text) and its inline rule (at each "://"); e-mail addresses and other schemes left
    out: the onebox rule only takes hrefs starting with `http` or `//`."""
    if "." not in text and "//" not in text:
        return []
    linkify = _linkify()
    candidates: list[BareLink] = []
    position = text.find("://")
    while position != -1:
        scheme = _SCHEME_BEFORE.search(text[:position])
        if scheme:
            start = position - len(scheme.group(1))
            match = linkify.match_at_start(text[start:])
            if match is not None:
                candidates.append(BareLink(start, start + match.last_index, match.raw, match.url))
        position = text.find("://", position + 3)
    candidates += [BareLink(m.index, m.last_index, m.raw, m.url) for m in linkify.match(text) or []]
    found: list[BareLink] = []
    for link in sorted(candidates, key=lambda c: (c.start, -c.end)):
        if found and link.start < found[-1].end:
            continue  # overlaps one found already
        if re.match(r"^(?:https?:)?//", link.url, re.IGNORECASE):
            found.append(link)
    return found


def is_url_text(text: str) -> bool:
    """True when a link's text is itself a web address (all of it)."""
    stripped = text.strip()
    links = bare_links(stripped)
    return len(links) == 1 and links[0].start == 0 and links[0].end == len(stripped)


# --------------------------------------------------------------------------- uploads (issue 24)
# core config/site_settings.yml, `files:`: max_image_size_kb 4096, max_attachment_size_kb 4096,
# authorized_extensions "jpg|jpeg|png|gif|heic|heif|webp" (SVG is not among them), and posts
# show an image at most max_image_width 690 × max_image_height 500 px.
MAX_IMAGE_SIZE_KB = 4096
MAX_ATTACHMENT_SIZE_KB = 4096
AUTHORIZED_EXTENSIONS = ("jpg", "jpeg", "png", "gif", "heic", "heif", "webp")
IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "gif", "heic", "heif", "webp", "avif", "svg")
MAX_IMAGE_WIDTH = 690
MAX_IMAGE_HEIGHT = 500
# core lib/base62.rb (a modified base62-rb): KEYS "0-9a-z A-Z".
_BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def base62_sha1(sha1: str) -> str:
    """core app/models/upload.rb `Upload.base62_sha1(sha1)`: `Base62.encode(sha1.hex)`."""
    number = int(sha1, 16)
    if number == 0:
        return "0"
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(_BASE62[rest])
    return "".join(reversed(digits))


def sha1_from_base62(text: str) -> str:
    """core Upload.sha1_from_base62_encoded: the 40-hex-digit SHA-1 back from its base62."""
    number = 0
    for ch in text:
        number = number * 62 + _BASE62.index(ch)
    return f"{number:040x}"


def upload_short_url(sha1: str, extension: str) -> str:
    """core Upload#short_url: `upload://#{base62_sha1}.#{extension}` (no dot without one)."""
    return f"upload://{base62_sha1(sha1)}" + (f".{extension}" if extension else "")


def parse_time(value: str | None) -> datetime | None:
    """A time as Discourse's JSON gives it (ISO 8601, `Z` for UTC); None when absent."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
