"""UN/EDIFACT port messages (BAPLIE, CODECO, COARRI, COPRAR): tokeniser, structures,
analysis and CONTRL-like reports. Independent of the conformance engine."""

from .analysis import SUPPORTED_TYPES, Analysis, Issue, analyse, tables
from .contrl import contrl_report, render_contrl
from .iso6346 import check_digit, with_check_digit
from .syntax import DEFAULT_CHARS, ServiceChars, Segment, tokenise

__all__ = ["SUPPORTED_TYPES", "Analysis", "Issue", "analyse", "tables", "contrl_report", "render_contrl",
           "check_digit", "with_check_digit", "DEFAULT_CHARS", "ServiceChars", "Segment", "tokenise"]
