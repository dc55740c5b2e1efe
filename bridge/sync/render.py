"""The first post of a record's topic: the only place Markdown is written.

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
can never break that layout, mention anyone or inject HTML:
- a line that would be a heading (`# …`), a setext underline (`===`, `---`) or a thematic break
  (`***`, `- - -`) gets a backslash in front, so it reads as the text it is;
- fenced code is allowed, but a fence left open is closed at the end of the field (an unclosed
  fence would swallow every heading after it), and fences are moved to column 0 so CommonMark and
  this code agree on where they end whatever list they were written in;
- `<` becomes `&lt;` everywhere outside fenced code, so there is no raw HTML, no HTML comment
  and no autolink trick (inside inline code spans this shows as "&lt;": a cosmetic cost accepted
  for a rule that cannot be fooled by how code spans pair up across lines);
- mentions: an `@` not preceded by a letter or digit gets a zero-width joiner (U+200D) after it.
  Discourse only mentions `@` followed by a name character, so `@alcaldia` shows as written but
  notifies nobody, and e-mail addresses are left alone. We chose the joiner over wrapping in
  backticks because it keeps the text looking as its author wrote it;
- BBCode-like tags that Discourse renders as blocks (`[quote]`, `[details]`, `[poll]`, …) get
  their `[` escaped.
Short fields (names, roles, document titles) go through `inline()`, which escapes every Markdown
character and flattens them to one line. Contacts get a real `@username` only from their own
`forum_username`, and only when it is a valid username.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from bridge.catalogue.regions import CONTROL_CHARS_RE
from bridge.settings import Settings

if TYPE_CHECKING:
    from bridge.challenges.matching import Suggestion

ZWJ = "\u200d"

_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_HEADING = re.compile(r"^( {0,3})(#{1,6})(?=[ \t]|$)")
_SETEXT_OR_BREAK = re.compile(
    r"^ {0,3}(?:=+|-+|(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})[ \t]*$"
)
_MENTION = re.compile(r"(?<![A-Za-z0-9_])@(?=[^\s@])")
_BBCODE = re.compile(
    r"\[(?=/?(?:quote|details|summary|poll|spoiler|wrap|date|code|img|url|email|size|color|center|left|right"
    r"|highlight|kbd|grid|b|i|u|s|ul|ol|li|list|table|sup|sub|hide|blur|chat|event|math)\b)",
    re.IGNORECASE,
)
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]#|~>!{}])")
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")


# --------------------------------------------------------------------------- text safety


def _neutral(line: str) -> str:
    """Outside code: no HTML, no mention, no BBCode block."""
    line = line.replace("<", "&lt;")
    line = _MENTION.sub("@" + ZWJ, line)
    return _BBCODE.sub(r"\\[", line)


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
        if _SETEXT_OR_BREAK.match(line):
            line = "\\" + line.lstrip(" ")
        else:
            line = _HEADING.sub(lambda m: m.group(1) + "\\" + m.group(2), line)
        result.append(_neutral(line))
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
    return _MENTION.sub("@" + ZWJ, flat)


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
                # The one place a real mention is written: the contact's own forum account.
                bits.append(f"@{user}" if _USERNAME.match(user) else inline(f"@{user}"))
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
        savings.append(
            f"**{inline(label('savings_eur_per_year'))}:** {_euros(record['savings_eur_per_year'], lang)}"
        )
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
    if not suggestions:
        parts = [inline(label("challenge_none"))]
    else:
        items = []
        for number, s in enumerate(suggestions, 1):
            url = _url(s.topic_url or "")
            title = f"[{inline(s.title)}]({url})" if url else inline(s.title)
            facts = [f"**{title}**", inline(s.council)]
            if s.population_band:
                band = s.population_band
                if lang in ("ca", "es"):  # 10,001–50,000 → 10.001–50.000
                    band = band.replace(",", ".")
                facts.append(f"{inline(band)} {inline(label('population'))}")
            if s.phase:
                facts.append(inline(label(s.phase)))
            lines = [f"{number}. " + " · ".join(f for f in facts if f)]
            if s.reasons:
                reasons = "; ".join(inline(r[:200]) for r in s.reasons[:6])
                lines.append(f"   {inline(label('challenge_reasons'))}: {reasons}")
            people = [
                f"[{inline(name)}](/u/{quote(user, safe='')})"
                for name, user in s.forum_users
                if _USERNAME.match(user)
            ]
            if people:
                lines.append(f"   {inline(label('challenge_contacts'))}: {', '.join(people)}")
            items.append("\n".join(lines))
        parts = [inline(label("challenge_intro")), "\n".join(items)]
    parts.append(f"---\n\n*{inline(label('challenge_footer'))}*")
    return "\n\n".join(parts)
