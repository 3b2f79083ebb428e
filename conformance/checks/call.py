"""What a check function receives: the binding, the subject and the run context."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..findings import Finding, Location
from ..i18n import Text
from ..verdicts import Verdict
from .xmlpath import element_location

if TYPE_CHECKING:
    from ..ics import Ics
    from ..profile import Binding, Profile
    from ..subject import Subject

T = TypeVar("T")

# Compiled schemas and other expensive objects, shared by every run in this process.
_PROCESS_CACHE: dict[Any, Any] = {}
_CACHE_LOCK = threading.Lock()


def process_cached(key: Any, factory: Callable[[], T]) -> T:
    try:
        return _PROCESS_CACHE[key]
    except KeyError:
        pass
    value = factory()
    with _CACHE_LOCK:
        return _PROCESS_CACHE.setdefault(key, value)


@dataclass(frozen=True)
class FastTest:
    """A check's fast form (see ``CheckSpec.fast``) with what it can take."""

    test: Callable[[Any], bool]
    #: the test decides the same when a JSON fraction with no exponent and at most 15
    #: significant digits comes as a float instead of a Decimal (such a float keeps
    #: the number's order against every other such number, and its equality)
    floats: bool = False


def _parsed(_document: Any) -> bool:
    return True


#: the fast form of a check that asks only that the payload parse: what reaches a fast
#: test has parsed
parsed_is_enough = FastTest(_parsed, floats=True)


def resolve_in(profile: "Profile", relative: str) -> Path:
    """A profile's file (a schema), resolved once per process: path lookups would
    otherwise cost more than validation."""
    return process_cached(("resolve", str(profile.directory), relative), lambda: profile.resolve(relative))


@dataclass
class RunContext:
    """Everything about the run that is the same for every subject."""

    profile: "Profile"
    ics: "Ics"
    pixit: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    now: datetime = field(default_factory=lambda: datetime.now().astimezone())
    lang: str = "en"
    #: folder of the PIXIT file: relative paths in PIXIT (key files) resolve against it
    pixit_dir: Path | None = None
    #: the LiveSession of a live run (None for payload validation)
    live: Any = None
    #: id of the binding being evaluated (exchanges recorded now belong to it)
    current_binding: str | None = None
    #: the engine's evaluation plans of this run (bindings resolved once, not per subject)
    plans: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def pixit_path(self, value: str) -> Path:
        p = Path(value)
        if not p.is_absolute() and self.pixit_dir is not None:
            p = self.pixit_dir / p
        return p

    def option(self, name: str, default: Any = None) -> Any:
        return self.ics.options.get(name, default)


@dataclass
class CheckCall:
    binding: "Binding"
    subject: "Subject"
    context: RunContext
    applicable: frozenset[str]

    @property
    def profile(self) -> "Profile":
        return self.context.profile

    @property
    def params(self) -> dict[str, Any]:
        return self.binding.params

    @property
    def requirement(self) -> str:
        """The binding's first requirement: where findings go unless a check routes them."""
        return self.binding.requirements[0]

    @property
    def namespaces(self) -> dict[str, str]:
        ns = dict(self.profile.raw.get("namespaces", {}))
        ns.update(self.params.get("namespaces", {}))
        return ns

    @property
    def rng(self) -> random.Random:
        return random.Random(f"{self.context.seed}:{self.binding.id}:{self.subject.index}")

    def resolve(self, relative: str) -> Path:
        return resolve_in(self.profile, relative)

    def cached(self, key: Any, factory: Callable[[], T]) -> T:
        return process_cached(key, factory)

    # ------------------------------------------------------------------ findings

    def finding(
        self,
        verdict: Verdict | str,
        message: Text | str,
        *,
        requirement: str | None = None,
        location: Location | None = None,
        element: Any = None,
        evidence: Any = None,
    ) -> Finding:
        if location is None:
            location = self.locate(element) if element is not None else Location(file=self.subject.name)
        if location.file is None:
            location.file = self.subject.name
        # Finding converts verdict names and plain strings itself, with a fast path for
        # what checks mostly pass (a Verdict, a zh/en dict): no second conversion here.
        return Finding(
            requirement=requirement or self.binding.requirements[0],
            verdict=verdict,  # type: ignore[arg-type]
            message=message,  # type: ignore[arg-type]
            location=location,
            check=self.binding.id,
            subject=self.subject.index,
            evidence=evidence,
        )

    def fail(self, message: Text | str, **kw: Any) -> Finding:
        return self.finding(Verdict.FAIL, message, **kw)

    def passed(self, message: Text | str, **kw: Any) -> Finding:
        return self.finding(Verdict.PASS, message, **kw)

    def inconclusive(self, message: Text | str, **kw: Any) -> Finding:
        return self.finding(Verdict.INCONCLUSIVE, message, **kw)

    def not_applicable(self, message: Text | str, **kw: Any) -> Finding:
        return self.finding(Verdict.NOT_APPLICABLE, message, **kw)

    def error(self, message: Text | str, **kw: Any) -> Finding:
        return self.finding(Verdict.ERROR, message, **kw)

    def locate(self, element: Any) -> Location:
        return element_location(element, self.subject.name, self.namespaces, self.subject.xpath_root)
