"""Issue 28 point 1: a contact's email and phone never reach the forum or any public output,
whatever `public` says (a public contact is shown by name, role and forum profile); the admin
outputs (`projects list/show`, text and `--json`) mask them unless `--with-private` is given;
export, the catalogue's round-trip file, keeps them. The stored listing form that `projects list
--json` splices in byte for byte holds no personal data, and the forms stored before this change
are replaced by `db upgrade`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from plugins.catalogue import Run, make_record, write_records_file

from bridge.catalogue import read_store
from bridge.catalogue.canonical import encode_listed, record_dict
from bridge.settings import load_settings
from bridge.sync.render import render_post

CONFIG = Path(__file__).resolve().parents[1] / "config" / "bridge.toml"
PRIVATE = ("anna@private.example", "+34 600 111 222", "secretaria@private.example", "972 000 000")


def _record(i: int = 2) -> dict[str, Any]:
    """A record with a public contact and a private one, both with an email and a phone."""
    return make_record(
        i,
        contacts=[
            {
                "name": "Anna Vila",
                "role": "Cap de projecte",
                "email": "anna@private.example",
                "phone": "+34 600 111 222",
                "forum_username": "anna",
                "public": True,
            },
            {
                "name": "Secretaria",
                "email": "secretaria@private.example",
                "phone": "972 000 000",
                "public": False,
            },
        ],
    )


def _no_personal_data(text: str) -> None:
    for value in PRIVATE:
        assert value not in text, value


def test_a_public_contact_is_shown_in_the_topic_by_name_role_and_profile_only() -> None:
    """The issue's finding: `… · anna@private.example · +34 600 111 222 · [anna](/u/anna)`."""
    raw = render_post(_record(), proximity="km0", settings=load_settings(CONFIG))
    _no_personal_data(raw)
    assert "- **Anna Vila** · Cap de projecte · [anna](/u/anna)" in raw
    assert "Secretaria" not in raw, "a private contact is not shown at all"


def _import(cli: Callable[..., Run], tmp_path: Path, records: list[dict[str, Any]]) -> None:
    result = cli("import", write_records_file(tmp_path / "records.json", records))
    assert result.exit_code == 0, result.stderr


def _masked(contacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in c.items() if k not in ("email", "phone")} for c in contacts]


def test_admin_outputs_mask_emails_and_phones_unless_asked(
    cli: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the text output on one line a field
    records = [_record(2), make_record(3), _record(4)]
    _import(cli, tmp_path, records)
    expected = {r["ref"]: r.get("contacts", []) for r in records}

    for extra in ((), ("--search", "projecte"), ("--near", "Girona")):
        # The stored listing form (fast path), the text search and the place filters (built from
        # the rows) all mask.
        listed = cli("projects", "list", "--json", *extra)
        assert listed.exit_code == 0, listed.stderr
        _no_personal_data(listed.stdout)
        for record in listed.json():
            assert record.get("contacts", []) == _masked(expected[record["ref"]]), extra
        private = cli("projects", "list", "--json", "--with-private", *extra)
        assert private.exit_code == 0, private.stderr
        for record in private.json():
            assert record.get("contacts", []) == expected[record["ref"]], extra

    shown = cli("projects", "show", records[0]["ref"], "--json")
    _no_personal_data(shown.stdout)
    assert shown.json()["contacts"] == _masked(expected[records[0]["ref"]])
    assert (
        cli("projects", "show", records[0]["ref"], "--json", "--with-private").json()["contacts"]
        == (expected[records[0]["ref"]])
    )
    text = cli("projects", "show", records[0]["ref"])
    assert text.exit_code == 0 and "Anna Vila" in text.stdout
    _no_personal_data(text.stdout)
    text = cli("projects", "show", records[0]["ref"], "--with-private")
    assert "anna@private.example" in text.stdout and "+34 600 111 222" in text.stdout

    # Export is the round-trip file: everything stays, and importing it back changes nothing.
    exported = tmp_path / "export.json"
    assert cli("export", exported).exit_code == 0
    contacts = {r["ref"]: r.get("contacts", []) for r in json.loads(exported.read_text())}
    assert contacts == expected
    again = cli("import", exported, "--json")
    assert again.exit_code == 0 and again.json()["updated"] == 0


def test_the_listing_fast_path_is_the_masked_record_byte_for_byte(engine: sa.Engine) -> None:
    """The stored form spliced into `projects list --json` is what encoding the masked record
    gives; `private` goes through the rows and gives the whole record."""
    from bridge.catalogue.schema import RawRecord, validate_records
    from bridge.catalogue.store import import_records

    raws = (RawRecord("t.json", i, r) for i, r in enumerate((_record(2), _record(4)), 1))
    valid, problems = validate_records(raws)
    assert not problems
    import_records(engine, valid)
    lines = list(read_store.iter_listing(engine, "ES-CT"))
    assert lines == [encode_listed(r) for r in read_store.iter_records(engine, "ES-CT")]
    for line in lines:
        _no_personal_data(line)
    private = list(read_store.iter_listing(engine, "ES-CT", private=True))
    assert private == [
        encode_listed(r) for r in read_store.iter_records(engine, "ES-CT", private=True)
    ]
    assert all("anna@private.example" in line for line in private)


def test_db_upgrade_replaces_listing_forms_stored_with_personal_data(
    cli: Callable[..., Run], tmp_path: Path, engine: sa.Engine
) -> None:
    """Forms stored before revision 0014 held emails and phones: the upgrade drops them and
    `db upgrade` stores them again, masked."""
    from alembic import command

    from bridge.db import _alembic_config

    records = [_record(2), make_record(3)]
    _import(cli, tmp_path, records)
    masked_listing = cli("projects", "list", "--json").stdout
    old_forms = {  # what revision 0010's import stored: the whole record
        item.ref: encode_listed(
            {k: v for k, v in record_dict(item.view).items() if k != "proximity"}
        )
        for item in read_store.load_all(engine)
    }
    command.downgrade(_alembic_config(engine), "0010")
    with engine.begin() as conn:
        for ref, old_form in old_forms.items():
            conn.execute(
                sa.text("UPDATE project SET listing_json = :form WHERE ref = :ref"),
                {"form": old_form, "ref": ref},
            )
    upgraded = cli("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.stderr
    assert "stored the listing form of 1 record(s)" in upgraded.stdout  # the one with contacts
    listed = cli("projects", "list", "--json").stdout
    _no_personal_data(listed)
    assert listed == masked_listing
