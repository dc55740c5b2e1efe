"""A partial configuration is merged key by key over the built-in defaults; unknown keys and
invalid values are refused by every command that loads the configuration (exit 2, the key and
the nearest known one named); `config show` says where each value came from (issue 27 point 3,
issue 28 point 8)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from plugins.catalogue import Run, make_records, write_records_file
from plugins.sync import SyncHarness
from pydantic import BaseModel, Field

from bridge.catalogue.importer import run_import
from bridge.config_keys import unknown_keys
from bridge.loop.durations import parse_duration
from bridge.settings import ConfigError, Settings, load_settings

ONE_LINE = '[schedule]\ninterval = "5m"\n'


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(("BRIDGE_", "DISCOURSE_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bridge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _comparable(settings: Settings) -> dict[str, object]:
    return settings.model_dump(mode="json", exclude={"config_path", "schedule"})


def test_a_one_line_file_changes_only_that_key(tmp_path: Path) -> None:
    defaults = load_settings()
    partial = load_settings(_file(tmp_path, ONE_LINE))
    assert partial.schedule.every == "5m"
    assert defaults.schedule.every == "15m"
    assert _comparable(partial) == _comparable(defaults)
    assert len(partial.areas) == 6 and partial.labels["ca"] == defaults.labels["ca"]


def test_one_key_of_a_table_keeps_the_rest_of_it(tmp_path: Path) -> None:
    text = (
        '[areas.citizen-care]\ncolor = "112233"\n'
        '[areas.social-services.name]\nca = "Drets socials"\n'
        '[labels.ca]\nfooter = "Fitxa {ref}."\n'
        '[tags]\nkm0 = "proximitat"\n'
        '[opendata.licence]\nid = "CC0-1.0"\n'
    )
    defaults, cfg = load_settings(), load_settings(_file(tmp_path, text))
    care, default_care = cfg.area("citizen-care"), defaults.area("citizen-care")
    assert care.color == "112233"
    assert (care.slug, care.name, care.description) == (
        default_care.slug, default_care.name, default_care.description,
    )  # fmt: skip
    social = cfg.area("social-services").name
    assert social["ca"] == "Drets socials"
    assert social["es"] == defaults.area("social-services").name["es"]
    assert cfg.labels["ca"]["footer"] == "Fitxa {ref}."
    assert cfg.labels["ca"]["description"] == defaults.labels["ca"]["description"]
    assert cfg.tags["km0"] == "proximitat" and cfg.tags["pilot"] == "pilot"
    assert cfg.opendata.licence.id == "CC0-1.0"
    assert cfg.opendata.licence.title == defaults.opendata.licence.title


@pytest.mark.parametrize(
    ("text", "key", "nearest"),
    [
        ('[schedule]\nintervall = "5m"\n', "schedule.intervall", "interval"),
        ('[schedul]\nevery = "5m"\n', "schedul", "schedule"),
        ('[areas.citizen-kare]\ncolor = "000000"\n', "areas.citizen-kare", "citizen-care"),
        ('[areas.citizen-care]\ncolour = "000000"\n', "areas.citizen-care.colour", "color"),
        ('[labels.ca]\nfooterr = "x"\n', "labels.ca.footerr", "footer"),
        ('[tags]\nkm00 = "x"\n', "tags.km00", "km0"),
        ('[opendata.licence]\nidd = "x"\n', "opendata.licence.idd", "id"),
        ("[challenges]\nmax_match = 3\n", "challenges.max_match", "max_matches"),
        ("rate_limit = 3\n", "rate_limit", None),
    ],
)
def test_unknown_keys_are_refused_with_the_nearest_known_one(
    tmp_path: Path, text: str, key: str, nearest: str | None
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(_file(tmp_path, text))
    message = f"unknown key `{key}`" + (f"; did you mean `{nearest}`?" if nearest else "")
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("text", "env", "needle"),
    [
        ('[schedule]\ninterval = "-5m"\n', {}, "schedule.every"),
        ('[schedule]\nevery = "0s"\n', {}, "must be longer than zero"),
        ('[schedule]\nevery = "99999999d"\n', {}, "longer than a year"),
        ("", {"BRIDGE_HOME_REGION": "ES-ZZ"}, "ES-ZZ is not an ISO 3166-2 subdivision"),
        ("", {"BRIDGE_RATE_LIMIT_PER_MINUTE": "9" * 21}, "less than or equal to 6000"),
        ('[areas.citizen-care]\nslug = "reptes"\n', {}, "also an area's category slug"),
    ],
)
def test_invalid_values_are_refused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    env: dict[str, str],
    needle: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=needle):
        load_settings(_file(tmp_path, text) if text else None)


def test_a_real_other_home_region_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_HOME_REGION", "nl-ut")
    assert load_settings().home_region == "NL-UT"


def test_durations_are_bounded() -> None:
    assert parse_duration("365d") == 365 * 86400
    for text in ("99999999d", "366d", "9" * 5000 + "s"):
        with pytest.raises(ValueError, match="longer than a year"):
            parse_duration(text)


def test_sections_added_to_the_model_are_known_without_listing_them() -> None:
    """The known keys come from the model: a section another engineer adds (a `[[harvest]]`
    list of tables, a `[map]` table) is known as soon as it is a field of Settings."""

    class Harvest(BaseModel):
        url: str
        every: str = "1d"

    class Map(BaseModel):
        width: int = 800

    class Extended(Settings):
        harvest: list[Harvest] = Field(default_factory=list)
        map: Map = Map()

    data = {"harvest": [{"url": "https://x.example", "evry": "2d"}], "map": {"width": 5}}
    problems = [p.message() for p in unknown_keys(data, Extended)]
    assert problems == ["unknown key `harvest[0].evry`; did you mean `every`?"]
    assert [p.message() for p in unknown_keys({"map": {"widht": 1}}, Settings)] == [
        "unknown key `map`; known keys here: `areas`, `challenges`, `connections`, "
        "`database_url`, `discourse_api_key`, `discourse_api_username`, `discourse_url`, "
        "`harvest`, `home_region`, `labels`, `language`, `observatory`, …"
    ]


def test_every_command_that_loads_the_file_refuses_it_with_exit_2(
    cli: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIDGE_CONFIG", str(_file(tmp_path, '[schedule]\nintervall = "5m"\n')))
    for args in (
        ["sync", "--dry-run"],
        ["schedule"],
        ["pull"],
        ["webhook"],
        ["config", "show"],
        ["opendata", str(tmp_path / "od")],
        ["places", "find", "Vic"],
        # The read commands check the file without pydantic, against the shipped schema.
        ["projects", "list"],
        ["projects", "list", "--json"],
        ["projects", "show", "vic-1", "--json"],
        ["export", str(tmp_path / "out.json")],
        ["status"],
        ["status", "--json"],
        ["challenges", "list", "--json"],
    ):
        result = cli(*args)
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        assert "unknown key `schedule.intervall`; did you mean `interval`?" in " ".join(
            result.stderr.split()
        ), args
        assert "Traceback" not in result.stderr


def test_schedule_refuses_an_overlong_interval_without_a_traceback(
    cli: Callable[..., Run],
) -> None:
    result = cli("schedule", "--every", "99999999d")
    assert result.exit_code == 2
    assert "longer than a year" in result.stderr and "Traceback" not in result.stderr


def test_config_show_says_where_each_value_came_from(
    cli: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIDGE_CONFIG", str(_file(tmp_path, ONE_LINE)))
    monkeypatch.setenv("DISCOURSE_API_KEY", "s3cr3t-api-key")
    monkeypatch.setenv("BRIDGE_WEBHOOK_SECRET", "hook-s3cr3t")
    monkeypatch.setenv("DISCOURSE_URL", "https://user:pa55word@forum.example.cat")
    result = cli("config", "show", "--json")
    assert result.exit_code == 0, result.stderr
    document = result.json()
    values = {v["key"]: (v["value"], v["source"]) for v in document["values"]}
    assert values["schedule.every"] == ("5m", "file")
    assert values["discourse_api_key"] == ("********", "environment")
    assert values["webhook_secret"] == ("********", "environment")
    assert values["discourse_url"][1] == "environment"
    assert values["areas.citizen-care.slug"] == ("citizen-care", "default")
    assert values["labels.ca.footer"][1] == "default"
    assert values["rate_limit_per_minute"] == (60, "default")
    assert document["config_file"].endswith("bridge.toml")
    for secret in ("s3cr3t", "pa55word"):
        assert secret not in result.stdout
    text = cli("config", "show")
    assert 'schedule.every = "5m"  (file)' in text.stdout
    assert 'discourse_api_key = "********"  (environment)' in text.stdout
    assert "s3cr3t" not in text.stdout and "pa55word" not in text.stdout


def test_a_sync_after_adding_a_one_line_file_plans_nothing(
    harness: SyncHarness, tmp_path: Path
) -> None:
    path = write_records_file(tmp_path / "r.json", make_records(6))
    assert not run_import(harness.engine, [path]).problems
    assert harness.sync(observatory=True).failed == 0
    one_line = load_settings(
        _file(tmp_path, ONE_LINE),
        discourse_url=harness.settings.discourse_url,
        discourse_api_key=harness.settings.discourse_api_key,
        rate_limit_per_minute=0,
    )
    planned = replace(harness, settings=one_line).sync(dry_run=True, observatory=True)
    assert planned.plan is not None and len(planned.plan) == 6
    assert {item["action"] for item in planned.plan} == {"unchanged"}
    assert (planned.created, planned.updated, planned.unchanged) == (0, 0, 6)


def test_the_shipped_schema_is_the_models(tmp_path: Path) -> None:
    """The read commands check the file against bridge/config_schema.json; the model stays the
    one source (python scripts/build_config_schema.py writes it after a change to Settings)."""
    import json

    from bridge import config_schema
    from bridge.config_keys import schema_of

    assert config_schema.shipped() == json.loads(json.dumps(schema_of(Settings))), (
        "bridge/config_schema.json is stale: run python scripts/build_config_schema.py"
    )


def test_the_read_commands_refuse_what_load_settings_refuses(
    cli: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each kind of unknown key, at each depth: the same message from the light check as from
    load_settings; a file of known keys only is taken by both."""
    cases = [
        ("[schedule]\nintervall = '5m'\n", "unknown key `schedule.intervall`"),
        ("[obsrvatory]\nenabled = false\n", "unknown key `obsrvatory`"),
        ("[areas.citizen-caer]\nname = 'X'\n", "unknown key `areas.citizen-caer`"),
        ("[labels.ca]\nevidense = 'X'\n", "unknown key `labels.ca.evidense`"),
        ("[[harvest]]\nsource = 'x.csv'\nslugg = 'x'\n", "unknown key `harvest[0].slugg`"),
    ]
    for text, expected in cases:
        monkeypatch.setenv("BRIDGE_CONFIG", str(_file(tmp_path, text)))
        with pytest.raises(ConfigError) as refused:
            load_settings()
        light = cli("projects", "list", "--json")
        assert light.exit_code == 2, text
        assert expected in str(refused.value) and expected in light.stderr, text
    monkeypatch.setenv("BRIDGE_CONFIG", str(_file(tmp_path, ONE_LINE)))
    assert cli("projects", "list", "--json").exit_code == 0
