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
can never break that layout, mention anyone, inject HTML or make the forum fetch another site
(tests/test_render_safety.py and test_render_onebox.py check it against markdown-it, the parser
Discourse's renderer is built on):
- a bare web address (one markdown-it's linkify would find, which Discourse may onebox, i.e.
  fetch and preview) is written as an explicit link `[address](address)`, which it never
  oneboxes; an image from a host other than the forum's is written as a link with its alt text;
  a link whose text is another address than its target shows its real target (issue 27; the
  rule and its Discourse sources: bridge.rules.discourse.bare_links). Short fields (`inline()`)
  get the same explicit links;
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
- mentions follow Discourse's own rule (bridge.rules.discourse.mention_boundary): an `@` that
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
Discourse could have is decided by bridge.rules.discourse.is_valid_username (one rule, also used
by the catalogue's validator).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from bridge.catalogue.regions import CONTROL_CHARS_RE
from bridge.discovery.reasons import reason_text
from bridge.rules.discourse import bare_links, is_url_text, is_valid_username, mention_boundary
from bridge.settings import Settings

if TYPE_CHECKING:
    from bridge.catalogue.inspiration import Relations
    from bridge.challenges.matching import Suggestion

ZWJ = "\u200d"

_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_BBCODE = re.compile(r"(?<!\\)((?:\\\\)*)\[(?=/?[A-Za-z])")
# `&` is not among them: escaped everywhere it showed as "\\&" in the raw a person reads and in
# renderers that do not take the escape (issue 20: "Digipolis & city of Antwerp"); only an `&`
# that starts a character reference is escaped (`_ENTITY`).
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]#|~>!{}])")
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
# What `_defuse_links` leaves alone or rewrites whole: an inline code span (linkify does not
# look inside one), an image or a link with its text, destination and optional title.
_SPAN = re.compile(
    r"(?P<code>(?P<ticks>`+).+?(?P=ticks))"
    r"|(?P<bang>!?)(?<!\\)\[(?P<text>[^\[\]]*)\]\((?P<dest>(?:[^()\s]|\([^()\s]*\))*)"
    r'(?P<title>[ \t]+"[^"]*")?\)'
)


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


def _escaped(text: str) -> str:
    """Markdown's inline specials escaped; an `&` only where it would start a character
    reference (`_ENTITY`), so a name such as "Digipolis & city of Antwerp" shows as written."""
    return _ENTITY.sub(r"\1\\&", _INLINE_SPECIAL.sub(r"\\\1", text))


def _after(pieces: list[str], link: str) -> None:
    """Append a link written here; a `!` right before it would make it an image: escaped."""
    if pieces and pieces[-1].endswith("!") and not pieces[-1].endswith("\\!"):
        pieces[-1] = pieces[-1][:-1] + "\\!"
    pieces.append(link)


# Where markdown-it splits a line's text into tokens (escapes, emphasis, code, links…): linkify
# runs on each token alone, so an address is looked for in each such chunk too.
_TOKEN_BREAK = re.compile(r"[\\`*_\[\]#|~>!{}&<]")


def _links_in(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, text, url) of the bare addresses linkify finds in `text` as a whole and, in
    the gaps, in each chunk between Markdown punctuation."""
    found = [(b.start, b.end, b.text, b.url) for b in bare_links(text)]
    gaps, position = [], 0
    for start, end, _, _ in found:
        gaps.append((position, start))
        position = end
    gaps.append((position, len(text)))
    for gap_start, gap_end in gaps:
        chunk_start = gap_start
        for cut in [m.start() for m in _TOKEN_BREAK.finditer(text, gap_start, gap_end)] + [gap_end]:
            for b in bare_links(text[chunk_start:cut]):
                found.append((chunk_start + b.start, chunk_start + b.end, b.text, b.url))
            chunk_start = cut + 1
    return sorted(found)


def _link_for(text: str, url: str) -> str | None:
    safe = _url("https:" + url if url.startswith("//") else url)
    return f"[{_escaped(text)}]({safe})" if safe else None


def _explicit(text: str) -> str:
    """Bare web addresses as explicit links `[address](address)`, the rest escaped: Discourse
    oneboxes (fetches) only what linkify found bare (bridge.rules.discourse, issue 27)."""
    pieces: list[str] = []
    position = 0
    for start, end, shown, url in _links_in(text):
        pieces.append(_escaped(text[position:start]))
        link = _link_for(shown, url)
        if link is None:
            pieces.append(_escaped(shown))
        else:
            _after(pieces, link)
        position = end
    pieces.append(_escaped(text[position:]))
    return "".join(pieces)


def _bare_to_explicit(text: str) -> str:
    """As `_explicit`, for free text that keeps its own Markdown: only the addresses change."""
    pieces: list[str] = []
    position = 0
    for start, end, shown, url in _links_in(text):
        link = _link_for(shown, url)
        if link is None:
            continue
        pieces.append(text[position:start])
        _after(pieces, link)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _other_host(destination: str, own_host: str | None) -> bool:
    """True when an image's source is on a host other than the forum's own (a relative path is
    the forum's)."""
    if not re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", destination, re.IGNORECASE):
        return not destination.startswith("/")  # data:, javascript: and the like: not ours
    host = urlsplit(destination if "://" in destination else "https:" + destination).hostname
    return host is None or own_host is None or host.lower() != own_host.lower()


def _defuse_links(line: str, own_host: str | None) -> str:
    """Nothing in free text makes the forum reach out (issue 27 point 2; the rule and its source
    are in bridge.rules.discourse): a bare URL becomes an explicit link, which Discourse never
    oneboxes; an image from another host becomes a link with its alt text; a link whose text is
    itself a URL other than its target shows its real target."""

    def rewrite(match: re.Match[str]) -> str:
        if match.group("code"):
            return match.group(0)
        text, destination = match.group("text"), match.group("dest").strip("<>")
        if match.group("bang"):
            if not _other_host(destination, own_host):
                return match.group(0)
            alt = text.split("|")[0].strip()  # Discourse's `|500x300`, `|video` suffixes
            url = _url("https:" + destination if destination.startswith("//") else destination)
            if url is None:
                return _explicit(alt or destination)
            return f"[{alt or _escaped(destination)}]({url})"
        plain = text.replace("\\", "")
        if is_url_text(plain):
            shown = bare_links(plain.strip())[0].url
            if shown.rstrip("/") != destination.rstrip("/"):
                return f"[{_escaped(destination)}]({destination}{match.group('title') or ''})"
        return match.group(0)

    pieces: list[str] = []
    position = 0
    for match in _SPAN.finditer(line):
        pieces.append(_bare_to_explicit(line[position : match.start()]))
        rewritten = rewrite(match)
        if rewritten.startswith("["):
            _after(pieces, rewritten)
        else:
            pieces.append(rewritten)
        position = match.end()
    pieces.append(_bare_to_explicit(line[position:]))
    return "".join(pieces)


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


def block(text: str, own_host: str | None = None) -> str:
    """Free text as Markdown that stays inside its section and makes the forum fetch nothing
    (see the module docstring); `own_host` is the forum's, whose images may be shown."""
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
        # Links last: the BBCode rule must not escape the `[` of a link written here.
        result.append(_defuse_links(_neutral(_defuse_blocks(line)), own_host))
    if fence is not None:
        result.append(fence[0] * fence[1])
    text = "\n".join(result).strip("\n")
    # Blank-line runs collapse to one: free text cannot push the layout apart either.
    return re.sub(r"\n{3,}", "\n\n", text)


def inline(text: Any, *, links: bool = True) -> str:
    """A short field on one line with every Markdown character escaped, its web addresses as
    explicit links (never bare: Discourse oneboxes bare ones). `links=False` for a link's own
    text, where markdown-it's linkify does not look."""
    flat = " ".join(CONTROL_CHARS_RE.sub("", str(text)).split())
    flat = _explicit(flat) if links else _escaped(flat)
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


def render_post(
    record: dict[str, Any],
    *,
    proximity: str,
    settings: Settings,
    place: Mapping[str, Any] | None = None,
    requests: Any = None,
    relations: Relations | None = None,
) -> str:
    """The first post for a record dict (bridge.catalogue.canonical.record_dict); `place` is
    where the catalogue placed its council (its official population: the evidence's basis);
    `requests` how contact requests to it went (bridge.connections.rules.Stats, issue 22);
    `relations` what it built on and where it was taken up (issue 22 point 5)."""
    lang = settings.language
    label = settings.label
    parts: list[str] = []
    own_host = urlsplit(settings.discourse_url).hostname if settings.discourse_url else None

    def free(text: str) -> str:
        return block(text, own_host)

    # 2. local body and contacts
    body = record.get("local_body", {})
    facts = [f"**{inline(body.get('name', ''))}**"]
    if body.get("kind"):
        facts.append(inline(body["kind"]))
    where = ", ".join(inline(v) for v in (body.get("region"), body.get("country")) if v)
    if where:
        facts.append(where)
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
            # Never the email or the phone (canonical.PRIVATE_CONTACT_FIELDS): a public contact
            # is reached through the forum, by name, role and profile.
            user = contact.get("forum_username")
            if user:
                bits.append(_profile_link(user))
            if bits:
                rows.append("- " + " · ".join(bits))
        if rows:
            parts.append(f"### {inline(label('contacts'))}\n\n" + "\n".join(rows))

    # 3. description, value, savings
    parts.append(f"## {inline(label('description'))}\n\n{free(record.get('description', ''))}")
    if record.get("value"):
        parts.append(f"### {inline(label('value'))}\n\n{free(record['value'])}")
    savings = []
    if record.get("savings"):
        savings.append(free(record["savings"]))
    if record.get("savings_eur_per_year") is not None:
        euros = _euros(record["savings_eur_per_year"], lang)
        savings.append(f"**{inline(label('savings_eur_per_year'))}:** {euros}")
    if savings:
        parts.append(f"### {inline(label('savings'))}\n\n" + "\n\n".join(savings))

    # 4. analysis
    analysis = record.get("analysis", {})
    sections = [
        f"### {inline(label(key))}\n\n{free(analysis[key])}"
        for key in ("barriers", "benefits", "technology")
        if analysis.get(key)
    ]
    if sections:
        parts.append(f"## {inline(label('analysis'))}\n\n" + "\n\n".join(sections))

    # Issue 25: the structured evidence, only what is filled in.
    evidence = render_evidence(record, place, settings)
    if evidence:
        parts.append(f"## {inline(label('evidence'))}\n\n{evidence}")

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
        shown = doc.get("title") or doc.get("url", "")
        if url and is_url_text(shown) and bare_links(shown.strip())[0].url != url:
            shown = url  # a title that is another address shows the real target (issue 27)
        title = inline(shown, links=not url)
        documents.append(
            f"- {kind}: [{title}]({url})"
            if url
            else f"- {kind}: {title} ({inline(doc.get('url', ''))})"
        )
    if documents:
        parts.append(f"## {inline(label('documents'))}\n\n" + "\n".join(documents))

    if relations:  # issue 22 point 5: who took up whose project, both directions
        parts.append(render_relations(relations, settings))

    provenance = record.get("provenance")
    if provenance:  # a harvested record (issue 23): where it came from, linked
        parts.append(_provenance_section(provenance, label))

    figures = render_request_stats(requests, settings=settings) if requests else ""
    if figures:  # issue 22: the bridge's own line, rewritten only when the figures change
        parts.append(figures)

    footer = label("footer").replace("{ref}", record["ref"])
    parts.append(f"---\n\n*{inline(footer)}*")
    # No trailing newline: Discourse strips trailing whitespace from the raw it stores (core
    # lib/post_creator.rb, see bridge.sync.drift.stored_raw), and we send the post it keeps.
    return "\n\n".join(parts)


def render_relations(relations: Relations, settings: Settings) -> str:
    """What a record built on ("Built on: Chatbot (Sant Just Desvern)") and the councils that
    took it up ("Replicated in: Olot, Vic"), in the forum's language."""
    label = settings.label
    lines = []
    if relations.built_on:
        shown = " · ".join(f"{inline(b.title)} ({inline(b.council)})" for b in relations.built_on)
        lines.append(f"**{inline(label('built_on'))}:** {shown}")
    if relations.replicated_in:
        shown = ", ".join(inline(council) for council in relations.replicated_in)
        lines.append(f"**{inline(label('replicated_in'))}:** {shown}")
    return f"## {inline(label('inspiration'))}\n\n" + "\n\n".join(lines)


def _percent(share: float, language: str) -> str:
    return f"{_number(round(share * 100, 1), language)} %"


def _per_inhabitant(value: float | None, language: str, label: Any) -> str | None:
    return (
        None
        if value is None
        else f"{_euros(value, language)} {inline(label('evidence_per_inhabitant'))}"
    )


def render_evidence(
    record: dict[str, Any], place: Mapping[str, Any] | None, settings: Settings
) -> str | None:
    """The "Evidence" block of a topic (issue 25): cost, savings, funding, timeline, team,
    results and self-assessment, each line only when filled in, with the per-inhabitant figures
    and the population they are over (caveats said). None when the record has no evidence."""
    from bridge.catalogue.evidence import CRITERIA, derived, has_evidence

    if not has_evidence(record):
        return None
    lang, label = settings.language, settings.label
    figures = derived({**record, "place": place})
    lines: list[str] = []

    def line(key: str, bits: Sequence[str | None]) -> None:
        shown = [b for b in bits if b]
        if shown:
            lines.append(f"**{inline(label(key))}:** " + " · ".join(shown))

    cost = record.get("cost") or {}
    nominal = (
        inline(label("evidence_nominal").replace("{year}", str(cost["year"])))
        if "year" in cost
        else None
    )
    line(
        "evidence_cost",
        [
            f"{_euros(cost['one_off_eur'], lang)} {inline(label('evidence_one_off'))}"
            if "one_off_eur" in cost
            else None,
            f"{_euros(cost['yearly_eur'], lang)} {inline(label('evidence_yearly'))}"
            if "yearly_eur" in cost
            else None,
            f"({nominal})" if nominal and ("one_off_eur" in cost or "yearly_eur" in cost) else None,
            _per_inhabitant(figures["cost_per_inhabitant_eur"], lang, label),
            (per := _per_inhabitant(figures["yearly_cost_per_inhabitant_eur"], lang, label))
            and f"{per} {inline(label('evidence_yearly'))}",
        ],
    )
    saved = record.get("savings_eur_per_year")
    per_saved = _per_inhabitant(figures["savings_per_inhabitant_eur"], lang, label)
    line(
        "evidence_savings",
        [
            f"{_euros(saved, lang)} {inline(label('evidence_yearly'))}"
            + (f" ({per_saved})" if per_saved else "")
            if saved is not None
            else None,
            f"{_number(record['savings_hours_per_year'], lang)} {inline(label('evidence_hours'))}"
            if record.get("savings_hours_per_year") is not None
            else None,
        ],
    )
    line(
        "evidence_funding",
        [
            inline(label(f"funding_{item['source']}"))
            + (f" {_percent(item['share'], lang)}" if "share" in item else "")
            for item in record.get("funding") or ()
        ],
    )
    dates = record.get("dates") or {}
    months = figures["months_to_implement"]
    line(
        "evidence_dates",
        [
            *(
                f"{inline(label('evidence_' + key))} {inline(dates[key])}"
                for key in ("started", "piloted", "implemented")
                if key in dates
            ),
            inline(label("evidence_months").replace("{months}", _number(months, lang)))
            if months is not None
            else None,
        ],
    )
    team = record.get("team") or {}
    line(
        "evidence_team",
        [
            f"{_number(team['people'], lang)} {inline(label('evidence_people'))}"
            if "people" in team
            else None,
            inline(label("evidence_external" if team["external"] else "evidence_internal"))
            if "external" in team
            else None,
        ],
    )
    results = []
    for kpi in record.get("kpis") or ():
        change = " → ".join(_number(kpi[k], lang) for k in ("before", "after") if k in kpi)
        text = inline(kpi["name"]) + (f": {change}" if change else "")
        if "unit" in kpi:
            text += f" {inline(kpi['unit'])}"
        extra = [inline(kpi["period"])] if "period" in kpi else []
        if "source" in kpi:
            url = _url(kpi["source"])
            extra.append(f"[{inline(label('documents'))}]({url})" if url else inline(kpi["source"]))
        results.append(f"- {text}" + (f" ({' · '.join(extra)})" if extra else ""))
    if results:
        lines.append(f"**{inline(label('evidence_results'))}:**\n\n" + "\n".join(results))
    criteria = record.get("criteria") or {}
    line(
        "evidence_criteria",
        [
            f"{inline(label('criteria_' + key))} {criteria[key]}"
            for key in CRITERIA
            if key in criteria
        ],
    )
    if criteria.get("justification"):
        lines.append(block(criteria["justification"]))
    basis = figures["population_basis"]
    per_figures = any(
        figures[k] is not None
        for k in (
            "cost_per_inhabitant_eur",
            "yearly_cost_per_inhabitant_eur",
            "savings_per_inhabitant_eur",
        )
    )
    wants_basis = bool(cost.get("one_off_eur") or cost.get("yearly_eur") or saved is not None)
    if per_figures or wants_basis:
        said = []
        if basis["population"]:
            said.append(
                f"{_number(basis['population'], lang)} {inline(label('population'))} "
                f"({inline(label('basis_' + basis['source']))})"
            )
        said += [inline(label("caveat_" + c)) for c in basis["caveats"]]
        lines.append(f"*{inline(label('evidence_basis'))}: " + "; ".join(said) + "*")
    return "\n\n".join(lines)


def _provenance_section(provenance: dict[str, Any], label: Any) -> str:
    source = provenance.get("source", "")
    link = _url(source)
    words = {
        "{publisher}": inline(provenance.get("publisher") or "?"),
        "{source}": f"[{inline(source)}]({link})" if link else inline(source),
        "{licence}": inline(provenance.get("licence") or "?"),
        "{harvested_at}": inline(str(provenance.get("harvested_at", ""))[:10]),
    }
    text = inline(label("provenance_text"))
    for key, value in words.items():
        text = text.replace(inline(key), value)
    lines = [text]
    original = _url(provenance.get("url") or "")
    if original:
        lines.append(f"[{inline(label('provenance_original'))}]({original})")
    return f"## {inline(label('provenance'))}\n\n" + " · ".join(lines)


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
                    inline(
                        reason_text(r, wording, value=label, thousands=thousands, language=lang)[
                            :200
                        ]
                    )
                    for r in s.reasons[:6]
                )
                lines.append(f"   {inline(label('challenge_reasons'))}: {reasons}")
            people = [
                f"[{inline(name)}](/u/{quote(user.lower(), safe='')})"
                for name, user in s.forum_users
                if is_valid_username(user)  # the one rule (bridge.rules.discourse)
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
        return f"[{inline(title, links=False)}]({url})"
    return inline(title)


def render_similar_entry(entry: Any, settings: Settings) -> str:
    """One line of a similar-projects section (a bridge.observatory.sections.SimilarEntry): a link
    to the topic, the council, the population band, then its reasons in the forum's language
    (issue 25: "estalvia 1,87 € per habitant l'any")."""
    bits = [_linked(entry.title, entry.url), inline(entry.council)]
    band = population_band_text(entry.population, settings)
    if band:
        bits.append(band)
    lang = settings.language
    thousands = "." if lang in ("ca", "es") else ","
    wording = settings.labels.get(lang, {}).get  # `reason_<key>`; English where none is given
    bits.extend(
        inline(reason_text(r, wording, thousands=thousands, language=lang)[:200])
        for r in entry.reasons
    )
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
    """An area's index topic: one table row per project (bridge.observatory.pages.IndexRow),
    capped so the post stays within `limit` characters; the rest is counted, not dropped
    silently (the category's own topic list shows every project). `images`: the area's map
    (bridge.observatory.pages.PagePicture), shown after the introduction."""
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
    """The overview topic (bridge.observatory.pages.Overview): counts by area × proximity × phase,
    its maps and charts (`images`, bridge.observatory.pages.PagePicture), the newest projects, the
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
    if overview.medians:
        parts.append(_medians_table(overview.medians, settings))
    if getattr(overview, "requests", None) is not None:
        parts.append(render_requests_overview(overview.requests, settings=settings))
    parts.append(f"---\n\n*{inline(label('pages_footer'))}*")
    return "\n\n".join(parts)


def _medians_table(rows: Sequence[Any], settings: Settings) -> str:
    """Issue 25: the overview's medians by area and population band (pages.MedianRow)."""
    from bridge.discovery.bands import BAND_LABELS

    label, lang = settings.label, settings.language
    thousands = "." if lang in ("ca", "es") else ","
    heads = ("area", "medians_band", "medians_records", "medians_cost", "medians_savings",
             "medians_months")  # fmt: skip
    table = [
        "| " + " | ".join(inline(label(h)) for h in heads) + " |",
        "|---" * len(heads) + "|",
    ]
    for row in rows:
        cells = [
            inline(row.area),
            inline(BAND_LABELS[row.band].replace(",", thousands)),
            str(row.records),
            *(
                "—" if value is None else (_euros(value, lang) if i < 2 else _number(value, lang))
                for i, value in enumerate(
                    (row.cost_per_inhabitant, row.savings_per_inhabitant, row.months_to_implement)
                )
            ),
        ]
        table.append("| " + " | ".join(cells) + " |")
    return f"## {inline(label('overview_medians'))}\n\n" + "\n".join(table)


# --------------------------------------------------------------------------- connection requests
# (issue 22) The bridge's note in a request's topic, its one reminder, the category's definition
# post, and the figures a project's topic shows. People are named by name and role, never by
# email or phone, and never @mentioned: Discourse's invite notifies them.


def _fill(template: str, **markdown: str) -> str:
    """A label with `{name}` slots: its own words escaped (`inline`), each slot replaced by
    Markdown already made safe by the caller."""
    pieces = re.split(r"(\{[a-z_]+\})", template)
    return "".join(
        markdown[p[1:-1]] if p[1:-1] in markdown and p.startswith("{") else _spaced(p, inline(p))
        for p in pieces
        if p
    )


def _spaced(original: str, escaped: str) -> str:
    """`escaped` with the space `original` had at either end (inline() trims it)."""
    before = " " if original[:1].isspace() else ""
    after = " " if original[-1:].isspace() else ""
    return f"{before}{escaped}{after}" if escaped else before


def _people(people: Sequence[tuple[str | None, str | None]]) -> str:
    named = [
        inline(name or role) + (f" ({inline(role)})" if role and name else "")
        for name, role in people
        if name or role
    ]
    return ", ".join(named) or "—"


def render_request_reply(
    people: Sequence[tuple[str | None, str | None]], council: str, *, settings: Settings
) -> str:
    """The bridge's one reply to a request: who was invited (names and roles) and what next."""
    label = settings.label
    if not people:
        parts = [inline(label("request_nobody"))]
    else:
        days = str(settings.connections.stale_days)
        parts = [
            _fill(label("request_invited"), people=_people(people), council=inline(council)),
            _fill(label("request_expect"), days=days),
        ]
    parts.append(f"---\n\n*{inline(label('request_footer'))}*")
    return "\n\n".join(parts)


def render_request_reminder(
    people: Sequence[tuple[str | None, str | None]],
    council: str,
    others: Sequence[tuple[str, str, str | None]],
    *,
    settings: Settings,
) -> str:
    """The one reminder: who was invited again, and up to three other councils that did
    something similar (council, project title, topic URL)."""
    label = settings.label
    parts = []
    if people:
        parts.append(
            _fill(label("request_reminder"), people=_people(people), council=inline(council))
        )
    if others:
        named = ", ".join(f"{inline(c)} ({_linked(t, u)})" for c, t, u in others[:3])
        parts.append(_fill(label("request_others"), councils=named))
    parts.append(f"---\n\n*{inline(label('request_footer'))}*")
    return "\n\n".join(parts)


def render_request_template(*, settings: Settings) -> str:
    """The connections category's definition post: what to write in a request."""
    cfg = settings.connections
    kinds = ", ".join(f"`{t}`" for t in cfg.tags.values())
    agreed = ", ".join(f"`{t}`" for t in cfg.agreed_tags.values())
    lines = [_fill(line, tags=kinds, agreed=agreed) for line in label_lines(settings)]
    intro = cfg.describe(settings.language)
    return "\n\n".join(([inline(intro)] if intro else []) + ["\n".join(lines)])


def label_lines(settings: Settings) -> list[str]:
    return settings.label("request_template").split("\n")


def render_request_stats(stats: Any, *, settings: Settings) -> str:
    """A project's line of figures (bridge.connections.rules.Stats), e.g. "Contact requests: 5
    · answered 4 · median 2 days · 1 agreed"; empty when nobody asked yet."""
    if not stats.count:
        return ""
    label, lang = settings.label, settings.language
    bits = [_fill(label("requests_line"), count=str(stats.count))]
    bits.append(_fill(label("requests_answered"), count=str(stats.answered)))
    if stats.median_days is not None:
        bits.append(_fill(label("requests_median"), days=_number(stats.median_days, lang)))
    if stats.agreed:
        bits.append(_fill(label("requests_agreed"), count=str(stats.agreed)))
    return " · ".join(bits)


def render_requests_overview(figures: Any, *, settings: Settings) -> str:
    """The overview's requests (bridge.connections.rules.Overview): the totals' line and the
    councils that answer most."""
    label = settings.label
    lines = [render_request_stats(figures.totals, settings=settings)]
    if figures.top:
        lines.append(
            f"**{inline(label('requests_top'))}:** "
            + ", ".join(f"{inline(council)} ({count})" for council, count in figures.top)
        )
    return f"## {inline(label('requests_overview'))}\n\n" + "\n\n".join(lines)


def render_request_message(
    kind: str, asker: str | None, project: str, council: str, topic_url: str, *, settings: Settings
) -> tuple[str, str, str]:
    """What an invited contact receives (issue 22): the personal message's title and Markdown,
    and the plain text of Discourse's invitation email. Names the request's topic; never an
    address. The asker's username is shown as text, never a mention."""
    label = settings.label
    what = label(f"request_kind_{kind}")
    title = label("request_message_title").replace("{project}", " ".join(project.split()))[:200]
    link = _url(topic_url) or ""
    body = _fill(
        label("request_message"),
        asker=inline(asker or "—"),
        kind=inline(what),
        project=inline(project),
        council=inline(council),
        link=f"[{inline(label('request_message_link'), links=False)}]({link})" if link else "",
    )
    plain = (
        label("request_message")
        .replace("{asker}", asker or "—")
        .replace("{kind}", what)
        .replace("{project}", " ".join(project.split()))
        .replace("{council}", council)
        .replace("{link}", topic_url)
    )
    return title, f"{body}\n\n---\n\n*{inline(label('request_footer'))}*", plain[:1000]
