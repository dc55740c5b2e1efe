"""Issue 24 in the forum, end to end against the emulator over HTTP: the overview topic shows
the maps and charts and each index topic its area's map, uploaded through POST /uploads.json
and embedded by their `upload://` short URLs; a picture is uploaded (and its topic rewritten)
only when what it shows changed; a no-op sync sends nothing."""

from __future__ import annotations

import re

from plugins.sync import SyncHarness, add_project

from bridge.observatory import store
from bridge.observatory.pages import OVERVIEW, index_key
from bridge.observatory.step import UPLOADS_KEY, known_uploads
from bridge.visual.pictures import OVERVIEW_PICTURES

IMAGE = re.compile(r"!\[([^\]|]+)\|(\d+)x(\d+)\]\((upload://[0-9A-Za-z]+\.png)\)")
# Positions and populations as the gazetteer has them (bridge/places/data/catalunya.csv).
OLOT = {"name": "Ajuntament d'Olot", "country": "ES", "region": "ES-CT",
        "municipality_code": "17114", "population": 37975,
        "latitude": 42.18318266, "longitude": 2.484354623}  # fmt: skip
REUS = {"name": "Ajuntament de Reus", "country": "ES", "region": "ES-CT",
        "municipality_code": "43123", "population": 108479,
        "latitude": 41.15501639, "longitude": 1.108491969}  # fmt: skip
GENT = {"name": "Stad Gent", "country": "BE", "latitude": 51.05, "longitude": 3.72,
        "population": 265000}  # fmt: skip


def _catalogue(harness: SyncHarness) -> None:
    add_project(harness.engine, "olot-care", 0, body=OLOT)  # citizen-care
    add_project(harness.engine, "reus-forms", 1, body=REUS)  # services-formalities
    add_project(harness.engine, "olot-social", 2, body=OLOT)  # social-services


def _sync(harness: SyncHarness):
    return harness.sync(observatory=True)


def _raw(harness: SyncHarness, key: str) -> str:
    page = store.load_pages(harness.engine)[key]
    topic = harness.emulator.state.topics[page.topic_id]
    return topic.posts[0].raw


def _images(raw: str) -> list[tuple[str, str]]:
    return [(alt, url) for alt, _w, _h, url in IMAGE.findall(raw)]


def test_pages_show_their_pictures_uploaded_once(harness: SyncHarness) -> None:
    _catalogue(harness)
    first = _sync(harness)
    uploads = harness.emulator.state.uploads
    overview = _images(_raw(harness, OVERVIEW))
    assert len(overview) == len(OVERVIEW_PICTURES) == 5
    assert overview[0][0].startswith("Mapa de les comarques de Catalunya amb 3 projectes Km0")
    index = _images(_raw(harness, index_key("citizen-care")))
    assert len(index) == 1 and "Atenció ciutadana" in index[0][0]
    # Every picture the pages embed is an upload of the forum's, named by its short URL, and
    # the cooked post draws it from the upload's url.
    short_urls = {u.short_url for u in uploads.values()}
    for key in (OVERVIEW, index_key("citizen-care")):
        for _alt, url in _images(_raw(harness, key)):
            assert url in short_urls
    page = store.load_pages(harness.engine)[OVERVIEW]
    cooked = harness.emulator.state.cooked(harness.emulator.state.topics[page.topic_id].posts[0])
    assert cooked.count('src="/uploads/default/original/1X/') == 5
    assert "transparent.png" not in cooked
    # 5 overview pictures and one map per area with projects (3): each uploaded once.
    assert first.pages["uploaded"] == len(uploads) == 8
    assert set(known_uploads(harness.engine)) == set(uploads)

    again = _sync(harness)
    assert (
        again.requests == 0 and (again.pages or {}).get("uploaded", 0) == 0
    )  # None: the no-op path


def test_a_changed_catalogue_uploads_exactly_the_changed_pictures(harness: SyncHarness) -> None:
    _catalogue(harness)
    _sync(harness)
    before = {key: _images(_raw(harness, key)) for key in store.load_pages(harness.engine)}
    uploaded_before = set(harness.emulator.state.uploads)
    # A foreign project of the citizen-care area: the Km0 maps do not change.
    add_project(harness.engine, "gent-care", 0, body=GENT)
    summary = _sync(harness)
    after = {key: _images(_raw(harness, key)) for key in store.load_pages(harness.engine)}
    new = set(harness.emulator.state.uploads) - uploaded_before
    changed = {
        url
        for key in after
        for (_alt, url), (_old_alt, old_url) in zip(after[key], before[key], strict=True)
        if url != old_url
    }
    assert summary.pages["uploaded"] == len(new) == len(changed)
    new_short_urls = {harness.emulator.state.uploads[sha1].short_url for sha1 in new}
    assert new_short_urls == changed
    overview_before = dict((i, url) for i, (_a, url) in enumerate(before[OVERVIEW]))
    overview_after = dict((i, url) for i, (_a, url) in enumerate(after[OVERVIEW]))
    assert overview_after[0] == overview_before[0]  # the Km0 map: same bytes, not sent again
    assert overview_after[1] != overview_before[1]  # the map of Europe gained Gent
    # Every area map stays as it was (the new project is not Km0).
    for area in ("citizen-care", "services-formalities", "social-services"):
        assert after[index_key(area)] == before[index_key(area)]


def test_an_upload_whose_record_was_lost_is_not_duplicated(harness: SyncHarness) -> None:
    """A run that stopped between the upload and its record: the next run uploads the same
    bytes again and the forum, which keeps one upload per SHA-1, answers with the same one;
    the pages' bodies do not change."""
    _catalogue(harness)
    _sync(harness)
    count = len(harness.emulator.state.uploads)
    bodies = {key: row.body_hash for key, row in store.load_pages(harness.engine).items()}
    store.save_cache(harness.engine, UPLOADS_KEY, "", {})  # the record, lost
    store.save_cache(harness.engine, "pages", "", {})  # and the pages looked at again
    add_project(harness.engine, "olot-care-2", 0, body=OLOT)  # so the overview is rewritten
    _sync(harness)
    assert set(known_uploads(harness.engine)) <= set(harness.emulator.state.uploads)
    rows = store.load_pages(harness.engine)
    assert rows[index_key("social-services")].body_hash == bodies[index_key("social-services")]
    # Only the pictures the new record changed are new uploads (Km0 map, its area's map and
    # the three charts); the others were sent again and found by their SHA-1.
    assert len(harness.emulator.state.uploads) == count + 5


class _LosesFirstAnswer:
    """A forum that stores each upload once per SHA-1 and loses its first answer."""

    def __init__(self) -> None:
        self.sent = 0
        self.stored: dict[bytes, str] = {}

    def upload_image(self, data: bytes, filename: str, content_type: str) -> dict:
        from bridge.forum.errors import AmbiguousWrite

        self.sent += 1
        short = self.stored.setdefault(data, f"upload://pic{len(self.stored)}.png")
        if self.sent == 1:
            raise AmbiguousWrite("timed out", method="POST", path="/uploads.json")
        return {"short_url": short}


def test_an_upload_whose_answer_was_lost_is_looked_up_by_its_bytes(engine) -> None:
    # Issue 24 through the kernel: the lookup of an upload is the same upload (the forum keeps
    # one per SHA-1), so a lost answer costs one more request and never a second upload.
    from bridge.observatory.pages import DesiredPage, PagePicture
    from bridge.observatory.step import _uploaded

    picture = PagePicture(
        key="map", sha1="a" * 40, short_url="upload://guess.png", alt="map", width=1,
        height=1, uploaded=False, data=b"png bytes", filename="map.png",
    )  # fmt: skip
    page = DesiredPage("overview", "dc_overview", None, "T", "![map|1x1](upload://guess.png)",
                       (picture,))  # fmt: skip
    forum = _LosesFirstAnswer()
    done = _uploaded(engine, forum, page)  # type: ignore[arg-type]
    assert forum.sent == 2 and len(forum.stored) == 1
    assert done.raw == "![map|1x1](upload://pic0.png)" and done.pictures[0].uploaded
    assert known_uploads(engine) == {"a" * 40: "upload://pic0.png"}
