"""ICS and PIXIT templates, derived schemas and validation (issue 5, item 1)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from conformance.cli import main
from conformance.discovery import resolve_profile
from conformance.errors import IcsError, ProfileError
from conformance.ics import ics_from_dict, ics_schema, ics_template, load_ics
from conformance.pixit import PixitError, check_pixit, pixit_schema, pixit_template, secret_values
from conformance.profile import load_profile

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LIVE = HERE / "data/profiles/test-live"
XML = HERE / "data/profiles/test-xml"
DX_FIX = ROOT / "fixtures/dx-1.0"

OPTIONS_PROFILE = """\
format: 1
id: opt-test
version: 1.0.0
title: {zh: 选项测试, en: options test}
standards: [{code: "OPT 1", title: opt}]
roles: [{id: client, title: client}, {id: server, title: server}]
default_role: server
options:
  - {id: TRANSPORT, title: {zh: 传输, en: transport}, type: choice, choices: [http, mqtt], mandatory: true}
  - {id: MAX_ITEMS, title: {zh: 最大条数, en: max items}, type: integer, default: 10}
  - {id: SIGNED, title: {zh: 签名, en: signed}, type: boolean}
pixit:
  - {id: base_url, type: url, required: true, description: {zh: 地址, en: address}}
  - {id: api_key, type: string, required: true, secret: true, description: {zh: 密钥, en: API key}}
  - {id: retries, type: integer, description: {zh: 重试, en: retries}}
requirements:
  - {id: O-1, clause: "1", level: MUST, text: well-formed}
checks:
  - {id: wf, check: xml-wellformed, requirements: [O-1]}
"""


@pytest.fixture
def opt_profile(write_profile):
    return load_profile(write_profile(OPTIONS_PROFILE))


def test_template_command_writes_loadable_ics_and_pixit_for_dx(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["ics", "template", "dx-1.0", "-o", str(tmp_path / "t")])
    assert result.exit_code == 0, result.output
    ics_text = (tmp_path / "t/ics.yaml").read_text(encoding="utf-8")
    pixit_text = (tmp_path / "t/pixit.yaml").read_text(encoding="utf-8")
    prof = resolve_profile("dx-1.0")
    ics = load_ics(tmp_path / "t/ics.yaml", prof)
    assert ics.role == "sender"
    assert "sender (sender / 发送方)" in ics_text and "receiver" in ics_text
    for key in ("key_registry", "content_keys", "known_systems"):
        assert f"# {key} (" in pixit_text
    assert "content_keys (object, optional 可选, SECRET 保密)" in pixit_text
    assert "key_registry (object, REQUIRED 必填)" in pixit_text
    data = yaml.safe_load(pixit_text)
    assert list(data) == ["key_registry"]  # required keys set, optional ones commented out
    assert check_pixit(data, prof).warnings == []
    again = CliRunner().invoke(main, ["ics", "template", "dx-1.0", "-o", str(tmp_path / "t")])
    assert again.exit_code == 2 and "--force" in again.output


def test_ics_template_lists_every_option_with_type_choices_default_and_marks_mandatory(opt_profile) -> None:
    body = ics_template(opt_profile)
    assert "# TRANSPORT: transport / 传输 — choice [http | mqtt], MANDATORY 必选" in body
    assert "\n  TRANSPORT: http\n" in body  # mandatory: set, uncommented
    assert "# MAX_ITEMS: max items / 最大条数 — integer, optional 可选, default 默认 10" in body
    assert "\n  # SIGNED: false\n" in body  # optional: commented out
    ics = ics_from_dict(yaml.safe_load(body), opt_profile)
    assert ics.options == {"TRANSPORT": "http", "MAX_ITEMS": 10}
    Draft202012Validator(ics_schema(opt_profile)).validate(yaml.safe_load(body))


def test_derived_ics_schema_and_refusals_name_the_option(opt_profile) -> None:
    schema = ics_schema(opt_profile)
    assert schema["properties"]["profile"] == {"const": "opt-test"}
    assert schema["properties"]["role"]["enum"] == ["client", "server"]
    assert schema["properties"]["options"]["required"] == ["TRANSPORT"]
    assert schema["properties"]["options"]["properties"]["TRANSPORT"]["enum"] == ["http", "mqtt"]
    base = {"profile": "opt-test", "product": {"name": "p", "version": "1"}}
    with pytest.raises(IcsError, match="TRANSPORT"):
        ics_from_dict({**base, "options": {"SIGNED": True}}, opt_profile)
    with pytest.raises(IcsError, match="no option 'COLOUR'"):
        ics_from_dict({**base, "options": {"TRANSPORT": "http", "COLOUR": "red"}}, opt_profile)
    with pytest.raises(IcsError, match="mqtt"):
        ics_from_dict({**base, "options": {"TRANSPORT": "ftp"}}, opt_profile)


def test_pixit_schema_template_and_validation(opt_profile) -> None:
    schema = pixit_schema(opt_profile)
    assert schema["required"] == ["base_url", "api_key"]
    assert schema["properties"]["api_key"]["x-secret"] is True
    body = pixit_template(opt_profile)
    assert "api_key (string, REQUIRED 必填, SECRET 保密)" in body and "# retries: 0" in body
    with pytest.raises(PixitError) as exc:
        check_pixit({"retries": 1}, opt_profile, source="p.yaml")
    assert "base_url, api_key" in exc.value.render("en")  # every missing key, by name
    with pytest.raises(PixitError, match="retries"):
        check_pixit({"base_url": "http://h/", "api_key": "k", "retries": "many"}, opt_profile)
    with pytest.raises(PixitError, match="base_url"):
        check_pixit({"base_url": "not a url", "api_key": "k"}, opt_profile)
    result = check_pixit({"base_url": "http://h/", "api_key": "k", "colour": "red"}, opt_profile)
    assert [w["en"] for w in result.warnings] == ["the PIXIT has key 'colour', which the profile does not declare"]
    assert secret_values({"base_url": "http://h/", "api_key": "k-123456"}, opt_profile) == {"k-123456"}


def test_dx_pixit_marks_content_keys_secret() -> None:
    prof = resolve_profile("dx-1.0")
    data = yaml.safe_load((DX_FIX / "pixit.yaml").read_text(encoding="utf-8"))
    assert check_pixit(data, prof).warnings == []
    secrets = secret_values(data, prof)
    assert secrets == {"0123456789abcdeffedcba9876543210", "2b7e151628aed2a6abf7158809cf4f3c"}
    with pytest.raises(PixitError, match="key_registry"):
        check_pixit({"content_keys": {}}, prof)


def test_cli_refuses_a_pixit_missing_required_keys_and_warns_on_unknown(tmp_path: Path) -> None:
    pixit = tmp_path / "pixit.yaml"
    pixit.write_text("base_url: http://127.0.0.1:9/\nfavourite_colour: blue\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(LIVE), "--role", "server", "--pixit", str(pixit), "--no-record"])
    assert result.exit_code == 2
    assert "user, password" in result.output
    check = CliRunner().invoke(main, ["ics", "check", str(LIVE), "--pixit", str(pixit)])
    assert check.exit_code == 2 and "user, password" in check.output
    pixit.write_text("base_url: http://127.0.0.1:9/\nuser: u\npassword: pw-secret\nfavourite_colour: blue\n",
                     encoding="utf-8")
    check = CliRunner().invoke(main, ["ics", "check", str(LIVE), "--pixit", str(pixit)])
    assert check.exit_code == 0, check.output
    assert "favourite_colour" in check.output and "PIXIT OK" in check.output


def test_schema_command_prints_derived_schemas() -> None:
    import json

    result = CliRunner().invoke(main, ["ics", "schema", str(LIVE), "--pixit"])
    assert result.exit_code == 0
    assert json.loads(result.output)["properties"]["password"]["x-secret"] is True
    result = CliRunner().invoke(main, ["ics", "schema", str(XML)])
    assert json.loads(result.output)["properties"]["options"]["properties"]["DIALECT"]["enum"] == ["a", "b"]


def test_profile_pixit_section_is_validated(write_profile) -> None:
    bad_type = OPTIONS_PROFILE.replace("type: integer, description: {zh: 重试", "type: float, description: {zh: 重试")
    with pytest.raises(ProfileError, match="pixit"):
        load_profile(write_profile(bad_type))
    dup = OPTIONS_PROFILE.replace("id: retries", "id: base_url")
    with pytest.raises(ProfileError, match="duplicate PIXIT key 'base_url'"):
        load_profile(write_profile(dup))
