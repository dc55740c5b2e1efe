"""The closed vocabularies of a record. Stored in the database as their readable values."""

from __future__ import annotations

from enum import Enum


class Area(str, Enum):
    citizen_care = "citizen-care"
    services_formalities = "services-formalities"
    social_services = "social-services"
    participation_open_government = "participation-open-government"
    planning_management = "planning-management"
    comprehensive_transformation = "comprehensive-transformation"


class Kind(str, Enum):
    service = "service"
    process = "process"
    organisation = "organisation"


class Phase(str, Enum):
    prototype = "prototype"
    pilot = "pilot"
    implemented = "implemented"


class Proximity(str, Enum):
    km0 = "km0"
    foreign = "foreign"


class DocumentKind(str, Enum):
    article = "article"
    demo = "demo"
    video = "video"
    presentation = "presentation"
    other = "other"


class SyncStatus(str, Enum):
    """The sync state of one record, as `projects show` and `status` report it."""

    never = "never"  # no topic has ever been written for it
    synced = "synced"  # the topic matches what was last written
    pending = "pending"  # an action was started and not confirmed (or the record changed since)
    failed = "failed"  # the last attempt failed; retried at the next sync
    drift = "drift"  # the forum changed something the catalogue owns


def values(enum: type[Enum]) -> list[str]:
    """The valid values of an enum, in declaration order (used in error messages)."""
    return [member.value for member in enum]
