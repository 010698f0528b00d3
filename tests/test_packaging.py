"""`pip install .` ships every package: pyproject.toml lists them by hand (the folders core/
and tui/ are not named like the packages), so a new sub-folder must be added there too."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_source_folder_is_a_listed_package():
    setup = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {path.parent.relative_to(ROOT).as_posix()
               for top in ("core", "tui") for path in (ROOT / top).rglob("__init__.py")}
    listed = {setup["package-dir"][name] for name in setup["packages"]}
    assert folders == listed, f"folders not shipped: {sorted(folders - listed)}"
