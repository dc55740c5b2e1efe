"""Free text never makes the forum reach out (issue 27 point 2): checked against markdown-it with
linkify on, as Discourse runs it (discourse-markdown-it engine.js, features/onebox.js: only a
link token with markup "linkify" is ever oneboxed; an <img> is loaded from its source)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token
from plugins.catalogue import make_record

from bridge.rules.discourse import bare_links, is_url_text
from bridge.settings import load_settings
from bridge.sync.render import block, inline, render_post

FORUM = "forum.example.cat"


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"linkify": True}).enable(["linkify", "table"])


def _inline_tokens(markdown: str) -> list[Token]:
    found: list[Token] = []
    for token in _parser().parse(markdown):
        found.extend(token.children or [])
    return found


def _links(markdown: str) -> list[tuple[str, str, str]]:
    """(markup, href, text) of every link."""
    children = _inline_tokens(markdown)
    links = []
    for i, token in enumerate(children):
        if token.type == "link_open":
            text = children[i + 1].content if children[i + 1].type == "text" else ""
            links.append((token.markup, str(token.attrGet("href")), text))
    return links


def _images(markdown: str) -> list[str]:
    return [str(t.attrGet("src")) for t in _inline_tokens(markdown) if t.type == "image"]


def _own(src: str) -> bool:
    return (src.startswith("/") and not src.startswith("//")) or src.startswith(f"https://{FORUM}/")


def _reaches_out(markdown: str) -> list[str]:
    """What Discourse would fetch or make the reader's browser load from another host."""
    # features/onebox.js: only linkify's links whose href starts with `http` or `//`.
    problems = [
        f"bare {href}"
        for markup, href, _ in _links(markdown)
        if markup == "linkify" and href.startswith(("http", "//"))
    ]
    problems += [f"image {src}" for src in _images(markdown) if not _own(src)]
    return problems


CASES = [
    "https://evil.example.com/tracking-pixel",
    "Mireu-ho:\nhttps://evil.example.com/tracking-pixel\nGràcies.",
    "Un enllaç dins de text https://evil.example.com/a?b=c#d, i més.",
    "www.evil.example.com/path",
    "evil.com/x",
    "//evil.com/x",
    "- llista\n- https://evil.example.com/item",
    "> cita https://evil.example.com/q",
    "![img](https://evil.example.com/a.png)",
    '![img|500x300](https://evil.example.com/a.png "títol")',
    "![](//evil.example.com/a.png)",
    "Text ![logo](https://evil.example.com/l.png) enmig",
    "[![img](https://evil.example.com/a.png)](https://evil.example.com/b)",
]


@pytest.mark.parametrize("text", CASES)
def test_nothing_in_free_text_reaches_out(text: str) -> None:
    assert _reaches_out(text), "the case must reach out unrendered"
    assert _reaches_out(block(text, FORUM)) == []


def test_an_image_of_another_host_becomes_a_link_with_its_alt_text() -> None:
    rendered = block("![Esquema del servei](https://evil.example.com/a.png)", FORUM)
    assert _images(rendered) == []
    assert _links(rendered) == [("", "https://evil.example.com/a.png", "Esquema del servei")]
    own = f"![logo](https://{FORUM}/uploads/logo.png) i ![x](/uploads/x.png)"
    assert block(own, FORUM) == own  # the forum's own images stay images


def test_a_link_whose_text_is_another_address_shows_its_real_target() -> None:
    rendered = block("[https://www.bancsabadell.com](https://evil.example.com/phish)", FORUM)
    assert _links(rendered) == [
        ("", "https://evil.example.com/phish", "https://evil.example.com/phish")
    ]
    kept = "[Clica aquí](https://good.example.com/a) i [https://a.example](https://a.example/)"
    assert block(kept, FORUM) == kept


def test_code_and_mail_addresses_are_left_as_written() -> None:
    text = "`https://code.example.com/x` o escriviu a info@ajuntament.cat"
    assert block(text, FORUM) == text


def test_short_fields_get_explicit_links_too() -> None:
    rendered = inline("Ajuntament https://evil.example.com/x_y")
    assert _reaches_out(rendered) == []
    assert _links(rendered) == [
        ("", "https://evil.example.com/x_y", "https://evil.example.com/x_y")
    ]
    assert "[" not in inline("https://a.example/b", links=False)


def test_documents_keep_their_links_and_show_their_real_target() -> None:
    settings_ = load_settings()
    record: dict[str, Any] = make_record(3)
    record["description"] = "Vegeu https://evil.example.com/tracking-pixel"
    record["documents"] = [
        {"kind": "article", "title": "Memòria", "url": "https://ajuntament.example.cat/m.pdf"},
        {"kind": "other", "title": "https://good.example.com", "url": "https://evil.example.com/x"},
    ]
    post = render_post(record, proximity="km0", settings=settings_)
    assert _reaches_out(post) == []
    links = _links(post)
    assert ("", "https://ajuntament.example.cat/m.pdf", "Memòria") in links
    assert ("", "https://evil.example.com/x", "https://evil.example.com/x") in links
    assert all(text != "https://good.example.com" for _, _, text in links)


def test_the_rule_finds_what_linkify_finds() -> None:
    assert [link.url for link in bare_links("a evil.com/x b https://c.example/d")] == [
        "http://evil.com/x",
        "https://c.example/d",
    ]
    assert bare_links("anna@x.cat i v1.2") == []
    assert is_url_text(" https://a.example/b ") and not is_url_text("Web: https://a.example")


_PIECES = st.sampled_from(
    [
        "https://evil.example.com/p", "www.evil.com", "evil.com/x", "//evil.org/y",
        "![a](https://e.example/i.png)", "[https://x.example](https://y.example)",
        "[t](https://ok.example)", "\n", " ", "text", "`code`",
        "- ", "> ", "# ", "**", "_", "(", ")", "[", "]", "!", "<", ">", ".", ",", "@", "|",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=14).map("".join))
def test_no_generated_text_reaches_out(text: str) -> None:
    assert _reaches_out(block(text, FORUM)) == []
    assert _reaches_out(inline(text)) == []
