"""ffnn.core is a library: importing every module of it loads no UI library, no command-line
or signal machinery, and nothing of ffnn.tui."""

import pkgutil
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "core"
MODULES = sorted(f"ffnn.core.{m.name}" for m in pkgutil.iter_modules([str(CORE)]))


def test_importing_core_loads_no_ui_library():
    assert len(MODULES) > 10
    code = (
        f"import sys, importlib\nfor name in {MODULES!r}: importlib.import_module(name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('textual', 'rich', 'plotext', 'textual_plotext', 'argparse')]\n"
        "bad += [m for m in sys.modules if m.startswith('ffnn.tui')]\n"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_core_sources_name_no_ui_library_signals_or_escape_codes():
    for path in CORE.glob("*.py"):
        text = path.read_text()
        for word in ("import textual", "import rich", "import argparse", "import signal",
                     "\\x1b["):
            assert word not in text, f"{path.name} contains {word!r}"
