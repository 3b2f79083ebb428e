"""ocpp-1.6j, SUT = charge point: reference defects, slice c (each fails exactly what it breaks)."""

from __future__ import annotations

import pytest

from test_ocpp_support import assert_defect_caught, defects_of


@pytest.mark.parametrize("defect", defects_of("charge-point")[2::3])
def test_charge_point_defect_fails_exactly_what_it_breaks(defect: str) -> None:
    assert_defect_caught(defect)
