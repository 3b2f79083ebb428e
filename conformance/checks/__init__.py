"""The check registry.

A check is a small function registered by name; profiles bind requirements to it in
YAML (``checks: [{id, check: NAME, requirements, params}]``). New kinds come from a
profile's plugin file or from an installed package's ``conformance.checks`` entry
point; the engine does not change.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator

from ..i18n import Text, as_text
from ..verdicts import Verdict

if TYPE_CHECKING:
    from ..findings import Finding
    from ..profile import Binding
    from .call import CheckCall, FastTest, RunContext

CheckFunc = Callable[["CheckCall"], "Iterable[Finding] | None"]
FastFactory = Callable[["Binding", "RunContext"], "Callable[[Any], bool] | FastTest | None"]

ENTRY_POINT_GROUP = "conformance.checks"


@dataclass(frozen=True)
class CheckSpec:
    name: str
    func: CheckFunc
    params_schema: dict[str, Any] = field(default_factory=lambda: {"type": "object"})
    media_types: tuple[str, ...] = ()
    description: Text = field(default_factory=lambda: as_text(""))
    #: verdict for the bound requirements when the subject cannot be parsed
    parse_error_verdict: Verdict = Verdict.INCONCLUSIVE
    #: a check that completes without a finding for a bound requirement passes it
    implicit_pass: bool = True
    #: the check's fast form for the engine's schema lane, or None: ``fast(binding,
    #: context)`` returns a predicate over the parsed document (an lxml ElementTree of a
    #: document without a DOCTYPE for XML, the JSON value with fractions as Decimal)
    #: that is true only where the check would report nothing (every bound requirement
    #: passes implicitly), maybe as a ``FastTest`` saying what else it takes; or None
    #: when this binding has no fast form. The lane skips making a Subject and findings
    #: for payloads that pass; whatever it does not accept goes through ``func``.
    fast: FastFactory | None = None

    def validate_params(self, params: dict[str, Any]) -> tuple[list[Any], str] | None:
        errors = sorted(Draft202012Validator(self.params_schema).iter_errors(params), key=lambda e: e.path)
        if errors:
            return list(errors[0].absolute_path), errors[0].message
        return None


_REGISTRY: dict[str, CheckSpec] = {}
_PLUGIN_PACKAGE = "conformance_profile_plugins."


def _origin(module: str) -> str:
    """The same profile plugin loaded from two folders (a checkout and an installed
    wheel) is one origin: its module names differ only in the path hash suffix."""
    if module.startswith(_PLUGIN_PACKAGE):
        return module.rsplit("_", 1)[0]
    return module
_LOCK = threading.Lock()
_ENTRY_POINTS_LOADED = False


def register_check(
    name: str,
    *,
    params: dict[str, Any] | None = None,
    media_types: Iterable[str] = (),
    description: Text | str | None = None,
    parse_error_verdict: Verdict | str = Verdict.INCONCLUSIVE,
    implicit_pass: bool = True,
    replace: bool = False,
    fast: FastFactory | None = None,
) -> Callable[[CheckFunc], CheckFunc]:
    """Register ``func`` as check ``name`` (decorator); ``fast``: see :attr:`CheckSpec.fast`."""

    def deco(func: CheckFunc) -> CheckFunc:
        spec = CheckSpec(
            name=name,
            func=func,
            params_schema=params or {"type": "object"},
            media_types=tuple(media_types),
            description=as_text(description or (func.__doc__ or name).strip().splitlines()[0]),
            parse_error_verdict=Verdict(parse_error_verdict),
            implicit_pass=implicit_pass,
            fast=fast,
        )
        with _LOCK:
            existing = _REGISTRY.get(name)
            if existing is not None and not replace and existing.func is not func:
                if (_origin(existing.func.__module__), existing.func.__qualname__) != (
                    _origin(func.__module__), func.__qualname__
                ):
                    raise ValueError(f"check '{name}' is already registered by {existing.func.__module__}")
            _REGISTRY[name] = spec
        return func

    return deco


def _load_entry_points() -> None:
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    from . import builtin  # noqa: F401  (registers the generic checks)

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            ep.load()
        except Exception:  # a broken third-party plugin must not take the engine down
            import warnings

            warnings.warn(f"conformance: check plugin {ep.name!r} failed to load", RuntimeWarning, stacklevel=2)


def get_check(name: str) -> CheckSpec | None:
    _load_entry_points()
    return _REGISTRY.get(name)


def known_checks() -> list[str]:
    _load_entry_points()
    return sorted(_REGISTRY)


def all_checks() -> dict[str, CheckSpec]:
    _load_entry_points()
    return dict(_REGISTRY)


__all__ = ["CheckSpec", "register_check", "get_check", "known_checks", "all_checks", "ENTRY_POINT_GROUP"]
