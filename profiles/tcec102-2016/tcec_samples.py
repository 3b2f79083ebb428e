"""Sample business payloads of every T/CEC 102 message type (CEC-text dialect).

One source for the fixtures (tools/make_fixtures.py), the reference peers' answers,
the harness's requests and the benchmarks, so they agree with the schemas.
"""

from __future__ import annotations

from typing import Any

PROVIDER_ID = "MA01H3BQ2"  # test-only operator ids (9 characters, organisation-code shaped)
DEMANDER_ID = "MA0CEC102"
STATION_ID = "ST0001"
EQUIPMENT_ID = "EQ000101"
CONNECTOR_ID = "EQ00010101"
CONNECTOR_2 = "EQ00010102"
T0 = "2024-05-01 10:00:00"
T1 = "2024-05-01 10:45:00"


def seq27(operator_id: str, n: int = 1) -> str:
    return f"{operator_id}{n:018d}"


def connector_info(cid: str = CONNECTOR_ID) -> dict[str, Any]:
    return {"ConnectorID": cid, "ConnectorName": "1号枪", "ConnectorType": 4, "VoltageUpperLimits": 750,
            "VoltageLowerLimits": 200, "Current": 250, "Power": 120.0, "NationalStandard": 2}


def equipment_info() -> dict[str, Any]:
    return {"EquipmentID": EQUIPMENT_ID, "ManufacturerID": "MA0000001", "ManufacturerName": "示例制造商",
            "EquipmentModel": "DC-120", "ProductionDate": "2023-08-01", "EquipmentType": 1,
            "ConnectorInfos": [connector_info(CONNECTOR_ID), connector_info(CONNECTOR_2)],
            "EquipmentLng": 120.153576, "EquipmentLat": 30.287459, "Power": 120.0}


def station_info(n: int = 1, operator_id: str = PROVIDER_ID) -> dict[str, Any]:
    return {"StationID": STATION_ID if n == 1 else f"ST{n:04d}", "OperatorID": operator_id,
            "EquipmentOwnerID": operator_id, "StationName": f"西湖示范充电站{n}", "CountryCode": "CN",
            "AreaCode": "330106", "Address": "浙江省杭州市西湖区示例路1号", "StationTel": "0571-00000000",
            "ServiceTel": "400-000-0000", "StationType": 1, "StationStatus": 50, "ParkNums": 12,
            "StationLng": 120.153576, "StationLat": 30.287459, "SiteGuide": "地下一层 B 区", "Construction": 1,
            "Pictures": [], "BusineHours": "00:00-24:00", "ElectricityFee": "1.0元/度", "ServiceFee": "0.8元/度",
            "ParkFee": "免费", "Payment": "线上", "SupportOrder": 0, "EquipmentInfos": [equipment_info()]}


def connector_status(cid: str = CONNECTOR_ID, status: int = 1) -> dict[str, Any]:
    return {"ConnectorID": cid, "Status": status, "ParkStatus": 0, "LockStatus": 0}


def operator_info(operator_id: str = PROVIDER_ID) -> dict[str, Any]:
    return {"OperatorID": operator_id, "OperatorName": "示例充电运营商", "OperatorTel1": "400-000-0000",
            "OperatorRegAddress": "浙江省杭州市"}


def charge_details() -> dict[str, Any]:
    return {"DetailStartTime": T0, "DetailEndTime": T1, "ElecPrice": 1.0, "SevicePrice": 0.8, "DetailPower": 30.5,
            "DetailElecMoney": 30.5, "DetailSeviceMoney": 24.4}


def charge_status(start_seq: str, stat: int = 2) -> dict[str, Any]:
    return {"StartChargeSeq": start_seq, "StartChargeSeqStat": stat, "ConnectorID": CONNECTOR_ID,
            "ConnectorStatus": 3, "CurrentA": 120.5, "VoltageA": 380.0, "Soc": 56.0, "StartTime": T0,
            "EndTime": T1, "TotalPower": 30.5, "ElectMoney": 30.5, "SeviceMoney": 24.4, "TotalMoney": 54.9,
            "SumPeriod": 1, "ChargeDetails": [charge_details()]}


def order_info(start_seq: str) -> dict[str, Any]:
    return {"StartChargeSeq": start_seq, "ConnectorID": CONNECTOR_ID, "StartTime": T0, "EndTime": T1,
            "TotalPower": 30.5, "TotalElecMoney": 30.5, "TotalSeviceMoney": 24.4, "TotalMoney": 54.9,
            "StopReason": 0, "SumPeriod": 1, "ChargeDetails": [charge_details()]}


def samples(provider: str = PROVIDER_ID, demander: str = DEMANDER_ID) -> dict[str, Any]:
    """A valid payload of every message type."""
    start = seq27(demander, 1)
    return {
        "StationInfo": station_info(1, provider),
        "EquipmentInfo": equipment_info(),
        "ConnectorInfo": connector_info(),
        "ConnectorStatusInfo": connector_status(),
        "ChargeDetails": charge_details(),
        "OperatorInfo": operator_info(provider),
        "query_token.req": {"OperatorID": demander, "OperatorSecret": "TESTONLYsecret01"},
        "query_token.resp": {"OperatorID": demander, "SuccStat": 0, "AccessToken": "0" * 32,
                             "TokenAvailableTime": 7200, "FailReason": 0},
        "query_stations_info.req": {"LastQueryTime": "2024-01-01 00:00:00", "PageNo": 1, "PageSize": 10},
        "query_stations_info.resp": {"PageNo": 1, "PageCount": 1, "ItemSize": 1, "StationInfos": [station_info(1, provider)]},
        "notification_stationStatus.req": {"ConnectorStatusInfo": connector_status()},
        "notification_stationStatus.resp": {"Status": 0},
        "query_station_status.req": {"StationIDs": [STATION_ID]},
        "query_station_status.resp": {"Total": 1, "StationStatusInfos": [
            {"StationID": STATION_ID, "ConnectorStatusInfos": [connector_status(CONNECTOR_ID), connector_status(CONNECTOR_2, 2)]}]},
        "query_station_stats.req": {"StationID": STATION_ID, "StartTime": "2024-05-01", "EndTime": "2024-05-31"},
        "query_station_stats.resp": {"StationStats": {
            "StationID": STATION_ID, "StartTime": "2024-05-01", "EndTime": "2024-05-31", "StationElectricity": 1234.5,
            "EquipmentStatsInfos": [{"EquipmentID": EQUIPMENT_ID, "EquipmentElectricity": 1234.5, "ConnectorStatsInfos": [
                {"ConnectorID": CONNECTOR_ID, "ConnectorElectricity": 1000.0},
                {"ConnectorID": CONNECTOR_2, "ConnectorElectricity": 234.5}]}]}},
        "query_equip_auth.req": {"EquipAuthSeq": seq27(demander, 2), "ConnectorID": CONNECTOR_ID},
        "query_equip_auth.resp": {"EquipAuthSeq": seq27(demander, 2), "ConnectorID": CONNECTOR_ID, "SuccStat": 0,
                                  "FailReason": 0},
        "query_equip_business_policy.req": {"EquipBizSeq": seq27(demander, 3), "ConnectorID": CONNECTOR_ID},
        "query_equip_business_policy.resp": {
            "EquipBizSeq": seq27(demander, 3), "ConnectorID": CONNECTOR_ID, "SuccStat": 0, "FailReason": 0,
            "SumPeriod": 2, "PolicyInfos": [{"StartTime": "000000", "ElecPrice": 0.6, "SevicePrice": 0.8},
                                            {"StartTime": "080000", "ElecPrice": 1.0, "SevicePrice": 0.8}]},
        "query_start_charge.req": {"StartChargeSeq": start, "ConnectorID": CONNECTOR_ID, "QRCode": ""},
        "query_start_charge.resp": {"StartChargeSeq": start, "StartChargeSeqStat": 1, "ConnectorID": CONNECTOR_ID,
                                    "SuccStat": 0, "FailReason": 0},
        "notification_start_charge_result.req": {"StartChargeSeq": start, "StartChargeSeqStat": 2,
                                                 "ConnectorID": CONNECTOR_ID, "StartTime": T0},
        "notification_start_charge_result.resp": {"StartChargeSeq": start, "SuccStat": 0, "FailReason": 0},
        "query_equip_charge_status.req": {"StartChargeSeq": start},
        "query_equip_charge_status.resp": charge_status(start),
        "notification_equip_charge_status.req": charge_status(start),
        "notification_equip_charge_status.resp": {"StartChargeSeq": start, "SuccStat": 0},
        "query_stop_charge.req": {"StartChargeSeq": start, "ConnectorID": CONNECTOR_ID},
        "query_stop_charge.resp": {"StartChargeSeq": start, "StartChargeSeqStat": 3, "SuccStat": 0, "FailReason": 0},
        "notification_stop_charge_result.req": {"StartChargeSeq": start, "StartChargeSeqStat": 4,
                                                "ConnectorID": CONNECTOR_ID, "SuccStat": 0, "FailReason": 0},
        "notification_stop_charge_result.resp": {"StartChargeSeq": start, "SuccStat": 0, "FailReason": 0},
        "notification_charge_order_info.req": order_info(start),
        "notification_charge_order_info.resp": {"StartChargeSeq": start, "ConnectorID": CONNECTOR_ID, "ConfirmResult": 0},
        "check_charge_orders.req": {"CheckOrderSeq": seq27(demander, 4), "StartTime": "2024-05-01 00:00:00",
                                    "EndTime": "2024-05-01 23:59:59", "OrderCount": 1, "TotalOrderPower": 30.5,
                                    "TotalOrderMoney": 54.9,
                                    "ChargeOrders": [{"StartChargeSeq": start, "TotalPower": 30.5, "TotalMoney": 54.9}]},
        "check_charge_orders.resp": {"CheckOrderSeq": seq27(demander, 4), "StartTime": "2024-05-01 00:00:00",
                                     "EndTime": "2024-05-01 23:59:59", "TotalDisputeOrder": 0, "TotalDisputePower": 0.0,
                                     "TotalDisputeMoney": 0.0, "DisputeOrders": []},
    }
