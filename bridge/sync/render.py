r"""The first post of a record's topic: the only place Markdown is written.

Pure. Layout (headings in the forum's language, from `settings.label`):

    ## Ens local             (level 2: local body, then its public contacts)
    ### Persones de contacte
    ## Descripció            (level 3: description, value, savings)
    ### Valor … / ### Estalvis
    ## Anàlisi               (level 4: barriers, benefits, technology)
    ## Fase                  (level 5: phase, with area, kind and proximity)
    ## Documentació          (level 6: documents as links)
    ---
    *footer*                 (names the record; says the catalogue is where it is edited)

Level 1, the title, is the topic's title. Absent optional parts are left out, headings included.

Free text (description, value, savings, analysis) may use Markdown, but `block()` makes sure it
can never break that layout, mention anyone or inject HTML (tests/test_render_safety.py checks
it against markdown-it, the parser Discourse's renderer is built on):
- a line that would be a heading (`# …`), a setext underline (`===`, `---`) or a thematic break
  (`***`, `- - -`) gets a backslash in front, so it reads as the text it is; also after list and
  quote markers (`- ## x`, `> ## x`, `1. ---`), where CommonMark makes headings too;
- fenced code is allowed, but a fence left open is closed at the end of the field (an unclosed
  fence would swallow every heading after it), and fences are moved to column 0 so CommonMark and
  this code agree on where they end whatever list they were written in;
- `<` becomes `&lt;` everywhere outside fenced code, so there is no raw HTML, no HTML comment
  and no autolink trick (inside inline code spans this shows as "&lt;": a cosmetic cost accepted
  for a rule that cannot be fooled by how code spans pair up across lines); an author's own
  character reference (`&#64;`, `&commat;`, `&#91;`) gets a backslash and shows as written, never
  decoded into a live `@` or `[`;
- mentions follow Discourse's own rule (bridge.discourse_rules.mention_boundary): an `@` that
  Discourse could read as a mention, i.e. one not preceded by a letter, digit or mark ("_" is
  punctuation to Discourse, so `foo_@staff` and `_@admin_` count), gets a zero-width joiner
  (U+200D) after it. Discourse only mentions `@` followed by a name character, so `@alcaldia`
  shows as written but notifies nobody, and e-mail addresses are left alone. We chose the joiner
  over wrapping in backticks because it keeps the text looking as its author wrote it;
- BBCode: Discourse's plugins register tags under any name (`[quote]`, `[details]`, `[poll]`,
  `[calendar]`, `[event]`, `[date]`, `[wrap]`, …; core features/bbcode-inline.js and
  bbcode-block.js read `[` + letters wherever a rule for that name exists), so every `[` that
  starts a tag (`[name`, `[/name`) gets a backslash, whatever the name, unless it is escaped
  already (an author's `\[b]` stays one escaped bracket, not an escaped backslash and a live
  tag) or it opens a whole Markdown link (`[text](url)`), which markdown-it reads before any
  inline BBCode rule (at the start of a block, only when no `[/` follows on the line: the block
  rule reads the raw line, escapes included).
Short fields (names, roles, document titles) go through `inline()`, which escapes every Markdown
character and flattens them to one line. A contact's `forum_username` becomes a link to the
profile (`[name](/u/name)`), never an `@name`: the bridge posts as the system user, and a mention
of a group (`staff`, `admins`, `trust_level_0`) would notify every member. Whether a name is one
Discourse could have is decided by bridge.discourse_rules.is_valid_username (one rule, also used
by the catalogue's validator).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from bridge.catalogue.regions import CONTROL_CHARS_RE
from bridge.discourse_rules import is_valid_username, mention_boundary
from bridge.discovery.reasons import reason_text
from bridge.settings import Settings

if TYPE_CHECKING:
    from bridge.challenges.matching import Suggestion

ZWJ = "\u200d"

_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_BBCODE = re.compile(r"(?<!\\)((?:\\\\)*)\[(?=/?[A-Za-z])")
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]#|~>!{}&])")
# Container markers CommonMark allows before a block: quotes, bullets, ordered items.
_CONTAINER_MARKER = re.compile(r">|[-+*](?=[ \t])|\d{1,9}[.)](?=[ \t])")
_CONTAINERS = re.compile(r"^[ \t]*(?:(?:>|[-+*](?=[ \t])|\d{1,9}[.)](?=[ \t]))[ \t]*)+")
# What starts a heading or a rule once indentation and container markers are set aside.
_BLOCK_BREAK = re.compile(
    r"#{1,6}(?=[ \t]|$)|(?:=+|-+|(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})[ \t]*$"
)
# A character reference, which markdown-it decodes into the character it names.
# Preceded by an even number of backslashes (none included): an `&` escaped already stays.
_ENTITY = re.compile(
    r"(?<!\\)((?:\\\\)*)&(?=#[0-9]{1,7};|#[xX][0-9A-Fa-f]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)"
)
_MENTION_CANDIDATE = re.compile(r"@(?=[^\s@])")
# A whole inline link `[text](destination "title")`, as markdown-it reads one.
_LINK = re.compile(r'\[[^\[\]]*\]\((?:[^()\s]|\([^()\s]*\))*(?:[ \t]+"[^"]*")?\)')


# --------------------------------------------------------------------------- text safety


def _defuse_mentions(text: str) -> str:
    """A zero-width joiner after every `@` Discourse could read as a mention (module docstring)."""

    def joiner(match: re.Match[str]) -> str:
        start = match.start()
        before = match.string[start - 1] if start else ""
        return "@" + ZWJ if mention_boundary(before) else "@"

    return _MENTION_CANDIDATE.sub(joiner, text) if "@" in text else text


def _defuse_bbcode(line: str) -> str:
    """A backslash before every `[` that starts a tag, unless escaped already or a link."""
    if "[" not in line:
        return line
    prefix = _CONTAINERS.match(line)
    block_start = len(line) - len(line[prefix.end() if prefix else 0 :].lstrip(" \t"))

    def escape(match: re.Match[str]) -> str:
        backslashes = match.group(1)
        bracket = match.end() - 1
        # A complete inline link is parsed before any inline BBCode rule, so it stays a link.
        # Where a block starts, the block rule reads the raw line first: `[name](…)` becomes a
        # block there only with a closing `[/name]` (escaped or not) later on the line.
        link = _LINK.match(match.string, bracket)
        if link and (bracket != block_start or "[/" not in match.string[link.end() :]):
            return match.group(0)
        return backslashes + "\\["

    return _BBCODE.sub(escape, line)


def _neutral(line: str) -> str:
    """Outside code: no HTML, no decoded character reference, no mention, no BBCode tag."""
    line = _ENTITY.sub(r"\1\\&", line)
    line = line.replace("<", "&lt;")
    line = _defuse_mentions(line)
    return _defuse_bbcode(line)


def _defuse_blocks(line: str) -> str:
    """A backslash before a heading, setext underline or thematic break, wherever a block may
    start on the line: at its start, after any indentation (a list item's continuation lines are
    indented; in an indented code block the backslash is a cosmetic cost), or after each list or
    quote marker (`- ## x`, `> ---`, `- * * *`)."""
    position = 0
    while True:
        indent = len(line) - position - len(line[position:].lstrip(" \t"))
        start = position + indent
        rest = line[start:]
        if _BLOCK_BREAK.match(rest):
            return line[:start] + "\\" + rest
        marker = _CONTAINER_MARKER.match(line, start)
        if not marker:
            return line
        position = marker.end()


def block(text: str) -> str:
    """Free text as Markdown that stays inside its section (see the module docstring)."""
    lines = CONTROL_CHARS_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
    result: list[str] = []
    fence: tuple[str, int] | None = None  # (character, length) of the open fence
    for line in lines:
        if fence is not None:
            char, length = fence
            stripped = line.lstrip(" ")
            if len(line) - len(stripped) <= 3 and re.fullmatch(
                rf"{re.escape(char)}{{{length},}}[ \t]*", stripped
            ):
                result.append(stripped.rstrip())
                fence = None
            else:
                result.append(line)
            continue
        opened = _FENCE_OPEN.match(line)
        if opened and not (opened.group(1)[0] == "`" and "`" in opened.group(2)):
            marker = opened.group(1)
            fence = (marker[0], len(marker))
            # The info string is shown as a language hint: keep it free of HTML and mentions.
            result.append(marker + _neutral(opened.group(2)))
            continue
        result.append(_neutral(_defuse_blocks(line)))
    if fence is not None:
        result.append(fence[0] * fence[1])
    text = "\n".join(result).strip("\n")
    # Blank-line runs collapse to one: free text cannot push the layout apart either.
    return re.sub(r"\n{3,}", "\n\n", text)


def inline(text: Any) -> str:
    """A short field on one line with every Markdown character escaped."""
    flat = " ".join(CONTROL_CHARS_RE.sub("", str(text)).split())
    flat = _INLINE_SPECIAL.sub(r"\\\1", flat)
    flat = flat.replace("<", "&lt;")
    return _defuse_mentions(flat)


def _profile_link(username: str) -> str:
    """A contact's forum account as a link to its profile, never a mention (module docstring);
    a name Discourse could not have is shown as text."""
    if not is_valid_username(username):
        return inline(username)
    return f"[{inline(username)}](/u/{quote(username.lower(), safe='')})"


def _url(url: str) -> str | None:
    """An http(s) URL made safe inside `[text](url)`, or None when it is not one."""
    url = url.strip()
    if not re.match(r"^https?://[^\s/]", url, re.IGNORECASE):
        return None
    return quote(url, safe=":/?#[]@!$&'*+,;=%-._~")


# --------------------------------------------------------------------------- numbers


def _number(value: float | int, language: str) -> str:
    whole = round(value)
    text = f"{whole:,}" if whole == value else f"{value:,.2f}"
    if language in ("ca", "es"):
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def _euros(value: float | int, language: str) -> str:
    return f"€{_number(value, language)}" if language == "en" else f"{_number(value, language)} €"


# --------------------------------------------------------------------------- the post


def render_post(record: dict[str, Any], *, proximity: str, settings: Settings) -> str:
    """The first post for a record dict (bridge.catalogue.canonical.record_dict)."""
    lang = settings.language
    label = settings.label
    parts: list[str] = []

    # 2. local body and contacts
    body = record.get("local_body", {})
    facts = [f"**{inline(body.get('name', ''))}**"]
    if body.get("kind"):
        facts.append(inline(body["kind"]))
    place = ", ".join(inline(v) for v in (body.get("region"), body.get("country")) if v)
    if place:
        facts.append(place)
    if body.get("population") is not None:
        facts.append(f"{_number(body['population'], lang)} {inline(label('population'))}")
    parts.append(f"## {inline(label('local_body'))}\n\n" + " · ".join(facts))

    contacts = [c for c in record.get("contacts", []) if c.get("public")]
    if contacts:
        rows = []
        for contact in contacts:
            bits = []
            name = contact.get("name")
            if name:
                bits.append(f"**{inline(name)}**")
            if contact.get("role"):
                bits.append(inline(contact["role"]))
            for key in ("email", "phone"):
                if contact.get(key):
                    bits.append(inline(contact[key]))
            user = contact.get("forum_username")
            if user:
                bits.append(_profile_link(user))
            if bits:
                rows.append("- " + " · ".join(bits))
        if rows:
            parts.append(f"### {inline(label('contacts'))}\n\n" + "\n".join(rows))

    # 3. description, value, savings
    parts.append(f"## {inline(label('description'))}\n\n{block(record.get('description', ''))}")
    if record.get("value"):
        parts.append(f"### {inline(label('value'))}\n\n{block(record['value'])}")
    savings = []
    if record.get("savings"):
        savings.append(block(record["savings"]))
    if record.get("savings_eur_per_year") is not None:
        euros = _euros(record["savings_eur_per_year"], lang)
        savings.append(f"**{inline(label('savings_eur_per_year'))}:** {euros}")
    if savings:
        parts.append(f"### {inline(label('savings'))}\n\n" + "\n\n".join(savings))

    # 4. analysis
    analysis = record.get("analysis", {})
    sections = [
        f"### {inline(label(key))}\n\n{block(analysis[key])}"
        for key in ("barriers", "benefits", "technology")
        if analysis.get(key)
    ]
    if sections:
        parts.append(f"## {inline(label('analysis'))}\n\n" + "\n\n".join(sections))

    # 5. phase (with the record's other classifications)
    area = settings.area(record["area"]).label(lang) if settings.areas else record["area"]
    parts.append(
        f"## {inline(label('phase'))}\n\n"
        f"**{inline(label(record['phase']))}** · "
        f"{inline(label('area'))}: {inline(area)} · "
        f"{inline(label('kind'))}: {inline(label(record['kind']))} · "
        f"{inline(label('proximity_' + proximity))}"
    )

    # 6. documentation
    documents = []
    for doc in record.get("documents", []):
        url = _url(doc.get("url", ""))
        kind = inline(label(doc.get("kind", "other")))
        title = inline(doc.get("title") or doc.get("url", ""))
        documents.append(
            f"- {kind}: [{title}]({url})"
            if url
            else f"- {kind}: {title} ({inline(doc.get('url', ''))})"
        )
    if documents:
        parts.append(f"## {inline(label('documents'))}\n\n" + "\n".join(documents))

    footer = label("footer").replace("{ref}", record["ref"])
    parts.append(f"---\n\n*{inline(footer)}*")
    # No trailing newline: Discourse strips trailing whitespace from the raw it stores (core
    # lib/post_creator.rb, see bridge.loop.drift.stored_raw), and we send the post it keeps.
    return "\n\n".join(parts)


# --------------------------------------------------------------------------- challenge replies


def render_challenge_reply(suggestions: Sequence[Suggestion], *, settings: Settings) -> str:
    """The bridge's one reply to a challenge (issue 12): the matching projects, each with its
    topic link, council, population band, phase and reasons, and its public contacts as links
    to their forum profiles (`/u/NAME`, never an @mention: nobody is notified by the bridge).

    Nothing of the challenge's own text is quoted, so whatever it contains cannot reach the
    reply; the catalogue's words and the engine's reasons go through `inline()`."""
    label = settings.label
    lang = settings.language
    thousands = "." if lang in ("ca", "es") else ","  # 10,001–50,000 → 10.001–50.000
    wording = settings.labels.get(lang, {}).get  # `reason_<key>`; English where none is given
    if not suggestions:
        parts = [inline(label("challenge_none"))]
    else:
        items = []
        for number, s in enumerate(suggestions, 1):
            url = _url(s.topic_url or "")
            title = f"[{inline(s.title)}]({url})" if url else inline(s.title)
            facts = [f"**{title}**", inline(s.council)]
            if s.population_band:
                band = s.population_band.replace(",", thousands)
                facts.append(f"{inline(band)} {inline(label('population'))}")
            if s.phase:
                facts.append(inline(label(s.phase)))
            lines = [f"{number}. " + " · ".join(f for f in facts if f)]
            if s.reasons:
                reasons = "; ".join(
                    inline(reason_text(r, wording, value=label, thousands=thousands)[:200])
                    for r in s.reasons[:6]
                )
                lines.append(f"   {inline(label('challenge_reasons'))}: {reasons}")
            people = [
                f"[{inline(name)}](/u/{quote(user.lower(), safe='')})"
                for name, user in s.forum_users
                if is_valid_username(user)  # the one rule (bridge.discourse_rules)
            ]
            if people:
                lines.append(f"   {inline(label('challenge_contacts'))}: {', '.join(people)}")
            items.append("\n".join(lines))
        parts = [inline(label("challenge_intro")), "\n".join(items)]
    parts.append(f"---\n\n*{inline(label('challenge_footer'))}*")
    return "\n\n".join(parts)


# --------------------------------------------------------------------------- the observatory
# (issue 11) The "similar projects" section that ends each record's first post, and the index
# and overview topics. What goes in them is decided in bridge.discovery; only Markdown is here.


def population_band_text(population: int | None, settings: Settings) -> str:
    """An Idescat population band in the forum's language: "10.001–50.000 habitants"."""
    from bridge.discovery.bands import band_bounds, band_index

    index = band_index(population)
    if index is None:
        return ""
    low, high = band_bounds(index)
    lang = settings.language
    if low is None:
        span = f"≤{_number(high or 0, lang)}"
    elif high is None:
        span = f">{_number(low - 1, lang)}"
    else:
        span = f"{_number(low, lang)}–{_number(high, lang)}"
    return f"{span} {settings.label('population')}"


def _linked(title: str, url: str | None) -> str:
    # Only our own relative topic paths (/t/slug/id) are linked; anything else is shown as text.
    if url and re.fullmatch(r"/t/[^\s()\[\]]+/\d+", url):
        return f"[{inline(title)}]({url})"
    return inline(title)


def render_similar_entry(entry: Any, settings: Settings) -> str:
    """One line of a similar-projects section (a bridge.discovery.sections.SimilarEntry): a link
    to the topic, the council, the population band."""
    bits = [_linked(entry.title, entry.url), inline(entry.council)]
    band = population_band_text(entry.population, settings)
    if band:
        bits.append(band)
    return "- " + " · ".join(bits)


def render_similar_section(lines: Any, settings: Settings) -> str:
    """The section of similar projects from its lines (render_similar_entry), best first.
    Empty without lines."""
    if not lines:
        return ""
    return f"## {inline(settings.label('similar_projects'))}\n\n" + "\n".join(lines)


def _cell(text: Any) -> str:
    return inline(text) or "—"


def render_image(alt: str, url: str, width: int, height: int) -> str:
    """An uploaded image as Discourse's composer embeds it: `![alt|WxH](upload://…)` (issue 24).
    The alt text is one line without the characters that would end it (`]`, `|`) or be read as
    Markdown; the URL is the forum's own short URL."""
    flat = " ".join(CONTROL_CHARS_RE.sub("", alt).split())
    flat = re.sub(r"[\[\]|*_`<>\\]", "", flat)
    size = f"|{width}x{height}" if width and height else ""
    return f"![{flat}{size}]({url})"


def _images(images: Any) -> str:
    return "\n\n".join(render_image(i.alt, i.short_url, i.width, i.height) for i in images)


def render_index(
    area_label: str, rows: Any, settings: Settings, *, limit: int, images: Any = ()
) -> str:
    """An area's index topic: one table row per project (bridge.discovery.pages.IndexRow),
    capped so the post stays within `limit` characters; the rest is counted, not dropped
    silently (the category's own topic list shows every project). `images`: the area's map
    (bridge.discovery.pages.PagePicture), shown after the introduction."""
    label = settings.label
    intro = label("index_intro").replace("{area}", area_label).replace("{count}", str(len(rows)))
    pictures = f"{_images(images)}\n\n" if images else ""
    head = (
        f"{inline(intro)}\n\n{pictures}"
        f"| {inline(label('index_project'))} | {inline(label('local_body'))} "
        f"| {inline(label('population'))} | Km0 | {inline(label('phase'))} "
        f"| {inline(label('index_replies'))} |\n|---|---|---|---|---|---|"
    )
    footer = f"---\n\n*{inline(label('pages_footer'))}*"
    lines: list[str] = []
    size = len(head) + len(footer) + 400  # room for the "and N more" line
    for row in rows:
        line = (
            f"| {_linked(row.title, row.url)} | {_cell(row.council)} "
            f"| {_cell(population_band_text(row.population, settings))} "
            f"| {_cell(label('proximity_' + row.proximity))} | {_cell(label(row.phase))} "
            f"| {row.replies} |"
        )
        if size + len(line) + 1 > limit:
            break
        lines.append(line)
        size += len(line) + 1
    parts = [head + ("\n" + "\n".join(lines) if lines else "")]
    rest = len(rows) - len(lines)
    if rest:
        parts.append(f"*{inline(label('index_more').replace('{count}', str(rest)))}*")
    parts.append(footer)
    return "\n\n".join(parts)


def render_overview(overview: Any, settings: Settings, images: Any = ()) -> str:
    """The overview topic (bridge.discovery.pages.Overview): counts by area × proximity × phase,
    its maps and charts (`images`, bridge.discovery.pages.PagePicture), the newest projects, the
    most discussed and those still without replies."""
    label = settings.label
    phases = ("prototype", "pilot", "implemented")
    columns = [(p, f) for p in ("km0", "foreign") for f in phases]
    header = (
        f"| {inline(label('area'))} | "
        + " | ".join(f"{inline(label('proximity_' + p))}: {inline(label(f))}" for p, f in columns)
        + f" | {inline(label('pages_total'))} |"
    )
    table = [header, "|---" * (len(columns) + 2) + "|"]
    for area_label, counts in overview.counts:
        cells = [str(counts.get(c, 0)) for c in columns]
        table.append(
            f"| {inline(area_label)} | " + " | ".join(cells) + f" | {sum(counts.values())} |"
        )
    parts = [
        inline(label("overview_intro").replace("{count}", str(overview.total))),
        "\n".join(table),
    ]
    if images:
        parts.append(f"## {inline(label('overview_pictures'))}\n\n{_images(images)}")
    for key, items in (
        ("overview_newest", overview.newest),
        ("overview_discussed", overview.discussed),
        ("overview_unanswered", overview.unanswered),
    ):
        if items:
            rows = "\n".join(
                f"- {_linked(i.title, i.url)} · {inline(i.council)}"
                + (f" · {i.replies} {inline(label('index_replies'))}" if i.replies else "")
                for i in items
            )
            parts.append(f"## {inline(label(key))}\n\n{rows}")
    parts.append(f"---\n\n*{inline(label('pages_footer'))}*")
    return "\n\n".join(parts)
