"""The `[[harvest]]` list of the TOML file: the sources `harvest` (without arguments) and
`schedule` read, each with its options."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bridge.harvest.model import Defaults, Limits
from bridge.models.enums import Area, Kind, Phase


class HarvestSourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # An http(s) URL or a local path: a DCAT-AP catalogue, a datapackage.json or a known CSV.
    source: str = Field(min_length=1, max_length=2000)
    # The namespace of its records' refs (`<slug>:<id>`); derived from the address when absent.
    slug: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]{0,23}$")
    # What the source's records lack (a DCAT dataset has no area, kind or phase).
    area: Area | None = None
    kind: Kind | None = None
    phase: Phase | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    timeout_s: float = Field(default=30.0, gt=0, le=600)
    max_mb: int = Field(default=64, ge=1, le=1024)

    def limits(self) -> Limits:
        return Limits(timeout=self.timeout_s, max_bytes=self.max_mb * 1024 * 1024)

    def defaults(self) -> Defaults:
        return Defaults(
            self.area.value if self.area else None,
            self.kind.value if self.kind else None,
            self.phase.value if self.phase else None,
            self.country,
        )
