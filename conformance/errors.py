"""Errors the harness raises for bad configuration (exit code 2), with zh/en text."""

from __future__ import annotations

from .i18n import Text, both, pick, text


class ConformanceError(Exception):
    """A usage, profile, ICS or PIXIT error. Carries a zh/en message and a location."""

    exit_code = 2

    def __init__(self, message: Text, *, file: str | None = None, path: str | None = None):
        self.message = message
        self.file = file
        self.path = path
        super().__init__(self.render("en"))

    def render(self, lang: str = "en") -> str:
        where = ""
        if self.file:
            where = self.file
            if self.path:
                where += f" @ {self.path}"
            where += ": "
        elif self.path:
            where = f"{self.path}: "
        return where + pick(self.message, lang)

    def render_both(self) -> str:
        where = f"{self.file}" + (f" @ {self.path}" if self.path else "") + ": " if self.file else ""
        return where + both(self.message, "\n  ")


class ProfileError(ConformanceError):
    pass


class IcsError(ConformanceError):
    pass


class UsageError(ConformanceError):
    pass


def profile_not_found(name: str, known: list[str]) -> ProfileError:
    known_s = ", ".join(known) or "-"
    return ProfileError(
        text(f"找不到测试配置 “{name}”；已安装：{known_s}", f"profile '{name}' not found; installed: {known_s}")
    )
