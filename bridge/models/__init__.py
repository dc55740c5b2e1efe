"""All tables. Importing this package registers them on `SQLModel.metadata` (Alembic reads it)."""

from bridge.models.catalogue import Contact, Document, LocalBody, Project
from bridge.models.challenges import Challenge, ChallengeCategory, ChallengeStatus
from bridge.models.enums import Area, DocumentKind, Kind, Phase, Proximity, SyncStatus
from bridge.models.places import Place, PlaceSource
from bridge.models.sync import Activity, ForumCategory, Lease, SyncRun, SyncState, WebhookDelivery

__all__ = [
    "Activity",
    "Area",
    "Challenge",
    "ChallengeCategory",
    "ChallengeStatus",
    "Contact",
    "Document",
    "DocumentKind",
    "ForumCategory",
    "Kind",
    "Lease",
    "LocalBody",
    "Phase",
    "Place",
    "PlaceSource",
    "Project",
    "Proximity",
    "SyncRun",
    "SyncState",
    "SyncStatus",
    "WebhookDelivery",
]
