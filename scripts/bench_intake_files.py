#!/usr/bin/env python3
"""Benchmark of the files councils really send (issue 28): spreadsheet bounds and mappings.

1. Hostile workbooks, each imported by a new process into a fresh SQLite catalogue: the issue's
   0.7 MB .xlsx holding 100 million empty shared strings (500 MB inflated), a sheet reaching row
   1,048,576 and column XFD; refused, how fast, with what peak memory.
2. The largest workbooks the bounds accept (target: < 300 MB peak for any of them): shared
   strings up to the bound, a sparse sheet whose grid spans the row and column bounds, and
   records up to the row bound.
3. The three real inventories of ../shared/data through the shipped mappings (`import --map`):
   time, records and warnings.
Prints the figures; asserts nothing.

    python scripts/bench_intake_files.py [--shared ../shared] [--only bounds|mappings]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_catalogue import generate

ROOT = Path(__file__).resolve().parent.parent
TARGET_MB = 300


def _child(argv: list[str]) -> tuple[int, float, float, str, str]:
    """`python -m bridge ARGV`: (exit code, wall s, peak RSS MB, stdout, stderr)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "bridge", *argv], stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        return (
            os.waitstatus_to_exitcode(status),
            wall,
            usage.ru_maxrss / 1024,
            out.read().decode(),
            err.read().decode(),
        )


def _fresh(work: Path, name: str) -> None:
    db = work / f"{name}.db"
    db.unlink(missing_ok=True)
    os.environ["BRIDGE_DATABASE_URL"] = f"sqlite:///{db}"
    code, *_ = _child(["db", "upgrade"])
    assert code == 0


def _base_workbook() -> dict[str, bytes]:
    """The parts of a small valid workbook (the product's own writer: one record)."""
    import io

    from bridge.catalogue.spreadsheet import write_xlsx

    data = write_xlsx(generate(1))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _write(
    path: Path, parts: dict[str, bytes], streamed: dict[str, tuple[bytes, bytes, bytes, int]]
):
    """A zip of `parts`, plus members written in a stream: (head, repeated piece, tail, times),
    compressed as they go, so a 500 MB member never sits in memory here."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            if name not in streamed:
                archive.writestr(name, data)
        for name, (head, piece, tail, times) in streamed.items():
            with archive.open(name, "w", force_zip64=True) as handle:
                handle.write(head)
                block = piece * (1 << 16)
                for _ in range(times // (1 << 16)):
                    handle.write(block)
                handle.write(piece * (times % (1 << 16)))
                handle.write(tail)
    return path


def _report(label: str, path: Path, work: Path) -> None:
    _fresh(work, path.stem)
    code, wall, mb, _, err = _child(["import", str(path)])
    said = next((line for line in err.splitlines() if line.startswith("error:")), "")
    said = said.replace(str(path), path.name)
    print(
        f"  {label}: {path.stat().st_size / 1e6:.1f} MB file; exit {code} in {wall:.2f} s, "
        f"{mb:.0f} MB peak  [< {TARGET_MB} MB]"
    )
    if said:
        print(f"    {said[:200]}")


def bounds(work: Path) -> None:
    from bridge.catalogue import spreadsheet as sheet

    parts = _base_workbook()
    ns = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    print("hostile workbooks (refused):")
    bomb = _write(
        work / "strings-bomb.xlsx",
        parts,
        {"xl/sharedStrings.xml": (ns, b"<si/>", b"</sst>", 100_000_000)},
    )
    _report("100,000,000 empty shared strings (the issue's file)", bomb, work)
    far = dict(parts)
    far["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"</sheetData>",
        b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row></sheetData>',
    )
    _report(
        "one cell at XFD1048576 (a dense grid of 17 billion cells)",
        _write(work / "far.xlsx", far, {}),
        work,
    )

    print(f"largest accepted workbooks (bounds: {sheet.MAX_SHARED_STRINGS:,} shared strings, "
          f"{sheet.MAX_SHARED_STRINGS_BYTES // 2**20} MB of them, {sheet.MAX_ROWS - 1:,} records, "
          f"{sheet.MAX_COLUMNS} columns, {sheet.MAX_CELLS:,} cells):")  # fmt: skip
    text = b"<si><t>" + b"x" * 80 + b"</t></si>"
    count = min(sheet.MAX_SHARED_STRINGS, sheet.MAX_SHARED_STRINGS_BYTES // len(text) - 10)
    strings = _write(
        work / "strings-max.xlsx", parts, {"xl/sharedStrings.xml": (ns, text, b"</sst>", count)}
    )
    _report(f"{count:,} shared strings of 80 characters", strings, work)
    corner = dict(parts)
    corner["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"</sheetData>",
        f'<row r="{sheet.MAX_ROWS}"><c r="{_letters(sheet.MAX_COLUMNS)}{sheet.MAX_ROWS}" '
        't="n"><v>1</v></c></row></sheetData>'.encode(),
    )
    _report(
        f"a grid of {sheet.MAX_ROWS:,} rows × {sheet.MAX_COLUMNS} columns (sparse)",
        _write(work / "corner.xlsx", corner, {}),
        work,
    )
    copies = dict(parts)
    copies["xl/sharedStrings.xml"] = ns + b"<si><t>" + b"x" * (6 << 20) + b"</t></si></sst>"
    copies["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"</sheetData>",
        b"".join(b'<row r="%d"><c r="E%d" t="s"><v>0</v></c></row>' % (n, n) for n in range(3, 13))
        + b"</sheetData>",
    )
    _report(
        "one 6 MB shared string named by 10 cells", _write(work / "copies.xlsx", copies, {}), work
    )
    inline = dict(parts)
    text = b"y" * (6 << 20)
    inline["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"</sheetData>",
        b"".join(
            b'<row r="%d"><c r="E%d" t="inlineStr"><is><t>%s</t></is></c></row>' % (n, n, text)
            for n in range(3, 13)
        )
        + b"</sheetData>",
    )
    _report("60 MB of inline text in 10 cells", _write(work / "inline.xlsx", inline, {}), work)
    # Written by another process: a child's peak memory counts the pages it shares with its
    # parent when forked, so this process stays small.
    full = work / "records-max.xlsx"
    subprocess.run(
        [sys.executable, __file__, "--write-records", str(full), str(sheet.MAX_ROWS - 1)],
        check=True,
    )
    _report(f"{sheet.MAX_ROWS - 1:,} valid records (imported)", full, work)


def _letters(column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def mappings(work: Path, data: Path) -> None:
    print("the real inventories through the shipped mappings (import --map, fresh SQLite):")
    for mapping, name in (
        ("jrc", "projects_jrc_ipsx_cases_2022.csv"),
        ("decidim", "projects_decidim_installations.csv"),
        ("consul", "projects_consul_organizations_2019.csv"),
        ("consul", "projects_consul_organizations_2019.json"),
    ):
        _fresh(work, mapping)
        code, wall, mb, out, err = _child(["import", "--map", mapping, str(data / name)])
        warnings = [line for line in err.splitlines() if line.startswith("warning:")]
        skipped = sum("row skipped" in line for line in warnings)
        print(
            f"  --map {mapping:<8} {name}: exit {code}, {wall:.2f} s, {mb:.0f} MB peak; "
            f"{out.strip().split(' (')[0]}; {len(warnings)} warnings ({skipped} rows skipped: "
            "no country)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=str(ROOT.parent / "shared"))
    parser.add_argument("--only", choices=("bounds", "mappings"))
    parser.add_argument("--write-records", nargs=2, metavar=("FILE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_records:
        from bridge.catalogue.spreadsheet import write_xlsx

        records = generate(int(args.write_records[1]))
        for record in records:  # made-up codes: the names place them (or not)
            record["local_body"].pop("municipality_code", None)
        Path(args.write_records[0]).write_bytes(write_xlsx(records))
        return 0
    work = Path(tempfile.mkdtemp(prefix="bench-intake-files-"))
    print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    try:
        if args.only != "bounds":
            mappings(work, Path(args.shared) / "data")
        if args.only != "mappings":
            bounds(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
