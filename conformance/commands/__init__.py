"""Command groups that extend the ``conformance`` CLI, each in its own module.

A module here defines ``register(main: click.Group) -> None``; :func:`register_all`
calls every one listed in ``MODULES``.
"""

from __future__ import annotations

import importlib

import click

MODULES: tuple[str, ...] = ("lab",)


def register_all(main: click.Group) -> None:
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}").register(main)
