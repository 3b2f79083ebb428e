"""Renderers (JUnit XML, Markdown, HTML) driven by real run records from the engine."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import jinja2
import pytest
from lxml import etree
from lxml import html as lxml_html

from conformance.discovery import resolve_profile
from conformance.i18n import pick
from conformance.ics import ics_from_dict
from conformance.record import summarise, validate_record
from conformance.render import FORMATS, VERDICTS, location_text, non_passing, render, run_status
from conformance.render.junit import render_junit
from conformance.render.markdown import render_markdown
from conformance.runner import validate

DATA = Path(__file__).resolve().parent / "data"
XML_PROFILE = DATA / "profiles" / "test-xml"
XML_FIXTURES = DATA / "fixtures" / "test-xml"
JSON_PROFILE = DATA / "profiles" / "test-json"
JSON_FIXTURES = DATA / "fixtures" / "test-json"


def _xml_record(options: dict[str, Any], dirs: list[Path]) -> dict[str, Any]:
    profile = resolve_profile(str(XML_PROFILE))
    ics = ics_from_dict(
        {"profile": "test-xml", "product": {"name": "Demo", "version": "1.0", "vendor": "ACME"},
         "role": "sender", "options": options},
        profile,
    )
    return validate(profile, dirs, ics=ics, seed=7)


@pytest.fixture(scope="module")
def failing_record() -> dict[str, Any]:
    """Valid and invalid fixtures with SIGNED and DIALECT=b: MUST failures, a SHOULD
    failure and two not-applicable requirements."""
    record = _xml_record({"SIGNED": True, "DIALECT": "b"}, [XML_FIXTURES / "valid", XML_FIXTURES / "invalid"])
    assert validate_record(record) == []
    return record


@pytest.fixture(scope="module")
def conformant_record() -> dict[str, Any]:
    record = _xml_record({"SIGNED": False, "DIALECT": "a"}, [XML_FIXTURES / "valid"])
    assert record["summary"]["exit_code"] == 0
    return record


@pytest.fixture
def record(failing_record: dict[str, Any]) -> dict[str, Any]:
    """A private copy each test may change."""
    return copy.deepcopy(failing_record)


def _req(record: dict[str, Any], req_id: str) -> dict[str, Any]:
    return next(r for r in record["requirements"] if r["id"] == req_id)


def _first(record: dict[str, Any], level: str, verdict: str) -> dict[str, Any]:
    """The first requirement with this level and verdict (the fixtures decide which)."""
    return next(r for r in record["requirements"] if r["level"] == level and r["verdict"] == verdict)


def _only_failure(record: dict[str, Any], req_id: str) -> dict[str, Any]:
    """Reduce a failing requirement to one failing finding and return that finding."""
    req = _req(record, req_id)
    finding = non_passing(req["findings"])[0]
    finding["verdict"] = "fail"
    req["findings"] = [finding]
    req["verdict"] = "fail"
    req["counts"] = {"fail": 1}
    return finding


def _resummarise(record: dict[str, Any]) -> dict[str, Any]:
    record["summary"] = summarise(record["requirements"])
    return record


def _suite(xml: str) -> etree._Element:
    root = etree.fromstring(xml.encode("utf-8"))
    suites = root.xpath("//testsuite")
    assert len(suites) == 1
    return suites[0]


def _props(el: etree._Element) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in el.findall("properties/property")}


# --- the records the tests rely on ----------------------------------------------------


def test_fixture_record_has_every_case(failing_record: dict[str, Any]) -> None:
    levels_verdicts = {(r["level"], r["verdict"]) for r in failing_record["requirements"]}
    assert ("MUST", "fail") in levels_verdicts
    assert ("SHOULD", "fail") in levels_verdicts
    assert any(v == "not_applicable" for _, v in levels_verdicts)
    assert _req(failing_record, "TX-2")["verdict"] == "fail"


# --- dispatch -------------------------------------------------------------------------


def test_formats_and_dispatch(failing_record: dict[str, Any]) -> None:
    assert FORMATS == ("html", "junit", "md")
    for fmt in FORMATS:
        for lang in ("zh", "en"):
            out = render(failing_record, fmt, lang=lang)
            assert isinstance(out, str) and out


def test_unknown_format_and_language_raise(failing_record: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="pdf"):
        render(failing_record, "pdf")
    with pytest.raises(ValueError, match="fr"):
        render(failing_record, "md", lang="fr")


def test_render_does_not_change_the_record(failing_record: dict[str, Any]) -> None:
    before = copy.deepcopy(failing_record)
    for fmt in FORMATS:
        render(failing_record, fmt)
    assert failing_record == before


def test_template_is_found_through_the_package() -> None:
    loader = jinja2.PackageLoader("conformance", "templates")
    assert "report.html.j2" in loader.list_templates()


def test_run_status() -> None:
    assert run_status({"complete": True, "summary": {"exit_code": 0}}) == "conformant"
    assert run_status({"complete": True, "summary": {"exit_code": 1}}) == "not_conformant"
    assert run_status({"complete": True, "summary": {"exit_code": 3}}) == "inconclusive"
    # An interrupted run never claims conformance: what it skipped could fail.
    assert run_status({"complete": False, "summary": {"exit_code": 0}}) == "inconclusive"
    assert run_status({"complete": False, "summary": {"exit_code": 1}}) == "not_conformant"


# --- JUnit ----------------------------------------------------------------------------


def test_junit_one_testcase_per_requirement(failing_record: dict[str, Any]) -> None:
    suite = _suite(render_junit(failing_record))
    cases = suite.findall("testcase")
    reqs = failing_record["requirements"]
    assert len(cases) == len(reqs)
    for case, req in zip(cases, reqs, strict=True):
        assert case.get("name").startswith(f"{req['id']} [{req['clause']}] ")
        props = _props(case)
        assert props["requirement"] == req["id"]
        assert props["clause"] == req["clause"]
        assert props["level"] == req["level"]
        assert props["verdict"] == req["verdict"]
        assert case.get("classname") == f"test-xml.{req.get('group') or req['level']}"


def test_junit_counts_match_testcases_and_record(failing_record: dict[str, Any]) -> None:
    suite = _suite(render_junit(failing_record))
    reqs = failing_record["requirements"]
    must_fail = sum(1 for r in reqs if r["level"] == "MUST" and r["verdict"] == "fail")
    not_applicable = sum(1 for r in reqs if r["verdict"] == "not_applicable")
    assert must_fail > 0 and not_applicable > 0
    assert int(suite.get("tests")) == len(suite.findall("testcase")) == len(reqs)
    assert int(suite.get("failures")) == len(suite.findall("testcase/failure")) == must_fail
    assert int(suite.get("skipped")) == len(suite.findall("testcase/skipped")) == not_applicable
    assert int(suite.get("errors")) == len(suite.findall("testcase/error")) == 0
    assert float(suite.get("time")) >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", suite.get("timestamp"))
    assert suite.get("name") == "test-xml 0.1.0"
    root = suite.getparent()
    assert root.tag == "testsuites"
    for key in ("tests", "failures", "errors", "skipped"):
        assert root.get(key) == suite.get(key)


def test_junit_suite_properties(failing_record: dict[str, Any]) -> None:
    props = _props(_suite(render_junit(failing_record)))
    assert props["run_id"] == failing_record["run_id"]
    assert props["profile_digest"] == "sha256:" + failing_record["profile"]["digest"]["value"]
    assert props["conformant"] == "false"
    assert props["exit_code"] == "1"
    assert props["product"] == "Demo 1.0 (ACME)"


def test_junit_failure_carries_findings_with_location(failing_record: dict[str, Any]) -> None:
    suite = _suite(render_junit(failing_record))
    cases = {_props(c)["requirement"]: c for c in suite.findall("testcase")}
    checked = 0
    for req in failing_record["requirements"]:
        if req["level"] != "MUST" or req["verdict"] != "fail":
            continue
        failure = cases[req["id"]].find("failure")
        assert failure is not None and failure.get("type") == "fail"
        for finding in non_passing(req["findings"]):
            assert pick(finding["message"], "en") in failure.text
            assert location_text(finding["location"]) in failure.text
        first = non_passing(req["findings"])[0]
        assert failure.get("message").startswith(pick(first["message"], "en")[:200])
        checked += 1
    assert checked


def test_junit_failure_in_chinese(failing_record: dict[str, Any]) -> None:
    suite = _suite(render_junit(failing_record, lang="zh"))
    req = _req(failing_record, "TX-2")
    case = next(c for c in suite.findall("testcase") if _props(c)["requirement"] == "TX-2")
    first = non_passing(req["findings"])[0]
    assert case.find("failure").get("message").startswith(first["message"]["zh"])
    assert req["text"]["zh"] in case.get("name")


def test_junit_should_failure_is_a_warning_not_a_failure(failing_record: dict[str, Any]) -> None:
    suite = _suite(render_junit(failing_record))
    req = _first(failing_record, "SHOULD", "fail")
    case = next(c for c in suite.findall("testcase") if _props(c)["requirement"] == req["id"])
    assert _props(case)["level"] == "SHOULD"
    assert case.find("failure") is None and case.find("error") is None and case.find("skipped") is None
    out = case.find("system-out").text
    assert out.startswith("WARNING")
    assert non_passing(req["findings"])[0]["message"]["en"] in out


def test_junit_skipped_has_the_reason(failing_record: dict[str, Any]) -> None:
    suite = _suite(render_junit(failing_record))
    cases = {_props(c)["requirement"]: c for c in suite.findall("testcase")}
    for req in failing_record["requirements"]:
        if req["verdict"] == "not_applicable":
            assert cases[req["id"]].find("skipped").get("message") == req["reason"]["en"]


def test_junit_error_and_inconclusive(record: dict[str, Any]) -> None:
    _only_failure(record, "TX-1")["verdict"] = "error"
    _req(record, "TX-1")["verdict"] = "error"
    _only_failure(record, "TX-4")["verdict"] = "inconclusive"
    _req(record, "TX-4")["verdict"] = "inconclusive"
    should = _first(record, "SHOULD", "fail")
    should["verdict"] = "error"  # a SHOULD: still no <error>
    _resummarise(record)
    suite = _suite(render_junit(record))
    by_id = {_props(c)["requirement"]: c for c in suite.findall("testcase")}
    assert by_id["TX-1"].find("error").get("type") == "error"
    assert by_id["TX-4"].find("error").get("type") == "inconclusive"
    assert by_id[should["id"]].find("error") is None
    assert int(suite.get("errors")) == 2 == len(suite.findall("testcase/error"))


def test_junit_waived_must_does_not_gate(record: dict[str, Any]) -> None:
    _req(record, "TX-2")["waived"] = True
    _resummarise(record)
    suite = _suite(render_junit(record))
    case = next(c for c in suite.findall("testcase") if _props(c)["requirement"] == "TX-2")
    assert case.find("failure") is None
    assert case.find("system-out").text.startswith("WAIVED")
    assert _props(case)["waived"] == "true"


def test_junit_gates_exactly_when_the_record_does(conformant_record: dict[str, Any],
                                                   failing_record: dict[str, Any]) -> None:
    for rec in (conformant_record, failing_record):
        suite = _suite(render_junit(rec))
        gated = int(suite.get("failures")) + int(suite.get("errors"))
        assert (gated == 0) == (rec["summary"]["exit_code"] == 0)


def test_junit_strips_characters_xml_forbids(record: dict[str, Any]) -> None:
    finding = _only_failure(record, "TX-2")
    finding["message"] = {"zh": "坏\x00字节\x1b符 😀", "en": "bad\x00 byte\x0b \ud800here 😀 ünï"}
    finding["location"]["xpath"] = "/a\x01/b"
    xml = render_junit(record)
    suite = _suite(xml)  # parses
    case = next(c for c in suite.findall("testcase") if _props(c)["requirement"] == "TX-2")
    assert "bad byte here 😀 ünï" in case.find("failure").get("message")
    assert "/a/b" in case.find("failure").text
    assert "坏字节符 😀" in render_junit(record, lang="zh")


def test_junit_json_profile_record_parses() -> None:
    profile = resolve_profile(str(JSON_PROFILE))
    rec = validate(profile, [JSON_FIXTURES / "valid", JSON_FIXTURES / "invalid"], seed=1)
    suite = _suite(render_junit(rec))
    assert len(suite.findall("testcase")) == len(rec["requirements"])


# --- Markdown -------------------------------------------------------------------------


def test_markdown_lists_failing_requirements(failing_record: dict[str, Any]) -> None:
    md = render_markdown(failing_record)
    assert md.startswith("### NOT CONFORMANT")
    assert "Demo 1.0 (ACME)" in md
    failing = [r for r in failing_record["requirements"] if r["verdict"] == "fail"]
    assert failing
    for req in failing:
        assert re.search(rf"^\| {re.escape(req['id'])} \|", md, re.M), req["id"]
    passing = [r for r in failing_record["requirements"] if r["verdict"] == "pass"]
    for req in passing:
        assert not re.search(rf"^\| {re.escape(req['id'])} \|", md, re.M), req["id"]
    # Not-applicable requirements and their reasons sit in a collapsed block.
    details = md[md.index("<details>"):md.index("</details>")]
    assert "TX-10" in details and "receiver" in details
    must = failing_record["summary"]["by_level"]["MUST"]
    assert "| MUST | " + " | ".join(str(must[v]) for v in VERDICTS) + " |" in md


def test_markdown_should_failure_is_marked_as_warning(failing_record: dict[str, Any]) -> None:
    md = render_markdown(failing_record)
    req = _first(failing_record, "SHOULD", "fail")
    row = next(line for line in md.splitlines() if line.startswith(f"| {req['id']} |"))
    assert "warning" in row and "**fail**" not in row


def test_markdown_chinese(failing_record: dict[str, Any], conformant_record: dict[str, Any]) -> None:
    assert render_markdown(failing_record, lang="zh").startswith("### 不符合")
    assert render_markdown(conformant_record, lang="zh").startswith("### 符合")
    assert render_markdown(conformant_record).startswith("### CONFORMANT")


def test_markdown_escapes_table_cells(record: dict[str, Any]) -> None:
    finding = _only_failure(record, "TX-2")
    finding["message"] = {"zh": "a|b", "en": "left | right\nsecond line <b>*bold*</b>"}
    finding["location"]["xpath"] = "/x[a|b]"
    md = render_markdown(record)
    row = next(line for line in md.splitlines() if line.startswith("| TX-2 |"))
    assert r"left \| right<br>second line \<b\>\*bold\*\</b\>" in row
    assert r"/x[a\|b]" in row
    # A payload's "@name" or "#12" must not mention a user or link an issue on GitHub.
    finding["message"]["en"] = "assertion failed: @b, see #12, cost $5 or $6"
    row = next(line for line in render_markdown(record).splitlines() if line.startswith("| TX-2 |"))
    assert "@b" not in row and "#12" not in row and "@\u200bb" in row
    assert r"\$5 or \$6" in row
    # Five columns: six cell borders once escaped pipes are set aside.
    assert len(re.findall(r"(?<!\\)\|", row)) == 6
    for line in md.splitlines():
        if line.startswith("| TX-"):
            assert len(re.findall(r"(?<!\\)\|", line)) in (5, 6)


def test_markdown_caps_findings_per_requirement(record: dict[str, Any]) -> None:
    req = _req(record, "TX-8")
    template = req["findings"][0]
    req["findings"] = [dict(template, message={"zh": f"第{i}条", "en": f"finding {i}"}) for i in range(10)]
    md = render_markdown(record)
    row = next(line for line in md.splitlines() if line.startswith("| TX-8 |"))
    assert "finding 2" in row and "finding 3" not in row
    assert "+7 more" in row


def test_markdown_incomplete_run(record: dict[str, Any]) -> None:
    record["complete"] = False
    record["interruption"] = "interrupted by the user (SIGINT)"
    assert "Incomplete run" in render_markdown(record)
    assert "运行未完成" in render_markdown(record, lang="zh")


# --- HTML -----------------------------------------------------------------------------


def test_html_contains_every_requirement_in_both_languages(failing_record: dict[str, Any]) -> None:
    page = render(failing_record, "html")
    doc = lxml_html.fromstring(page)
    rows = doc.xpath("//details[contains(concat(' ', @class, ' '), ' req ')]")
    assert [r.get("data-verdict") for r in rows] == [r["verdict"] for r in failing_record["requirements"]]
    text = doc.text_content()
    for req in failing_record["requirements"]:
        assert req["id"] in text
        assert req["text"]["zh"] in text
        assert req["text"]["en"] in text
    for subject in failing_record["subjects"]:
        assert subject["sha256"] in text
    assert failing_record["profile"]["digest"]["value"] in text
    assert failing_record["run_id"] in text


def test_html_initial_language(failing_record: dict[str, Any]) -> None:
    assert 'class="lang-en"' in render(failing_record, "html", lang="en")
    page = render(failing_record, "html", lang="zh")
    root = lxml_html.fromstring(page)
    assert root.get("class") == "lang-zh" and root.get("lang") == "zh-CN"
    assert root.xpath("//*[@data-lang='zh']") and root.xpath("//*[@data-lang='en']")


def test_html_is_self_contained(failing_record: dict[str, Any]) -> None:
    page = render(failing_record, "html")
    doc = lxml_html.fromstring(page)
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        for attr in ("src", "href", "action", "srcset", "poster", "data"):
            value = el.get(attr)
            if value is not None:
                assert not re.match(r"\s*(https?:)?//", value, re.I), (el.tag, attr, value)
    assert not doc.xpath("//link[@rel='stylesheet'] | //script[@src] | //img | //iframe")
    assert "@import" not in page
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page)
    assert doc.xpath("//style") and doc.xpath("//script")


def test_html_escapes_payload_text(record: dict[str, Any]) -> None:
    finding = _only_failure(record, "TX-2")
    finding["message"] = {"zh": "<script>alert('zh')</script>", "en": "<script>alert('en')</script>"}
    finding["evidence"] = {"value": "</pre><img src=x onerror=alert(1)>"}
    _req(record, "TX-2")["text"] = {"zh": "<b>粗</b>", "en": "\" onmouseover=\"alert(1)"}
    page = render(record, "html")
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;en&#39;)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "<b>粗</b>" not in page
    doc = lxml_html.fromstring(page)
    assert len(doc.xpath("//script")) == 1
    assert not doc.xpath("//img")
    assert not [el for el in doc.iter() if isinstance(el.tag, str) and el.get("onmouseover")]
    assert "alert('en')" in doc.text_content()


def test_html_filter_controls(failing_record: dict[str, Any]) -> None:
    doc = lxml_html.fromstring(render(failing_record, "html"))
    boxes = doc.xpath("//input[@type='checkbox' and contains(@class, 'f-verdict')]")
    assert sorted(b.get("value") for b in boxes) == sorted(VERDICTS)
    assert all(b.get("checked") is not None for b in boxes)
    script = doc.xpath("//script")[0].text
    assert "data-verdict" in script and "hidden" in script and "lang-" in script


def test_html_findings_have_location_and_evidence(failing_record: dict[str, Any]) -> None:
    doc = lxml_html.fromstring(render(failing_record, "html"))
    with_evidence = 0
    for req in failing_record["requirements"]:
        row = doc.get_element_by_id(f"req-{req['id']}")
        text = row.text_content()
        pre = "".join(p.text_content() for p in row.xpath(".//pre"))
        for finding in req["findings"]:
            assert finding["message"]["en"] in text
            assert location_text(finding["location"]) in text
            if finding["verdict"] != "pass" and isinstance(finding.get("evidence"), dict):
                for key in finding["evidence"]:
                    assert f'"{key}"' in pre
                with_evidence += 1
    assert with_evidence


def test_html_incomplete_banner(record: dict[str, Any], failing_record: dict[str, Any]) -> None:
    assert 'id="incomplete"' not in render(failing_record, "html")
    record["complete"] = False
    record["interruption"] = "interrupted by the user (SIGINT)"
    doc = lxml_html.fromstring(render(record, "html"))
    banner = doc.get_element_by_id("incomplete")
    assert "Incomplete run" in banner.text_content() and "运行未完成" in banner.text_content()
    assert "SIGINT" in banner.text_content()


def test_html_waived_badge(record: dict[str, Any]) -> None:
    _req(record, "TX-2")["waived"] = True
    _resummarise(record)
    doc = lxml_html.fromstring(render(record, "html"))
    row = doc.get_element_by_id("req-TX-2")
    tags = row.xpath(".//*[contains(concat(' ', @class, ' '), ' waived ')]")
    assert tags and "waived" in tags[0].text_content() and "已豁免" in tags[0].text_content()
    assert not doc.get_element_by_id("req-TX-3").xpath(".//*[contains(concat(' ', @class, ' '), ' waived ')]")


def test_html_status(conformant_record: dict[str, Any], failing_record: dict[str, Any]) -> None:
    def word(rec: dict[str, Any]) -> str:
        doc = lxml_html.fromstring(render(rec, "html"))
        return doc.xpath("//*[contains(concat(' ', @class, ' '), ' word ')]")[0].text_content()

    assert "NOT CONFORMANT" in word(failing_record) and "不符合" in word(failing_record)
    assert "CONFORMANT" in word(conformant_record) and "NOT" not in word(conformant_record)


def test_html_caps_passing_findings(record: dict[str, Any]) -> None:
    from conformance.render.html import render_html

    req = _req(record, "TX-1")
    req["findings"] = [dict(req["findings"][0], subject=0) for _ in range(30)]
    doc = lxml_html.fromstring(render_html(record, max_pass_findings=5))
    row = doc.get_element_by_id("req-TX-1")
    assert len(row.xpath(".//details[contains(@class, 'passes')]//tbody/tr")) == 5
    assert "25 more" in row.text_content()


def test_big_runs_stay_short(record: dict[str, Any]) -> None:
    template = _req(record, "TX-2")
    failing = non_passing(template["findings"])[0]
    many = []
    for i in range(400):
        req = copy.deepcopy(template)
        req["id"] = f"BIG-{i}"
        req["findings"] = [dict(failing, requirement=req["id"]) for _ in range(300)]
        req["verdict"] = "fail"
        many.append(req)
    record["requirements"] = many
    _resummarise(record)
    md = render_markdown(record)
    assert len(md) < 65_536  # GitHub's limit for a comment
    assert "more requirements not listed" in md
    assert md.count("| BIG-") == 50
    suite = _suite(render_junit(record, max_findings=10))
    assert int(suite.get("failures")) == 400
    assert "+290 more" in suite.find("testcase/failure").text
