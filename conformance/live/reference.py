"""Reference peers: a correct implementation of the SUT's side, with switchable defects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ReferenceFactory = Callable[..., "ReferencePeer"]

_REFERENCES: dict[tuple[str, str], ReferenceFactory] = {}


@dataclass
class ReferencePeer:
    """A running reference peer. ``pixit`` is what a harness needs to talk to it."""

    url: str
    stop: Callable[[], None]
    pixit: dict[str, Any] = field(default_factory=dict)
    defects: tuple[str, ...] = ()
    role: str = ""

    def __enter__(self) -> "ReferencePeer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def register_reference(profile_id: str, role: str) -> Callable[[ReferenceFactory], ReferenceFactory]:
    """Register ``factory(pixit=dict, defects=set[str], host=str, port=int) -> ReferencePeer``."""

    def deco(factory: ReferenceFactory) -> ReferenceFactory:
        _REFERENCES[(profile_id, role)] = factory
        return factory

    return deco


def get_reference(profile_id: str, role: str) -> ReferenceFactory | None:
    return _REFERENCES.get((profile_id, role))


def reference_roles(profile_id: str) -> list[str]:
    return sorted(role for pid, role in _REFERENCES if pid == profile_id)
