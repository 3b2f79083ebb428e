"""Reference peers of the ocpp-1.6j profile: a charge point and a central system, with defects.

Both are small, correct OCPP 1.6J implementations of the messages the suite uses, on
the same WebSocket transport as the harness (conformance.live.websocket) without a
recorder. Each defect in profile.yaml switches one behaviour off.

The reference charge point dials in to the harness: run_live starts it first, and the
harness tells it where to connect through ``lk.DRIVERS`` (PIXIT ``ocpp16_driver``),
because its address is only known once the harness listens. Standalone
(``conformance reference ocpp-1.6j --role charge-point``), PIXIT ``central_system_url``
says where to connect.

With PIXIT ``authorization_key`` both peers use HTTP Basic authentication in the
WebSocket handshake (OCPP 1.6 security whitepaper, profile 1: user = charge point id,
password = AuthorizationKey): the charge point dials with the credentials, and the
central system hands the harness a ``csms_url`` that carries them. The reference
central system does not check them.
"""

from __future__ import annotations

import importlib.util
import secrets
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from conformance.live import ReferencePeer, register_reference
from conformance.live.websocket import WebSocketServer, connect_websocket
from conformance.profile import load_sibling


def _load_sibling(name: str) -> Any:
    return load_sibling(__file__, name, prefix="ocpp_1_6j")


fr = _load_sibling("ocpp16_frames")
lk = _load_sibling("ocpp16_link")

SUBPROTOCOL = "ocpp1.6"
DEFAULT_TAGS = ["CONFORMANCE01"]


def utcnow() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def with_basic_auth(url: str, user: str, key: Any) -> str:
    """``url`` with ``user:key@`` in front of the host when a key is given (the WebSocket
    client turns the user info into an ``Authorization: Basic`` header)."""
    if not key:
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{quote(user, safe='')}:{quote(str(key), safe='')}@{parts.netloc}"))


def incoming_error(action: str, payload: Any, handled: set[str], defects: set[str]) -> tuple[str, str] | None:
    """The CALLERROR (code, description) a correct peer gives for this request, or None."""
    sch = fr.schemas()
    if action not in handled or not sch.has(action, fr.CALL):
        code = "NotSupported" if defects & {"cp-unknown-action-not-supported", "cs-wrong-error-unknown-action"} \
            else "NotImplemented"
        return code, f"unknown action {action}"
    error = next(iter(sch.validator(action).iter_errors(payload)), None)
    if error is None:
        return None
    kind = error.validator
    if kind == "additionalProperties":
        if "cp-formation-generic-error" in defects:
            return "GenericError", error.message
        if "cs-2.0.1-error-spelling" in defects:
            return "FormatViolation", error.message
        return "FormationViolation", error.message
    if kind == "required":
        return None if "cp-missing-field-accepted" in defects else ("OccurenceConstraintViolation", error.message)
    if kind == "type":
        return ("PropertyConstraintViolation" if "cp-wrong-type-code" in defects else "TypeConstraintViolation",
                error.message)
    if kind == "maxLength":
        return None if "cp-long-string-accepted" in defects else ("TypeConstraintViolation", error.message)
    return "PropertyConstraintViolation", error.message


# ====================================================================== charge point

CP_HANDLED = {"GetConfiguration", "ChangeConfiguration", "RemoteStartTransaction", "RemoteStopTransaction", "Reset",
              "UnlockConnector", "DataTransfer", "TriggerMessage", "SetChargingProfile", "ClearChargingProfile",
              "ReserveNow", "CancelReservation", "GetLocalListVersion", "SendLocalList", "UpdateFirmware",
              "ChangeAvailability", "ClearCache", "GetDiagnostics", "GetCompositeSchedule"}


class ReferenceChargePoint:
    def __init__(self, *, defects: set[str], pixit: dict[str, Any]):
        self.defects = defects
        self.has = defects.__contains__
        self.cp_id = str(pixit.get("charge_point_id", "CP001"))
        self.authorization_key = pixit.get("authorization_key")
        self.connectors = 1
        self.config: dict[str, tuple[str, bool]] = {  # key -> (value, readonly)
            "HeartbeatInterval": ("60", False), "MeterValueSampleInterval": ("0", False),
            "NumberOfConnectors": ("1", True), "AuthorizeRemoteTxRequests": ("false", False),
        }
        self.interval = 60
        self.url: str | None = None
        self.ep: Any = None
        self.tx: int | None = None
        self.reservations: dict[int, int] = {}
        self.profiles: set[int] = set()
        self.list_version = 0
        self.last_sent = time.monotonic()
        self._stop = threading.Event()
        self._reboot = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ lifecycle

    def connect_to(self, url: str) -> None:
        self.url = url
        self._thread = threading.Thread(target=self._run, name="reference-charge-point", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self.ep is not None:
            self.ep.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._session()
            except Exception:
                pass
            if self._stop.wait(0.1):
                return

    def call(self, action: str, payload: dict[str, Any]) -> Any:
        self.last_sent = time.monotonic()
        return self.ep.call(action, payload, timeout=10)

    def status(self, connector: int, value: str) -> None:
        self.call("StatusNotification", {"connectorId": connector, "errorCode": "NoError", "status": value,
                                         "timestamp": utcnow()})

    def _session(self) -> None:
        assert self.url is not None
        url = self.url.rsplit("/", 1)[0] + "/" if self.has("cp-wrong-identity-path") else self.url
        url = with_basic_auth(url, self.cp_id, self.authorization_key)
        conn = connect_websocket(url, None, subprotocols=[] if self.has("cp-no-subprotocol") else [SUBPROTOCOL],
                                 timeout=5, name="reference-cp")
        ids = (lambda: "42") if self.has("cp-reused-message-id") else None
        self.ep = lk.Endpoint(conn, handler=self._handle, ids=ids)
        self._reboot.clear()
        try:
            if self.has("cp-boot-not-first"):
                self.status(0, "Available")
            while not self._stop.is_set():
                r = self.call("BootNotification", {"chargePointVendor": "Conformance", "chargePointModel": "RefCP",
                                                   "firmwareVersion": "1.0"})
                if r is None:
                    if self.ep.closed:
                        return
                    continue
                status, interval = r.payload.get("status"), r.payload.get("interval")
                if isinstance(interval, int) and interval > 0:
                    self.interval = interval
                if status == "Accepted":
                    self.config["HeartbeatInterval"] = (str(self.interval), False)
                    break
                if self._stop.wait(0.1 if self.has("cp-ignores-boot-interval") else self.interval):
                    return
            if self.has("cp-concurrent-calls"):
                self.last_sent = time.monotonic()
                self.ep.send_text(lk.dumps([2, self.ep.ids(), "StatusNotification", {
                    "connectorId": 0, "errorCode": "NoError", "status": "Available", "timestamp": utcnow()}]))
            else:
                self.status(0, "Available")
            for c in range(1, self.connectors + 1):
                self.status(c, "Available")
            while not self._stop.is_set() and not self.ep.closed and not self._reboot.is_set():
                every = 60 if self.has("cp-heartbeat-interval-ignored") else self.interval
                if time.monotonic() - self.last_sent >= every:
                    self.call("Heartbeat", {})
                self._stop.wait(0.02)
        finally:
            self.ep.close()

    # ------------------------------------------------------------ the central system's requests

    def _handle(self, ep: Any, inc: Any) -> Any:
        err = incoming_error(inc.action, inc.payload, CP_HANDLED, self.defects)
        if err is not None:
            return lk.Answer(error=err)
        p = inc.payload
        a = inc.action
        if a == "GetConfiguration":
            keys = p.get("key")
            wanted = [k for k in keys if isinstance(k, str) and len(k) <= 50] if keys else list(self.config)
            known, unknown = [], []
            for k in wanted:
                if k in self.config:
                    value, ro = self.config[k]
                    v: Any = int(value) if self.has("cp-config-value-wrong-type") and value.isdigit() else value
                    known.append({"key": k, "readonly": ro, "value": v})
                else:
                    unknown.append(k)
            out: dict[str, Any] = {"configurationKey": known}
            if unknown:
                out["unknownKey"] = unknown
            return lk.Answer(out)
        if a == "ChangeConfiguration":
            key, value = p.get("key"), p.get("value")
            if key not in self.config:
                return lk.Answer({"status": "Accepted" if self.has("cp-unknown-key-accepted") else "NotSupported"})
            if self.config[key][1]:
                return lk.Answer({"status": "Rejected"})
            if isinstance(value, str):
                if key == "HeartbeatInterval":
                    if not value.isdigit():
                        return lk.Answer({"status": "Rejected"})
                    self.interval = int(value)
                self.config[key] = (value, False)
            return lk.Answer({"status": "Accepted"})
        if a == "RemoteStartTransaction":
            c = p.get("connectorId", 1)
            if self.tx is not None or not 1 <= c <= self.connectors:
                return lk.Answer({"status": "Rejected"})
            return lk.Answer({"status": "Accepted"}, after=lambda: self._start(c, p["idTag"]))
        if a == "RemoteStopTransaction":
            if self.tx is not None and p.get("transactionId") == self.tx:
                return lk.Answer({"status": "Accepted"}, after=self._stop_tx)
            return lk.Answer({"status": "Accepted" if self.has("cp-remote-stop-unknown-accepted") else "Rejected"})
        if a == "Reset":
            return lk.Answer({"status": "Accepted"}, after=None if self.has("cp-reset-no-reboot") else self._reboot.set)
        if a == "UnlockConnector":
            if self.has("cp-unlock-not-implemented"):
                return lk.Answer(error=("NotImplemented", "UnlockConnector"))
            return lk.Answer({"status": "Unlocked"})
        if a == "DataTransfer":
            return lk.Answer({"status": "Accepted" if self.has("cp-datatransfer-accepts-unknown-vendor") else "UnknownVendorId"})
        if a == "TriggerMessage":
            what = p["requestedMessage"]
            if what not in ("Heartbeat", "StatusNotification", "BootNotification"):
                return lk.Answer({"status": "NotImplemented"})
            if self.has("cp-trigger-ignored"):
                return lk.Answer({"status": "Accepted"})
            if what == "Heartbeat":
                after = lambda: self.call("Heartbeat", {})  # noqa: E731
            elif what == "StatusNotification":
                cs = [p["connectorId"]] if "connectorId" in p else list(range(0, self.connectors + 1))
                after = lambda: [self.status(c, "Charging" if self.tx and c else "Available") for c in cs]  # noqa: E731
            else:
                after = lambda: self.call("BootNotification", {"chargePointVendor": "Conformance",  # noqa: E731
                                                               "chargePointModel": "RefCP"})
            return lk.Answer({"status": "Accepted"}, after=after)
        if a == "SetChargingProfile":
            self.profiles.add(p["csChargingProfiles"]["chargingProfileId"])
            return lk.Answer({"status": "Accepted"})
        if a == "ClearChargingProfile":
            pid = p.get("id")
            if pid is not None and pid in self.profiles:
                self.profiles.discard(pid)
                return lk.Answer({"status": "Accepted"})
            if pid is None and self.profiles:
                self.profiles.clear()
                return lk.Answer({"status": "Accepted"})
            return lk.Answer({"status": "Accepted" if self.has("cp-clear-unknown-profile-accepted") else "Unknown"})
        if a == "ReserveNow":
            c = p["connectorId"]
            if self.tx is not None or not 1 <= c <= self.connectors:
                return lk.Answer({"status": "Occupied"})
            self.reservations[p["reservationId"]] = c
            return lk.Answer({"status": "Accepted"}, after=lambda: self.status(c, "Reserved"))
        if a == "CancelReservation":
            rid = p["reservationId"]
            if rid in self.reservations:
                c = self.reservations.pop(rid)
                return lk.Answer({"status": "Accepted"}, after=lambda: self.status(c, "Available"))
            return lk.Answer({"status": "Accepted" if self.has("cp-cancel-unknown-reservation-accepted") else "Rejected"})
        if a == "GetLocalListVersion":
            return lk.Answer({"listVersion": self.list_version})
        if a == "SendLocalList":
            if not self.has("cp-local-list-version-stale"):
                self.list_version = p["listVersion"]
            return lk.Answer({"status": "Accepted"})
        if a == "UpdateFirmware":
            def firmware() -> None:
                for st in ("Downloading", "DownloadFailed"):
                    self.call("FirmwareStatusNotification", {"status": st})
            return lk.Answer({}, after=None if self.has("cp-no-firmware-status") else firmware)
        if a in ("ChangeAvailability", "ClearCache"):
            return lk.Answer({"status": "Accepted"})
        if a == "GetDiagnostics":
            return lk.Answer({})
        return lk.Answer({"status": "Rejected"})  # GetCompositeSchedule

    def _start(self, connector: int, id_tag: str) -> None:
        self.status(connector, "Preparing")
        r = self.call("StartTransaction", {"connectorId": connector, "idTag": id_tag, "meterStart": 0,
                                           "timestamp": utcnow()})
        if r is None or not r.ok:
            self.status(connector, "Available")
            return
        self.tx = r.payload.get("transactionId")
        self.tx_connector = connector
        self.status(connector, "Charging")
        sent_id = (self.tx or 0) + 1 if self.has("cp-transaction-id-not-echoed") else self.tx
        sample: dict[str, Any] = {"sampledValue": [{"value": "10", "measurand": "Energy.Active.Import.Register",
                                                    "unit": "Wh", "context": "Sample.Periodic"}]}
        if not self.has("cp-meter-values-without-timestamp"):
            sample["timestamp"] = utcnow()
        self.call("MeterValues", {"connectorId": connector, "transactionId": sent_id, "meterValue": [sample]})

    def _stop_tx(self) -> None:
        tx, c = self.tx, getattr(self, "tx_connector", 1)
        sent_id = (tx or 0) + 1 if self.has("cp-transaction-id-not-echoed") else tx
        self.call("StopTransaction", {"transactionId": sent_id, "meterStop": 20, "timestamp": utcnow(),
                                      "reason": "Remote"})
        self.tx = None
        order = ("Available", "Finishing", "Available") if self.has("cp-status-sequence-violation") \
            else ("Finishing", "Available")
        for st in order:
            self.status(c, st)


@register_reference("ocpp-1.6j", "charge-point")
def reference_charge_point(*, pixit: dict[str, Any], defects: set[str], host: str, port: int) -> ReferencePeer:
    cp = ReferenceChargePoint(defects=defects, pixit=pixit)
    key = f"reference-cp-{secrets.token_hex(8)}"
    lk.DRIVERS[key] = cp.connect_to
    if pixit.get("central_system_url"):  # standalone: dial the given central system now
        cp.connect_to(str(pixit["central_system_url"]).rstrip("/") + "/" + cp.cp_id)

    def stop() -> None:
        lk.DRIVERS.pop(key, None)
        cp.stop()

    return ReferencePeer(url=f"ws://{host}:0/", stop=stop, pixit={
        "ocpp16_driver": key, "charge_point_id": cp.cp_id, "id_tags": pixit.get("id_tags") or DEFAULT_TAGS})


# ====================================================================== central system

CS_HANDLED = {"BootNotification", "Heartbeat", "Authorize", "StartTransaction", "StopTransaction",
              "StatusNotification", "MeterValues", "DataTransfer", "FirmwareStatusNotification",
              "DiagnosticsStatusNotification"}


@register_reference("ocpp-1.6j", "central-system")
def reference_central_system(*, pixit: dict[str, Any], defects: set[str], host: str, port: int) -> ReferencePeer:
    tags = [str(t) for t in (pixit.get("id_tags") or DEFAULT_TAGS)]
    interval = int(pixit.get("heartbeat_interval_s", 60))
    counter = [secrets.randbelow(10**6)]
    endpoints: list[Any] = []
    seen_status = [0]

    def now() -> str:
        if "cs-wrong-current-time" in defects:
            return "2001-01-01T00:00:00Z"
        if "cs-time-without-zone" in defects:
            return utcnow()[:-5]  # no fraction, no zone
        return utcnow()

    def handle(ep: Any, inc: Any) -> Any:
        err = incoming_error(inc.action, inc.payload, CS_HANDLED, defects)
        if err is not None:
            return lk.Answer(error=err)
        p, a = inc.payload, inc.action
        if a == "BootNotification":
            out: dict[str, Any] = {"status": "Accepted", "currentTime": now(), "interval": interval}
            if "cs-missing-required-field" in defects:
                del out["interval"]
            return lk.Answer(out)
        if a == "Heartbeat":
            return lk.Answer({"currentTime": now()})
        if a in ("Authorize", "StartTransaction"):
            ok = p["idTag"] in tags or "cs-accepts-unknown-idtag" in defects
            info = {"status": "Accepted" if ok else "Invalid"}
            if a == "Authorize":
                return lk.Answer({"idTagInfo": info})
            if "cs-duplicate-transaction-id" not in defects:
                counter[0] += 1
            return lk.Answer({"transactionId": counter[0], "idTagInfo": info})
        if a == "StopTransaction":
            return lk.Answer({"idTagInfo": {"status": "Accepted"}} if p.get("idTag") in tags else {})
        if a == "StatusNotification":
            seen_status[0] += 1
            if "cs-wrong-message-type-id" in defects:
                return lk.Answer(raw=lk.dumps([2, inc.uid, {}]))
            if "cs-wrong-echo-id" in defects and seen_status[0] == 1:
                return lk.Answer(raw=lk.dumps([3, "x" + inc.uid[:30], {}]))
            return lk.Answer({})
        if a == "DataTransfer":
            return lk.Answer({"status": "Accepted" if "cs-datatransfer-accepts-unknown-vendor" in defects
                              else "UnknownVendorId"})
        return lk.Answer({})

    def on_connection(conn: Any) -> None:
        endpoints.append(lk.Endpoint(conn, handler=handle))

    server = WebSocketServer(on_connection, host=host, port=port,
                             subprotocols=[] if "cs-no-subprotocol" in defects else [SUBPROTOCOL],
                             name="reference-central-system")

    def stop() -> None:
        for ep in endpoints:
            ep.close()
        server.stop()

    cp_id = str(pixit.get("charge_point_id", "CP001"))
    return ReferencePeer(url=server.url, stop=stop, pixit={
        "csms_url": with_basic_auth(server.url, cp_id, pixit.get("authorization_key")), "charge_point_id": cp_id,
        "id_tags": tags})
