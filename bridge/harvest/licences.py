"""Whether a harvested record may be re-published in this catalogue's open data: only where its
source's licence allows redistribution and adaptation (an open licence in the sense of the Open
Definition). Pure. A record without a licence, or under one not recognised here, stays in the
catalogue and the forum but is not re-published."""

from __future__ import annotations

import re

# Licence URIs and identifiers, lowercased: Creative Commons BY / BY-SA / CC0, Open Data Commons
# (ODC-BY, ODbL, PDDL), and the same in the EU Publications Office's licence table.
_OPEN = re.compile(
    r"creativecommons\.org/(licenses/(by|by-sa)/|publicdomain/zero/)"
    r"|opendatacommons\.org/licenses/(by|odbl|pddl)"
    r"|/authority/licence/(cc_by(_4_0)?|cc_bysa(_4_0)?|cc0|odc_by|odc_bl|odc_pddl)$"
    r"|^(cc-by(-sa)?(-[0-9.]+)?|cc0(-1\.0)?|odc-by(-1\.0)?|odbl(-1\.0)?|pddl(-1\.0)?)$"
)
_RESTRICTED = re.compile(r"(^|[-/_])(nc|nd)([-/_]|$)")


def allows_republishing(licence: str | None) -> bool:
    if not licence:
        return False
    key = licence.strip().lower()
    return bool(_OPEN.search(key)) and not _RESTRICTED.search(key.rsplit("licenses/", 1)[-1])
