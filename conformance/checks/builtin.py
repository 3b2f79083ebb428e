"""Importing this module registers the generic checks."""

from . import json_checks, schematron, xml_checks, xsd  # noqa: F401
