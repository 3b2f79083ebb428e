"""High-level API: validate payloads against a profile and get the run record."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .engine import Applicability, ProgressFn, SubjectSource, evaluate_into, make_context
from .ics import Ics, default_ics
from .i18n import both
from .pixit import redact, secret_values
from .pool import WorkerLost
from .profile import Profile
from .record import RecordBuilder
from .subject import Subject
from .waivers import Waiver, apply_waivers


def validate(
    profile: Profile,
    paths: Sequence[str | Path] | None = None,
    *,
    subjects: Iterable[Subject] | None = None,
    ics: Ics | None = None,
    pixit: dict[str, Any] | None = None,
    seed: int | None = None,
    now: datetime | None = None,
    jobs: int = 1,
    encoding: str | None = None,
    max_bytes: int | None = None,
    progress: ProgressFn | None = None,
    lang: str = "en",
    pixit_dir: str | Path | None = None,
    waivers: Sequence[Waiver] | None = None,
    waivers_today: date | None = None,
    lab_session: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Validate files/directories (or in-memory subjects) and return the run record.

    An interrupt (Ctrl-C) ends the run early; the record is still returned, marked
    incomplete. ``waivers`` (see :mod:`conformance.waivers`) are applied as of
    ``waivers_today`` (default: today); ``lab_session`` (lab, operator, note) is recorded.
    Values of PIXIT keys the profile marks secret are redacted from the record.
    """
    ics = ics or default_ics(profile)
    ctx = make_context(profile, ics, pixit=pixit, seed=seed, now=now, lang=lang,
                       pixit_dir=Path(pixit_dir) if pixit_dir else None)
    scope = Applicability.of(profile, ics)
    if subjects is None:
        subjects = SubjectSource(profile, paths or [], encoding=encoding, max_bytes=max_bytes)
    ics_dict = ics.to_dict()
    if ics.source:
        try:
            ics_dict["sha256"] = hashlib.sha256(Path(ics.source).read_bytes()).hexdigest()
        except OSError:
            pass
    builder = RecordBuilder(
        profile, kind="validate", ics=ics_dict, seed=ctx.seed, clock=ctx.now,
        applicable=scope.applicable, excluded=scope.excluded, exclusion_kinds=scope.kinds,
    )
    try:
        evaluate_into(builder, subjects, ctx, scope, jobs=jobs, progress=progress)
    except KeyboardInterrupt:
        builder.interrupted("interrupted by the user (SIGINT)")
    except WorkerLost as exc:  # what was merged before it is kept
        builder.interrupted(both(exc.message))
    record = builder.build()
    secrets = secret_values(dict(pixit or {}), profile)
    if secrets:
        record = redact(record, secrets)
    if waivers is not None:
        apply_waivers(record, list(waivers), today=waivers_today)
    if lab_session is not None:
        record["session"] = dict(lab_session)
    return record
