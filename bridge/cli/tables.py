"""Tables off a terminal (issue 28): one line per row, cells separated by tabs.

Rich lays a table out to the console's width; with stdout a pipe or a file (`digicanvis demo |
cat`, a cron job's mail) that width is a guess, and a long URL is folded one character a line.
Off a terminal the same table is printed plain: its title, its header, then each row on one line,
cells whole and separated by a tab, so that `cut`, `grep` and a mail reader get every value
intact. `bridge.cli.app`'s console calls `plain_lines` for every table it prints off a terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.table import Table


def _text(cell: object) -> str:
    # A cell is a str or a rich Text (whose str() is its plain text); a line break inside a
    # value would split the row.
    return " ".join(str(cell).split("\n"))


def plain_lines(table: Table) -> list[str]:
    """The table as plain lines: its title, its header, its rows."""
    lines = [_text(table.title)] if table.title else []
    columns = table.columns
    if table.show_header:
        lines.append("\t".join(_text(c.header) for c in columns))
    cells = [list(c.cells) for c in columns]
    for row in range(table.row_count):
        lines.append("\t".join(_text(col[row]) if row < len(col) else "" for col in cells))
    return lines
