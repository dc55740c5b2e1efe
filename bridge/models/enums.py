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


class RequestKind(StrEnum):
    """What a connection request asks for (issue 22): its tag, or read from its words."""

    contact = "contact"
    visit = "visit"
    collaboration = "collaboration"


class RequestStatus(StrEnum):
    """Where a connection request stands (bridge.connections.rules.next_status, the one rule)."""

    open = "open"  # recorded, its contacts invited; nobody who can answer has posted yet
    answered = "answered"  # an invited person or one of the council's forum users posted, or solved
    agreed = "agreed"  # a participant tagged it as a visit or a collaboration agreed
    stale = "stale"  # no answer after [connections] stale_days: reminded once
    closed = "closed"  # the topic was closed, archived or deleted
    ignored = "ignored"  # never a request the bridge acts on: `note` says why


class RequestNote(StrEnum):
    """Why a request is ignored, or what held part of it back: a clear status, never an error."""

    no_link = "no_link"  # links no topic of the forum's catalogue
    not_catalogue = "not_catalogue"  # links a topic that is no record's
    archived_project = "archived_project"  # the project is withdrawn from the observatory
    own_user = "own_user"  # opened by the bridge's own API user
    topic_deleted = "topic_deleted"  # gone from the forum before it was read
    relinked = "relinked"  # an edit made it link another project: followed from then on
    flood_limited = "flood_limited"  # the project's invites for the day are spent: sent later
    no_contacts = "no_contacts"  # the project has nobody to invite (or all opted out)


class InviteChannel(StrEnum):
    user = "user"  # a forum user, invited by username: Discourse notifies them
    email = "email"  # an email-only contact: Discourse writes to them, not the bridge


class InviteState(StrEnum):
    """One invite's intent log (bridge.connections.forum_writes): intended before it is sent."""

    intended = "intended"  # recorded, being sent: found so after a crash, it is never re-sent
    sent = "sent"  # the forum took it
    refused = "refused"  # the forum said no for good (unknown user, malformed address…)


class Sort(StrEnum):
    """How records are ordered (`projects list --sort`): three by a figure derived from a
    record's evidence (issue 25, `bridge.catalogue.evidence.SORTS`), records without it last
    (`find --sort` takes those three); `spread` by how many councils took a record up."""

    ref = "ref"
    title = "title"  # type: ignore[assignment]  # shadows str.title; the CLI choice is "title"
    activity = "activity"
    recent = "recent"
    cost_per_inhabitant = "cost-per-inhabitant"
    savings_per_inhabitant = "savings-per-inhabitant"
    time_to_implement = "time-to-implement"
    spread = (
        "spread"  # issue 22 point 5: most councils that took it up first (`inspiration.spread`)
    )


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


class DriftPolicy(StrEnum):
    """What a sync does with what a moderator changed that the catalogue owns (TOML
    `[sync].drift_policy`)."""

    catalogue_wins = "catalogue-wins"  # written back, with the drift edit reason
    report_only = "report-only"  # left as the forum has it, reported by `status`


class Aspect(StrEnum):
    """What of a topic the bridge owns and a moderator can change (drift), in the order
    `status` lists it (contract §3); `pinned` only pages have."""

    category = "category"
    tags = "tags"
    title = "title"  # type: ignore[assignment]  # str.title, shadowed on purpose
    body = "body"
    closed = "closed"
    deleted = "deleted"
    pinned = "pinned"


class LinkSource(StrEnum):
    """Who said that a project built on another (issue 22 point 5, `project_inspiration.source`)."""

    declared = "declared"  # the record's own `inspired_by` (an import) or `projects link`
    request = "request"  # a collaboration request that ended agreed (issue 22 point 3)
