"""The read path's light tables (bridge.models.read_tables) name real columns of the models, with
the same conversions; `bridge.models.load_all()` registers every table module of the package."""

from __future__ import annotations

import pkgutil

import sqlalchemy as sa

import bridge.models
from bridge.models import read_tables
from bridge.models.columns import UTCDateTime


def _python(kind: sa.types.TypeEngine) -> type:
    """The Python type a column's values come back as (SQLModel wraps strings in a decorator)."""
    if isinstance(kind, sa.types.TypeDecorator):
        kind = kind.impl_instance
    return kind.python_type


def test_every_light_column_is_a_model_column_of_the_same_type() -> None:
    metadata = bridge.models.load_all()
    for light in read_tables.ALL:
        model = metadata.tables[light.name]
        for column in light.c:
            assert column.name in model.c, f"{light.name}.{column.name} is not in the model"
            # Values come back as the same Python type (an enum column is read as its str
            # value), and timestamps through the same aware-UTC conversion.
            model_type, where = model.c[column.name].type, f"{light.name}.{column.name}"
            if isinstance(model_type, UTCDateTime) or isinstance(column.type, UTCDateTime):
                assert type(model_type) is type(column.type), where
            else:
                assert issubclass(_python(model_type), _python(column.type)), (
                    f"{where}: {model_type!r} in the model, {column.type!r} here"
                )


def test_load_all_registers_every_table_module() -> None:
    metadata = bridge.models.load_all()
    modules = {m.name for m in pkgutil.iter_modules(bridge.models.__path__)}
    expected = {
        table.name
        for name in modules
        for table in vars(__import__(f"bridge.models.{name}", fromlist=["_"])).values()
        if isinstance(getattr(table, "__table__", None), sa.Table)
        for table in [table.__table__]
    }
    assert expected and expected <= set(metadata.tables)


def test_names_of_the_package_resolve_on_first_use() -> None:
    from bridge.models.catalogue import Project
    from bridge.models.enums import Area

    assert bridge.models.Project is Project and bridge.models.Area is Area
    for name in bridge.models.__all__:
        assert getattr(bridge.models, name) is not None, name


def test_the_place_reader_names_every_column_of_the_place_model() -> None:
    """bridge.places.read_store builds PlaceRow from its columns by position and name."""
    from dataclasses import fields

    from bridge.places.gazetteer import PlaceRow
    from bridge.places.read_store import COLUMNS

    model = bridge.models.load_all().tables["place"]
    assert set(COLUMNS) == {c.name for c in model.c} - {"id"}
    assert tuple(f.name for f in fields(PlaceRow)) == COLUMNS
