"""Issue 14 item 9: nothing a record, a ref or the forum holds can drive the terminal. Every
human-readable print escapes C0/C1 controls and bidi formatting characters (bridge.terminal);
one-line fields refuse bidi overrides at import; C1 controls are accepted (real publishers' data
carries them) and shown escaped."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plugins.catalogue import Run, make_record, write_records_file

from bridge.terminal import json_safe, visible

Cli = Callable[..., Run]
ESC_TITLE = "\x1b]0;pwned\x07\x1b[2J"
CSI_C1 = "\x9b"  # a one-character CSI on terminals that honour 8-bit controls
RLO = "\u202e"
# What must never reach a terminal raw: C0 (less tab and line feed), DEL, C1, bidi controls.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def test_visible_escapes_every_terminal_control_and_keeps_layout() -> None:
    text = f"a\tb\nc{ESC_TITLE}{CSI_C1}31m{RLO}txt\u2066\r"
    shown = visible(text)
    assert RAW.search(shown) is None
    assert shown.startswith("a\tb\nc\\x1b]0;pwned\\x07")
    assert "\\x9b31m\\u202etxt\\u2066\\x0d" in shown


def test_json_safe_keeps_the_value() -> None:
    document = json.dumps({"t": f"x{CSI_C1}{RLO}y\x7f"}, ensure_ascii=False)
    safe = json_safe(document)
    assert RAW.search(safe) is None
    assert json.loads(safe) == json.loads(document)


@pytest.mark.parametrize(
    "args",
    [
        ("projects", "show"),
        ("projects", "archive"),
        ("projects", "restore"),
        ("sync", "--dry-run", "--project"),
    ],
    ids=" ".join,
)
def test_an_invalid_ref_is_echoed_escaped(cli: Cli, args: tuple[str, ...]) -> None:
    ref = f"ab{ESC_TITLE}{CSI_C1}{RLO}c"
    result = cli(*args, ref)
    assert result.exit_code == 2
    assert RAW.search(result.stdout + result.stderr) is None
    assert "\\x1b]0;pwned" in result.stderr


def test_an_import_error_echoes_a_bad_ref_escaped(cli: Cli, tmp_path: Path) -> None:
    record = make_record(1, ref=f"bad{ESC_TITLE}")
    result = cli("import", write_records_file(tmp_path / "in.json", [record]))
    assert result.exit_code == 2
    assert RAW.search(result.stdout + result.stderr) is None
    assert "\\x1b]0;pwned" in result.stderr


@pytest.mark.parametrize("field", ["title", "local_body.name", "contacts.role"])
def test_one_line_fields_refuse_bidi_overrides(cli: Cli, tmp_path: Path, field: str) -> None:
    record = make_record(0)
    spoof = f"Ajuntament {RLO}txt.exe"
    if field == "title":
        record["title"] = spoof
    elif field == "local_body.name":
        record["local_body"]["name"] = spoof
    else:
        record["contacts"][0]["role"] = spoof
    result = cli("import", write_records_file(tmp_path / "in.json", [record]))
    assert result.exit_code == 2
    assert "bidirectional override" in result.stderr
    assert RAW.search(result.stderr) is None


def test_c1_and_bidi_in_stored_text_are_printed_escaped(cli: Cli, tmp_path: Path) -> None:
    record = make_record(
        0,
        title=f"Castell d{chr(0x92)}Aro: finestreta {CSI_C1}2J única",
        description=f"Una cita {RLO}invertida\u202c i un final{CSI_C1}31m.",
    )
    record["local_body"]["name"] = f"Ajuntament de Castell d{chr(0x92)}Aro{CSI_C1}"
    assert cli("import", write_records_file(tmp_path / "in.json", [record])).exit_code == 0
    ref = record["ref"]
    for args in (("projects", "list"), ("projects", "show", ref), ("status",)):
        result = cli(*args)
        assert result.exit_code == 0, result.stderr
        assert RAW.search(result.stdout + result.stderr) is None, args
    shown = cli("projects", "show", ref).stdout
    assert "finestreta \\x9b2J única" in shown and "\\u202einvertida" in shown
    # JSON stays the same value, written with escapes.
    listed = cli("projects", "show", ref, "--json")
    assert RAW.search(listed.stdout) is None
    assert listed.json()["title"] == record["title"]
    assert listed.json()["description"] == record["description"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_visible_leaves_nothing_that_drives_a_terminal(text: str) -> None:
    shown = visible(text)
    assert RAW.search(shown) is None
    assert visible(shown) == shown  # idempotent: printing twice changes nothing
