"""ffnn.core stays free of any UI library: importing it loads none."""

import subprocess
import sys


def test_importing_core_loads_no_ui_library():
    code = (
        "import sys, ffnn.core, ffnn.core.experiment, ffnn.core.storage, ffnn.core.cli, "
        "ffnn.core.csvdata; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('textual', 'rich', 'plotext', 'textual_plotext', 'ffnn.tui')]; "
        "bad += [m for m in sys.modules if m.startswith('ffnn.tui')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
