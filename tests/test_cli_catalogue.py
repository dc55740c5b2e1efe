"""The catalogue through the CLI (contract §3), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from plugins.catalogue import Run, make_record, make_records, write_records_file

from bridge.models.enums import Area, Kind, Phase

Cli = Callable[..., Run]
RECORD_KEYS = {"ref", "title", "local_body", "description", "area", "kind", "phase"}


def export_json(cli: Cli, tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "snapshot.json"
    assert cli("export", path).exit_code == 0
    return json.loads(path.read_text(encoding="utf-8"))


def test_db_upgrade_is_safe_to_repeat(cli: Cli) -> None:
    for _ in range(2):
        result = cli("db", "upgrade")
        assert result.exit_code == 0, result.stderr
    assert "up to date" in result.stdout


def test_commands_refuse_a_database_without_schema(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    result = cli("projects", "list")
    assert result.exit_code == 2 and "run `digicanvis db upgrade` first" in result.stderr
    assert cli("db", "upgrade").exit_code == 0
    assert cli("projects", "list").exit_code == 0


def test_import_reimport_and_summary(cli: Cli, tmp_path: Path) -> None:
    path = write_records_file(tmp_path / "a.yaml", make_records(25))
    first = cli("import", path)
    assert first.exit_code == 0, first.stderr
    assert first.stdout.startswith("25 created, 0 updated, 0 unchanged")
    again = cli("import", path)
    assert again.stdout.startswith("0 created, 0 updated, 25 unchanged")
    summary = cli("import", path, "--json").json()
    assert (summary["created"], summary["updated"], summary["unchanged"], summary["dry_run"]) == (
        0,
        0,
        25,
        False,
    )


def test_import_several_files_of_several_formats(cli: Cli, tmp_path: Path) -> None:
    records = make_records(30)
    files = [
        write_records_file(tmp_path / "a.json", records[:10]),
        write_records_file(tmp_path / "b.yml", records[10:20]),
        write_records_file(tmp_path / "c.csv", records[20:]),
    ]
    result = cli("import", *files, "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["created"] == 30 and result.json()["files"] == [str(f) for f in files]


def test_update_reports_the_changed_fields(cli: Cli, tmp_path: Path) -> None:
    cli("import", write_records_file(tmp_path / "a.json", make_records(3)))
    changed = make_records(3)
    changed[1]["phase"] = "implemented" if changed[1]["phase"] != "implemented" else "pilot"
    changed[1]["local_body"]["population"] = 1
    summary = cli("import", write_records_file(tmp_path / "b.json", changed), "--json").json()
    assert summary["updated_refs"] == [
        {"ref": "projecte-00001", "fields": ["local_body.population", "phase"]}
    ]
    assert summary["unchanged"] == 2


def test_dry_run_reports_and_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    cli("import", write_records_file(tmp_path / "a.json", make_records(3)))
    before = export_json(cli, tmp_path)
    changed = make_records(4)
    changed[0]["title"] = "Títol nou"
    path = write_records_file(tmp_path / "b.json", changed)
    result = cli("import", "--dry-run", path)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "dry run, nothing written: 1 created, 1 updated, 2 unchanged",
        "  would create projecte-00003",
        "  would update projecte-00000: title",
    ]
    summary = cli("import", "--dry-run", "--json", path).json()
    assert (summary["created"], summary["updated"], summary["unchanged"], summary["dry_run"]) == (
        1,
        1,
        2,
        True,
    )
    assert export_json(cli, tmp_path) == before


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".yml", ".csv"])
def test_export_then_import_is_a_no_op(cli: Cli, tmp_path: Path, suffix: str) -> None:
    records = make_records(20)
    records[0]["description"] = (
        'Accents: àèéíòóúüç·l ñ\nDues línies\r\ni una tercera amb "cometes", comes; i punt i coma'
    )
    records[1]["title"] = "Títol amb «cometes» i emoji 🚲"
    records[2]["analysis"] = {"barriers": "- primer\n- segon\n\n```\ncodi\n```"}
    cli("import", write_records_file(tmp_path / "in.json", records))
    out = tmp_path / f"out{suffix}"
    exported = cli("export", out)
    assert exported.exit_code == 0 and "exported 20 record(s)" in exported.stderr
    result = cli("import", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("0 created, 0 updated, 20 unchanged")
    again = tmp_path / f"again{suffix}"
    cli("export", again)
    assert again.read_bytes() == out.read_bytes()
    # and what came out is what went in
    assert export_json(cli, tmp_path) == sorted(records, key=lambda r: r["ref"])


def test_export_writes_own_proximity_only_where_set(cli: Cli, tmp_path: Path) -> None:
    records = [make_record(1), make_record(7)]
    assert "proximity" not in records[0] and records[1]["proximity"] == "foreign"
    cli("import", write_records_file(tmp_path / "in.json", records))
    exported = export_json(cli, tmp_path)
    assert "proximity" not in exported[0] and exported[1]["proximity"] == "foreign"
    listed = cli("projects", "list", "--json").json()
    assert [r["proximity"] for r in listed] == ["km0", "foreign"]  # effective values in listings


@pytest.mark.parametrize("name", ["out.txt", "out", "missing-dir/out.json"])
def test_export_refuses_bad_targets(cli: Cli, tmp_path: Path, name: str) -> None:
    result = cli("export", tmp_path / name)
    assert result.exit_code == 2 and result.stderr.startswith("error: ")


# --------------------------------------------------------------------------- bad input


def _json(records: Any) -> bytes:
    return json.dumps(records, ensure_ascii=False).encode("utf-8")


def _one(**changes: Any) -> bytes:
    return _json([make_record(100), make_record(101, **changes)])


def _body(**changes: Any) -> bytes:
    record = make_record(100)
    record["local_body"].update(changes)
    return _json([record])


def _doc_url(url: str) -> bytes:
    record = make_record(100)
    record["documents"][0]["url"] = url
    return _json([record])


def _email(email: str) -> bytes:
    record = make_record(100)
    record["contacts"][0]["email"] = email
    return _json([record])


def _without(field: str) -> bytes:
    record = make_record(100)
    del record[field]
    return _json([record])


def _one_bad_among_a_thousand() -> bytes:
    records = make_records(1000, start=100)
    records[637]["local_body"]["latitude"] = 123.0
    return _json(records)


def _csv(text: str) -> bytes:
    return text.encode("utf-8")


_CSV_HEAD = (
    "ref,title,local_body.name,local_body.country,local_body.population,"
    "description,area,kind,phase\n"
)

BAD_INPUT: dict[str, tuple[str, Callable[[], bytes], list[str]]] = {
    "malformed JSON": (
        "bad.json",
        lambda: b'[{"ref": "abc-1", "title": }]',
        ["bad.json: line 1: not valid JSON"],
    ),
    "malformed YAML": (
        "bad.yaml",
        lambda: b"- ref: abc-1\n  title: [unclosed\n",
        ["bad.yaml: line 3: not valid YAML"],
    ),
    "malformed CSV": (
        "bad.csv",
        lambda: _csv(_CSV_HEAD + 'abc-1,"never closed,Abrera\n'),
        ["bad.csv: line 2: not valid CSV: unexpected end of data (a quoted cell is never closed)"],
    ),
    "neither UTF-8 nor Windows-1252": (
        "other.csv",
        lambda: (
            (_CSV_HEAD + "abc-1,T,Tàrrega,ES,1,D,citizen-care,service,pilot\n").encode("latin-1")
            + b"\x81"
        ),
        ["other.csv: line 2: not UTF-8 or Windows-1252"],
    ),
    "empty file": ("empty.json", lambda: b"", ["empty.json: the file is empty"]),
    "empty YAML file": ("empty.yaml", lambda: b"\n\n", ["empty.yaml: the file is empty"]),
    "empty CSV file": ("empty.csv", lambda: b"", ["empty.csv: the file is empty"]),
    "missing required field": (
        "f.json",
        lambda: _without("description"),
        ["record 1 (ref projecte-00100): description: required field missing"],
    ),
    "unknown area": (
        "f.json",
        lambda: _one(area="health"),
        ["area: 'health' is not a valid area; valid values: " + ", ".join(a.value for a in Area)],
    ),
    "unknown kind": (
        "f.json",
        lambda: _one(kind="app"),
        ["kind: 'app' is not a valid kind; valid values: " + ", ".join(k.value for k in Kind)],
    ),
    "unknown phase": (
        "f.json",
        lambda: _one(phase="done"),
        ["phase: 'done' is not a valid phase; valid values: " + ", ".join(p.value for p in Phase)],
    ),
    "duplicate ref in one file": (
        "f.json",
        lambda: _json([make_record(100), make_record(100)]),
        ["record 2 (ref projecte-00100): ref: duplicate ref: already used by record 1"],
    ),
    "ref in the wrong format": (
        "f.json",
        lambda: _one(ref="Projecte_1"),
        ["record 2 (ref Projecte_1): ref: 'Projecte_1' is not a valid ref"],
    ),
    "javascript: document URL": (
        "f.json",
        lambda: _doc_url("javascript:alert(1)"),
        ["documents[0].url: only http and https URLs are allowed, not javascript:"],
    ),
    "non-http document URL": (
        "f.json",
        lambda: _doc_url("file:///etc/passwd"),
        ["documents[0].url: only http and https URLs are allowed, not file:"],
    ),
    "invalid email": (
        "f.json",
        lambda: _email("anna(at)exemple.cat"),
        ["contacts[0].email: 'anna(at)exemple.cat' is not a valid email address"],
    ),
    "negative population": (
        "f.json",
        lambda: _body(population=-5),
        ["local_body.population: must not be negative (got -5)"],
    ),
    "non-numeric population": (
        "f.json",
        lambda: _body(population="molts"),
        ["local_body.population: must be a whole number, not 'molts'"],
    ),
    "non-numeric population in CSV": (
        "f.csv",
        lambda: _csv(_CSV_HEAD + "abc-1,T,Tàrrega,ES,molts,D,citizen-care,service,pilot\n"),
        [
            "f.csv: record 1 (line 2, ref abc-1): local_body.population: must be a whole number, "
            "not 'molts'"
        ],
    ),
    "latitude out of range": (
        "f.json",
        lambda: _body(latitude=-95.5),
        ["local_body.latitude: -95.5 is out of range (-90 to 90)"],
    ),
    "unknown field": (
        "f.json",
        lambda: _one(descripton="typo"),
        ["descripton: unknown field (did you mean 'description'?"],
    ),
    "unknown CSV column": (
        "f.csv",
        lambda: _csv("ref,title,local_body.nom\n"),
        ["unknown column 'local_body.nom' (did you mean 'local_body.name'?"],
    ),
    "one bad record among a thousand good ones": (
        "big.json",
        _one_bad_among_a_thousand,
        ["big.json: record 638 (ref projecte-00737): local_body.latitude: 123.0 is out of range"],
    ),
    "unknown file extension": (
        "records.ods",
        lambda: b"PK",
        ["records.ods: unknown file extension '.ods'; use one of .json, .yaml, .yml, .csv, .xlsx"],
    ),
    "an .xlsx that is not a workbook": (
        "records.xlsx",
        lambda: b"PK",
        ["records.xlsx: not an Excel workbook (.xlsx): the file is not a zip archive"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_refused_clearly_and_nothing_is_written(
    cli: Cli, tmp_path: Path, case: str
) -> None:
    # A good catalogue first; the bad import also carries a change to it, which must not land.
    cli("import", write_records_file(tmp_path / "good.json", make_records(3)))
    before = export_json(cli, tmp_path)
    changed = write_records_file(
        tmp_path / "change.json", [make_record(0, title="Must not be written")]
    )
    name, content, expected = BAD_INPUT[case]
    bad = tmp_path / name
    bad.write_bytes(content())
    result = cli("import", changed, bad)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert all(line.startswith("error: ") for line in lines)
    for text in expected:
        assert any(text in line for line in lines), (text, result.stderr)
    assert lines[-1].startswith("error: ") and lines[-1].endswith("nothing was imported")
    assert export_json(cli, tmp_path) == before


def test_file_not_found(cli: Cli, tmp_path: Path) -> None:
    result = cli("import", tmp_path / "nope.yaml")
    assert result.exit_code == 2 and "nope.yaml: file not found" in result.stderr


def test_duplicate_ref_across_files(cli: Cli, tmp_path: Path) -> None:
    a = write_records_file(tmp_path / "a.json", make_records(3))
    # record 1 spans lines 2-3 (its description has a line break), so record 2 starts on line 4
    b = write_records_file(tmp_path / "b.csv", [make_record(9), make_record(2)])
    result = cli("import", a, b)
    assert result.exit_code == 2
    assert (
        "b.csv: record 2 (line 4, ref projecte-00002): ref: duplicate ref: already used by record "
        f"3 of {a}" in result.stderr
    )
    assert cli("projects", "list", "--json").json() == []


def test_every_problem_is_listed_at_once(cli: Cli, tmp_path: Path) -> None:
    records = make_records(6)
    records[1]["area"] = "x"
    records[4]["documents"][0]["url"] = "javascript:void(0)"
    records[4]["local_body"]["population"] = -1
    records[5]["phase"] = ""
    result = cli("import", write_records_file(tmp_path / "many.yaml", records), "--json")
    assert result.exit_code == 2
    problems = result.json()["problems"]
    assert [(p["index"], p["ref"], p["field"]) for p in problems] == [
        (2, "projecte-00001", "area"),
        (5, "projecte-00004", "local_body.population"),
        (5, "projecte-00004", "documents[0].url"),
        (6, "projecte-00005", "phase"),
    ]
    assert all(p["file"].endswith("many.yaml") and p["line"] for p in problems)
    assert "error: 4 problems found; nothing was imported" in result.stderr


def test_a_position_far_from_the_official_one_is_a_warning_or_with_strict_an_error(
    cli: Cli, tmp_path: Path
) -> None:
    # Issue 10 points 3 and 4: the record keeps its own figures; the import warns (exit 0), and
    # --strict refuses (exit 2, nothing written).
    a, b = make_record(0), make_record(6)
    b["local_body"]["latitude"] = 41.0
    path = write_records_file(tmp_path / "a.json", [a, b])
    strict = cli("import", path, "--strict")
    assert strict.exit_code == 2
    assert (
        "error: " in strict.stderr and "local_body.latitude: the position is 57 km" in strict.stderr
    )
    assert cli("projects", "list", "--json").json() == []
    result = cli("import", path)
    assert result.exit_code == 0
    assert (
        f"warning: {path}: record 2 (ref projecte-00006): local_body.latitude: the position is "
        "57 km from Abrera's official one" in result.stderr
    )
    shown = cli("projects", "show", "projecte-00006", "--json").json()
    assert shown["local_body"]["latitude"] == 41.0
    assert shown["place"]["code"] == "08001" and shown["place"]["comarca"] == "Baix Llobregat"


# --------------------------------------------------------------------------- projects


def test_projects_list_json_shape(cli: Cli, tmp_path: Path) -> None:
    cli("import", write_records_file(tmp_path / "a.json", make_records(6)))
    listed = cli("projects", "list", "--json")
    assert listed.exit_code == 0 and listed.stderr == ""
    records = listed.json()
    assert [r["ref"] for r in records] == [f"projecte-{i:05d}" for i in range(6)]
    for record in records:
        assert set(record) >= RECORD_KEYS
        assert isinstance(record["archived"], bool) and record["proximity"] in ("km0", "foreign")
        assert record["topic_url"] is None
        assert record["activity"] == {
            "replies": 0,
            "views": 0,
            "likes": 0,
            "participants": 0,
            "last_posted_at": None,
        }


def test_projects_list_filters(cli: Cli, tmp_path: Path) -> None:
    records = make_records(24)
    records[4]["title"] = "Xatbot d'atenció"
    cli("import", write_records_file(tmp_path / "a.json", records))

    def refs(*args: str) -> list[str]:
        result = cli("projects", "list", "--json", *args)
        assert result.exit_code == 0, result.stderr
        return [r["ref"] for r in result.json()]

    everything = cli("projects", "list", "--json").json()
    assert refs("--area", "social-services") == [
        r["ref"] for r in everything if r["area"] == "social-services"
    ]
    assert refs("--phase", "implemented", "--kind", "service") == [
        r["ref"] for r in everything if r["phase"] == "implemented" and r["kind"] == "service"
    ]
    assert refs("--proximity", "foreign") == [
        r["ref"] for r in everything if r["proximity"] == "foreign"
    ]
    assert refs("--search", "ATENCIO") == ["projecte-00004"]
    assert refs("--sort", "title")[0] == "projecte-00000"
    bad = cli("projects", "list", "--area", "nowhere")
    assert bad.exit_code == 2 and "citizen-care" in bad.stderr


def test_home_region_rederives_proximity(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli(
        "import", write_records_file(tmp_path / "a.json", [make_record(1), make_record(2)])
    )  # Girona (ES-GI); Bologna
    assert [r["proximity"] for r in cli("projects", "list", "--json").json()] == ["km0", "foreign"]
    monkeypatch.setenv("BRIDGE_HOME_REGION", "ES-MD")
    assert [r["proximity"] for r in cli("projects", "list", "--json").json()] == [
        "foreign",
        "foreign",
    ]
    monkeypatch.setenv("BRIDGE_HOME_REGION", "ES-GI")
    assert (
        cli("projects", "list", "--json", "--proximity", "km0").json()[0]["ref"] == "projecte-00001"
    )


def test_projects_show(cli: Cli, tmp_path: Path) -> None:
    record = make_record(0)
    cli("import", write_records_file(tmp_path / "a.json", [record]))
    # The whole record, personal data included, with --with-private (issue 28: masked without;
    # tests/test_personal_data.py).
    shown = cli("projects", "show", "projecte-00000", "--json", "--with-private")
    assert shown.exit_code == 0
    data = shown.json()
    assert {k: data[k] for k in record if k != "proximity"} == {
        k: v for k, v in record.items() if k != "proximity"
    }
    assert (data["topic_id"], data["topic_url"], data["sync_state"], data["last_error"]) == (
        None,
        None,
        "never",
        None,
    )
    assert set(data["activity"]) == {"replies", "views", "likes", "participants", "last_posted_at"}
    human = cli("projects", "show", "projecte-00000", "--with-private")
    assert human.exit_code == 0
    assert (
        "Projecte de transformació digital núm. 0" in human.stdout
        and "persona0@exemple.cat" in human.stdout
    )


@pytest.mark.parametrize(
    "command", [("projects", "show"), ("projects", "archive"), ("projects", "restore")]
)
def test_unknown_ref_exits_2(cli: Cli, command: tuple[str, str]) -> None:
    result = cli(*command, "no-such-ref")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: no record with ref 'no-such-ref'"


def test_archive_and_restore(cli: Cli, tmp_path: Path) -> None:
    cli("import", write_records_file(tmp_path / "a.json", make_records(3)))
    archived = cli("projects", "archive", "projecte-00001")
    assert archived.exit_code == 0 and "will be closed at the next sync" in archived.stdout
    assert cli("projects", "archive", "projecte-00001").stdout.startswith(
        "projecte-00001 was already archived"
    )
    assert [r["ref"] for r in cli("projects", "list", "--json").json()] == [
        "projecte-00000",
        "projecte-00002",
    ]
    assert [r["ref"] for r in cli("projects", "list", "--json", "--archived").json()] == [
        "projecte-00001"
    ]
    assert len(cli("projects", "list", "--json", "--include-archived").json()) == 3
    assert cli("projects", "show", "projecte-00001", "--json").json()["archived"] is True
    restored = cli("projects", "restore", "projecte-00001")
    assert restored.exit_code == 0 and "reopened" in restored.stdout
    assert cli("projects", "show", "projecte-00001", "--json").json()["archived"] is False


def test_human_list_is_a_table(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    import bridge.cli.catalogue

    # A wide console, so that no cell is folded across lines whatever the test runner's terminal.
    monkeypatch.setattr(
        bridge.cli.catalogue, "out", Console(width=250, highlight=False, soft_wrap=True)
    )
    cli(
        "import",
        write_records_file(
            tmp_path / "a.json", [make_record(1, title="Títol [bold]no markup[/bold]")]
        ),
    )
    result = cli("projects", "list")
    assert result.exit_code == 0
    assert (
        "projecte-00001" in result.stdout
        and "[bold]" in result.stdout
        and "1 record(s)" in result.stdout
    )
    assert cli(
        "projects", "list", "--phase", "implemented", "--kind", "organisation"
    ).stdout.strip() in ("no records match", "")
