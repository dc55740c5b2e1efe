"""Issue 20 defect 2: export then import changes nothing, in every format, for a value of
150,000 characters with surrounding whitespace. Surrounding whitespace is never kept, by any
format's import (a value is stored stripped the first time); a text longer than an Excel cell
is refused by the .xlsx export rather than cut."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from plugins.catalogue import make_record, write_records_file

LONG = "Paraula " * 18_750  # 150,000 characters, the last one a space


def _exported(cli: Any, path: Path) -> str:
    assert cli("export", path).exit_code == 0
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("first", [".json", ".yaml", ".csv"])
@pytest.mark.parametrize("again", [".json", ".yaml", ".csv"])
def test_a_long_description_with_surrounding_space_survives_every_round_trip(
    cli: Any, tmp_path: Path, first: str, again: str
) -> None:
    record = make_record(1, description="  " + LONG, value="Menys espera. ")
    assert cli("import", write_records_file(tmp_path / f"in{first}", [record])).exit_code == 0
    before = _exported(cli, tmp_path / "before.json")
    # Every format stores the value stripped, the same way.
    assert f'"description": "{LONG.strip()}"' in before
    out = tmp_path / f"out{again}"
    assert cli("export", out).exit_code == 0
    result = cli("import", out, "--json").json()
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 0, 1)
    assert _exported(cli, tmp_path / "after.json") == before


def test_the_xlsx_export_refuses_a_text_longer_than_a_cell_rather_than_cut_it(
    cli: Any, tmp_path: Path
) -> None:
    record = make_record(1, description=LONG)
    assert cli("import", write_records_file(tmp_path / "in.json", [record])).exit_code == 0
    result = cli("export", tmp_path / "out.xlsx")
    assert result.exit_code == 2
    assert "description is 149,999 characters and an Excel cell holds at most 32,767" in (
        result.stderr
    )
    assert not (tmp_path / "out.xlsx").exists()
