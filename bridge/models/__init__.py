"""All tables, and the closed vocabularies of a record.

The names below are loaded on first use (PEP 562), not when the package is imported: every
command imports `bridge.models.enums` (Typer builds its options from the enums), and importing the
table modules costs SQLModel, pydantic and the ORM, more than a whole `projects list` needs.
`load_all()` registers every table on `SQLModel.metadata` (Alembic and the tests read it).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from bridge.models.catalogue import Contact, Document, LocalBody, Project
    from bridge.models.discovery import DiscoveryCache, ForumPage
    from bridge.models.enums import (
        Area,
        DocumentKind,
        Kind,
        Phase,
        PlaceSource,
        Proximity,
        SyncStatus,
    )
    from bridge.models.places import Place
    from bridge.models.sync import (
        Activity,
        CatalogueRevision,
        ForumCategory,
        Lease,
        SyncRun,
        SyncState,
        WebhookDelivery,
    )

_HOME = {
    "bridge.models.catalogue": (
        "Contact",
        "Document",
        "LocalBody",
        "Project",
        "ProjectInspiration",
    ),
    "bridge.models.discovery": ("DiscoveryCache", "ForumPage"),
    "bridge.models.places": ("Place",),
    "bridge.models.enums": (
        "Area",
        "DocumentKind",
        "Kind",
        "LinkSource",
        "Phase",
        "PlaceSource",
        "Proximity",
        "SyncStatus",
    ),
    "bridge.models.sync": (
        "Activity",
        "CatalogueRevision",
        "ForumCategory",
        "Lease",
        "SyncRun",
        "SyncState",
        "WebhookDelivery",
    ),
}
_MODULE_OF = {name: module for module, names in _HOME.items() for name in names}
# Modules of this package that define no table.
_NOT_TABLES = frozenset({"columns", "enums", "read_tables", "types"})


def load_all() -> MetaData:
    """Import every table module of this package (new ones too) and return their metadata."""
    importlib.import_module("bridge.models.types")  # the naming convention, before any table
    for module in pkgutil.iter_modules(__path__):
        if module.name not in _NOT_TABLES:
            importlib.import_module(f"{__name__}.{module.name}")
    from sqlmodel import SQLModel

    return SQLModel.metadata


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "Activity",
    "Area",
    "CatalogueRevision",
    "Contact",
    "DiscoveryCache",
    "Document",
    "DocumentKind",
    "ForumCategory",
    "ForumPage",
    "Kind",
    "Lease",
    "LinkSource",
    "LocalBody",
    "Phase",
    "Place",
    "PlaceSource",
    "Project",
    "ProjectInspiration",
    "Proximity",
    "SyncRun",
    "SyncState",
    "SyncStatus",
    "WebhookDelivery",
    "load_all",
]
