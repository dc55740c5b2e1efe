"""Sample data shipped with the package: `demo_catalogue.yaml`, the records `digicanvis demo` loads.

Catalan councils use their real names, INE codes, populations (IGN, NGMEP 2024) and positions
(Generalitat de Catalunya); the projects are written for the demo, inspired by real inventories
(JRC Innovative Public Services Explorer, Decidim and CONSUL installations, Sentilo).
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

DEMO_CATALOGUE = "demo_catalogue.yaml"


def demo_catalogue_path() -> Path:
    """The demo catalogue as a file on disk (the package may be installed as a wheel)."""
    with as_file(files(__name__) / DEMO_CATALOGUE) as path:
        return Path(path)
