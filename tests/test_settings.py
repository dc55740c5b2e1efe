"""Configuration precedence: environment > TOML file > built-in defaults."""

from pathlib import Path

import pytest

from bridge.settings import ConfigError, load_settings

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config" / "bridge.toml"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(("BRIDGE_", "DISCOURSE_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_come_from_the_bundled_file_outside_the_repository() -> None:
    cfg = load_settings()
    assert cfg.database_url == "sqlite:///bridge.db"
    assert cfg.home_region == "ES-CT"
    assert cfg.rate_limit_per_minute == 60
    assert cfg.discourse_api_username == "system"
    assert cfg.discourse_url is None and cfg.discourse_api_key is None
    assert len(cfg.areas) == 6
    assert cfg.area("citizen-care").label("ca") == "Atenció ciutadana"
    assert cfg.area("citizen-care").label("en") == "Citizen care"


def test_environment_overrides_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    toml = tmp_path / "b.toml"
    toml.write_text(
        'home_region = "ES-MD"\nrate_limit_per_minute = 30\n'
        + REPO_CONFIG.read_text(encoding="utf-8")
    )
    monkeypatch.setenv("BRIDGE_CONFIG", str(toml))
    assert load_settings().home_region == "ES-MD"
    assert load_settings().rate_limit_per_minute == 30
    monkeypatch.setenv("BRIDGE_HOME_REGION", "es-pv")
    monkeypatch.setenv("BRIDGE_RATE_LIMIT_PER_MINUTE", "300")
    cfg = load_settings()
    assert cfg.home_region == "ES-PV"
    assert cfg.rate_limit_per_minute == 300


def test_api_key_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCOURSE_API_KEY", "s3cr3t-key-value")
    cfg = load_settings()
    assert cfg.discourse_api_key.get_secret_value() == "s3cr3t-key-value"
    assert "s3cr3t" not in repr(cfg) and "s3cr3t" not in str(cfg)


@pytest.mark.parametrize(
    ("env", "value", "needle"),
    [
        (
            "BRIDGE_HOME_REGION",
            "Catalonia",
            "BRIDGE_HOME_REGION: Value error, must be an ISO 3166-2 code",
        ),
        (
            "BRIDGE_RATE_LIMIT_PER_MINUTE",
            "-1",
            "BRIDGE_RATE_LIMIT_PER_MINUTE: Input should be greater than or equal to 0",
        ),
        ("DISCOURSE_URL", "forum.example.cat", "DISCOURSE_URL: Value error, must be an http"),
        ("BRIDGE_CONFIG", "/nonexistent/bridge.toml", "not found"),
    ],
)
def test_bad_configuration_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, needle: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError, match=needle):
        load_settings()


def test_secret_is_not_echoed_in_a_validation_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    toml = tmp_path / "b.toml"
    toml.write_text('discourse_api_key = "s3cr3t-key-value"\nlanguage = "xx"\n')
    monkeypatch.setenv("BRIDGE_CONFIG", str(toml))
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "s3cr3t" not in str(info.value)


def test_a_file_missing_an_area_takes_the_default_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Issue 27 point 3 changed this: a file that leaves an area out (it once was refused whole,
    "the file must configure all six") now has that area's built-in category, key by key."""
    text = REPO_CONFIG.read_text(encoding="utf-8")
    cut = text.index("[areas.comprehensive-transformation]")
    toml = tmp_path / "b.toml"
    toml.write_text(text[:cut] + text[text.index("[labels.ca]") :])
    monkeypatch.setenv("BRIDGE_CONFIG", str(toml))
    cfg = load_settings()
    assert cfg.area("comprehensive-transformation").slug == "comprehensive-transformation"
    assert len(cfg.areas) == 6
