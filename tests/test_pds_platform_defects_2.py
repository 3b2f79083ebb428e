"""PDS 1.0 live, SUT = platform: each defect of the reference platform (part 2 of 4) fails
exactly the requirements it breaks."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_pds_support import check_defect, role_defects  # noqa: E402

DEFECTS = role_defects("platform")[1::4]


@pytest.mark.parametrize("defect", DEFECTS)
def test_defect_fails_exactly_what_it_breaks(defect: str) -> None:
    check_defect("platform", defect)
