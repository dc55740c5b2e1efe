"""`opendata DIR` where DIR is a symbolic link (issue 28 point 8): the directory it points to
gets the package and the link stays; a link to nothing or to a file is refused, saying so."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from plugins.catalogue import Run, make_records, write_records_file


def test_a_symlink_to_an_empty_directory_gets_the_package(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    assert cli("import", write_records_file(tmp_path / "r.json", make_records(3))).exit_code == 0
    real = tmp_path / "srv" / "opendata"
    real.mkdir(parents=True)
    link = tmp_path / "public"
    link.symlink_to(real, target_is_directory=True)
    result = cli("opendata", link)
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert (real / "datapackage.json").is_file() and (real / "projects.csv").is_file()
    again = cli("opendata", link)  # repeatable: the same bytes are not rewritten
    assert again.exit_code == 0 and link.is_symlink()


def test_a_link_to_nothing_or_to_a_file_is_refused_precisely(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "absent")
    result = cli("opendata", dangling)
    assert result.exit_code == 2
    assert "is a symbolic link to" in result.stderr and "which does not exist" in result.stderr
    file = tmp_path / "file.txt"
    file.write_text("x")
    to_file = tmp_path / "to-file"
    to_file.symlink_to(file)
    result = cli("opendata", to_file)
    assert result.exit_code == 2
    assert "which is not a directory" in " ".join(result.stderr.split())
