"""deploy/ (issue 26): the systemd units verify and are hardened, the container file is
multi-stage and runs the console script as a non-root user, the compose example wires the
bridge to PostgreSQL."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
INSTALLED = "/opt/digicanvis/venv/bin/digicanvis"


def _unit(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return parser


def test_there_is_a_unit_for_the_scheduler_and_one_for_the_receiver() -> None:
    assert [u.name for u in UNITS] == ["digicanvis-scheduler.service", "digicanvis-webhook.service"]
    commands = [_unit(u)["Service"]["ExecStart"] for u in UNITS]
    assert commands[0].startswith(f"{INSTALLED} schedule")
    assert commands[1].startswith(f"{INSTALLED} webhook")


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_units_are_hardened(unit: Path) -> None:
    service = _unit(unit)["Service"]
    assert service["User"] == "digicanvis" and service["Group"] == "digicanvis"
    assert service["ProtectSystem"] == "strict"
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectHome"] == "yes" and service["PrivateTmp"] == "yes"
    assert service["CapabilityBoundingSet"] == ""
    # Secrets come from a root-owned file of mode 0600, never from the unit itself.
    assert service["EnvironmentFile"] == "/etc/digicanvis/digicanvis.env"
    assert "0600" in unit.read_text()
    assert "DISCOURSE_API_KEY" not in unit.read_text()
    # The only writable place under ProtectSystem=strict: the state directory.
    assert service["StateDirectory"] == "digicanvis"
    assert service["WorkingDirectory"] == "/var/lib/digicanvis"


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed here (a machine without systemd)",
)
def test_units_verify(tmp_path: Path) -> None:
    """`systemd-analyze verify` exits 0 even on unknown keys and bad values (it only warns), so
    any output is a failure. It also wants ExecStart to exist: the copies point at this
    environment's console script instead of the installed one."""
    script = Path(sys.prefix) / "bin" / "digicanvis"
    assert script.exists()
    copies = []
    for unit in UNITS:
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text().replace(INSTALLED, str(script)))
        copies.append(str(copy))
    result = subprocess.run(
        ["systemd-analyze", "verify", *copies], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert (result.stdout + result.stderr).strip() == ""


def test_the_environment_file_example_names_every_secret_with_placeholders() -> None:
    text = (DEPLOY / "systemd" / "digicanvis.env.example").read_text()
    assert "-m 0600" in text
    for name in ("DISCOURSE_API_KEY", "BRIDGE_WEBHOOK_SECRET", "BRIDGE_DATABASE_URL"):
        assert f"{name}=" in text


def test_the_container_file_is_multi_stage_non_root_with_the_console_script() -> None:
    lines = [line.strip() for line in (DEPLOY / "Containerfile").read_text().splitlines()]
    stages = [line for line in lines if line.startswith("FROM ")]
    assert len(stages) == 2 and stages[0].endswith(" AS build")
    assert any(line.startswith("COPY --from=build ") for line in lines)
    (user,) = [line for line in lines if line.startswith("USER ")]
    assert "root" not in user and user != "USER 0"
    assert 'ENTRYPOINT ["digicanvis"]' in lines
    assert lines.index(user) < lines.index('ENTRYPOINT ["digicanvis"]')


def test_the_compose_example_runs_the_bridge_on_postgresql() -> None:
    doc = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = doc["services"]
    assert services["db"]["image"].startswith("postgres:")
    assert services["migrate"]["command"] == ["db", "upgrade"]
    for name in ("scheduler", "webhook"):
        service = services[name]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["environment"]["BRIDGE_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert service["env_file"] == ["digicanvis.env"]
    assert services["scheduler"]["command"][0] == "schedule"
    assert services["webhook"]["command"][0] == "webhook"
    # No secret written in the example itself.
    assert "POSTGRES_PASSWORD:" not in (DEPLOY / "compose.yaml").read_text()
