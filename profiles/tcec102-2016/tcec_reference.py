"""T/CEC 102-2016 reference peers: a correct data provider and a correct data demander.

``conformance reference tcec102-2016 --role provider|demander --port 0 [--defect NAME]``.
Both serve ``http://HOST:PORT/evcs/v1/<interface>`` and push to (provider) or query
(demander) the harness at ``http://listen_host:listen_port/evcs/v1/``. When PIXIT gives
no ``listen_port`` the peer picks a free loopback port and reports it in its PIXIT, so
``conformance run --reference`` listens there. Secrets default to clearly test-only
values. Each defect in profile.yaml bends exactly one behaviour.
"""

from __future__ import annotations

import importlib.util
import socket
import sys
import threading
from pathlib import Path
from typing import Any

from conformance.live import LoopbackServer, ReferencePeer, Request, Response, register_reference
from conformance.profile import load_sibling


def _load_sibling(name: str) -> Any:
    return load_sibling(__file__, name, prefix="tcec102_2016")


core = _load_sibling("tcec_core")
samples = _load_sibling("tcec_samples")

#: test-only defaults (never use them in production)
TEST_PIXIT: dict[str, Any] = {
    "operator_id": samples.DEMANDER_ID,
    "sut_operator_id": samples.PROVIDER_ID,
    "operator_secret": "TESTONLYsecret01",
    "data_secret": "TESTONLYdatakey1",
    "data_iv": "TESTONLYdataiv01",
    "sig_secret": "TESTONLYsigkey01",
    "listen_host": "127.0.0.1",
    "timeout_s": 2,
}


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _settings(pixit: dict[str, Any], host: str) -> dict[str, Any]:
    px = {**TEST_PIXIT, **{k: v for k, v in pixit.items() if v not in (None, "")}}
    if not int(px.get("listen_port") or 0):
        px["listen_port"] = _free_port(str(px["listen_host"]))
    return px


def _serve(platform: Any, host: str, port: int, name: str) -> LoopbackServer:
    def handle(req: Request) -> Response:
        ans = platform.handle(req.path, req.body, req.header("Authorization"))
        return Response(ans.status, ans.body, {"Content-Type": ans.content_type}, delay=ans.delay)

    server = LoopbackServer(handle, host=host, port=port, name=name)
    core.no_nagle(server)
    return server


def _later(fn: Any, delay: float = 0.05) -> None:
    t = threading.Timer(delay, fn)
    t.daemon = True
    t.start()


def _harness_url(px: dict[str, Any]) -> str:
    host = str(px["listen_host"])
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{int(px['listen_port'])}/evcs/v1/"


def _pixit_out(px: dict[str, Any]) -> dict[str, Any]:
    return {k: px[k] for k in core.PIXIT_KEYS if k in px and k != "base_url"}


@register_reference("tcec102-2016", "provider")
def provider(*, pixit: dict[str, Any], defects: set[str], host: str, port: int) -> ReferencePeer:
    px = _settings(pixit, host)
    own, harness = str(px["sut_operator_id"]), str(px["operator_id"])
    sec = core.Secrets.from_pixit(px)
    client = core.PlatformClient(_harness_url(px), own, sec, defects=defects & {"short-timestamp"},
                                 timeout=float(px.get("timeout_s", 2)))

    def push(interface: str, payload: Any) -> None:
        client.call(interface, payload)

    def stations_info(p: Any, c: Any) -> Any:
        st = samples.station_info(1, own)
        if "missing-station-field" in defects:
            del st["StationName"]
        return {"PageNo": p.get("PageNo", 1), "PageCount": 1, "ItemSize": 1, "StationInfos": [st]}

    def station_status(p: Any, c: Any) -> Any:
        infos = []
        for sid in p["StationIDs"]:
            conns = [samples.connector_status(samples.CONNECTOR_ID), samples.connector_status(samples.CONNECTOR_2, 2)] \
                if sid == samples.STATION_ID else []
            if "bad-enum" in defects and conns:
                conns[0]["Status"] = 9
            infos.append({"StationID": sid, "ConnectorStatusInfos": conns})
        return {"Total": len(infos), "StationStatusInfos": infos}

    def stats(p: Any, c: Any) -> Any:
        out = samples.samples(own, harness)["query_station_stats.resp"]
        out["StationStats"].update(StationID=p["StationID"], StartTime=p["StartTime"], EndTime=p["EndTime"])
        return out

    def auth(p: Any, c: Any) -> Any:
        return {"EquipAuthSeq": p["EquipAuthSeq"], "ConnectorID": p["ConnectorID"], "SuccStat": 0, "FailReason": 0}

    def policy(p: Any, c: Any) -> Any:
        out = samples.samples(own, harness)["query_equip_business_policy.resp"]
        out.update(EquipBizSeq=p["EquipBizSeq"], ConnectorID=p["ConnectorID"])
        return out

    def status_payload(seq: str) -> dict[str, Any]:
        return samples.charge_status(seq)

    def start(p: Any, c: Any) -> Any:
        seq, cid = p["StartChargeSeq"], p["ConnectorID"]

        def pushes() -> None:
            result = {"StartChargeSeq": seq[:26] if "short-seq" in defects else seq, "StartChargeSeqStat": 2,
                      "ConnectorID": cid, "StartTime": samples.T0}
            push("notification_start_charge_result", result)
            push("notification_equip_charge_status", status_payload(seq))

        _later(pushes)
        return {"StartChargeSeq": seq, "StartChargeSeqStat": 1, "ConnectorID": cid, "SuccStat": 0, "FailReason": 0}

    def charge_status(p: Any, c: Any) -> Any:
        out = status_payload(p["StartChargeSeq"])
        if "numbers-as-strings" in defects:
            out["CurrentA"], out["VoltageA"] = str(out["CurrentA"]), str(out["VoltageA"])
        return out

    def stop(p: Any, c: Any) -> Any:
        seq, cid = p["StartChargeSeq"], p["ConnectorID"]

        def pushes() -> None:
            push("notification_stop_charge_result", {"StartChargeSeq": seq, "StartChargeSeqStat": 4, "ConnectorID": cid,
                                                     "SuccStat": 0, "FailReason": 0})
            if "missing-notifications" not in defects:
                push("notification_charge_order_info", samples.order_info(seq))

        _later(pushes)
        return {"StartChargeSeq": seq, "StartChargeSeqStat": 3, "SuccStat": 0, "FailReason": 0}

    def check_orders(p: Any, c: Any) -> Any:
        return {"CheckOrderSeq": p["CheckOrderSeq"], "StartTime": p["StartTime"], "EndTime": p["EndTime"],
                "TotalDisputeOrder": 0, "TotalDisputePower": 0.0, "TotalDisputeMoney": 0.0, "DisputeOrders": []}

    handlers = {
        "query_stations_info": stations_info, "query_station_status": station_status, "query_station_stats": stats,
        "query_equip_auth": auth, "query_equip_business_policy": policy, "query_start_charge": start,
        "query_equip_charge_status": charge_status, "query_stop_charge": stop, "check_charge_orders": check_orders,
    }
    platform = core.Platform(own_id=own, peer_id=harness, sec=sec, handlers=handlers, defects=frozenset(defects))
    server = _serve(platform, host, port, "tcec102-reference-provider")
    return ReferencePeer(url=server.url + "evcs/v1/", stop=server.stop, pixit=_pixit_out(px))


@register_reference("tcec102-2016", "demander")
def demander(*, pixit: dict[str, Any], defects: set[str], host: str, port: int) -> ReferencePeer:
    px = _settings(pixit, host)
    own, harness = str(px["sut_operator_id"]), str(px["operator_id"])
    sec = core.Secrets.from_pixit(px)
    client = core.PlatformClient(_harness_url(px), own, sec, defects=defects & {"no-bearer"},
                                 timeout=float(px.get("timeout_s", 2)))

    def station_status(p: Any, c: Any) -> Any:
        # A status change makes a real demander refresh that station from the provider.
        _later(lambda: client.call("query_station_status", {"StationIDs": [samples.STATION_ID]}))
        return {"Status": 0}

    def seq_of(p: Any) -> str:
        return p.get("StartChargeSeq", "") if isinstance(p, dict) else ""

    def order(p: Any, c: Any) -> Any:
        out = {"StartChargeSeq": seq_of(p), "ConnectorID": p.get("ConnectorID", ""), "ConfirmResult": 0}
        if "bad-notify-answer" in defects:
            del out["ConfirmResult"]
        return out

    handlers = {
        "notification_stationStatus": station_status,
        "notification_start_charge_result": lambda p, c: {"StartChargeSeq": seq_of(p), "SuccStat": 0, "FailReason": 0},
        "notification_equip_charge_status": lambda p, c: {"StartChargeSeq": seq_of(p), "SuccStat": 0},
        "notification_stop_charge_result": lambda p, c: {"StartChargeSeq": seq_of(p), "SuccStat": 0, "FailReason": 0},
        "notification_charge_order_info": order,
    }
    platform = core.Platform(own_id=own, peer_id=harness, sec=sec, handlers=handlers, defects=frozenset(defects))
    server = _serve(platform, host, port, "tcec102-reference-demander")
    return ReferencePeer(url=server.url + "evcs/v1/", stop=server.stop, pixit=_pixit_out(px))
