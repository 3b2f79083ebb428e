"""Generate fixtures/tcec102-2016/{valid,invalid} from tcec_samples.py.

Run ``python profiles/tcec102-2016/tools/make_fixtures.py``. Envelopes are signed and
encrypted with the test-only secrets of fixtures/tcec102-2016/pixit.yaml. Each invalid
fixture breaks one rule; invalid/EXPECTED.yaml names the requirement it must fail.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
PROFILE = HERE.parent
OUT = PROFILE.parents[1] / "fixtures" / "tcec102-2016"


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"_tcec_fixture_{name}", PROFILE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


core = _load("tcec_core")
samples = _load("tcec_samples")


def write(path: Path, value: Any) -> None:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=2) + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> int:
    pixit = yaml.safe_load((OUT / "pixit.yaml").read_text(encoding="utf-8"))
    sec = core.Secrets.from_pixit(pixit)
    op = str(pixit["operator_id"])
    data = samples.samples()
    valid, invalid = OUT / "valid", OUT / "invalid"
    for d in (valid, invalid):
        d.mkdir(parents=True, exist_ok=True)
        for old in d.glob("*.json"):
            old.unlink()
    for name, payload in data.items():
        write(valid / f"{name}.json", payload)
    ts = "20240501100000"
    req = core.build_request(op, data["query_stations_info.req"], sec, seq=1, ts=ts)
    write(valid / "query_stations_info.req.envelope.json", req)
    write(valid / "query_stations_info.resp.envelope.json", core.build_response(0, "", data["query_stations_info.resp"], sec))
    write(valid / "notification_charge_order_info.envelope.json",
          core.build_request(op, data["notification_charge_order_info.req"], sec, seq=2, ts=ts))
    write(valid / "query_token.resp.envelope.json", core.build_response(0, "", data["query_token.resp"], sec))
    write(valid / "rejected.envelope.json", core.build_response(4001, "签名错误", None, sec))

    expected: dict[str, list[str]] = {}

    def bad(file: str, reqs: list[str], value: Any) -> None:
        write(invalid / file, value)
        expected[file] = reqs

    def mutated(name: str, fn: Any) -> Any:
        value = copy.deepcopy(data[name])
        fn(value)
        return value

    def resigned(env: dict[str, Any]) -> dict[str, Any]:
        env = dict(env)
        env["Sig"] = core.request_sig(sec.sig_secret, env["OperatorID"], env["Data"], env["TimeStamp"], env["Seq"])
        return env

    # ------------------------------------------------------------ envelopes (part 4)
    bad("StationInfo.truncated.json", ["CEC-4.3-JSON"], json.dumps(data["StationInfo"], ensure_ascii=False)[:120])
    bad("query_stations_info.req.no-seq.json", ["CEC-4.5-REQ"], {k: v for k, v in req.items() if k != "Seq"})
    bad("query_stations_info.req.operator-id.json", ["CEC-4.5-OPID"], resigned({**req, "OperatorID": "MA01H3"}))
    bad("query_stations_info.req.timestamp-13.json", ["CEC-4.5-TS"], resigned({**req, "TimeStamp": ts[:13]}))
    bad("query_stations_info.req.timestamp-month-13.json", ["CEC-4.5-TS"], resigned({**req, "TimeStamp": "20241301100000"}))
    bad("query_stations_info.req.seq-short.json", ["CEC-4.5-SEQ"], resigned({**req, "Seq": "1"}))
    bad("query_stations_info.req.lowercase-sig.json", ["CEC-C-SIG-FORMAT"], {**req, "Sig": req["Sig"].lower()})
    bad("query_stations_info.req.wrong-sig.json", ["CEC-C-SIG"], {**req, "Sig": core.hmac_md5("wrong", "x")})
    plain = core.dumps(data["query_stations_info.req"])
    bad("query_stations_info.req.plaintext-data.json", ["CEC-B-DATA"], resigned({**req, "Data": plain}))
    bad("query_stations_info.req.not-base64.json", ["CEC-B-DATA"], resigned({**req, "Data": "not*base64"}))
    resp = core.build_response(0, "", data["query_stations_info.resp"], sec)
    bad("query_stations_info.resp.no-msg.json", ["CEC-4.5-RESP"], {k: v for k, v in resp.items() if k != "Msg"})
    r = core.build_response(4999, "x", None, sec)
    bad("query_stations_info.resp.unknown-ret.json", ["CEC-4.5-RET"], r)
    wrong_station = copy.deepcopy(data["query_stations_info.resp"])
    wrong_station["StationInfos"][0]["StationStatus"] = 9
    bad("query_stations_info.resp.encrypted-bad-status.json", ["CEC-2-STATION-ENUM"],
        core.build_response(0, "", wrong_station, sec))
    # ------------------------------------------------------------ payloads (parts 2, 3, Annex A)
    bad("query_token.resp.negative-lifetime.json", ["CEC-A-TOKEN-MSG"],
        mutated("query_token.resp", lambda v: v.update(TokenAvailableTime=-1)))
    bad("StationInfo.no-name.json", ["CEC-2-STATION"], mutated("StationInfo", lambda v: v.pop("StationName")))
    bad("StationInfo.station-type-7.json", ["CEC-2-STATION-ENUM"], mutated("StationInfo", lambda v: v.update(StationType=7)))
    bad("StationInfo.park-nums-string.json", ["CEC-DM-TYPE"], mutated("StationInfo", lambda v: v.update(ParkNums="12")))
    bad("EquipmentInfo.type-9.json", ["CEC-2-EQUIPMENT"], mutated("EquipmentInfo", lambda v: v.update(EquipmentType=9)))
    bad("ConnectorInfo.type-0.json", ["CEC-2-CONNECTOR"], mutated("ConnectorInfo", lambda v: v.update(ConnectorType=0)))
    bad("ConnectorStatusInfo.status-5.json", ["CEC-2-CONNSTATUS"], mutated("ConnectorStatusInfo", lambda v: v.update(Status=5)))
    bad("OperatorInfo.no-name.json", ["CEC-2-OPERATOR"], mutated("OperatorInfo", lambda v: v.pop("OperatorName")))
    bad("query_stations_info.resp.no-item-size.json", ["CEC-2-MESSAGES"],
        mutated("query_stations_info.resp", lambda v: v.pop("ItemSize")))
    bad("query_station_status.req.51-ids.json", ["CEC-2-STATUS-IDS"],
        {"StationIDs": [f"ST{n:04d}" for n in range(1, 52)]})
    bad("query_start_charge.req.seq-26.json", ["CEC-3-SEQ"],
        mutated("query_start_charge.req", lambda v: v.update(StartChargeSeq=v["StartChargeSeq"][:26])))
    bad("query_equip_auth.resp.no-succstat.json", ["CEC-3-MESSAGES"], mutated("query_equip_auth.resp", lambda v: v.pop("SuccStat")))
    bad("query_start_charge.resp.seqstat-6.json", ["CEC-3-ENUM"],
        mutated("query_start_charge.resp", lambda v: v.update(StartChargeSeqStat=6)))
    bad("ChargeDetails.no-power.json", ["CEC-3-DETAILS"], mutated("ChargeDetails", lambda v: v.pop("DetailPower")))
    bad("notification_start_charge_result.req.slash-date.json", ["CEC-DM-TIME"],
        mutated("notification_start_charge_result.req", lambda v: v.update(StartTime="2024/05/01 10:00:00")))

    def platform_dialect(v: dict[str, Any]) -> None:
        v["TotalServiceMoney"] = v.pop("TotalSeviceMoney")
    bad("notification_charge_order_info.req.platform-dialect.json", ["CEC-DM-DIALECT"],
        mutated("notification_charge_order_info.req", platform_dialect))
    header = ("# Generated by profiles/tcec102-2016/tools/make_fixtures.py: each invalid fixture and the\n"
              "# requirement(s) it must fail (validated with demo.yaml's ICS and PIXIT).\n")
    (invalid / "EXPECTED.yaml").write_text(header + yaml.safe_dump(expected, sort_keys=True), encoding="utf-8")
    print(f"wrote {len(list(valid.glob('*.json')))} valid and {len(expected)} invalid fixtures to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
