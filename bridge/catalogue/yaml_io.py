"""Records as YAML (contract §4), apart from `bridge.catalogue.formats` so that PyYAML, which
costs more to import than a JSON export takes, is loaded only when YAML is read or written."""

from __future__ import annotations

import re
from typing import Any

import yaml

from bridge.catalogue.formats import _TOO_DEEP, _records_from, _too_big
from bridge.catalogue.problems import Problem, RawRecord

# libyaml, where installed, reads and writes YAML several times faster than pure Python.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """SafeLoader that refuses duplicate keys instead of keeping the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(name: str, text: str) -> tuple[list[RawRecord], list[Problem]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        document = loader.construct_document(node) if node is not None else None
    except RecursionError:
        return [], [Problem(name, f"not valid YAML: {_TOO_DEEP}")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (column {mark.column + 1})" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        return [], [
            Problem(name, f"not valid YAML: {reason}{where}", line=mark.line + 1 if mark else None)
        ]
    finally:
        loader.dispose()
    if node is None:
        return [], [Problem(name, "the file is empty (no YAML document)")]
    too_big = _too_big(name, document, len(text))
    if too_big:
        return [], [too_big]
    # Where each record starts, so problems can name a line.
    items = node
    if isinstance(node, yaml.MappingNode):
        items = next((v for k, v in node.value if getattr(k, "value", None) == "projects"), node)
    lines = (
        [item.start_mark.line + 1 for item in items.value]
        if isinstance(items, yaml.SequenceNode)
        else None
    )
    return _records_from(name, document, lines)


class _Dumper(_BaseDumper):  # type: ignore[misc, valid-type]
    """Multi-line text as literal blocks (`|`), which people can read; PyYAML falls back to a
    quoted scalar by itself whenever a block could not carry the text exactly."""


# Text that other YAML readers (YAML 1.2) could take for a number, e.g. the code 08019.
_NUMBERISH_RE = re.compile(r"^[-+]?[0-9.][0-9_.:eE+-]*$")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else "'" if _NUMBERISH_RE.match(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(records: list[dict[str, Any]]) -> str:
    if not records:
        return "[]\n"
    return yaml.dump(
        records,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=2**31 - 1,
    )
