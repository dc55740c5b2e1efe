"""Reading and writing JSON, YAML and CSV (contract §4), without a database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from plugins.catalogue import make_record, make_records

from bridge.catalogue.canonical import record_dict
from bridge.catalogue.formats import CSV_COLUMNS, dumps, read_records, write_records
from bridge.catalogue.schema import validate_records

TRICKY_TEXTS = [
    'Línia u\nLínia dos amb «cometes» i "dobles"',
    "Windows\r\nline breaks\r\nkept",
    "Tab\tseparated; semicolon, comma",
    "=SUM(A1:A2) looks like a formula",
    "Trailing spaces on a line   \nnext",
    "Unicode line separator\u2028and paragraph\u2029end",
    "Emoji 🚲 and Catalan l·l, ç, à, è, ï, ü",
    "# Markdown heading\n\n- item @someone <b>html</b>\n\n```\ncode\n```",
    "yes",
    "0123",
    "null",
]


def canonical(records: list[dict[str, Any]], name: str = "x") -> list[dict[str, Any]]:
    from bridge.catalogue.schema import RawRecord

    valid, problems = validate_records(RawRecord(name, i, r) for i, r in enumerate(records, 1))
    assert problems == []
    return [record_dict(v.record.view()) for v in valid]


def tricky_records() -> list[dict[str, Any]]:
    records = make_records(len(TRICKY_TEXTS))
    for record, text in zip(records, TRICKY_TEXTS, strict=True):
        record["description"] = text
        record["value"] = text
    records[0]["local_body"]["municipality_code"] = "08019"
    return records


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".yml", ".csv"])
def test_write_then_read_gives_the_same_records(tmp_path: Path, suffix: str) -> None:
    records = canonical(tricky_records())
    path = tmp_path / f"out{suffix}"
    write_records(path, records)
    raws, problems = read_records(path)
    assert problems == []
    assert canonical([r.data for r in raws]) == records
    # and writing what was read gives the same bytes
    again = tmp_path / f"again{suffix}"
    write_records(again, canonical([r.data for r in raws]))
    assert again.read_bytes() == path.read_bytes()


@pytest.mark.parametrize("document", ["list", "object"])
@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_json_and_yaml_accept_a_list_or_a_projects_object(
    tmp_path: Path, suffix: str, document: str
) -> None:
    records = make_records(3)
    data: Any = records if document == "list" else {"projects": records}
    path = tmp_path / f"in{suffix}"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")  # JSON is YAML too
    raws, problems = read_records(path)
    assert problems == [] and [r.data for r in raws] == records


def test_other_top_level_keys_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "in.json"
    path.write_text(json.dumps({"projects": [], "version": 2}), encoding="utf-8")
    _, [problem] = read_records(path)
    assert "unknown keys: version" in problem.reason


def test_yaml_records_carry_their_line(tmp_path: Path) -> None:
    path = tmp_path / "in.yaml"
    path.write_text(dumps(make_records(2), "yaml"), encoding="utf-8")
    raws, _ = read_records(path)
    assert raws[0].line == 1 and raws[1].line > 10


def test_csv_with_bom_semicolons_and_blank_rows(tmp_path: Path) -> None:
    path = tmp_path / "sheet.csv"
    text = (
        "ref;title;local_body.name;local_body.country;local_body.municipality_code;local_body.population;"
        "description;area;kind;phase\r\n"
        "abc-1;Títol;Tàrrega;ES;25217;17824;Descripció;citizen-care;service;pilot\r\n"
        ";;;;;;;;;\r\n"
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    raws, problems = read_records(path)
    assert problems == []
    [raw] = raws
    assert raw.data["local_body"] == {
        "name": "Tàrrega",
        "country": "ES",
        "municipality_code": "25217",
        "population": 17824,
    }
    assert raw.line == 2


def test_csv_numbers_are_numbers_and_codes_stay_text(tmp_path: Path) -> None:
    record = make_record(0)
    record["local_body"]["municipality_code"] = "08001"
    path = tmp_path / "a.csv"
    write_records(path, [record])
    [raw], _ = read_records(path)
    body = raw.data["local_body"]
    assert body["municipality_code"] == "08001"
    assert body["population"] == 12848 and isinstance(body["population"], int)
    assert body["latitude"] == 41.5162579
    assert raw.data["contacts"][0]["public"] is True
    assert raw.data["savings_eur_per_year"] == 0.5


def test_csv_empty_cell_is_absent(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("ref,title,value,contacts\nabc,T,,\n", encoding="utf-8")
    [raw], _ = read_records(path)
    assert raw.data == {"ref": "abc", "title": "T"}


def test_csv_header_lists_every_field_once() -> None:
    assert len(set(CSV_COLUMNS)) == len(CSV_COLUMNS)
    assert {"local_body.name", "analysis.barriers", "contacts", "documents", "proximity"} <= set(
        CSV_COLUMNS
    )


def test_csv_cell_that_is_not_json_is_a_problem_of_that_record(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text('ref,contacts\nabc,"[{name: x}]"\n', encoding="utf-8")
    [raw], problems = read_records(path)
    assert problems == []
    assert raw.problems[0][0] == "contacts" and raw.problems[0][1].startswith(
        "the cell is not valid JSON"
    )


def test_csv_row_longer_than_header(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("ref,title\nabc,T,extra\n", encoding="utf-8")
    [raw], _ = read_records(path)
    assert raw.problems == [(None, "the row has 3 cells but the header has 2 columns")]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("a.json", b'[{"ref": "abc",]', "not valid JSON"),
        ("a.json", b'[{"ref": "abc", "ref": "abd"}]', "duplicate key 'ref'"),
        ("a.json", b'[{"ref": NaN}]', "not valid JSON"),
        ("a.yaml", b"- ref: abc\n  title: [\n", "not valid YAML"),
        ("a.yaml", b"- ref: abc\n  ref: abd\n", "duplicate key 'ref'"),
        ("a.yaml", b"# only a comment\n", "the file is empty"),
        ("a.csv", b'ref,title\nabc,"unterminated\n', "not valid CSV"),
        ("a.csv", b"ref,titel\n", "unknown column 'titel' (did you mean 'title'?"),
        ("a.csv", b"ref,title,title\n", "column 'title' appears twice"),
        ("a.csv", b"name,country\nx,y\n", "unknown column 'name'"),
        ("a.json", "[]".encode("utf-16"), "not UTF-8"),
        # Windows-1252 is read (with a warning); bytes it leaves undefined mean another encoding.
        ("a.csv", b"ref,title\nabc,T\x81rrega\n", "not UTF-8 or Windows-1252"),
        ("a.csv", "ref,title\nabc,Tàrrega\n".encode("utf-16"), "not UTF-8"),
        ("a.json", b"", "the file is empty"),
        ("a.csv", b"  \n\n", "the file is empty"),
        ("a.json", b'"a string"', "the top level must be a list of records"),
        ("a.txt", b"[]", "unknown file extension '.txt'"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    raws, problems = read_records(path)
    assert raws == []
    assert problems and reason in problems[0].reason, problems


def test_missing_file(tmp_path: Path) -> None:
    _, [problem] = read_records(tmp_path / "nope.json")
    assert problem.reason == "file not found"


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".csv"])
def test_an_empty_catalogue_writes_a_file_that_reads_as_no_records(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"empty{suffix}"
    write_records(path, [])
    raws, problems = read_records(path)
    assert (raws, problems) == ([], [])


def test_exports_are_plain_readable_files(tmp_path: Path) -> None:
    path = tmp_path / "out.yaml"
    write_records(path, canonical(tricky_records()))
    text = path.read_text(encoding="utf-8")
    assert "municipality_code: '08019'" in text  # quoted: other YAML readers would see a number
    assert (
        "Línia u" in text and "\\u" not in text.split("Unicode")[0]
    )  # accents written as themselves
    # Private only when it holds non-public contacts (issue 14 item 10, see test_hardening_files).
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    public = tmp_path / "public.yaml"
    write_records(public, [{**r, "contacts": []} for r in canonical(tricky_records())])
    assert oct(public.stat().st_mode & 0o777) != oct(0o600)
