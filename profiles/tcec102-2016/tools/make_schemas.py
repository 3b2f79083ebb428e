"""Generate the JSON Schemas (draft 2020-12) of the T/CEC 102 business payloads.

Run ``python profiles/tcec102-2016/tools/make_schemas.py`` after editing the models
below; it rewrites ``schemas/tcec102-2016/``. Every subschema that can raise an
error carries ``x-requirement`` so the generic ``jsonschema`` check routes each error
to its requirement:

* the JSON type of each field sits in a subschema of its own (CEC-DM-TYPE), so a
  number sent as a string is a type error and nothing else;
* enumerations and ranges sit in ``if {type} then {enum}`` so they judge only values of
  the right type;
* ``required`` and lengths sit on the model's own object (its model requirement).

Field names that differ between the CEC text and common platform contracts
(``Sevice*``/``Service*``, ``ElectMoney``/``ElecMoney``) are accepted in either
spelling here (``anyOf`` of the two ``required``); which spelling is expected is the
ICS option DIALECT, judged by the plugin (CEC-DM-DIALECT, a SHOULD).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[3] / "schemas" / "tcec102-2016"
DRAFT = "https://json-schema.org/draft/2020-12/schema"

TYPE, TIME, SEQ = "CEC-DM-TYPE", "CEC-DM-TIME", "CEC-3-SEQ"

# (CEC spelling, platform spelling)
DIALECT_PAIRS = [("SevicePrice", "ServicePrice"), ("SeviceMoney", "ServiceMoney"),
                 ("TotalSeviceMoney", "TotalServiceMoney"), ("ElectMoney", "ElecMoney"),
                 ("DetailSeviceMoney", "DetailServiceMoney")]


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{name}"}


T_STR = {"type": "string", "x-requirement": TYPE}
T_INT = {"type": "integer", "x-requirement": TYPE}
T_NUM = {"type": "number", "x-requirement": TYPE}


def typed(base: dict[str, Any], req: str | None, extra: dict[str, Any]) -> dict[str, Any]:
    """The JSON type check inline (no $ref: lookups dominate python-jsonschema's time), in
    an ``allOf`` of its own when the field has constraints of another requirement."""
    if not extra:
        return dict(base)
    return {"allOf": [dict(base)], **extra, "x-requirement": req}


def s(req: str, maxlen: int | None = None, minlen: int | None = None) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if maxlen is not None:
        extra["maxLength"] = maxlen
    if minlen is not None:
        extra["minLength"] = minlen
    return typed(T_STR, req, extra)


def _ranged(base: dict[str, Any], kind: str, req: str | None, then: dict[str, Any]) -> dict[str, Any]:
    if not then:
        return dict(base)
    # if/then: an enumeration or range judges only values of the right type
    return {"allOf": [dict(base)], "if": {"type": kind}, "then": {**then, "x-requirement": req}}


def i(req: str | None = None, *, enum: list[int] | None = None, lo: int | None = None, hi: int | None = None) -> dict[str, Any]:
    then: dict[str, Any] = {}
    if enum is not None:
        then["enum"] = enum
    if lo is not None:
        then["minimum"] = lo
    if hi is not None:
        then["maximum"] = hi
    return _ranged(T_INT, "integer", req, then)


def n(req: str | None = None, lo: float | None = None, hi: float | None = None) -> dict[str, Any]:
    then: dict[str, Any] = {}
    if lo is not None:
        then["minimum"] = lo
    if hi is not None:
        then["maximum"] = hi
    return _ranged(T_NUM, "number", req, then)


def arr(req: str, items: dict[str, Any], lo: int | None = None, hi: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "array", "items": items, "x-requirement": req}
    if lo is not None:
        out["minItems"] = lo
    if hi is not None:
        out["maxItems"] = hi
    return out


def obj(req: str, props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """An object; a required name that is a dialect pair accepts either spelling."""
    out: dict[str, Any] = {"type": "object", "x-requirement": req, "properties": {}}
    plain: list[str] = []
    either: list[dict[str, Any]] = []
    pairs = dict(DIALECT_PAIRS)
    for name, schema in props.items():
        out["properties"][name] = schema
        if name in pairs:
            out["properties"][pairs[name]] = schema
    for name in required:
        if name in pairs:
            either.append({"anyOf": [{"required": [name]}, {"required": [pairs[name]]}]})
        else:
            plain.append(name)
    if plain:
        out["required"] = plain
    if either:
        out["allOf"] = either
    return out


OPID = "[0-9A-Z]{9}"
DATETIME = ref("datetime")
DATE = ref("date")
SEQ27 = ref("seq27")

STATION, SENUM = "CEC-2-STATION", "CEC-2-STATION-ENUM"
EQUIP, CONN, CSTAT, OPER = "CEC-2-EQUIPMENT", "CEC-2-CONNECTOR", "CEC-2-CONNSTATUS", "CEC-2-OPERATOR"
MSG2, IDS = "CEC-2-MESSAGES", "CEC-2-STATUS-IDS"
MSG3, ENUM3, DETAILS = "CEC-3-MESSAGES", "CEC-3-ENUM", "CEC-3-DETAILS"
TOKEN = "CEC-A-TOKEN-MSG"

DEFS: dict[str, Any] = {
    "str": T_STR,
    "datetime": {"allOf": [T_STR], "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$",
                 "x-requirement": TIME},
    "date": {"allOf": [T_STR], "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", "x-requirement": TIME},
    "hhmmss": {"allOf": [T_STR], "pattern": r"^([01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]$", "x-requirement": TIME},
    "seq27": {"allOf": [T_STR], "pattern": f"^{OPID}[0-9A-Za-z]{{18}}$", "x-requirement": SEQ},
    "succstat": i(ENUM3, enum=[0, 1]),
    "startstat": i(ENUM3, enum=[1, 2, 3, 4, 5]),
    "sumperiod": i(ENUM3, lo=0, hi=32),
    "connstatus": i(ENUM3, enum=[0, 1, 2, 3, 4, 255]),
}

MODELS: dict[str, Any] = {
    "ConnectorInfo": obj(CONN, {
        "ConnectorID": s(CONN, 26, 1), "ConnectorName": s(CONN, 30), "ConnectorType": i(CONN, enum=[1, 2, 3, 4, 5, 6]),
        "VoltageUpperLimits": i(), "VoltageLowerLimits": i(), "Current": i(), "Power": n(),
        "ParkNo": s(CONN, 10), "NationalStandard": i(CONN, enum=[1, 2]),
    }, ["ConnectorID", "ConnectorType", "VoltageUpperLimits", "VoltageLowerLimits", "Current", "Power"]),
    "EquipmentInfo": obj(EQUIP, {
        "EquipmentID": s(EQUIP, 23, 1), "ManufacturerID": s(EQUIP, 9), "ManufacturerName": s(EQUIP, 30),
        "EquipmentModel": s(EQUIP, 20), "ProductionDate": DATE, "EquipmentType": i(EQUIP, enum=[1, 2, 3, 4, 5]),
        "ConnectorInfos": arr(EQUIP, ref("ConnectorInfo"), lo=1), "EquipmentLng": n(EQUIP, -180, 180),
        "EquipmentLat": n(EQUIP, -90, 90), "Power": n(),
    }, ["EquipmentID", "EquipmentType", "ConnectorInfos", "Power"]),
    "StationInfo": obj(STATION, {
        "StationID": s(STATION, 20, 1), "OperatorID": s(STATION, 9, 9), "EquipmentOwnerID": s(STATION, 9, 9),
        "StationName": s(STATION, 50, 1), "CountryCode": s(STATION, 2, 2), "AreaCode": s(STATION, 20, 6),
        "Address": s(STATION, 50, 1), "StationTel": s(STATION, 30), "ServiceTel": s(STATION, 30, 1),
        "StationType": i(SENUM, enum=[1, 50, 100, 101, 102, 103, 255]),
        "StationStatus": i(SENUM, enum=[0, 1, 5, 6, 50]), "ParkNums": i(STATION, lo=0),
        "StationLng": n(STATION, -180, 180), "StationLat": n(STATION, -90, 90), "SiteGuide": s(STATION, 100),
        "Construction": i(SENUM, enum=[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255]),
        "Pictures": arr(STATION, T_STR), "MatchCars": s(STATION, 100), "ParkInfo": s(STATION, 100),
        "BusineHours": s(STATION, 100), "ElectricityFee": s(STATION, 256), "ServiceFee": s(STATION, 100),
        "ParkFee": s(STATION, 100), "Payment": s(STATION, 20), "SupportOrder": i(STATION, enum=[0, 1]),
        "Remark": s(STATION, 100), "EquipmentInfos": arr(STATION, ref("EquipmentInfo"), lo=1),
    }, ["StationID", "OperatorID", "EquipmentOwnerID", "StationName", "CountryCode", "AreaCode", "Address",
        "ServiceTel", "StationType", "StationStatus", "ParkNums", "StationLng", "StationLat", "Construction",
        "EquipmentInfos"]),
    "ConnectorStatusInfo": obj(CSTAT, {
        "ConnectorID": s(CSTAT, 26, 1), "Status": i(CSTAT, enum=[0, 1, 2, 3, 4, 255]),
        "ParkStatus": i(CSTAT, enum=[0, 10, 50]), "LockStatus": i(CSTAT, enum=[0, 10, 50]),
    }, ["ConnectorID", "Status"]),
    "OperatorInfo": obj(OPER, {
        "OperatorID": s(OPER, 9, 9), "OperatorName": s(OPER, 64, 1), "OperatorTel1": s(OPER, 32, 1),
        "OperatorTel2": s(OPER, 32), "OperatorRegAddress": s(OPER, 64), "OperatorNote": s(OPER, 255),
    }, ["OperatorID", "OperatorName", "OperatorTel1"]),
    "ChargeDetails": obj(DETAILS, {
        "DetailStartTime": DATETIME, "DetailEndTime": DATETIME, "ElecPrice": n(), "SevicePrice": n(),
        "DetailPower": n(), "DetailElecMoney": n(), "DetailSeviceMoney": n(),
    }, ["DetailStartTime", "DetailEndTime", "ElecPrice", "SevicePrice", "DetailPower", "DetailElecMoney",
        "DetailSeviceMoney"]),
}
_CHARGE_STATUS = obj(MSG3, {
    "StartChargeSeq": SEQ27, "StartChargeSeqStat": ref("startstat"), "ConnectorID": s(MSG3, 26, 1),
    "ConnectorStatus": ref("connstatus"), "CurrentA": n(), "CurrentB": n(), "CurrentC": n(), "VoltageA": n(),
    "VoltageB": n(), "VoltageC": n(), "Soc": n(MSG3, 0, 100), "StartTime": DATETIME, "EndTime": DATETIME,
    "TotalPower": n(), "ElectMoney": n(), "SeviceMoney": n(), "TotalMoney": n(), "SumPeriod": ref("sumperiod"),
    "ChargeDetails": arr(MSG3, ref("ChargeDetails")),
}, ["StartChargeSeq", "StartChargeSeqStat", "ConnectorID", "ConnectorStatus", "CurrentA", "VoltageA", "StartTime",
    "EndTime", "TotalPower", "TotalMoney"])

MESSAGES: dict[str, Any] = {
    "query_token.req": obj(TOKEN, {"OperatorID": s(TOKEN, 9, 9), "OperatorSecret": s(TOKEN, 16, 1)},
                           ["OperatorID", "OperatorSecret"]),
    "query_token.resp": obj(TOKEN, {
        "OperatorID": s(TOKEN, 9, 9), "SuccStat": i(TOKEN, enum=[0, 1]), "AccessToken": s(TOKEN, 64),
        "TokenAvailableTime": i(TOKEN, lo=0), "FailReason": i(TOKEN, enum=[0, 1, 2]),
    }, ["OperatorID", "SuccStat", "AccessToken", "TokenAvailableTime", "FailReason"]),
    "query_stations_info.req": obj(MSG2, {"LastQueryTime": DATETIME, "PageNo": i(MSG2, lo=1),
                                          "PageSize": i(MSG2, lo=1, hi=1000)}, []),
    "query_stations_info.resp": obj(MSG2, {"PageNo": i(MSG2, lo=1), "PageCount": i(MSG2, lo=0),
                                           "ItemSize": i(MSG2, lo=0), "StationInfos": arr(MSG2, ref("StationInfo"))},
                                    ["PageNo", "PageCount", "ItemSize", "StationInfos"]),
    "notification_stationStatus.req": obj(MSG2, {"ConnectorStatusInfo": ref("ConnectorStatusInfo")},
                                          ["ConnectorStatusInfo"]),
    "notification_stationStatus.resp": obj(MSG2, {"Status": i(MSG2, enum=[0, 1])}, ["Status"]),
    "query_station_status.req": obj(MSG2, {"StationIDs": arr(IDS, s(MSG2, 20, 1), lo=1, hi=50)}, ["StationIDs"]),
    "query_station_status.resp": obj(MSG2, {
        "Total": i(MSG2, lo=0),
        "StationStatusInfos": arr(MSG2, obj(MSG2, {
            "StationID": s(MSG2, 20, 1), "ConnectorStatusInfos": arr(MSG2, ref("ConnectorStatusInfo"))},
            ["StationID", "ConnectorStatusInfos"])),
    }, ["Total", "StationStatusInfos"]),
    "query_station_stats.req": obj(MSG2, {"StationID": s(MSG2, 20, 1), "StartTime": DATE, "EndTime": DATE},
                                   ["StationID", "StartTime", "EndTime"]),
    "query_station_stats.resp": obj(MSG2, {"StationStats": obj(MSG2, {
        "StationID": s(MSG2, 20, 1), "StartTime": DATE, "EndTime": DATE, "StationElectricity": n(MSG2, 0),
        "EquipmentStatsInfos": arr(MSG2, obj(MSG2, {
            "EquipmentID": s(MSG2, 23, 1), "EquipmentElectricity": n(MSG2, 0),
            "ConnectorStatsInfos": arr(MSG2, obj(MSG2, {"ConnectorID": s(MSG2, 26, 1),
                                                        "ConnectorElectricity": n(MSG2, 0)},
                                                 ["ConnectorID", "ConnectorElectricity"]))},
            ["EquipmentID", "EquipmentElectricity"])),
    }, ["StationID", "StartTime", "EndTime", "StationElectricity"])}, ["StationStats"]),
    "query_equip_auth.req": obj(MSG3, {"EquipAuthSeq": SEQ27, "ConnectorID": s(MSG3, 26, 1)},
                                ["EquipAuthSeq", "ConnectorID"]),
    "query_equip_auth.resp": obj(MSG3, {"EquipAuthSeq": SEQ27, "ConnectorID": s(MSG3, 26, 1),
                                        "SuccStat": ref("succstat"), "FailReason": i(MSG3, lo=0, hi=99)},
                                 ["EquipAuthSeq", "ConnectorID", "SuccStat", "FailReason"]),
    "query_equip_business_policy.req": obj(MSG3, {"EquipBizSeq": SEQ27, "ConnectorID": s(MSG3, 26, 1)},
                                           ["EquipBizSeq", "ConnectorID"]),
    "query_equip_business_policy.resp": obj(MSG3, {
        "EquipBizSeq": SEQ27, "ConnectorID": s(MSG3, 26, 1), "SuccStat": ref("succstat"),
        "FailReason": i(MSG3, lo=0, hi=99), "SumPeriod": ref("sumperiod"),
        "PolicyInfos": arr(MSG3, obj(MSG3, {"StartTime": ref("hhmmss"), "ElecPrice": n(MSG3, 0),
                                            "SevicePrice": n(MSG3, 0)}, ["StartTime", "ElecPrice", "SevicePrice"]),
                           hi=32),
    }, ["EquipBizSeq", "ConnectorID", "SuccStat", "FailReason", "SumPeriod", "PolicyInfos"]),
    "query_start_charge.req": obj(MSG3, {"StartChargeSeq": SEQ27, "ConnectorID": s(MSG3, 26, 1),
                                         "QRCode": s(MSG3, 100)}, ["StartChargeSeq", "ConnectorID"]),
    "query_start_charge.resp": obj(MSG3, {
        "StartChargeSeq": SEQ27, "StartChargeSeqStat": ref("startstat"), "ConnectorID": s(MSG3, 26, 1),
        "SuccStat": ref("succstat"), "FailReason": i(MSG3, lo=0, hi=99)},
        ["StartChargeSeq", "StartChargeSeqStat", "ConnectorID", "SuccStat", "FailReason"]),
    "notification_start_charge_result.req": obj(MSG3, {
        "StartChargeSeq": SEQ27, "StartChargeSeqStat": ref("startstat"), "ConnectorID": s(MSG3, 26, 1),
        "StartTime": DATETIME}, ["StartChargeSeq", "StartChargeSeqStat", "ConnectorID", "StartTime"]),
    "notification_start_charge_result.resp": obj(MSG3, {
        "StartChargeSeq": SEQ27, "SuccStat": ref("succstat"), "FailReason": i(MSG3, lo=0, hi=99)},
        ["StartChargeSeq", "SuccStat", "FailReason"]),
    "query_equip_charge_status.req": obj(MSG3, {"StartChargeSeq": SEQ27}, ["StartChargeSeq"]),
    "query_equip_charge_status.resp": _CHARGE_STATUS,
    "notification_equip_charge_status.req": _CHARGE_STATUS,
    "notification_equip_charge_status.resp": obj(MSG3, {"StartChargeSeq": SEQ27, "SuccStat": ref("succstat")},
                                                 ["StartChargeSeq", "SuccStat"]),
    "query_stop_charge.req": obj(MSG3, {"StartChargeSeq": SEQ27, "ConnectorID": s(MSG3, 26, 1)},
                                 ["StartChargeSeq", "ConnectorID"]),
    "query_stop_charge.resp": obj(MSG3, {
        "StartChargeSeq": SEQ27, "StartChargeSeqStat": ref("startstat"), "SuccStat": ref("succstat"),
        "FailReason": i(MSG3, lo=0, hi=99)}, ["StartChargeSeq", "StartChargeSeqStat", "SuccStat", "FailReason"]),
    "notification_stop_charge_result.req": obj(MSG3, {
        "StartChargeSeq": SEQ27, "StartChargeSeqStat": ref("startstat"), "ConnectorID": s(MSG3, 26, 1),
        "SuccStat": ref("succstat"), "FailReason": i(MSG3, lo=0, hi=99)},
        ["StartChargeSeq", "StartChargeSeqStat", "ConnectorID", "SuccStat", "FailReason"]),
    "notification_stop_charge_result.resp": obj(MSG3, {
        "StartChargeSeq": SEQ27, "SuccStat": ref("succstat"), "FailReason": i(MSG3, lo=0, hi=99)},
        ["StartChargeSeq", "SuccStat", "FailReason"]),
    "notification_charge_order_info.req": obj(MSG3, {
        "StartChargeSeq": SEQ27, "ConnectorID": s(MSG3, 26, 1), "StartTime": DATETIME, "EndTime": DATETIME,
        "TotalPower": n(MSG3, 0), "TotalElecMoney": n(), "TotalSeviceMoney": n(), "TotalMoney": n(),
        "StopReason": i(MSG3, lo=0, hi=99), "SumPeriod": ref("sumperiod"),
        "ChargeDetails": arr(MSG3, ref("ChargeDetails"))},
        ["StartChargeSeq", "ConnectorID", "StartTime", "EndTime", "TotalPower", "TotalElecMoney",
         "TotalSeviceMoney", "TotalMoney", "StopReason"]),
    "notification_charge_order_info.resp": obj(MSG3, {
        "StartChargeSeq": SEQ27, "ConnectorID": s(MSG3, 26, 1), "ConfirmResult": i(MSG3, lo=0, hi=99)},
        ["StartChargeSeq", "ConnectorID", "ConfirmResult"]),
    "check_charge_orders.req": obj(MSG3, {
        "CheckOrderSeq": SEQ27, "StartTime": DATETIME, "EndTime": DATETIME, "OrderCount": i(MSG3, lo=0),
        "TotalOrderPower": n(MSG3, 0), "TotalOrderMoney": n(),
        "ChargeOrders": arr(MSG3, obj(MSG3, {"StartChargeSeq": SEQ27, "TotalPower": n(MSG3, 0),
                                             "TotalMoney": n()}, ["StartChargeSeq", "TotalPower", "TotalMoney"]))},
        ["CheckOrderSeq", "StartTime", "EndTime", "OrderCount", "TotalOrderPower", "TotalOrderMoney", "ChargeOrders"]),
    "check_charge_orders.resp": obj(MSG3, {
        "CheckOrderSeq": SEQ27, "StartTime": DATETIME, "EndTime": DATETIME, "TotalDisputeOrder": i(MSG3, lo=0),
        "TotalDisputePower": n(MSG3, 0), "TotalDisputeMoney": n(),
        "DisputeOrders": arr(MSG3, obj(MSG3, {"StartChargeSeq": SEQ27, "TotalPower": n(MSG3, 0),
                                              "TotalMoney": n(), "DisputeReason": i(MSG3, lo=0, hi=99)},
                                       ["StartChargeSeq", "TotalPower", "TotalMoney", "DisputeReason"]))},
        ["CheckOrderSeq", "StartTime", "EndTime", "TotalDisputeOrder", "TotalDisputePower", "TotalDisputeMoney"]),
}

ENVELOPES: dict[str, Any] = {
    "envelope.request": {
        "type": "object", "x-requirement": "CEC-4.5-REQ",
        "required": ["OperatorID", "Data", "TimeStamp", "Seq", "Sig"],
        "properties": {
            "OperatorID": {"allOf": [{"type": "string", "x-requirement": "CEC-4.5-REQ"},
                                     {"pattern": f"^{OPID}$", "x-requirement": "CEC-4.5-OPID"}]},
            "Data": {"type": "string", "x-requirement": "CEC-4.5-REQ"},
            "TimeStamp": {"allOf": [{"type": "string", "x-requirement": "CEC-4.5-REQ"},
                                    {"pattern": "^[0-9]{14}$", "x-requirement": "CEC-4.5-TS"}]},
            "Seq": {"allOf": [{"type": "string", "x-requirement": "CEC-4.5-REQ"},
                              {"pattern": "^[0-9]{4}$", "x-requirement": "CEC-4.5-SEQ"}]},
            "Sig": {"allOf": [{"type": "string", "x-requirement": "CEC-4.5-REQ"},
                              {"pattern": "^[0-9A-F]{32}$", "x-requirement": "CEC-C-SIG-FORMAT"}]},
        },
    },
    "envelope.response": {
        "type": "object", "x-requirement": "CEC-4.5-RESP",
        "required": ["Ret", "Msg", "Data", "Sig"],
        "properties": {
            "Ret": {"type": "integer", "x-requirement": "CEC-4.5-RESP", "if": {"type": "integer"},
                    "then": {"enum": [0, -1, 4001, 4002, 4003, 4004, 500], "x-requirement": "CEC-4.5-RET"}},
            "Msg": {"type": "string", "x-requirement": "CEC-4.5-RESP"},
            "Data": {"type": "string", "x-requirement": "CEC-4.5-RESP"},
            "Sig": {"allOf": [{"type": "string", "x-requirement": "CEC-4.5-RESP"},
                              {"pattern": "^[0-9A-F]{32}$", "x-requirement": "CEC-C-SIG-FORMAT"}]},
        },
    },
}


def requirements_in(schema: Any, defs: dict[str, Any], seen: set[str] | None = None) -> set[str]:
    """Every x-requirement reachable from ``schema`` (following local $refs)."""
    seen = set() if seen is None else seen
    out: set[str] = set()
    if isinstance(schema, dict):
        for k, v in schema.items():
            if k == "x-requirement":
                out.add(v)
            elif k == "$ref" and isinstance(v, str) and v.startswith("#/$defs/"):
                name = v.rsplit("/", 1)[1]
                if name not in seen:
                    seen.add(name)
                    out |= requirements_in(defs[name], defs, seen)
            else:
                out |= requirements_in(v, defs, seen)
    elif isinstance(schema, list):
        for v in schema:
            out |= requirements_in(v, defs, seen)
    return out


def reachable(schema: Any, defs: dict[str, Any], seen: set[str] | None = None) -> set[str]:
    """Names of the $defs ``schema`` refers to, transitively."""
    seen = set() if seen is None else seen
    if isinstance(schema, dict):
        for k, v in schema.items():
            if k == "$ref" and isinstance(v, str) and v.startswith("#/$defs/"):
                name = v.rsplit("/", 1)[1]
                if name not in seen:
                    seen.add(name)
                    reachable(defs[name], defs, seen)
            else:
                reachable(v, defs, seen)
    elif isinstance(schema, list):
        for v in schema:
            reachable(v, defs, seen)
    return seen


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    defs = {**DEFS, **MODELS, **MESSAGES}
    bundle = {"$schema": DRAFT, "$id": "urn:tcec102-2016:defs", "title": "T/CEC 102-2016 data models and messages",
              "$comment": "Generated by profiles/tcec102-2016/tools/make_schemas.py; do not edit by hand.",
              "$defs": defs}
    (OUT / "defs.schema.json").write_text(json.dumps(bundle, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")  # reference
    index: dict[str, Any] = {}
    for name in [*MODELS, *MESSAGES]:
        file = f"{name}.schema.json"
        # Self-contained (only the $defs it reaches): a $ref into another file makes the
        # engine's local registry re-read that file on every validation.
        doc = {"$schema": DRAFT, "$comment": "Generated by make_schemas.py; validates one payload of this type.",
               "$defs": {k: defs[k] for k in sorted(reachable(defs[name], defs) | {name})},
               "$ref": f"#/$defs/{name}"}
        (OUT / file).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        index[name] = {"schema": file, "requirements": sorted(requirements_in(defs[name], defs))}
    for name, schema in ENVELOPES.items():
        file = f"{name}.schema.json"
        doc = {"$schema": DRAFT, "$comment": "Generated by make_schemas.py.", **schema}
        (OUT / file).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        index[name] = {"schema": file, "requirements": sorted(requirements_in(schema, defs))}
    index["_dialect_pairs"] = DIALECT_PAIRS  # type: ignore[assignment]
    (OUT / "index.json").write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(index) - 1} schemas to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
