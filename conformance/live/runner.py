"""Run a profile's live scenarios against a SUT (or its own reference peer)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..engine import Applicability, evaluate_subject, make_context
from ..errors import UsageError
from ..i18n import text
from ..ics import Ics, default_ics
from ..pixit import redact, secret_values
from ..profile import Profile
from ..record import RecordBuilder
from ..subject import Subject
from ..verdicts import Verdict
from ..waivers import Waiver, apply_waivers
from .reference import ReferencePeer, get_reference, reference_roles
from .scenario import LIVE
from .session import LiveSession


def start_reference(profile: Profile, role: str, *, pixit: dict[str, Any] | None = None,
                    defects: tuple[str, ...] = (), host: str = "127.0.0.1", port: int = 0) -> ReferencePeer:
    """Start the profile's reference implementation of ``role`` (the SUT's role)."""
    factory = get_reference(profile.id, role)
    if factory is None:
        roles = reference_roles(profile.id)
        raise UsageError(text(
            f"测试配置 {profile.id} 没有角色 “{role}” 的参考实现；可用：{', '.join(roles) or '无'}",
            f"profile {profile.id} has no reference peer for role '{role}'; available: {', '.join(roles) or 'none'}",
        ))
    unknown = [d for d in defects if d not in profile.defects]
    if unknown:
        raise UsageError(text(
            f"未知的缺陷：{', '.join(unknown)}；可用：{', '.join(sorted(profile.defects))}",
            f"unknown defect(s): {', '.join(unknown)}; available: {', '.join(sorted(profile.defects))}",
        ))
    peer = factory(pixit=dict(pixit or {}), defects=set(defects), host=host, port=port)
    peer.defects = tuple(defects)
    peer.role = role
    return peer


def run_live(
    profile: Profile,
    *,
    role: str | None = None,
    pixit: dict[str, Any] | None = None,
    ics: Ics | None = None,
    reference: bool = False,
    defects: tuple[str, ...] = (),
    seed: int | None = None,
    now: datetime | None = None,
    lang: str = "en",
    pixit_dir: str | Path | None = None,
    pixit_source: str | None = None,
    waivers: Sequence[Waiver] | None = None,
    waivers_today: date | None = None,
    lab_session: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run every applicable live scenario; return the run record (with every exchange).

    ``role`` is the role of the system under test; with ``reference=True`` the
    profile's reference peer for that role (with ``defects``) plays the SUT.
    """
    pixit = dict(pixit or {})
    ics = ics or default_ics(profile)
    if role is not None:
        if role not in {r.id for r in profile.roles}:
            raise UsageError(text(f"测试配置没有角色 “{role}”", f"the profile has no role '{role}'"))
        ics.role = role
    role = ics.role
    peer: ReferencePeer | None = None
    if reference:
        if role is None:
            raise UsageError(text("请用 --role 指定被测系统角色", "name the SUT's role with --role"))
        peer = start_reference(profile, role, pixit=pixit, defects=defects)
        pixit = {**pixit, **peer.pixit, "base_url": peer.url}
    target = str(pixit.get("base_url") or "")
    if not target:
        raise UsageError(text("PIXIT 缺少 base_url（被测系统地址）", "PIXIT has no base_url (the SUT's address)"))
    ctx = make_context(profile, ics, pixit=pixit, seed=seed, now=now, lang=lang,
                       pixit_dir=Path(pixit_dir) if pixit_dir else None)
    session = LiveSession(pixit=pixit, role=role, target_url=target,
                          secret_keys=tuple(profile.raw.get("pixit_secrets", ())),
                          current_check=lambda: ctx.current_binding)
    ctx.live = session
    secrets = secret_values(pixit, profile)
    for value in secrets:
        session.recorder.add_secret(value)
    scope = Applicability.of(profile, ics)
    builder = RecordBuilder(
        profile, kind="live", ics=ics.to_dict(), seed=ctx.seed, clock=ctx.now,
        applicable=scope.applicable, excluded=scope.excluded, exclusion_kinds=scope.kinds,
    )
    subject = Subject(name=target, media_type=LIVE, index=0)
    subject._data = b""
    findings = []
    try:
        findings = evaluate_subject(subject, ctx, scope)
    except KeyboardInterrupt:
        builder.interrupted("interrupted by the user (SIGINT/SIGTERM)")
    finally:
        session.close()
        if peer is not None:
            peer.stop()
    builder.add_subject({"index": 0, "name": session.recorder.redact(target), "media_type": LIVE}, findings)
    failing = {f.location.exchange for f in findings
               if f.location.exchange is not None and f.verdict in (Verdict.FAIL, Verdict.ERROR)}
    builder.extra["exchanges"] = session.recorder.to_records(failing=failing)  # type: ignore[arg-type]
    builder.extra["target"] = {"url": session.recorder.redact(target), "role": role, "reference": reference,
                               "defects": list(defects)}
    if pixit_source:
        try:
            builder.extra["pixit"] = {"source": pixit_source,
                                      "sha256": hashlib.sha256(Path(pixit_source).read_bytes()).hexdigest()}
        except OSError:
            pass
    record = builder.build()
    # Findings and evidence are redacted too, with what the run learned (tokens, keys read
    # from files, URL passwords), not only with the PIXIT's declared secrets.
    secrets |= session.recorder.secrets()
    if secrets:
        record = redact(record, secrets)
    if waivers is not None:
        apply_waivers(record, list(waivers), today=waivers_today)
    if lab_session is not None:
        record["session"] = dict(lab_session)
    return record
