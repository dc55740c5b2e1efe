"""Small helpers shared by test modules (not fixtures)."""

from __future__ import annotations

from pathlib import Path

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config" / "bridge.toml"


def repo_config_with(old: str, new: str) -> str:
    """The repository's TOML file with one setting changed (the old text must be present)."""
    text = REPO_CONFIG.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in config/bridge.toml"
    return text.replace(old, new)
