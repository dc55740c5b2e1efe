"""Issue 14 item 4: what an author writes can never mention anyone, break the post's layout,
inject HTML or open a BBCode tag, checked against markdown-it (the parser Discourse's own
renderer is built on; markdown-it-py is its Python port) and Discourse's rules as its source
states them:
- mentions: features/text-post-process.js runs `@(\\w[\\w.-]{0,58}\\w)|@(\\w)` (features/
  mentions.js) over each text token and keeps a match whose neighbours are whitespace or
  punctuation (`isWhiteSpace` / `isPunctChar`, "_" being punctuation);
- BBCode: features/bbcode-inline.js reads a tag at an unescaped `[` the inline parser reaches
  (left as text by markdown-it's own rules); features/bbcode-block.js reads one at the start of
  a block when the rest of the line is blank or ends with the raw closing tag.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.common.utils import isPunctChar, isWhiteSpace
from markdown_it.token import Token

from bridge.rules.discourse import is_valid_username
from bridge.settings import Settings, load_settings
from bridge.sync.render import block, inline, render_post

CONFIG = Path(__file__).resolve().parents[1] / "config" / "bridge.toml"
MD = MarkdownIt("commonmark")  # raw HTML on, as Discourse's parser sees it before sanitising
MD_ESCAPES_APART = MarkdownIt("commonmark").disable("text_join")
DISCOURSE_MENTION = re.compile(r"@(\w[\w.-]{0,58}\w)|@(\w)")
BBCODE_TAG = re.compile(r"\[/?[A-Za-z]")
CONTAINERS = re.compile(r"^[ \t]*(?:(?:>|[-+*](?=[ \t])|\d{1,9}[.)](?=[ \t]))[ \t]*)*")


def _boundary(text: str, index: int) -> bool:
    if index < 0 or index >= len(text):
        return True
    return isWhiteSpace(ord(text[index])) or isPunctChar(text[index])


def _texts(tokens: list[Token]) -> list[Token]:
    """Text tokens Discourse's text post-processing sees (link and code contents excluded)."""
    found: list[Token] = []
    for token in tokens:
        depth = 0
        for child in token.children or []:
            if child.type == "link_open":
                depth += 1
            elif child.type == "link_close":
                depth -= 1
            elif child.type in ("text", "text_special") and depth == 0:
                found.append(child)
    return found


def mentions(markdown: str) -> list[str]:
    found = []
    for token in _texts(MD.parse(markdown)):
        text = token.content
        for match in DISCOURSE_MENTION.finditer(text):
            if _boundary(text, match.start() - 1) and _boundary(text, match.end()):
                found.append(match.group(0))
    return found


def html(markdown: str) -> list[str]:
    tokens = MD.parse(markdown)
    every = tokens + [c for t in tokens for c in t.children or []]
    return [t.content for t in every if t.type in ("html_block", "html_inline")]


def live_bbcode(markdown: str) -> list[str]:
    """Unescaped tag openings: inline ones in plain text tokens, block ones at a line start."""
    found = [
        t.content
        for t in _texts(MD_ESCAPES_APART.parse(markdown))
        if t.type == "text" and BBCODE_TAG.search(t.content)
    ]
    in_fence = False
    for line in markdown.split("\n"):
        if re.match(r"^ {0,3}(`{3,}|~{3,})", line):
            in_fence = not in_fence
        rest = line[CONTAINERS.match(line).end() :]  # type: ignore[union-attr]
        if in_fence or not re.match(r"\[[A-Za-z]+[^\]]*\]", rest):
            continue
        after = rest[rest.index("]") + 1 :]
        if not after.strip() or re.search(r"\[/[A-Za-z]+\]\s*$", after):
            found.append(line)
    return found


def layout_breaks(markdown: str) -> list[str]:
    """Headings or rules made by the text, or a following heading it swallowed."""
    tokens = MD.parse(markdown)
    made = [t.type for t in tokens if t.type in ("heading_open", "hr")]
    after = MD.parse(markdown + "\n\n## Següent")
    tail = [t for t in after if t.type == "heading_open"]
    if not tail or tail[-1].level != 0 or after[after.index(tail[-1]) + 1].content != "Següent":
        made.append("swallowed the next section")
    return made


def assert_safe(markdown: str) -> None:
    assert mentions(markdown) == [], markdown
    assert html(markdown) == [], markdown
    assert live_bbcode(markdown) == [], markdown


# --------------------------------------------------------------------------- the reported cases


@pytest.mark.parametrize(
    "text",
    [
        "_@admin_",
        "foo_@staff",
        "**x**@admins",
        "(@moderators)",
        "&#64;staff",
        "\\\\&#64;staff",
        "\\@staff",
        "@@x",
    ],
)
def test_no_mention_by_any_spelling(text: str) -> None:
    assert mentions(text), f"the oracle must see a mention in {text!r}"
    assert mentions(block(text)) == [] and mentions(inline(text)) == []


def test_an_email_address_stays_as_written() -> None:
    assert block("escriu a pere.vila@vic.cat") == "escriu a pere.vila@vic.cat"


@pytest.mark.parametrize(
    "text",
    [
        "[b]x[/b]",
        "[calendar]\n[/calendar]",
        "[event start=x]\n[/event]",
        "[date=2026-01-01]",
        "[quote](x) [/quote]",
        "- [details=a]\n  x\n  [/details]",
        "a [img](x [/img]",
    ],
)
def test_no_live_bbcode(text: str) -> None:
    assert live_bbcode(text), f"the oracle must see a tag in {text!r}"
    assert live_bbcode(block(text)) == []


def test_an_escaped_ampersand_stays_one_escaped_ampersand() -> None:
    # Was "\\\\&#64;staff": an escaped backslash, then a live reference to "@".
    assert block("\\&#64;staff") == "\\&#64;staff"
    assert mentions(block("\\&#64;staff")) == []


def test_an_escaped_bracket_stays_one_escaped_bracket() -> None:
    # Was "\\\\[b]": an escaped backslash, then a live tag.
    assert block("\\[b]negreta\\[/b]") == "\\[b]negreta\\[/b]"
    assert live_bbcode(block("\\[b]negreta\\[/b]")) == []


def test_links_stay_links() -> None:
    text = '[Web de l\'ajuntament](https://vic.cat/a_b) i [fitxa](https://x.cat "títol")'
    assert block(text) == text
    assert block("- [web](https://vic.cat)") == "- [web](https://vic.cat)"


@pytest.mark.parametrize(
    "text",
    [
        "- ## x",
        "> ## x",
        "> - # y",
        "1. ## x",
        "> ---",
        "- x\n  ===",
        "- x\n    ===",
        "- x\n    ## y",
        "- * * *",
        ">## x",
    ],
)
def test_no_heading_inside_lists_or_quotes(text: str) -> None:
    assert layout_breaks(text), f"the oracle must see a break in {text!r}"
    assert layout_breaks(block(text)) == []


@pytest.fixture(scope="module")
def cfg() -> Settings:
    return load_settings(CONFIG)


@pytest.mark.parametrize("group", ["staff", "admins", "moderators", "trust_level_0", "everyone"])
def test_a_forum_username_is_a_profile_link_never_a_mention(cfg: Settings, group: str) -> None:
    record = {
        "ref": "vic-wifi",
        "title": "Wifi",
        "local_body": {"name": "Ajuntament de Vic", "country": "ES"},
        "contacts": [{"name": "Pere", "forum_username": group, "public": True}],
        "description": "Wifi gratuït.",
        "area": "citizen-care",
        "kind": "service",
        "phase": "pilot",
    }
    raw = render_post(record, proximity="km0", settings=cfg)
    assert f"(/u/{group})" in raw
    assert mentions(raw) == []


def test_one_username_rule_from_discourse() -> None:
    # core app/models/username_validator.rb: allowed characters, first and last character,
    # no repeated specials, no confusing suffix; Unicode letters where the site allows them.
    assert all(
        is_valid_username(n) for n in ("pere", "Pere.Vila", "_joan", "àlex", "trust_level_0")
    )
    assert not any(
        is_valid_username(n) for n in ("joan_", "a..b", "bad name!", "x.json", "ab\u3164", "@x", "")
    )


# --------------------------------------------------------------------------- the property

PIECES = st.sampled_from(
    [
        "@", "_", "*", "-", "#", ">", "=", "`", "~", "[", "]", "/", "\\", "<", "&", ";", "(", ")",
        " ", "  ", "    ", "\n", "\n\n", "a", "Z", "é", "9", ".", ":",
        "@staff", "@admins", "[b]", "[/b]", "[quote]", "[/quote]", "[calendar]", "[img]",
        "&#64;", "&commat;", "&#91;", "\\&#64;", "- ", "> ", "1. ", "```", "~~~", "\\[", "## ",
        "===",
        "---", "<!--", "<b>", "[x](http://a.b)", "pere@vic.cat", "_@", "**",
    ]
)  # fmt: skip
TEXTS = st.lists(PIECES, max_size=40).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_free_text_is_always_inert(text: str) -> None:
    out = block(text)
    assert_safe(out)
    assert layout_breaks(out) == []


@settings(max_examples=200, deadline=None)
@given(TEXTS)
def test_short_fields_are_always_inert(text: str) -> None:
    out = f"- **Nom** · {inline(text)}"  # as render_post writes a contact
    assert_safe(out)
    assert [t.type for t in MD.parse(out) if t.type in ("heading_open", "hr")] == []


FIELD = TEXTS.filter(lambda t: bool(t.strip()))


@st.composite
def hostile_records(draw: st.DrawFn) -> dict[str, object]:
    """A record whose every text field, short or free, is drawn from TEXTS."""
    return {
        "ref": "vic-wifi",
        "title": draw(FIELD),
        "local_body": {
            "name": draw(FIELD),
            "kind": draw(FIELD),
            "region": "ES-CT",
            "country": "ES",
        },
        "contacts": [
            {
                "name": draw(FIELD),
                "role": draw(FIELD),
                "email": draw(FIELD),
                "phone": draw(FIELD),
                "forum_username": draw(st.sampled_from(["staff", "pere", "a..b", "x_@y"])),
                "public": True,
            }
        ],
        "description": draw(FIELD),
        "value": draw(FIELD),
        "savings": draw(FIELD),
        "analysis": {"barriers": draw(FIELD), "benefits": draw(FIELD), "technology": draw(FIELD)},
        "area": "citizen-care",
        "kind": "service",
        "phase": "pilot",
        "documents": [{"kind": "demo", "title": draw(FIELD), "url": draw(FIELD)}],
    }


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_records())
def test_a_whole_post_keeps_its_layout_whatever_the_record(record: dict[str, object]) -> None:
    cfg = load_settings(CONFIG)
    raw = render_post(record, proximity="km0", settings=cfg)
    assert_safe(raw)
    tokens = MD.parse(raw)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings == [
        cfg.label(key)
        for key in (
            "local_body",
            "contacts",
            "description",
            "value",
            "savings",
            "analysis",
            "barriers",
            "benefits",
            "technology",
            "phase",
            "documents",
        )
    ]
    assert [t.type for t in tokens if t.type == "hr"] == ["hr"]  # the footer's rule only
