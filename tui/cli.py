"""The ``ffnn-tui`` console script.

``ffnn-tui train [flags]`` trains headless (``ffnn.core.cli``); anything else opens the
interactive app: ``ffnn-tui [experiment.toml] [flags]``. Textual is imported only when the
app actually starts, so headless runs and ``--help`` never load it.
"""

from __future__ import annotations

import os
import sys

from ffnn.core.cli import parse_app_args, train_main


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["train"]:
        from ffnn.tui.screenshot import write_screenshot  # imports Textual only when used

        try:
            code = train_main(argv[1:], screenshot=write_screenshot)
        except BrokenPipeError:
            # `ffnn-tui train --json | head`: the reader left; stop quietly, as Unix tools do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            code = 0
        raise SystemExit(code)
    experiment, loaded = parse_app_args(argv)
    from ffnn.tui.app import FfnnApp

    FfnnApp(experiment=experiment, loaded=loaded).run()


if __name__ == "__main__":
    main()
