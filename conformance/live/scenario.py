"""Live scenarios are checks on the ``live`` subject."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..checks import CheckFunc, register_check
from ..i18n import Text
from ..verdicts import Verdict

LIVE = "live"


def register_scenario(
    name: str,
    *,
    params: dict[str, Any] | None = None,
    description: Text | str | None = None,
    implicit_pass: bool = True,
) -> Callable[[CheckFunc], CheckFunc]:
    """Register a live scenario (a check for the ``live`` subject).

    A TransportError escaping the scenario makes its requirements ``error`` with the
    exchange as evidence; profile code only has to judge the answers it got.
    """
    return register_check(
        name,
        params=params,
        media_types=(LIVE,),
        description=description,
        parse_error_verdict=Verdict.ERROR,
        implicit_pass=implicit_pass,
    )


def live_session(call: Any) -> Any:
    """The LiveSession of a running live check."""
    session = getattr(call.context, "live", None)
    if session is None:
        raise RuntimeError("not a live run")
    return session


__all__: Iterable[str] = ["register_scenario", "live_session", "LIVE"]
