"""The frame scheduler, with a fake clock: time slices and which view redraws when."""

from __future__ import annotations

import pytest

from ffnn.tui.scheduler import FRAME, MIN_SLICE, REDRAW_INTERVAL, YIELD, FrameScheduler


def test_budget_shrinks_with_the_cost_of_drawing_and_never_below_the_minimum():
    scheduler = FrameScheduler()
    free = scheduler.budget(None)
    assert free == pytest.approx(FRAME - YIELD)
    for _ in range(50):
        scheduler.drew(0.010)
        scheduler.slept(0.004)
    assert scheduler.budget(None) == pytest.approx(FRAME - 0.014 - YIELD, abs=1e-4)
    for _ in range(50):
        scheduler.drew(1.0)
    assert scheduler.budget(None) == MIN_SLICE
    assert scheduler.budget(10) == pytest.approx(FRAME * 0.6)  # a fixed speed: a fixed slice


def test_delay_fills_the_frame_and_max_speed_only_yields():
    scheduler = FrameScheduler()
    assert scheduler.delay(0.0, 0.010) == pytest.approx(FRAME - 0.010)
    assert scheduler.delay(0.0, 1.0) == YIELD
    scheduler.max_speed = True
    assert scheduler.delay(0.0, 0.0) == YIELD


def test_a_view_redraws_only_for_new_data_and_after_its_interval_while_training():
    scheduler = FrameScheduler()
    scheduler.begin(0.0)
    assert scheduler.due("boundary", 1)
    assert not scheduler.due("boundary", 1)  # same data: never twice
    scheduler.throttle = True  # training
    scheduler.begin(0.05)
    assert not scheduler.due("boundary", 2)  # new data, but too soon
    assert scheduler.due("boundary", 2, force=True)  # a key press draws at once
    scheduler.begin(0.05 + REDRAW_INTERVAL["boundary"])
    assert scheduler.due("boundary", 3)
    assert scheduler.redraws["boundary"] == 3
    scheduler.forget("boundary")
    assert scheduler.due("boundary", 3)  # a view shown again is redrawn


def test_at_max_speed_the_views_share_one_round():
    scheduler = FrameScheduler()
    scheduler.throttle = scheduler.max_speed = True
    scheduler.begin(10.0)
    assert scheduler.due("boundary", 1) and scheduler.due("plot", 1) and scheduler.due("weights", 1)
    scheduler.begin(10.05)
    assert not scheduler.due("boundary", 2) and not scheduler.due("plot", 2)
    assert scheduler.due("status", 2)  # the status line keeps its own interval
    scheduler.begin(10.2)
    assert scheduler.due("boundary", 3) and scheduler.due("plot", 3)


def test_max_fps_caps_every_view():
    scheduler = FrameScheduler(max_fps=2)
    assert all(seconds >= 0.5 for seconds in scheduler.intervals.values())
    scheduler.throttle = True
    scheduler.begin(0.0)
    assert scheduler.due("status", 1)
    scheduler.begin(0.4)
    assert not scheduler.due("status", 2)
    scheduler.begin(0.5)
    assert scheduler.due("status", 2)
