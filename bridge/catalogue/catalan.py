"""The template's Catalan face (issue 28 point 5): column headers and drop-down labels in Catalan.

Pure data. The contract's columns and codes stay the contract (`local_body.name`, `citizen-care`):
an import takes either, and the export writes the contract's. A column without a Catalan name
here (a field added later) keeps its contract name in the template, so new fields flow through.
"""

from __future__ import annotations

import unicodedata
from enum import Enum

from bridge.models.enums import Area, DocumentKind, Kind, Phase, Proximity

HEADERS: dict[str, str] = {
    "ref": "referència",
    "title": "títol",
    "local_body.name": "ens local",
    "local_body.country": "país",
    "local_body.region": "regió",
    "local_body.kind": "tipus d'ens",
    "local_body.municipality_code": "codi de municipi",
    "local_body.population": "població",
    "local_body.latitude": "latitud",
    "local_body.longitude": "longitud",
    "contacts": "contactes",
    "description": "descripció",
    "value": "valor",
    "savings": "estalvis",
    "savings_eur_per_year": "estalvi en euros l'any",
    "analysis.barriers": "barreres",
    "analysis.benefits": "beneficis",
    "analysis.technology": "tecnologia",
    "area": "àmbit",
    "kind": "tipus de canvi",
    "phase": "fase",
    "documents": "documents",
    "inspired_by": "inspirat en",  # issue 22 point 5: the refs of the projects it built on
    "proximity": "proximitat",
    # Issue 25's evidence (contract §4b).
    "savings_hours_per_year": "hores estalviades l'any",
    "cost.one_off_eur": "cost d'inversió (euros)",
    "cost.yearly_eur": "cost anual (euros)",
    "cost.year": "any dels euros",
    "funding": "finançament",
    "dates.started": "data d'inici",
    "dates.piloted": "data de la prova pilot",
    "dates.implemented": "data d'implantació",
    "team.people": "persones de l'equip",
    "team.external": "proveïdor extern",
    "kpis": "indicadors",
    "criteria.innovation": "autoavaluació: innovació",
    "criteria.results": "autoavaluació: resultats",
    "criteria.transferability": "autoavaluació: transferibilitat",
    "criteria.sustainability": "autoavaluació: sostenibilitat",
    "criteria.participation": "autoavaluació: participació",
    "criteria.justification": "autoavaluació: justificació",
}

# The labels of the drop-downs, by the field they fill; the area labels are the categories'
# default Catalan names (config/bridge.toml).
LABELS: dict[str, dict[str, Enum]] = {
    "area": {
        "Atenció ciutadana": Area.citizen_care,
        "Serveis i tràmits": Area.services_formalities,
        "Serveis socials": Area.social_services,
        "Participació i govern obert": Area.participation_open_government,
        "Planificació i gestió": Area.planning_management,
        "Transformació integral": Area.comprehensive_transformation,
    },
    "kind": {
        "Servei": Kind.service,
        "Procés": Kind.process,
        "Organització": Kind.organisation,
    },
    "phase": {
        "Prototip": Phase.prototype,
        "Pilot": Phase.pilot,
        "Implantat": Phase.implemented,
    },
    "proximity": {
        "Km0 (Catalunya)": Proximity.km0,
        "De fora": Proximity.foreign,
    },
    "document kind": {
        "Article": DocumentKind.article,
        "Demostració": DocumentKind.demo,
        "Vídeo": DocumentKind.video,
        "Presentació": DocumentKind.presentation,
        "Altre": DocumentKind.other,
    },
}

REQUIRED_MARK = " *"


def header_key(text: str) -> str:
    """How a header is recognised: case, Unicode form, surrounding spaces and the template's
    required mark (" *") do not matter."""
    text = unicodedata.normalize("NFC", text).strip()
    return text.removesuffix("*").strip().casefold()


_COLUMN_OF = {header_key(ca): column for column, ca in HEADERS.items()}


def column_for(header: str) -> str | None:
    """The contract column a Catalan header names, if any."""
    return _COLUMN_OF.get(header_key(header))


_CODE_OF = {
    field: {header_key(label): str(code.value) for label, code in labels.items()}
    for field, labels in LABELS.items()
}


def code_for(field: str, value: str) -> str | None:
    """The contract's code for a Catalan drop-down label of `field` ("Atenció ciutadana" →
    "citizen-care"); None when `value` is not one."""
    return _CODE_OF.get(field, {}).get(header_key(value))
