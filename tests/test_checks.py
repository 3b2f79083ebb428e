"""Checks: registration (from a profile's plugin file), isolation of a broken check,
findings for unbound requirements, and the generic checks' routing and safety."""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.checks import get_check, known_checks, register_check
from conformance.checks.call import CheckCall
from conformance.checks.routing import route
from conformance.errors import ProfileError
from conformance.profile import Profile, load_profile
from conformance.verdicts import Verdict

from conftest import FIXTURES, PROFILES, make_ics, requirement, verdicts

GOOD_XML = (FIXTURES / "test-xml/valid/basic.xml").read_bytes()

PLUGIN = '''\
from conformance.checks import register_check
from conformance.i18n import text
from conformance.subject import SubjectError
from conformance.findings import Location

NEEDLE_PARAMS = {
    "type": "object", "additionalProperties": False, "required": ["needle"],
    "properties": {"needle": {"type": "string", "minLength": 1}},
}


@register_check("{name}-contains", media_types=("xml",), params=NEEDLE_PARAMS)
def contains(call):
    """The payload contains the needle."""
    if call.params["needle"].encode() not in call.subject.data():
        yield call.fail(text("缺少 " + call.params["needle"], "missing " + call.params["needle"]),
                        evidence={"needle": call.params["needle"]})


@register_check("{name}-boom")
def boom(call):
    yield call.passed("about to break")
    raise ZeroDivisionError("plugin bug {name}")


@register_check("{name}-stray")
def stray(call):
    yield call.fail("this requirement is not mine", requirement="P-OTHER")


@register_check("{name}-unreadable", parse_error_verdict="inconclusive")
def unreadable(call):
    raise SubjectError(text("读不懂", "cannot make sense of it"), Location(file=call.subject.name, line=3))


@register_check("{name}-silent", implicit_pass=False)
def silent(call):
    return None


@register_check("{name}-json-only", media_types=("json",))
def json_only(call):
    yield call.fail("never runs on XML")
'''

PROFILE = """\
format: 1
id: plug-{name}
version: 1.0.0
title: plugin test
standards: [{{code: P, title: p}}]
roles: [{{id: r, title: r}}]
plugins: [checks/plugin.py]
requirements:
  - {{id: P-1, clause: "1", level: MUST, text: contains the needle}}
  - {{id: P-2, clause: "2", level: MUST, text: boom first}}
  - {{id: P-3, clause: "3", level: MUST, text: boom second}}
  - {{id: P-4, clause: "4", level: MUST, text: stray}}
  - {{id: P-5, clause: "5", level: MUST, text: unreadable}}
  - {{id: P-6, clause: "6", level: MUST, text: silent}}
  - {{id: P-7, clause: "7", level: MUST, text: json only}}
  - {{id: P-OTHER, clause: "8", level: MUST, text: bound elsewhere}}
checks:
  - {{id: needle, check: {name}-contains, requirements: [P-1], params: {{needle: "{needle}"}}}}
  - {{id: boom, check: {name}-boom, requirements: [P-2, P-3]}}
  - {{id: stray, check: {name}-stray, requirements: [P-4]}}
  - {{id: unreadable, check: {name}-unreadable, requirements: [P-5]}}
  - {{id: silent, check: {name}-silent, requirements: [P-6]}}
  - {{id: json-only, check: {name}-json-only, requirements: [P-7]}}
  - {{id: other, check: xml-wellformed, requirements: [P-OTHER]}}
"""


@pytest.fixture
def plugin_profile(tmp_path: Path) -> Callable[..., Profile]:
    """A profile whose plugin registers uniquely named check kinds (the registry is per process)."""

    def _make(needle: str = "<code>", plugin: str = PLUGIN) -> Profile:
        name = f"t{uuid.uuid4().hex[:12]}"
        folder = tmp_path / name
        (folder / "checks").mkdir(parents=True)
        (folder / "checks" / "plugin.py").write_text(plugin.replace("{name}", name), encoding="utf-8")
        (folder / "profile.yaml").write_text(PROFILE.format(name=name, needle=needle), encoding="utf-8")
        return load_profile(folder)

    return _make


@pytest.fixture
def payload(tmp_path: Path) -> Path:
    p = tmp_path / "payload.xml"
    p.write_bytes(GOOD_XML)
    return p


def _kind(profile: Profile, binding_id: str) -> str:
    return next(b.check for b in profile.bindings if b.id == binding_id)


# ------------------------------------------------------------------ plugin registration


def test_plugin_registers_new_check_kinds(plugin_profile: Callable[..., Profile], payload: Path, run: Callable[..., dict]) -> None:
    profile = plugin_profile()
    kind = _kind(profile, "needle")
    assert kind in known_checks()
    spec = get_check(kind)
    assert spec is not None and spec.media_types == ("xml",)
    assert spec.description["en"] == "The payload contains the needle."
    record = run(profile, [payload])
    assert verdicts(record)["P-1"] == "pass"
    missing = run(plugin_profile(needle="<nowhere>"), [payload])
    f = requirement(missing, "P-1")["findings"][0]
    assert f["verdict"] == "fail" and f["message"]["en"] == "missing <nowhere>" and f["evidence"] == {"needle": "<nowhere>"}
    assert f["check"] == "needle" and f["location"]["file"] == str(payload)


def test_plugin_check_params_are_validated_at_load(tmp_path: Path, plugin_profile: Callable[..., Profile]) -> None:
    profile = plugin_profile()
    text_ = profile.file.read_text(encoding="utf-8").replace('params: {needle: "<code>"}', "params: {needle: 3}")
    profile.file.write_text(text_, encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profile(profile.directory)
    assert info.value.path is not None and info.value.path.startswith("checks[0].params.needle")
    assert "not of type 'string'" in info.value.render("en")


def test_a_raising_check_is_an_error_finding_with_a_traceback(
    plugin_profile: Callable[..., Profile], payload: Path, run: Callable[..., dict]
) -> None:
    profile = plugin_profile()
    record = run(profile, [payload])
    first = requirement(record, "P-2")
    assert first["verdict"] == "error"
    err = next(f for f in first["findings"] if f["verdict"] == "error")
    assert "ZeroDivisionError" in err["message"]["en"] and "boom" in err["message"]["en"] and err["message"]["zh"]
    tb = err["evidence"]["traceback"]
    assert "Traceback" in tb and "ZeroDivisionError: plugin bug" in tb and "plugin.py" in tb
    second = requirement(record, "P-3")
    assert second["verdict"] == "error"
    assert "same check" in second["findings"][0]["message"]["en"]
    # the other checks still ran
    assert verdicts(record)["P-1"] == "pass" and verdicts(record)["P-OTHER"] == "pass"
    assert record["summary"]["exit_code"] == 3


def test_a_finding_for_an_unbound_requirement_is_an_error(
    plugin_profile: Callable[..., Profile], payload: Path, run: Callable[..., dict]
) -> None:
    record = run(plugin_profile(), [payload])
    stray = requirement(record, "P-4")
    assert stray["verdict"] == "error"
    assert "P-OTHER" in stray["findings"][0]["message"]["en"] and "not bound" in stray["findings"][0]["message"]["en"]
    # and the requirement it named is not touched by it
    assert all(f["check"] == "other" for f in requirement(record, "P-OTHER")["findings"])
    assert verdicts(record)["P-OTHER"] == "pass"


def test_subject_error_from_a_check_gets_its_parse_error_verdict(
    plugin_profile: Callable[..., Profile], payload: Path, run: Callable[..., dict]
) -> None:
    record = run(plugin_profile(), [payload])
    f = requirement(record, "P-5")["findings"][0]
    assert f["verdict"] == "inconclusive"
    assert f["message"]["en"] == "precondition not met, cannot decide: cannot make sense of it"
    assert f["location"]["line"] == 3


def test_silent_check_and_media_type_mismatch_leave_no_finding(
    plugin_profile: Callable[..., Profile], payload: Path, run: Callable[..., dict]
) -> None:
    record = run(plugin_profile(), [payload])
    for rid in ("P-6", "P-7"):
        entry = requirement(record, rid)
        assert entry["verdict"] == "error"
        assert "no check produced a finding" in entry["findings"][0]["message"]["en"]


def test_plugin_checks_run_in_parallel_workers(
    plugin_profile: Callable[..., Profile], tmp_path: Path, run: Callable[..., dict]
) -> None:
    profile = plugin_profile(needle="<item>b</item>")
    files = []
    for i, body in enumerate([GOOD_XML, GOOD_XML.replace(b"<item>b</item>", b""), GOOD_XML]):
        f = tmp_path / f"p{i}.xml"
        f.write_bytes(body)
        files.append(f)
    one = run(profile, files, jobs=1)
    two = run(profile, files, jobs=2)
    assert verdicts(one) == verdicts(two)
    assert [s["verdict"] for s in two["subjects"]] == [s["verdict"] for s in one["subjects"]]
    assert {f["subject"] for f in requirement(two, "P-1")["findings"] if f["verdict"] == "fail"} == {1}


# ------------------------------------------------------------------ the registry


def test_register_check_refuses_a_name_taken_by_another_function() -> None:
    name = f"test-dup-{uuid.uuid4().hex[:8]}"

    @register_check(name)
    def first(call: CheckCall) -> Iterator[Any]:
        return iter(())

    def second(call: CheckCall) -> Iterator[Any]:
        return iter(())

    with pytest.raises(ValueError, match="already registered"):
        register_check(name)(second)
    register_check(name)(first)  # the same function again is fine (re-import)
    register_check(name, replace=True)(second)
    spec = get_check(name)
    assert spec is not None and spec.func is second


def test_params_schema_validation_reports_the_path() -> None:
    spec = get_check("xpath")
    assert spec is not None
    assert spec.validate_params({"assertions": [{"test": "true()"}]}) is None
    problem = spec.validate_params({"assertions": [{"test": "true()", "when_absent": "maybe"}]})
    assert problem is not None and problem[0] == ["assertions", 0, "when_absent"]


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"path": "/name", "message": "too long", "keyword": "maxLength"}, "B"),
        ({"path": "", "message": "'id' is a required property", "keyword": "required"}, "A"),
        ({"path": "/items/0", "message": "'id' is a required property", "keyword": "required"}, "D"),
        ({"path": "/x", "message": "bad date", "keyword": "format"}, "C"),
        ({"path": None, "message": None, "keyword": None}, "D"),
    ],
)
def test_route_rules_are_tried_in_order(kw: dict[str, Any], expected: str) -> None:
    rules = [
        {"keyword": "required", "path": "^$", "requirement": "A"},
        {"path": "^/name$", "requirement": "B"},
        {"message": "date", "requirement": "C"},
    ]
    assert route(rules, "D", **kw) == expected
    assert route(None, "D", **kw) == "D"


# ------------------------------------------------------------------ generic checks


def test_rng_is_reproducible_per_seed_binding_and_subject(xml_profile: Profile) -> None:
    from conformance.engine import make_context
    from conformance.subject import Subject

    def draw(seed: int, binding: int, index: int) -> float:
        ctx = make_context(xml_profile, seed=seed)
        call = CheckCall(xml_profile.bindings[binding], Subject.from_bytes("s", b"", index=index), ctx, frozenset())
        return call.rng.random()

    assert draw(1, 0, 0) == draw(1, 0, 0)
    assert len({draw(1, 0, 0), draw(2, 0, 0), draw(1, 1, 0), draw(1, 0, 1)}) == 4


def test_x_requirement_wins_over_routes(json_profile: Profile, run: Callable[..., dict], tmp_path: Path) -> None:
    # /id errors carry x-requirement TJ-4 even though a routes rule would match the pointer too
    p = tmp_path / "id.json"
    p.write_text('{"id": 5, "name": "x", "items": [{"sku": "a", "qty": 1}], "location": {"lat": 0, "lon": 0}}', encoding="utf-8")
    record = run(json_profile, [p])
    f = next(f for f in requirement(record, "TJ-4")["findings"] if f["verdict"] == "fail")
    assert f["location"]["pointer"] == "/id" and f["evidence"]["keyword"] == "type"
    assert f["location"]["line"] == 1 and f["location"]["column"] == 8
    assert verdicts(record)["TJ-3"] == "pass"


def test_ref_to_a_second_schema_file_carries_its_annotations(json_profile: Profile, run: Callable[..., dict], tmp_path: Path) -> None:
    p = tmp_path / "loc.json"
    p.write_text('{"id": "ORD-0001", "name": "x", "items": [{"sku": "a", "qty": 1}],\n "location": {"lat": 0}}',
                 encoding="utf-8")
    record = run(json_profile, [p])
    f = next(f for f in requirement(record, "TJ-7")["findings"] if f["verdict"] == "fail")
    assert f["evidence"]["keyword"] == "required" and f["location"] == {
        "file": str(p), "pointer": "/location", "line": 2, "column": 14}


def test_params_draft_selects_the_dialect(tmp_path: Path, run: Callable[..., dict]) -> None:
    import shutil

    folder = tmp_path / "p"
    shutil.copytree(PROFILES / "test-json", folder)
    yaml_path = folder / "profile.yaml"
    yaml_path.write_text(yaml_path.read_text(encoding="utf-8").replace('draft: "4"', 'draft: "2020-12"'), encoding="utf-8")
    record = run(load_profile(folder), [FIXTURES / "test-json/valid/basic.json"])
    entry = requirement(record, "TJ-8")
    # a draft-04 boolean exclusiveMinimum is not a valid 2020-12 schema: the harness cannot check, it does not pass
    assert entry["verdict"] == "error"
    assert "cannot load JSON Schema legacy.schema.json" in entry["findings"][0]["message"]["en"]
    assert record["summary"]["exit_code"] == 3


def _mini_profile(folder: Path, media: str, checks: str, files: dict[str, str]) -> Profile:
    folder.mkdir(parents=True)
    (folder / "profile.yaml").write_text(textwrap.dedent(f"""\
        format: 1
        id: mini-{media}
        version: 1.0.0
        title: t
        standards: [{{code: S, title: s}}]
        roles: [{{id: r, title: r}}]
        namespaces: {{t: "urn:test:1"}}
        subjects: {{media_type: {media}}}
        requirements:
          - {{id: R-1, clause: "1", level: MUST, text: one}}
          - {{id: R-2, clause: "2", level: MUST, text: two}}
        checks:
        """) + textwrap.indent(textwrap.dedent(checks), "  "), encoding="utf-8")
    for rel, content in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(content, encoding="utf-8")
    return load_profile(folder)


def test_json_refs_are_never_fetched_nor_read_outside_the_schema_folder(
    tmp_path: Path, canary: int, run: Callable[..., dict]
) -> None:
    (tmp_path / "outside.json").write_text('{"type": "string"}', encoding="utf-8")
    profile = _mini_profile(
        tmp_path / "p", "json",
        """\
        - {id: net, check: jsonschema, requirements: [R-1], params: {schema: net.json}}
        - {id: out, check: jsonschema, requirements: [R-2], params: {schema: out.json}}
        """,
        {"schemas/net.json": '{"properties": {"a": {"$ref": "http://127.0.0.1:%d/x.json"}}}' % canary,
         "schemas/out.json": '{"properties": {"a": {"$ref": "../../outside.json"}}}'},
    )
    payload = tmp_path / "x.json"
    payload.write_text('{"a": 1}', encoding="utf-8")
    record = run(profile, [payload])
    for rid, ref in (("R-1", f"127.0.0.1:{canary}"), ("R-2", "outside.json")):
        f = requirement(record, rid)["findings"][0]
        assert f["verdict"] == "error" and ref in f["message"]["en"], f


def test_xsd_imports_are_never_fetched(tmp_path: Path, canary: int, run: Callable[..., dict]) -> None:
    xsd = f"""<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:test:1">
  <xs:import namespace="urn:other" schemaLocation="http://127.0.0.1:{canary}/other.xsd"/>
  <xs:element name="doc"/>
</xs:schema>"""
    profile = _mini_profile(
        tmp_path / "p", "xml",
        """\
        - {id: x10, check: xsd, requirements: [R-1], params: {schema: s.xsd}}
        - {id: x11, check: xsd, requirements: [R-2], params: {schema: s.xsd, version: "1.1"}}
        """,
        {"schemas/s.xsd": xsd},
    )
    payload = tmp_path / "d.xml"
    payload.write_bytes(GOOD_XML)
    # xmlschema says it blocked the remote import; lxml skips it silently
    with pytest.warns(Warning, match="block access to remote resource"):
        record = run(profile, [payload])
    assert verdicts(record) == {"R-1": "pass", "R-2": "pass"}


def test_missing_schema_file_is_an_error_not_a_crash(tmp_path: Path, run: Callable[..., dict]) -> None:
    profile = _mini_profile(
        tmp_path / "p", "xml",
        """\
        - {id: x, check: xsd, requirements: [R-1], params: {schema: missing.xsd}}
        - {id: s, check: schematron, requirements: [R-2], params: {schema: missing.sch}}
        """,
        {},
    )
    payload = tmp_path / "d.xml"
    payload.write_bytes(GOOD_XML)
    record = run(profile, [payload])
    for rid, name in (("R-1", "missing.xsd"), ("R-2", "missing.sch")):
        f = requirement(record, rid)["findings"][0]
        assert f["verdict"] == "error" and name in f["message"]["en"]


def test_xpath_errors_unbound_assertions_and_when_absent(tmp_path: Path, run: Callable[..., dict]) -> None:
    profile = _mini_profile(
        tmp_path / "p", "xml",
        """\
        - id: xp
          check: xpath
          requirements: [R-1]
          params:
            assertions:
              - {context: "//t:missing", test: "true()", when_absent: fail}
              - {context: "/t:doc", test: "count(", requirement: R-1}
              - {context: "/t:doc", test: "true()", requirement: R-2}
        - id: ok
          check: xpath
          requirements: [R-2]
          params: {assertions: [{context: "//t:item", test: "string-length(.) = 1", message: {zh: "值 {value}", en: "value {value}"}}]}
        """,
        {},
    )
    payload = tmp_path / "d.xml"
    payload.write_bytes(GOOD_XML.replace(b"<item>b</item>", b"<item>bb</item>"))
    record = run(profile, [payload])
    r1 = {f["message"]["en"].split(":")[0]: f for f in requirement(record, "R-1")["findings"]}
    assert r1["no context node"]["verdict"] == "fail"
    assert r1["XPath expression error"]["verdict"] == "error"
    assert r1["assertion 2 names unbound requirement R-2"]["verdict"] == "error"
    r2 = requirement(record, "R-2")
    assert r2["verdict"] == "fail"
    f = next(f for f in r2["findings"] if f["verdict"] == "fail")
    assert f["message"] == {"zh": "值 bb", "en": "value bb"}
    assert f["location"]["xpath"] == "/t:doc/t:item[2]" and f["location"]["line"] == 6


def test_schematron_routes_and_messages(tmp_path: Path, run: Callable[..., dict]) -> None:
    sch = """<?xml version="1.0" encoding="UTF-8"?>
<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt">
  <ns prefix="t" uri="urn:test:1"/>
  <pattern>
    <rule context="t:doc">
      <assert id="code-rule" test="t:code = '999'">code is not 999</assert>
      <report id="R-1" test="t:item">has items</report>
    </rule>
  </pattern>
</schema>"""
    profile = _mini_profile(
        tmp_path / "p", "xml",
        """\
        - id: sch
          check: schematron
          requirements: [R-1, R-2]
          params:
            schema: r.sch
            routes: {code-rule: R-2}
            messages: {code-rule: {zh: 代码应为 999, en: code must be 999}}
        """,
        {"schemas/r.sch": sch},
    )
    payload = tmp_path / "d.xml"
    payload.write_bytes(GOOD_XML)
    record = run(profile, [payload])
    r2 = next(f for f in requirement(record, "R-2")["findings"] if f["verdict"] == "fail")
    assert r2["message"] == {"zh": "代码应为 999", "en": "code must be 999"}
    assert r2["evidence"]["rule"] == "code-rule" and r2["location"]["xpath"] == "/t:doc"
    r1 = next(f for f in requirement(record, "R-1")["findings"] if f["verdict"] == "fail")
    assert r1["message"]["en"] == "has items"


def test_binding_conditions_are_evaluated_per_ics(xml_profile: Profile, run: Callable[..., dict]) -> None:
    record = run(xml_profile, [FIXTURES / "test-xml/valid/basic.xml"],
                 ics=make_ics(xml_profile, options={"DIALECT": "b"}))
    assert verdicts(record)["TX-12"] == "fail"
    assert Verdict(verdicts(record)["TX-1"]) is Verdict.PASS


def test_remote_json_schema_ref_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    """A $ref to the network is never fetched: the binding reports a clear `error`."""
    import json as _json

    from conformance import load_profile, validate

    prof = tmp_path / "p"
    (prof / "schemas").mkdir(parents=True)
    (prof / "schemas" / "s.json").write_text(_json.dumps(
        {"$schema": "https://json-schema.org/draft/2020-12/schema",
         "properties": {"a": {"$ref": "http://127.0.0.1:1/remote.json"}}}), encoding="utf-8")
    (prof / "profile.yaml").write_text(
        "format: 1\nid: remote-ref\nversion: '1'\ntitle: t\nstandards: [{code: X, title: x}]\n"
        "roles: [{id: r, title: r}]\nsubjects: {media_type: json}\n"
        "requirements: [{id: R-1, clause: '1', level: MUST, text: t}]\n"
        "checks: [{id: s, check: jsonschema, requirements: [R-1], params: {schema: s.json}}]\n", encoding="utf-8")
    doc = tmp_path / "d.json"
    doc.write_text('{"a": 1}', encoding="utf-8")
    record = validate(load_profile(prof), [doc])
    finding = record["requirements"][0]["findings"][0]
    assert finding["verdict"] == "error"
    assert "cannot resolve JSON Schema reference" in finding["message"]["en"]
    assert "traceback" not in str(finding.get("evidence", ""))
