"""Build the field's multilingual vocabulary (bridge/discovery/concepts.json) from a local copy
of EuroVoc and the hand-curated concepts of scripts/data/concepts_curated.yaml.

    python scripts/build_concepts.py EUROVOC_YAML [--origin TEXT] [--out PATH]

EUROVOC_YAML is a local copy of EuroVoc as YAML-SKOS (the file `eurovoc.yaml` of the public
repository benoitdavidfr/eurovoc, which holds EuroVoc's concepts with their English and French
preferred and alternative labels, issued 2021-06-04). Nothing is downloaded: the script reads
the copy it is given and records in the output where it came from (`--origin`, e.g. the
repository, commit and path) and its sha256, next to EuroVoc's licence.

Every concept of the curated file keeps its hand-written terms (Catalan is not an EU language,
and the copy holds only en/fr, so ca, es, it, de, nl and pt are curated); a concept naming
EuroVoc ids gets those concepts' en/fr labels as terms too, and its source says so.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
CURATED = REPO / "scripts" / "data" / "concepts_curated.yaml"
OUT = REPO / "bridge" / "discovery" / "concepts.json"
EUROVOC_LICENCE = (
    "EuroVoc © European Union, reused under the Commission's reuse policy (Decision "
    "2011/833/EU; EU Vocabularies are published under CC BY 4.0). The mirror repository's own "
    "LICENSE.md (CeCILL v2.1) covers its software, not the thesaurus."
)
DEFAULT_ORIGIN = (
    "github.com/benoitdavidfr/eurovoc, commit ff5c75c3713a51a7c3eea9f7c9a7c9ef278b803e, "
    "path eurovoc.yaml (EuroVoc issued 2021-06-04, en/fr labels)"
)


def _labels(concept: dict[str, Any], key: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for lang, value in (concept.get(key) or {}).items():
        values = value if isinstance(value, list) else [value]
        found.setdefault(str(lang), []).extend(str(v) for v in values)
    return found


def build(eurovoc_path: Path, origin: str) -> dict[str, Any]:
    raw = eurovoc_path.read_bytes()
    eurovoc = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    thesaurus = {str(k): v for k, v in (eurovoc.get("concepts") or {}).items()}
    curated = yaml.safe_load(CURATED.read_text(encoding="utf-8"))
    concepts: dict[str, Any] = {}
    for concept_id, spec in curated.items():
        terms: dict[str, list[str]] = {k: list(v) for k, v in (spec.get("terms") or {}).items()}
        sources = []
        for ev in spec.get("eurovoc") or []:
            found = thesaurus.get(str(ev))
            if found is None:
                raise SystemExit(f"{concept_id}: EuroVoc concept {ev} is not in {eurovoc_path}")
            for key in ("prefLabel", "altLabel"):
                for lang, values in _labels(found, key).items():
                    terms.setdefault(lang, []).extend(values)
            pref = _labels(found, "prefLabel").get("en", [""])[0]
            sources.append(f"EuroVoc {ev} ({pref}): en/fr labels")
        curated_langs = sorted(spec.get("terms") or {})
        sources.append(f"curated by hand: {', '.join(curated_langs)} terms")
        concepts[concept_id] = {
            "kind": spec["kind"],
            "label": spec["label"],
            "source": spec["source"],
            "sources": sources,
            "terms": {lang: sorted(set(v)) for lang, v in sorted(terms.items())},
        }
    return {
        "format": "concepts-1",
        "built_by": "scripts/build_concepts.py",
        "eurovoc": {
            "origin": origin,
            "sha256": hashlib.sha256(raw).hexdigest(),
            "issued": str(eurovoc.get("issued") or ""),
            "licence": EUROVOC_LICENCE,
        },
        "curated": "scripts/data/concepts_curated.yaml (this repository's licence)",
        "concepts": concepts,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("eurovoc", type=Path, help="local copy of eurovoc.yaml (YAML-SKOS)")
    parser.add_argument("--origin", default=DEFAULT_ORIGIN, help="where the copy came from")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not args.eurovoc.is_file():
        print(f"{args.eurovoc}: no such file", file=sys.stderr)
        return 2
    data = build(args.eurovoc, args.origin)
    args.out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(data['concepts'])} concepts written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
