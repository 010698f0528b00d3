"""The frame scheduler: how long to train in a frame, and which view to redraw when.

Pure Python, driven by the clock it is given, so it is tested with a fake one. The app runs
one coroutine on Textual's event loop (no thread touches the arrays); each frame (FRAME =
25 ms) it trains for ``budget()`` seconds, redraws the views that are ``due()``, then sleeps
``delay()`` so input and the screen refresh run:

    budget = max(MIN_SLICE, FRAME - draw cost - everything else the loop did, per frame)

Both costs are moving averages; "everything else" (Textual rendering, handling keys) is how
late the sleep comes back. So a costly redraw shrinks the next slice instead of stretching
the frame, and a key press waits at most about one frame.

A view redraws only when its data changed; while training at most every
``REDRAW_INTERVAL[view]`` seconds, and at max speed all views together every
``MAX_SPEED_INTERVAL`` (one screen update for all of them costs far less than staggered ones).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

FRAME = 1 / 40          # seconds per engine frame
MIN_SLICE = 0.005       # training always gets at least this much of a frame
YIELD = 0.001           # the pause at the end of a max-speed frame: input and refresh run here
EMA = 0.2               # weight of the newest measurement in the cost averages

# Seconds between redraws of each view while training (when paused: at once).
REDRAW_INTERVAL = {"status": 0.1, "boundary": 0.1, "plot": 0.2, "weights": 0.2,
                   "confusion": 0.2}
MAX_SPEED_INTERVAL = 0.15


class FrameScheduler:
    """``max_fps`` (the ``--max-fps`` flag, for slow links) caps how often any view redraws
    while training; training itself keeps its frame."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter,
                 max_fps: float | None = None) -> None:
        self.clock = clock
        floor = 1.0 / max_fps if max_fps else 0.0
        self.intervals = {view: max(seconds, floor) for view, seconds in REDRAW_INTERVAL.items()}
        self.together = max(MAX_SPEED_INTERVAL, floor)
        self.draw_cost = 0.0    # seconds of drawing per frame (moving average)
        self.other_cost = 0.0   # seconds the loop was late back from its sleep (ditto)
        self.redraws = dict.fromkeys(REDRAW_INTERVAL, 0)   # counts, for the benchmark
        self._last_draw = dict.fromkeys(REDRAW_INTERVAL, -math.inf)
        self._last_together = -math.inf
        self._drawn: dict[str, object] = {}
        self.max_speed = False   # training at max speed: views redraw together
        self.throttle = False    # training: redraws wait for their interval
        self._now = 0.0
        self._open = dict.fromkeys(REDRAW_INTERVAL, True)

    # --- training time ---------------------------------------------------------------------
    def budget(self, steps_per_frame: int | None) -> float:
        """Seconds of training this frame."""
        if steps_per_frame is None:
            return max(MIN_SLICE, FRAME - self.draw_cost - self.other_cost - YIELD)
        return max(MIN_SLICE, FRAME * 0.6)

    def drew(self, seconds: float) -> None:
        self.draw_cost += EMA * (seconds - self.draw_cost)

    def slept(self, late: float) -> None:
        self.other_cost += EMA * (max(0.0, late) - self.other_cost)

    def delay(self, frame_start: float, now: float) -> float:
        """How long to sleep before the next frame."""
        if self.max_speed:
            return YIELD
        return max(YIELD, frame_start + FRAME - now)

    # --- redraws -------------------------------------------------------------------------
    def passed(self, view: str, now: float | None = None) -> bool:
        """Whether ``view``'s redraw interval has passed."""
        now = self.clock() if now is None else now
        if view != "status" and self.max_speed:
            return now - self._last_together >= self.together
        return now - self._last_draw[view] >= self.intervals[view]

    def begin(self, now: float) -> None:
        """Start a round of redraws at ``now``: which intervals have passed is decided here,
        once for the round (at max speed the views' shared interval starts again)."""
        self._now = now
        self._open = {view: self.passed(view, now) for view in REDRAW_INTERVAL}
        if self.throttle and self._open["boundary"]:
            self._last_together = now

    def due(self, view: str, key: object, force: bool = False) -> bool:
        """Whether ``view`` should redraw in this round for data ``key``; if so it counts as
        drawn."""
        if self._drawn.get(view) == key:
            return False
        if self.throttle and not force and not self._open[view]:
            return False
        self._drawn[view] = key
        self._last_draw[view] = self._now
        self.redraws[view] += 1
        return True

    def forget(self, view: str | None = None) -> None:
        """A view (or all) may be stale, e.g. it was hidden: its next ``due`` is true."""
        if view is None:
            self._drawn.clear()
        else:
            self._drawn.pop(view, None)
