"""Bytes the app writes to its terminal while training, as an SSH link would carry them.

Run: python tests/benchmarks/bench_bytes.py [--seconds 10 --warmup 4 --runs 3 --max-fps N]
(not collected by pytest)

Each run starts ``ffnn-tui`` (spirals, the default experiment) in a real pseudo-terminal
(os.openpty, TERM=xterm-256color, the size set with TIOCSWINSZ before the app starts), presses
space to train at the default speed, waits ``--warmup`` seconds and then counts every byte the
app writes to the pty for ``--seconds``. Configs: the boundary (wide layout, every view shown)
at 120×40, the boundary tab at 80×24 and the loss tab at 80×24 (``v`` from the boundary tab).
Configs are interleaved over the runs (a shared machine's speed drifts); the table gives the
range over the runs. KB = 1000 bytes.

Redraws are counted two ways:
- frames/s: screen updates the terminal received. The benchmark answers Textual's query for
  synchronized output (``CSI ? 2026 $ p``) the way xterm, kitty or tmux ≥ 3.4 do, so Textual
  wraps every update in ``CSI ? 2026 h`` … ``CSI ? 2026 l``; the starts are counted.
- view redraws/s: the app's own count of each view's redraws (FrameScheduler.redraws), read
  at the start and end of the window through SIGUSR1 (a small wrapper around ``ffnn-tui``
  installs the handler). These must stay the same when the bytes go down: fewer bytes must
  come from sending less per redraw, not from redrawing less often.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from dataclasses import dataclass, field

SYNC_START = b"\x1b[?2026h"
SYNC_QUERY = b"\x1b[?2026$p"
SYNC_REPLY = b"\x1b[?2026;2$y"  # DECRPM: mode 2026 is known and reset (so it may be used)

# Runs the app like the console script does, plus a SIGUSR1 handler that appends the frame
# scheduler's redraw counts (and the time) to the file named by FFNN_BENCH_COUNTS.
WRAPPER = r"""
import json, os, signal, time
from ffnn.tui import scheduler as _scheduler

_made = []
_init = _scheduler.FrameScheduler.__init__

def _record(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    _made.append(self)

_scheduler.FrameScheduler.__init__ = _record

def _dump(signum, frame):
    counts = dict(_made[-1].redraws) if _made else {}
    with open(os.environ["FFNN_BENCH_COUNTS"], "a") as out:
        out.write(json.dumps({"time": time.monotonic(), "redraws": counts}) + "\n")

signal.signal(signal.SIGUSR1, _dump)
import sys
from ffnn.tui.cli import main
main(sys.argv[1:])
"""


@dataclass(frozen=True)
class Config:
    name: str
    columns: int
    lines: int
    keys: tuple[bytes, ...]  # pressed once the app is up, in order


CONFIGS = (
    Config("boundary 120×40", 120, 40, (b" ",)),
    Config("boundary 80×24", 80, 24, (b" ",)),
    Config("loss 80×24", 80, 24, (b" ", b"v")),
)


@dataclass
class Result:
    seconds: float
    bytes: int
    frames: int
    redraws: dict[str, float] = field(default_factory=dict)  # per second, per view

    @property
    def kb_per_s(self) -> float:
        return self.bytes / self.seconds / 1000

    @property
    def frames_per_s(self) -> float:
        return self.frames / self.seconds


class Pty:
    """The app's terminal: drains the output, answers the sync query, counts."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.total = 0
        self.frames = 0
        self._tail = b""

    def pump(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                continue
            try:
                data = os.read(self.fd, 65536)
            except OSError:  # the app exited (EIO on the master)
                return
            if not data:
                return
            self.total += len(data)
            window = self._tail + data
            self.frames += window.count(SYNC_START) - self._tail.count(SYNC_START)
            if SYNC_QUERY in window and SYNC_QUERY not in self._tail:
                os.write(self.fd, SYNC_REPLY)
            self._tail = window[-(len(SYNC_QUERY) - 1):]

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)


def set_size(fd: int, columns: int, lines: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))


def read_counts(path: str, n: int, timeout: float = 2.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(path) as f:
                rows = [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            rows = []
        if len(rows) >= n:
            return rows
        time.sleep(0.02)
    raise RuntimeError("the app did not report its redraw counts")


def run_once(config: Config, seconds: float, warmup: float, extra: list[str],
             python: str = sys.executable) -> Result:
    master, slave = os.openpty()
    set_size(slave, config.columns, config.lines)
    counts = tempfile.NamedTemporaryFile(prefix="ffnn-bench-", suffix=".jsonl", delete=False)
    counts.close()
    os.unlink(counts.name)
    env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(config.columns),
               LINES=str(config.lines), FFNN_BENCH_COUNTS=counts.name)
    for name in ("NO_COLOR", "TEXTUAL", "TMUX", "TERM_PROGRAM"):
        env.pop(name, None)

    def controlling_tty() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen([python, "-c", WRAPPER, *extra], stdin=slave,
                               stdout=slave, stderr=slave, env=env, start_new_session=True,
                               preexec_fn=controlling_tty, close_fds=True)
    os.close(slave)
    term = Pty(master)
    try:
        term.pump(2.5)  # start-up: first frame (the sync query is answered here)
        for key in config.keys:
            term.send(key)
            term.pump(0.5)
        term.pump(warmup)
        os.kill(process.pid, signal.SIGUSR1)
        start_bytes, start_frames, start = term.total, term.frames, time.monotonic()
        term.pump(seconds)
        os.kill(process.pid, signal.SIGUSR1)
        elapsed = time.monotonic() - start
        result = Result(elapsed, term.total - start_bytes, term.frames - start_frames)
        first, last = read_counts(counts.name, 2)[:2]
        dt = last["time"] - first["time"]
        result.redraws = {view: (last["redraws"][view] - first["redraws"].get(view, 0)) / dt
                          for view in last["redraws"]}
        return result
    finally:
        term.send(b"\x11")  # ctrl+q
        term.pump(0.3)
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        os.close(master)
        if os.path.exists(counts.name):
            os.unlink(counts.name)


def span(values: list[float], digits: int = 1) -> str:
    low, high = min(values), max(values)
    if round(low, digits) == round(high, digits):
        return f"{low:.{digits}f}"
    return f"{low:.{digits}f}–{high:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-fps", type=int, default=None)
    parser.add_argument("--only", default="", help="configs whose name contains this")
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter that runs the app (e.g. another checkout's venv)")
    args = parser.parse_args()
    extra = ["--max-fps", str(args.max_fps)] if args.max_fps else []
    configs = [c for c in CONFIGS if args.only in c.name]
    results: dict[str, list[Result]] = {c.name: [] for c in configs}
    for run in range(args.runs):
        for config in configs:
            result = run_once(config, args.seconds, args.warmup, extra, args.python)
            results[config.name].append(result)
            views = ", ".join(f"{v} {r:.1f}" for v, r in result.redraws.items() if r)
            print(f"run {run + 1} {config.name}: {result.kb_per_s:.1f} KB/s, "
                  f"{result.frames_per_s:.1f} frames/s; view redraws/s: {views}",
                  file=sys.stderr, flush=True)
    print(f"\n{args.runs} runs of {args.seconds:g} s after {args.warmup:g} s warm-up; "
          f"load average: {os.getloadavg()[0]:.2f}\n")
    views = ("boundary", "plot", "weights", "confusion", "status")
    print("| config | KB/s | frames/s | " + " | ".join(f"{v} redraws/s" for v in views) + " |")
    print("|---|---|---|" + "---|" * len(views))
    for name, rows in results.items():
        cells = [span([r.kb_per_s for r in rows]), span([r.frames_per_s for r in rows])]
        cells += [span([r.redraws.get(v, 0.0) for r in rows]) for v in views]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
