"""The gazetteer: official municipalities (Spain) and local administrative units (LAU, elsewhere
in Europe), each as one registry gives it.

One row per (country, code, source): the same municipality may come from several registries
(the built-in Catalan table, IGN's Nomenclátor, Eurostat's LAU centres), and each keeps its own
figures; readers merge them, preferring the most official source field by field
(`bridge.places.merge`). Reloading a registry replaces its own rows only, so `places load` is
safe to repeat and the order of loading does not matter.
"""

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bridge.models.enums import RANK, PlaceSource
from bridge.models.types import enum_column

__all__ = ["RANK", "Place", "PlaceSource"]


class Place(SQLModel, table=True):
    __tablename__ = "place"
    __table_args__ = (
        sa.UniqueConstraint("country", "code", "source", name="uq_place_country_code_source"),
    )

    id: int | None = Field(default=None, primary_key=True)
    country: str = Field(max_length=2)  # ISO 3166-1 alpha-2 (Eurostat's EL and UK become GR, GB)
    code: str = Field(max_length=20)  # Spain: the INE code (5 digits); elsewhere: the LAU id
    source: PlaceSource = Field(sa_type=enum_column(PlaceSource))
    name: str = Field(max_length=200)
    alt_name: str | None = Field(default=None, max_length=200)
    population: int | None = Field(default=None, sa_type=sa.BigInteger)
    latitude: float | None = None
    longitude: float | None = None
    area_km2: float | None = None
    comarca: str | None = Field(default=None, max_length=100)
    province: str | None = Field(default=None, max_length=100)
    nuts3: str | None = Field(default=None, max_length=10)
