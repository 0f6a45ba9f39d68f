"""Confidence bands, calibration error and the bulk-confirm floor, on hand-made proposals."""

import pytest

from commitments.engine.learning.reliability import Reliability


def test_a_confidence_that_means_what_it_says_has_no_calibration_error():
    r = Reliability([(0.95, True)] * 19 + [(0.95, False)] + [(0.55, True)] * 11 + [(0.55, False)] * 9)
    assert r.ece == pytest.approx(0.0, abs=1e-9)
    bands = {(low, high): (n, right) for low, high, n, _, right in r.bands()}
    assert bands[(0.9, 1.0)] == (20, 0.95)
    assert bands[(0.5, 0.6)] == (20, 0.55)


def test_an_overconfident_engine_shows_its_gap():
    r = Reliability([(0.9, True)] * 6 + [(0.9, False)] * 4)
    assert r.ece == pytest.approx(0.3)
    assert r.at_least(0.9) == (0.6, 1.0)


def test_the_floor_for_a_target_precision_is_the_lowest_confidence_that_keeps_it():
    r = Reliability([(0.99, True)] * 10 + [(0.8, True)] * 9 + [(0.8, False)] + [(0.6, False)] * 5)
    assert r.floor_for(0.95) == 0.8  # 19 of 20 at ≥ 0.8
    assert r.floor_for(1.0) == 0.99
    assert Reliability([(0.7, False)]).floor_for(0.95) is None
    assert Reliability().ece is None
