"""Findings: what a check says about one requirement on one subject."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .i18n import Text, as_text
from .verdicts import Verdict


@dataclass
class Location:
    """Where in the subject a finding points. Only the fields that apply are set."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    xpath: str | None = None
    pointer: str | None = None  # JSON Pointer (RFC 6901)
    segment: int | None = None  # EDIFACT segment number
    exchange: int | None = None  # index of a recorded live exchange

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "Location":
        return cls(**(data or {}))

    def __str__(self) -> str:
        parts = []
        if self.file:
            pos = self.file
            if self.line is not None:
                pos += f":{self.line}"
                if self.column is not None:
                    pos += f":{self.column}"
            parts.append(pos)
        if self.xpath:
            parts.append(self.xpath)
        if self.pointer is not None:
            parts.append(f"#{self.pointer}")
        if self.segment is not None:
            parts.append(f"segment {self.segment}")
        if self.exchange is not None:
            parts.append(f"exchange {self.exchange}")
        return " ".join(parts)


@dataclass
class Finding:
    requirement: str
    verdict: Verdict
    message: Text
    location: Location = field(default_factory=Location)
    check: str | None = None  # binding id that produced it
    subject: int | None = None  # index into the run record's subjects
    evidence: Any = None

    def __post_init__(self) -> None:
        # Fast path: engine-made findings already carry a Verdict and a zh/en dict.
        if type(self.verdict) is not Verdict:
            self.verdict = Verdict(self.verdict)
        m = self.message
        if type(m) is not dict or "zh" not in m or "en" not in m:
            self.message = as_text(m)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "requirement": self.requirement,
            "verdict": self.verdict.value,
            "message": dict(self.message),
            "location": self.location.to_dict(),
        }
        if self.check is not None:
            out["check"] = self.check
        if self.subject is not None:
            out["subject"] = self.subject
        if self.evidence is not None:
            out["evidence"] = self.evidence
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Finding":
        return cls(
            requirement=data["requirement"],
            verdict=Verdict(data["verdict"]),
            message=as_text(data.get("message")),
            location=Location.from_dict(data.get("location")),
            check=data.get("check"),
            subject=data.get("subject"),
            evidence=data.get("evidence"),
        )


_PASSED: dict[str, dict[str, str]] = {}


def passed_text(check: str) -> dict[str, str]:
    """The implicit pass message of a check binding, made once per binding."""
    msg = _PASSED.get(check)
    if msg is None:
        msg = _PASSED[check] = {"zh": f"检查 {check} 通过", "en": f"check {check} passed"}
    return msg


def implicit_pass(requirement: str, check: str, file: str | None, subject: int | None) -> dict[str, Any]:
    """The record form of a check's implicit pass (what ``Finding.to_dict`` would give)."""
    out: dict[str, Any] = {"requirement": requirement, "verdict": "pass", "message": dict(passed_text(check)),
                           "location": {"file": file} if file is not None else {}, "check": check}
    if subject is not None:
        out["subject"] = subject
    return out
