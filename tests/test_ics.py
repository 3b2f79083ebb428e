"""The ICS: what a vendor claims, validated against the profile; it selects what applies."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.errors import IcsError
from conformance.ics import default_ics, ics_from_dict, load_ics
from conformance.profile import Profile, load_profile

from conftest import FIXTURES, requirement, verdicts

BASIC_XML = FIXTURES / "test-xml/valid/basic.xml"
PRODUCT = {"name": "Vendor box", "version": "3.2"}


def _ics(profile: Profile, **kw: Any) -> dict[str, Any]:
    return {"profile": profile.id, "product": dict(PRODUCT), **kw}


def _refused(raw: Any, profile: Profile, source: str | None = None) -> IcsError:
    with pytest.raises(IcsError) as info:
        ics_from_dict(raw, profile, source=source)
    err = info.value
    assert err.exit_code == 2
    assert err.message["zh"] and err.message["en"]
    return err


# ------------------------------------------------------------------ refused ICSes


def test_unknown_option_is_refused_naming_it(xml_profile: Profile) -> None:
    err = _refused(_ics(xml_profile, options={"SIGNED": True, "TELEPORT": True}), xml_profile, source="vendor.yaml")
    assert err.file == "vendor.yaml" and err.path == "options.TELEPORT"
    assert "no option 'TELEPORT'" in err.render("en") and "TELEPORT" in err.render("zh")


def test_missing_mandatory_option(write_profile: Callable[..., Path]) -> None:
    folder = write_profile(
        """\
        format: 1
        id: ics-mandatory
        version: 1.0.0
        title: t
        standards: [{code: S, title: s}]
        roles: [{id: r, title: r}]
        options:
          - {id: TRANSPORT, title: transport, type: choice, choices: [http, mq], mandatory: true}
          - {id: EXTRA, title: extra, type: boolean}
        requirements: [{id: R-1, clause: "1", level: MUST, text: t}]
        checks: [{id: c, check: xml-wellformed, requirements: [R-1]}]
        """
    )
    profile = load_profile(folder)
    err = _refused(_ics(profile, options={"EXTRA": True}), profile)
    assert err.path == "options"
    assert "mandatory option 'TRANSPORT'" in err.render("en") and "TRANSPORT" in err.render("zh")
    ok = ics_from_dict(_ics(profile, options={"TRANSPORT": "mq"}), profile)
    assert ok.options == {"TRANSPORT": "mq"}


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("SIGNED", "yes", "true or false"),
        ("SIGNED", 1, "true or false"),
        ("DIALECT", "c", "one of a, b"),
        ("DIALECT", True, "must be a string"),
    ],
)
def test_wrong_option_type_or_value(xml_profile: Profile, option: str, value: Any, words: str) -> None:
    err = _refused(_ics(xml_profile, options={option: value}), xml_profile)
    assert err.path == f"options.{option}"
    assert words in err.render("en")


def test_integer_option(write_profile: Callable[..., Path]) -> None:
    folder = write_profile(
        """\
        format: 1
        id: ics-int
        version: 1.0.0
        title: t
        standards: [{code: S, title: s}]
        roles: [{id: r, title: r}]
        options: [{id: N, title: n, type: integer, default: 2}]
        requirements: [{id: R-1, clause: "1", level: MUST, text: t, options: ["N=3"]}]
        checks: [{id: c, check: xml-wellformed, requirements: [R-1]}]
        """
    )
    profile = load_profile(folder)
    assert "integer" in _refused(_ics(profile, options={"N": True}), profile).render("en")
    assert "integer" in _refused(_ics(profile, options={"N": "3"}), profile).render("en")
    assert ics_from_dict(_ics(profile, options={"N": 3}), profile).options == {"N": 3}
    assert default_ics(profile).options == {"N": 2}


def test_ics_for_another_profile(xml_profile: Profile) -> None:
    err = _refused({"profile": "test-json", "product": PRODUCT}, xml_profile)
    assert err.path == "profile"
    assert "'test-json'" in err.render("en") and "'test-xml'" in err.render("en")


def test_unknown_role(xml_profile: Profile) -> None:
    err = _refused(_ics(xml_profile, role="auditor"), xml_profile)
    assert err.path == "role"
    en = err.render("en")
    assert "auditor" in en and "receiver" in en and "sender" in en


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ({"profile": "test-xml"}, "(root)"),
        ({"profile": "test-xml", "product": {"name": "x"}}, "product"),
        ({"profile": "test-xml", "product": PRODUCT, "colour": "red"}, "(root)"),
        ({"profile": "test-xml", "product": PRODUCT, "options": {"SIGNED": [1]}}, "options.SIGNED"),
    ],
)
def test_ics_schema_violations(xml_profile: Profile, raw: dict[str, Any], path: str) -> None:
    err = _refused(raw, xml_profile)
    assert err.path == path
    assert "invalid ICS" in err.render("en")


@pytest.mark.parametrize("raw", [None, [], "profile: x"])
def test_ics_must_be_a_mapping(xml_profile: Profile, raw: Any) -> None:
    assert "mapping" in _refused(raw, xml_profile).render("en")


def test_load_ics_file_errors(tmp_path: Path, xml_profile: Profile) -> None:
    with pytest.raises(IcsError) as missing:
        load_ics(tmp_path / "nope.yaml", xml_profile)
    assert missing.value.file == str(tmp_path / "nope.yaml") and "not found" in missing.value.render("en")
    bad = tmp_path / "bad.yaml"
    bad.write_text("profile: [unclosed\n", encoding="utf-8")
    with pytest.raises(IcsError) as broken:
        load_ics(bad, xml_profile)
    assert broken.value.file == str(bad) and "cannot read ICS" in broken.value.render("en")


# ------------------------------------------------------------------ accepted ICSes


def test_defaults_fill_unclaimed_options(xml_profile: Profile) -> None:
    ics = ics_from_dict(_ics(xml_profile, options={"SIGNED": True}), xml_profile)
    assert ics.options == {"SIGNED": True, "DIALECT": "a"}
    assert ics.role == "sender"  # the profile's default role
    d = default_ics(xml_profile)
    assert d.options == {"SIGNED": False, "DIALECT": "a"} and d.role == "sender" and d.source is None


def test_role_and_options_make_requirements_not_applicable_with_reasons(
    xml_profile: Profile, run: Callable[..., dict]
) -> None:
    ics = ics_from_dict(_ics(xml_profile, role="sender", options={"SIGNED": False, "DIALECT": "a"}), xml_profile)
    record = run(xml_profile, [BASIC_XML], ics=ics)
    v = verdicts(record)
    assert v["TX-8"] == v["TX-10"] == v["TX-12"] == "not_applicable"
    tx10 = requirement(record, "TX-10")
    assert tx10["applicable"] is False and tx10["tested"] is True and tx10["findings"] == []
    assert "role sender" in tx10["reason"]["en"] and "receiver" in tx10["reason"]["en"]
    assert "sender" in tx10["reason"]["zh"]
    assert "SIGNED" in requirement(record, "TX-8")["reason"]["en"]
    assert "DIALECT=b" in requirement(record, "TX-12")["reason"]["en"]
    assert record["summary"]["applicable"] == 8
    assert record["ics"]["role"] == "sender" and record["ics"]["product"] == PRODUCT


def test_claiming_options_and_role_makes_them_apply(xml_profile: Profile, run: Callable[..., dict]) -> None:
    ics = ics_from_dict(_ics(xml_profile, role="receiver", options={"SIGNED": True, "DIALECT": "b"}), xml_profile)
    record = run(xml_profile, [BASIC_XML], ics=ics)
    v = verdicts(record)
    assert v["TX-10"] == "pass"
    # basic.xml has no sig and no @b: once claimed, those requirements apply and fail
    assert v["TX-8"] == v["TX-12"] == "fail"
    assert record["summary"]["exit_code"] == 1
    assert record["ics"]["options"] == {"SIGNED": True, "DIALECT": "b"}


def test_binding_conditions_skip_a_check_without_excluding_the_requirement(
    json_profile: Profile, run: Callable[..., dict]
) -> None:
    # TJ-9's only binding also carries options: [SIGNED]; unclaimed, TJ-9 is not applicable
    record = run(json_profile, [FIXTURES / "test-json/valid/basic.json"])
    assert verdicts(record)["TJ-9"] == "not_applicable"
    signed = ics_from_dict(_ics(json_profile, options={"SIGNED": True}), json_profile)
    record = run(json_profile, [FIXTURES / "test-json/invalid/unsigned.json"], ics=signed)
    assert verdicts(record)["TJ-9"] == "fail"


def test_ics_file_is_digested_into_the_record(tmp_path: Path, xml_profile: Profile, run: Callable[..., dict]) -> None:
    path = tmp_path / "ics.yaml"
    path.write_text(yaml.safe_dump(_ics(xml_profile, role="receiver")), encoding="utf-8")
    ics = load_ics(path, xml_profile)
    assert ics.source == str(path) and ics.role == "receiver"
    record = run(xml_profile, [BASIC_XML], ics=ics)
    assert record["ics"]["source"] == str(path)
    assert record["ics"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert verdicts(record)["TX-10"] == "pass"
