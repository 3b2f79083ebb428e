"""Live testing: the harness plays the counterpart of a system under test (SUT).

A live scenario is a check registered for the ``live`` media type; it talks to the
SUT through a recording HTTP client and loopback listeners, and every exchange lands
in the run record (secrets redacted). Transport faults become ``error`` findings with
the exchange as evidence. Each live profile registers a reference peer (a correct
SUT) with switchable defects.
"""

from .exchange import Exchange, Recorder
from .http import HttpClient, TransportError
from .reference import ReferencePeer, get_reference, reference_roles, register_reference
from .scenario import register_scenario
from .server import LoopbackServer, Request, Response
from .session import LiveSession

__all__ = [
    "Exchange",
    "HttpClient",
    "LiveSession",
    "LoopbackServer",
    "Recorder",
    "ReferencePeer",
    "Request",
    "Response",
    "TransportError",
    "get_reference",
    "reference_roles",
    "register_reference",
    "register_scenario",
]
