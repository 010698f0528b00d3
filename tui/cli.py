"""The ``ffnn-tui`` console script.

``ffnn-tui train [flags]`` trains headless; anything else opens the app:
``ffnn-tui [experiment.toml] [flags]``. Textual is imported only when the app starts, so
headless runs and ``--help`` never load it. The exit status is never 0 after a crash.
"""

from __future__ import annotations

import os
import sys


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["train"]:
        from ffnn.tui.commands.train import train_main

        try:
            code = train_main(argv[1:])
        except BrokenPipeError:
            # `ffnn-tui train --json | head`: the reader left; stop quietly, as Unix tools do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            code = 0
        raise SystemExit(code)
    from ffnn.tui.commands.launch import app_arguments

    arguments = app_arguments(argv)
    from ffnn.tui.app import FfnnApp

    app = FfnnApp(run=arguments.run, max_fps=arguments.max_fps)
    app.run()
    # Textual prints an unhandled error's traceback itself and sets return_code to 1.
    raise SystemExit(app.return_code or 0)


if __name__ == "__main__":
    main()
