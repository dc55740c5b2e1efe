"""What is wrong with an input, and a record as a reader found it: plain data, apart from the
validation models of `bridge.catalogue.schema` (pydantic), so that writing a file (`export`)
does not load the validator (issue 15)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    error = "error"  # nothing is written
    warning = "warning"  # normalised or disagreeing; written unless --strict
    # A suggestion, written even with --strict (issue 25: free-text savings whose figure could
    # go in its structured field): reported like a warning, never an error.
    advice = "advice"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as the input allows."""

    file: str
    reason: str
    index: int | None = None  # 1-based position of the record in its file; None: the whole file
    ref: str | None = None
    field: str | None = None
    line: int | None = None  # CSV: the line where the record starts
    severity: Severity = Severity.error

    @property
    def is_warning(self) -> bool:
        return self.severity is not Severity.error

    def as_error(self) -> Problem:
        return replace(self, severity=Severity.error)

    def __str__(self) -> str:
        where = [self.file]
        if self.index is not None:
            detail = [f"line {self.line}"] if self.line is not None else []
            detail += [f"ref {self.ref}"] if self.ref else []
            where.append(f"record {self.index}" + (f" ({', '.join(detail)})" if detail else ""))
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(self.field)
        return f"{': '.join(where)}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "index": self.index,
            "line": self.line,
            "ref": self.ref,
            "field": self.field,
            "reason": self.reason,
            "severity": self.severity.value,
        }


@dataclass
class RawRecord:
    """A record as a reader found it, before validation (readers may already note problems)."""

    file: str
    index: int
    data: Any
    line: int | None = None
    problems: list[tuple[str | None, str]] = field(default_factory=list)  # (field, reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (field, what): said, kept
