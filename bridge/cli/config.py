"""Command: `config show` — the effective configuration and where each value came from."""

from __future__ import annotations

import json
import os

from bridge.cli.app import JsonOption, fail, out, print_json, sub_app

config_app = sub_app(
    "config",
    "The configuration: environment > configuration file > built-in defaults.",
)


@config_app.command("show")
def config_show(
    as_json: JsonOption = False,
) -> None:
    """Every effective setting, one a line, with where it came from: `default` (built in),
    `file` (the configuration file named by --config, BRIDGE_CONFIG or config/bridge.toml,
    merged key by key over the defaults) or `environment`. Secrets are masked, and so are the
    passwords in URLs. The file is checked as every command checks it: an unknown key or an
    invalid value is refused (exit 2)."""
    from bridge.config_sources import effective_values
    from bridge.settings import ConfigError, load_settings, read_layers

    try:
        layers = read_layers()
        settings = load_settings()
    except ConfigError as exc:
        fail(str(exc))
    shown = effective_values(settings, layers, os.environ)
    file = None if layers.path is None or not layers.own else str(layers.path)
    if as_json:
        print_json(
            {
                "config_file": file,
                "values": [
                    {"key": s.key, "value": s.value, "source": s.source.value} for s in shown
                ],
            }
        )
        return
    out.print(f"# configuration file: {file or 'none (built-in defaults)'}", markup=False)
    for item in shown:
        value = json.dumps(item.value, ensure_ascii=False)
        out.print(f"{item.key} = {value}  ({item.source.value})", markup=False)
