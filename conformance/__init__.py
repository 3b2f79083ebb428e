"""smartcity-conformance: standard-conformance testing for smart-city interface and
data-exchange standards. The engine is domain-agnostic; profiles live in folders.
"""

from ._version import __version__
from .checks import CheckSpec, get_check, known_checks, register_check
from .checks.call import CheckCall, RunContext
from .discovery import discover, list_profiles, resolve_profile
from .engine import Applicability, collect_subjects, evaluate_subject
from .errors import ConformanceError, IcsError, ProfileError, UsageError
from .findings import Finding, Location
from .i18n import Text, text
from .ics import Ics, default_ics, ics_from_dict, load_ics
from .profile import Binding, Profile, Requirement, load_profile
from .record import load_record, validate_record, write_record
from .runner import validate
from .subject import Subject, SubjectError
from .verdicts import Level, Verdict, worst

__all__ = [
    "__version__",
    "Applicability",
    "Binding",
    "CheckCall",
    "CheckSpec",
    "ConformanceError",
    "Finding",
    "Ics",
    "IcsError",
    "Level",
    "Location",
    "Profile",
    "ProfileError",
    "Requirement",
    "RunContext",
    "Subject",
    "SubjectError",
    "Text",
    "UsageError",
    "Verdict",
    "collect_subjects",
    "default_ics",
    "discover",
    "evaluate_subject",
    "get_check",
    "ics_from_dict",
    "known_checks",
    "list_profiles",
    "load_ics",
    "load_profile",
    "load_record",
    "register_check",
    "resolve_profile",
    "text",
    "validate",
    "validate_record",
    "worst",
    "write_record",
]
