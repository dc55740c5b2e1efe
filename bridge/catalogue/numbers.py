"""Numbers as the data's locale writes them (issue 28): "12.000", "12 000" and "12,5" in a Catalan
or Spanish file are twelve thousand, twelve thousand and twelve and a half.

Pure. A number written as text in a file (a CSV cell, an .xlsx text cell) is read by its column's
locale: stated in an import mapping, else the record's country's (comma decimals for records of
`ES`, point decimals for every other country, as contract §4's CSV writes them). What no locale
reading makes certain is an error that names the cell, never a silent guess:

- a group separator ('.' or ',' by locale; a space, a no-break space or a narrow no-break space
  in every locale) between groups of exactly three digits: thousands;
- the locale's decimal separator: decimals;
- a point followed by anything but a group of three digits ("41.3851", "1000.5", "1e3"): a point
  decimal in every locale, as software writes it (the CSV export among them): no Catalan or
  Spanish writer groups digits that way, so nothing is guessed;
- ambiguous, and refused: exactly three digits after the locale's decimal separator, where the
  other locale reads thousands ("12,000" in a Catalan column is 12 or 12,000; "12.000" in an
  English one): a population of 12 is as wrong as one of 12,000;
- coordinates (latitude, longitude) never group digits: either separator is their decimal mark.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum

_SPACES = "\u0020\u00a0\u202f"  # space, no-break space, narrow no-break space (SI grouping)


class NumberStyle(Enum):
    """How a locale writes numbers: its decimal mark (the other mark groups thousands)."""

    comma_decimal = ","  # ca, es, fr, de, it, pt, nl…
    point_decimal = "."  # en

    @property
    def group(self) -> str:
        return "." if self is NumberStyle.comma_decimal else ","

    @property
    def described(self) -> str:
        if self is NumberStyle.comma_decimal:
            return "Catalan/Spanish style: '.' or a space between thousands, ',' before decimals"
        return "English style: ',' or a space between thousands, '.' before decimals"


# Locales an import mapping may name for a column (`locale = "ca"`); their decimal mark.
LOCALE_STYLES: dict[str, NumberStyle] = {
    **dict.fromkeys(
        ("ca", "es", "eu", "gl", "fr", "de", "it", "pt", "nl", "da", "sv", "fi", "pl", "cs", "ro"),
        NumberStyle.comma_decimal,
    ),
    "en": NumberStyle.point_decimal,
}
# Countries whose records are read with comma decimals unless a mapping says otherwise.
COMMA_DECIMAL_COUNTRIES = frozenset({"ES"})


def style_for_country(country: str | None) -> NumberStyle:
    code = country.strip().upper() if isinstance(country, str) else ""
    return (
        NumberStyle.comma_decimal if code in COMMA_DECIMAL_COUNTRIES else NumberStyle.point_decimal
    )


@dataclass(frozen=True)
class NumberText:
    """A number column's cell as the file wrote it, read once the record's locale is known.
    `style` is the column's locale where a mapping states one."""

    text: str
    style: NumberStyle | None = None


class NotANumber(ValueError):
    """The text is not a number in its locale (the message says why, for a person)."""


_PLAIN_INT = re.compile(r"^[+-]?\d+$")
_MACHINE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_LEADING_GROUPS = r"[+-]?[1-9]\d{0,2}"


def _grouped(sep: str, decimal: str) -> re.Pattern[str]:
    seps = re.escape(sep) if sep else ""
    return re.compile(
        rf"^{_LEADING_GROUPS}(?:([{seps}{_SPACES}])\d{{3}}(?:\1\d{{3}})*)(?:{re.escape(decimal)}\d+)?$"
    )


_GROUPED = {style: _grouped(style.group, style.value) for style in NumberStyle}
_DECIMAL = {style: re.compile(rf"^[+-]?\d*{re.escape(style.value)}\d+$") for style in NumberStyle}


def _value(digits: str) -> int | float:
    if _PLAIN_INT.match(digits):
        return int(digits)
    value = float(digits)
    if not math.isfinite(value):
        raise NotANumber(f"{digits!r} is not a finite number")
    return value


def parse_number(text: str, style: NumberStyle, *, coordinate: bool = False) -> int | float:
    """The number `text` means in `style`, or NotANumber saying why not."""
    cell = text.strip()
    if _PLAIN_INT.match(cell):
        return int(cell)
    other = next(s for s in NumberStyle if s is not style)
    if coordinate:  # degrees are never grouped: either mark is the decimal one
        if _DECIMAL[NumberStyle.comma_decimal].match(cell):
            return _value(cell.replace(",", "."))
        if _MACHINE.match(cell):
            return _value(cell)
        raise NotANumber(f"{cell!r} is not a number (degrees, e.g. 41.3851 or 41,3851)")
    if _GROUPED[style].match(cell):
        whole, _, decimals = cell.partition(style.value)
        digits = re.sub(rf"[{re.escape(style.group)}{_SPACES}]", "", whole)
        return _value(f"{digits}.{decimals}" if decimals else digits)
    if _DECIMAL[style].match(cell):
        whole, _, decimals = cell.partition(style.value)
        if len(decimals) == 3 and whole.lstrip("+-") not in ("", "0"):
            raise NotANumber(
                f"{cell!r} is ambiguous: {_value(f'{whole}.{decimals}'):g} in this column's "
                f"locale ({style.described}), but {whole}{decimals} where '{style.value}' "
                "separates thousands; write it without separators (e.g. "
                f"{whole.lstrip('+')}{decimals}) or state the column's locale in a mapping"
            )
        return _value(f"{whole}.{decimals}")
    if _MACHINE.match(cell) and not _GROUPED[other].match(cell):
        return _value(cell)  # a point decimal no locale would read otherwise
    raise NotANumber(
        f"{cell!r} is not a number as this column's locale writes them ({style.described}); "
        "if the file writes numbers otherwise, state the column's locale in a mapping"
    )


_COORDINATES = frozenset({"latitude", "longitude"})
_NUMBERISH = re.compile(rf"^[+-]?[\d.,{_SPACES}]*\d[\d.,{_SPACES}]*$")


def read_numbers(
    data: dict[str, object], country: object
) -> tuple[dict[str, object], list[tuple[str, str]]]:
    """`data` with each NumberText (at any depth of nested objects) read by its column's locale,
    else its record's country's; and (field, why) for each cell that is not a number."""
    default = style_for_country(country if isinstance(country, str) else None)
    problems: list[tuple[str, str]] = []

    def walk(holder: dict[str, object], prefix: str) -> dict[str, object]:
        result: dict[str, object] = {}
        for key, value in holder.items():
            if isinstance(value, NumberText) and not _NUMBERISH.match(value.text):
                result[key] = value.text  # words, not a number: the field's rule says so
            elif isinstance(value, NumberText):
                try:
                    result[key] = parse_number(
                        value.text, value.style or default, coordinate=key in _COORDINATES
                    )
                except NotANumber as exc:
                    problems.append((f"{prefix}{key}", str(exc)))
            elif isinstance(value, dict):
                result[key] = walk(value, f"{prefix}{key}.")
            else:
                result[key] = value
        return result

    return walk(data, ""), problems
