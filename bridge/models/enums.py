"""The closed vocabularies of a record. Stored in the database as their readable values."""

from __future__ import annotations

from enum import Enum, StrEnum


class Area(StrEnum):
    citizen_care = "citizen-care"
    services_formalities = "services-formalities"
    social_services = "social-services"
    participation_open_government = "participation-open-government"
    planning_management = "planning-management"
    comprehensive_transformation = "comprehensive-transformation"


class Kind(StrEnum):
    service = "service"
    process = "process"
    organisation = "organisation"


class Phase(StrEnum):
    prototype = "prototype"
    pilot = "pilot"
    implemented = "implemented"


class Proximity(StrEnum):
    km0 = "km0"
    foreign = "foreign"


class DocumentKind(StrEnum):
    article = "article"
    demo = "demo"
    video = "video"
    presentation = "presentation"
    other = "other"


class FundingSource(StrEnum):
    """Where a project's money came from (contract §4b, issue 25)."""

    own = "own"  # the body's own budget
    ngeu = "ngeu"  # Next Generation EU / PRTR (Plan de Recuperación)
    feder = "feder"  # ERDF (FEDER)
    diputacio = "diputacio"  # a provincial council (Diputació)
    generalitat = "generalitat"  # the regional government
    state = "state"  # the central State
    other = "other"


class SyncStatus(StrEnum):
    """The sync state of one record, as `projects show` and `status` report it."""

    never = "never"  # no topic has ever been written for it
    synced = "synced"  # the topic matches what was last written
    pending = "pending"  # an action was started and not confirmed (or the record changed since)
    failed = "failed"  # the last attempt failed; retried at the next sync
    drift = "drift"  # the forum changed something the catalogue owns


class ChallengeStatus(StrEnum):
    """Where the bridge stands with one challenge (bridge.models.challenges.Challenge)."""

    pending = "pending"  # seen, not answered yet (new, or the forum refused the reply: retried)
    answered = "answered"  # our reply is in the topic and matches the challenge as last read
    no_match = "no_match"  # nothing in the catalogue fits: replied so (before issue 21: no reply)
    reply_deleted = "reply_deleted"  # a moderator deleted our reply: respected, never re-posted
    closed = "closed"  # the challenge was closed, archived, deleted or moved away: left alone
    ignored = "ignored"  # opened by the bridge's own user (never a challenge)


class Sort(StrEnum):
    """How records are ordered (`projects list --sort`): the last three by a figure derived from
    a record's evidence (issue 25, `bridge.catalogue.evidence.SORTS`), records without it last;
    `find --sort` takes those three."""

    ref = "ref"
    title = "title"  # type: ignore[assignment]  # shadows str.title; the CLI choice is "title"
    activity = "activity"
    recent = "recent"
    cost_per_inhabitant = "cost-per-inhabitant"
    savings_per_inhabitant = "savings-per-inhabitant"
    time_to_implement = "time-to-implement"


class SyncResult(StrEnum):
    """What a sync action ended as, for the summary (contract §3 keys, plus adopted and deleted);
    `bridge.sync.plan.Result`. In the order a run's counts are printed (`RUN_COUNTS`)."""

    created = "created"
    updated = "updated"
    unchanged = "unchanged"
    archived = "archived"
    restored = "restored"
    adopted = "adopted"
    failed = "failed"
    deleted = "deleted"  # a pairing forgotten: not one of a run row's counts


def values(enum: type[Enum]) -> list[str]:
    """The valid values of an enum, in declaration order (used in error messages)."""
    return [member.value for member in enum]


class PlaceSource(StrEnum):
    """Where a row came from; the order of `RANK` says which wins when registries disagree."""

    catalunya = "catalunya"  # built in: Generalitat de Catalunya + IGN, 947 municipalities
    ign = "ign"  # IGN/CNIG Nomenclátor (NGMEP), every Spanish municipality
    lau = "lau"  # Eurostat/GISCO LAU centres (population from the 2018 1 km² grid)


# Municipal registers (padrón) before a grid estimate; the Generalitat's table (with comarques)
# before IGN's national one.
RANK: dict[PlaceSource, int] = {PlaceSource.catalunya: 3, PlaceSource.ign: 2, PlaceSource.lau: 1}
