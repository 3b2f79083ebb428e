"""Where bundled profiles, schemas and fixtures live: a checkout or an installed wheel."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

_PKG = Path(__file__).resolve().parent


@cache
def bundled_root() -> Path:
    """The folder holding ``profiles/``, ``schemas/`` and ``fixtures/``.

    In a wheel they are copied to ``conformance/_bundled``; in a checkout (or an
    editable install) they sit beside the package.
    """
    wheel = _PKG / "_bundled"
    if (wheel / "schemas").is_dir():
        return wheel
    return _PKG.parent


def bundled_path(*parts: str) -> Path:
    return bundled_root().joinpath(*parts)


@cache
def engine_schema(name: str) -> dict[str, Any]:
    """A JSON Schema the engine ships in ``schemas/`` (profile, ICS, run record)."""
    path = bundled_path("schemas", name)
    with path.open("rb") as fh:
        return json.load(fh)
