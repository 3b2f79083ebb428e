"""Hostile and broken payloads: every one yields a schema-valid record with a clear
zh/en finding and a location; nothing escapes ``validate``, nothing is expanded,
nothing is fetched, and the limits hold quickly."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.errors import UsageError
from conformance.profile import Profile
from conformance.record import load_record, write_record
from conformance.runner import validate
from conformance.subject import MAX_JSON_DEPTH, Subject

from conftest import FIXTURES, all_findings, assert_record_valid, requirement, verdicts

XML_DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'
GOOD_XML = XML_DECL + b'<doc xmlns="urn:test:1" count="1">\n  <code>123</code>\n  <name>ok</name>\n  <item>a</item>\n</doc>\n'
GOOD_JSON = b'{"id": "ORD-0001", "name": "ok", "items": [{"sku": "A", "qty": 1}], "location": {"lat": 1, "lon": 2}}\n'


def _passwd_line() -> str | None:
    try:
        with open("/etc/passwd", encoding="utf-8", errors="replace") as fh:
            line = fh.readline().strip()
        return line or None
    except OSError:
        return None


PASSWD = _passwd_line()


def _check_clear(record: dict[str, Any]) -> None:
    """Every finding speaks both languages and says where."""
    for f in all_findings(record):
        assert f["message"]["zh"].strip() and f["message"]["en"].strip(), f
        assert "location" in f
        if f.get("subject") is not None:
            assert f["location"].get("file"), f


@pytest.fixture
def hostile(tmp_path: Path) -> Callable[..., dict[str, Any]]:
    """Write ``data`` to a file and validate it; the record must be valid and clear."""

    def _hostile(profile: Profile, name: str, data: bytes, **kw: Any) -> dict[str, Any]:
        path = tmp_path / name
        path.write_bytes(data)
        started = time.monotonic()
        record = assert_record_valid(validate(profile, [path], seed=1, **kw))
        assert time.monotonic() - started < 10, "a hostile payload must not stall the run"
        _check_clear(record)
        dumped = json.dumps(record, ensure_ascii=False)
        if PASSWD:
            assert PASSWD not in dumped
        return record

    return _hostile


def _no_error_findings(record: dict[str, Any]) -> None:
    """A hostile payload is the product's problem: no finding may say the harness broke."""
    errors = [f for f in all_findings(record) if f["verdict"] == "error"]
    assert errors == [], errors


def _first_fail(record: dict[str, Any], rid: str) -> dict[str, Any]:
    fails = [f for f in requirement(record, rid)["findings"] if f["verdict"] == "fail"]
    assert fails, (rid, requirement(record, rid))
    return fails[0]


def _first_limit(record: dict[str, Any], rid: str) -> dict[str, Any]:
    """The harness's own limits (size, depth, digits) make a requirement inconclusive:
    not evidence against the product, and still not conformant (exit 3)."""
    found = [f for f in requirement(record, rid)["findings"] if f["verdict"] == "inconclusive"]
    assert found, (rid, requirement(record, rid))
    assert requirement(record, rid)["verdict"] == "inconclusive"
    assert record["summary"]["exit_code"] == 3
    return found[0]


# ------------------------------------------------------------------ empty, blank, binary


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n  "], ids=["empty", "whitespace"])
def test_empty_and_blank_files(hostile: Callable[..., dict], xml_profile: Profile, json_profile: Profile, data: bytes) -> None:
    for profile, name, wf in ((xml_profile, "e.xml", "TX-1"), (json_profile, "e.json", "TJ-1")):
        record = hostile(profile, name, data)
        f = _first_fail(record, wf)
        assert f["message"]["en"] == "the file is empty" and f["message"]["zh"] == "文件为空"
        assert f["location"]["file"].endswith(name)
        assert record["summary"]["exit_code"] == 1
        _no_error_findings(record)


def test_binary_garbage_with_nul_bytes(hostile: Callable[..., dict], xml_profile: Profile, json_profile: Profile) -> None:
    garbage = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff\xfe\x00<doc/>"
    for profile, name, wf in ((xml_profile, "g.xml", "TX-1"), (json_profile, "g.json", "TJ-1")):
        record = hostile(profile, name, garbage)
        f = _first_fail(record, wf)
        assert "NUL byte at offset 8" in f["message"]["en"] and "NUL" in f["message"]["zh"]
        _no_error_findings(record)


# ------------------------------------------------------------------ encodings


def test_invalid_utf8_declared_utf8_xml(hostile: Callable[..., dict], xml_profile: Profile) -> None:
    data = XML_DECL + b'<doc xmlns="urn:test:1" count="0">\n  <code>123</code>\n  <name>\xc3\x28bad</name>\n</doc>\n'
    record = hostile(xml_profile, "bad-utf8.xml", data)
    wf = _first_fail(record, "TX-1")
    assert wf["location"]["line"] == 4
    enc = _first_fail(record, "TX-2")
    assert enc["location"]["line"] == 4 and enc["location"]["column"] == 9
    assert enc["evidence"]["offset"] == data.index(b"\xc3\x28")
    assert "UTF-8" in enc["message"]["en"]


def test_invalid_utf8_beyond_the_first_chunk_is_located_exactly(hostile: Callable[..., dict], xml_profile: Profile) -> None:
    filler = b"".join(b"  <item>%07d</item>\n" % i for i in range(60000))  # > 1 MiB, streamed in chunks
    head = XML_DECL + b'<doc xmlns="urn:test:1" count="60000">\n  <code>123</code>\n  <name>ok</name>\n' + filler
    data = head + b"  <item>ab\xffcd</item>\n</doc>\n"
    assert len(head) > 1 << 20
    record = hostile(xml_profile, "late.xml", data)
    enc = _first_fail(record, "TX-2")
    offset = data.index(b"\xff")
    assert enc["evidence"]["offset"] == offset
    assert enc["location"]["line"] == data[:offset].count(b"\n") + 1
    assert enc["location"]["column"] == offset - data.rindex(b"\n", 0, offset)


def test_invalid_utf8_json(hostile: Callable[..., dict], json_profile: Profile) -> None:
    data = b'{\n  "id": "ORD-0001",\n  "name": "\xe4\xb8"\n}\n'
    record = hostile(json_profile, "bad.json", data)
    f = _first_fail(record, "TJ-1")
    assert f["location"]["line"] == 3 and f["location"]["column"] == 12
    assert f["evidence"]["offset"] == data.index(b"\xe4")
    assert "utf-8" in f["message"]["en"]


@pytest.mark.parametrize(
    ("declared", "words"),
    [
        ("UTF-16", "byte 0 is not a valid UTF-16 sequence"),  # and no byte-order mark
        ("NO-SUCH-ENCODING", "unknown encoding name"),
        ("Shift_JIS", "is not a valid Shift_JIS sequence"),
        ("US-ASCII", "byte 98 is not a valid US-ASCII sequence"),
    ],
)
def test_wrong_declared_xml_encoding(hostile: Callable[..., dict], xml_profile: Profile, declared: str, words: str) -> None:
    data = (f'<?xml version="1.0" encoding="{declared}"?>\n<doc xmlns="urn:test:1" count="0">'
            "<code>123</code><name>名字</name></doc>\n").encode("utf-8")
    record = hostile(xml_profile, "wrong-enc.xml", data)
    tx2 = [f["message"]["en"] for f in requirement(record, "TX-2")["findings"]]
    # the declared encoding is not one the profile allows, and the bytes are not in it
    assert any(f"declared encoding '{declared}' is not allowed" in m for m in tx2), tx2
    assert any(words in m for m in tx2), tx2
    assert verdicts(record)["TX-1"] == "fail"
    _no_error_findings(record)


@pytest.mark.parametrize(("encoding", "words"), [("utf-16", "not valid utf-16"), ("no-such-codec", "unknown character encoding")])
def test_wrong_given_json_encoding(
    hostile: Callable[..., dict], json_profile: Profile, encoding: str, words: str
) -> None:
    record = hostile(json_profile, "enc.json", GOOD_JSON + b'"\xe6\x9d\xad"', encoding=encoding)
    assert words in _first_fail(record, "TJ-1")["message"]["en"]
    assert record["subjects"][0]["encoding"] == encoding


# ------------------------------------------------------------------ truncated


def test_truncated_xml(hostile: Callable[..., dict], xml_profile: Profile) -> None:
    data = GOOD_XML[: GOOD_XML.index(b"<name>") + 4]
    record = hostile(xml_profile, "cut.xml", data)
    f = _first_fail(record, "TX-1")
    assert "not well-formed" in f["message"]["en"] and "格式不良" in f["message"]["zh"]
    assert f["location"]["line"] >= 3
    # the checks that need a document cannot decide: inconclusive, not pass, not error
    assert {verdicts(record)[r] for r in ("TX-4", "TX-5", "TX-6", "TX-7", "TX-9")} == {"inconclusive"}
    assert record["subjects"][0]["verdict"] == "fail"


def test_truncated_json(hostile: Callable[..., dict], json_profile: Profile) -> None:
    record = hostile(json_profile, "cut.json", GOOD_JSON[:40])
    f = _first_fail(record, "TJ-1")
    assert f["location"]["line"] == 1 and f["location"]["column"] >= 1
    assert {verdicts(record)[r] for r in ("TJ-3", "TJ-4", "TJ-5", "TJ-8")} == {"inconclusive"}


# ------------------------------------------------------------------ entities


def test_xxe_external_entities_are_not_expanded_nor_fetched(
    hostile: Callable[..., dict], xml_profile: Profile, canary: int
) -> None:
    data = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<!DOCTYPE doc [\n'
        b'  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n'
        b'  <!ENTITY net SYSTEM "http://127.0.0.1:1/x">\n'
        b'  <!ENTITY canary SYSTEM "http://127.0.0.1:%d/x">\n'
        b']>\n'
        b'<doc xmlns="urn:test:1" count="0"><code>123</code><name>&xxe;&net;&canary;</name></doc>\n' % canary
    )
    record = hostile(xml_profile, "xxe.xml", data)
    v = verdicts(record)
    assert v["TX-1"] == "pass"  # well-formed: the references stay references
    assert _first_fail(record, "TX-3")["location"]["line"] == 2  # the DOCTYPE itself is refused
    # schema validation cannot judge content it was not allowed to read
    for rid in ("TX-4", "TX-5"):
        f = requirement(record, rid)["findings"][0]
        assert v[rid] == "inconclusive" and "&xxe;" in f["message"]["en"] and f["location"]["line"] == 7
    assert "error" not in v.values()


@pytest.mark.parametrize(
    "doctype",
    [
        b'<!DOCTYPE doc SYSTEM "file://{secret}">',
        b'<!DOCTYPE doc PUBLIC "-//x//y" "file://{secret}">',
        b'<!DOCTYPE doc [<!ENTITY % p SYSTEM "file://{secret}"> %p;]>',
        b'<!DOCTYPE doc SYSTEM "http://127.0.0.1:{port}/x.dtd">',
        b'<!DOCTYPE doc [<!ENTITY % p SYSTEM "http://127.0.0.1:{port}/p"> %p;]>',
    ],
    ids=["system-file", "public-file", "parameter-file", "system-http", "parameter-http"],
)
def test_external_dtd_subsets_are_not_loaded(
    hostile: Callable[..., dict], xml_profile: Profile, canary: int, tmp_path: Path, doctype: bytes
) -> None:
    secret = tmp_path / "secret.dtd"
    secret.write_text("TOP-SECRET-MARKER this is not a DTD\n", encoding="utf-8")
    decl = doctype.replace(b"{secret}", str(secret).encode()).replace(b"{port}", str(canary).encode())
    data = XML_DECL + decl + b"\n" + GOOD_XML[len(XML_DECL):]
    record = hostile(xml_profile, "ext.xml", data)
    dumped = json.dumps(record)
    assert "TOP-SECRET" not in dumped and "secret.dtd" not in dumped
    v = verdicts(record)
    assert v["TX-1"] == "pass", requirement(record, "TX-1")  # loading it would have made it "not well-formed"
    assert v["TX-3"] == "fail"
    assert v["TX-4"] == v["TX-5"] == "pass"


def test_billion_laughs_finishes_quickly(hostile: Callable[..., dict], xml_profile: Profile) -> None:
    ents = b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1)) * 10) for i in range(1, 10)
    )
    data = (XML_DECL + b'<!DOCTYPE doc [<!ENTITY lol0 "lol">' + ents + b"]>\n"
            b'<doc xmlns="urn:test:1" count="0"><code>123</code><name>&lol9;</name></doc>\n')
    started = time.monotonic()
    record = hostile(xml_profile, "lol.xml", data)
    assert time.monotonic() - started < 5
    assert len(json.dumps(record)) < 200_000  # nothing was expanded into the record
    assert verdicts(record)["TX-3"] == "fail"
    _no_error_findings(record)


# ------------------------------------------------------------------ depth and size


def test_very_deep_xml(hostile: Callable[..., dict], xml_profile: Profile) -> None:
    depth = 100_000
    data = XML_DECL + b"<a>" * depth + b"</a>" * depth
    record = hostile(xml_profile, "deep.xml", data)
    f = _first_limit(record, "TX-1")
    assert "depth" in f["message"]["en"].lower() and f["location"]["line"] >= 1
    _no_error_findings(record)


@pytest.mark.parametrize(("data", "name"), [
    (b"[" * 100_000 + b"]" * 100_000, "arrays"),
    (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "objects"),
    (b"[" * 100_000, "unclosed"),
])
def test_very_deep_json(hostile: Callable[..., dict], json_profile: Profile, data: bytes, name: str) -> None:
    record = hostile(json_profile, f"deep-{name}.json", data)
    f = _first_limit(record, "TJ-1")
    assert "deeper than this tool's limit" in f["message"]["en"]
    _no_error_findings(record)


def test_json_depth_limit_is_exact_and_independent_of_the_stack(json_profile: Profile, run: Callable[..., dict]) -> None:
    def nested(depth: int) -> Subject:
        return Subject.from_bytes("n.json", b"[" * depth + b"]" * depth, media_type="json")

    at_limit = run(json_profile, subjects=[nested(MAX_JSON_DEPTH)])
    assert verdicts(at_limit)["TJ-1"] == "pass"
    over = run(json_profile, subjects=[nested(MAX_JSON_DEPTH + 1)])
    assert f"limit of {MAX_JSON_DEPTH} levels" in _first_limit(over, "TJ-1")["message"]["en"]

    def recurse(n: int) -> dict:  # the same answer with a much deeper caller stack
        return recurse(n - 1) if n else run(json_profile, subjects=[nested(MAX_JSON_DEPTH)])

    assert verdicts(recurse(300))["TJ-1"] == "pass"


def test_duplicate_json_keys(hostile: Callable[..., dict], json_profile: Profile) -> None:
    data = GOOD_JSON.replace(b'"name": "ok"', b'"name": "ok", "name": "again", "id": "ORD-0002"')
    record = hostile(json_profile, "dups.json", data)
    v = verdicts(record)
    assert v["TJ-1"] == "pass" and v["TJ-2"] == "fail"
    f = _first_fail(record, "TJ-2")
    assert "id, name" in f["message"]["en"] and f["evidence"]["keys"] == ["id", "name"]


def test_lone_surrogates_in_json_keys_stay_printable_and_writable(
    hostile: Callable[..., dict], json_profile: Profile, tmp_path: Path
) -> None:
    record = hostile(json_profile, "surrogate.json", b'{"\\ud800": 1, "\\ud800": 2, "\xe5\x90\x8d": 1, "\xe5\x90\x8d": 2}')
    f = _first_fail(record, "TJ-2")
    assert f["evidence"]["keys"] == ["\\ud800", "名"]
    # everything in the record can be encoded, printed and written as UTF-8
    json.dumps(record, ensure_ascii=False).encode("utf-8")
    assert load_record(write_record(record, tmp_path / "r.run.json")) == record


@pytest.mark.parametrize("media", ["xml", "json"])
def test_file_over_the_size_limit(
    hostile: Callable[..., dict], xml_profile: Profile, json_profile: Profile, media: str
) -> None:
    profile, data, wf = (xml_profile, GOOD_XML, "TX-1") if media == "xml" else (json_profile, GOOD_JSON, "TJ-1")
    record = hostile(profile, f"big.{media}", data, max_bytes=64)
    f = _first_limit(record, wf)
    assert "too large" in f["message"]["en"] and "64" in f["message"]["en"] and "过大" in f["message"]["zh"]
    subject = record["subjects"][0]
    assert subject["size"] == len(data) and len(subject["sha256"]) == 64  # still identified
    assert "too large" in subject["error"]["en"]
    assert record["summary"]["exit_code"] != 0
    # the same file under the limit is fine
    assert hostile(profile, f"small.{media}", data, max_bytes=len(data))["summary"]["exit_code"] == 0


def test_huge_json_integer(hostile: Callable[..., dict], json_profile: Profile) -> None:
    data = GOOD_JSON.replace(b'"qty": 1', b'"qty": ' + b"9" * 100_000)
    record = hostile(json_profile, "huge-int.json", data)
    f = _first_limit(record, "TJ-1")
    assert "digits" in f["message"]["en"]
    _no_error_findings(record)


@pytest.mark.parametrize("token", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_json_number_tokens(hostile: Callable[..., dict], json_profile: Profile, token: bytes) -> None:
    record = hostile(json_profile, "nan.json", GOOD_JSON.replace(b'"lat": 1', b'"lat": ' + token))
    f = _first_fail(record, "TJ-1")
    assert token.decode() in f["message"]["en"] and "RFC 8259" in f["message"]["en"]


# ------------------------------------------------------------------ paths


def test_nonexistent_path_is_a_usage_error(xml_profile: Profile, tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        validate(xml_profile, [FIXTURES / "test-xml/valid/basic.xml", tmp_path / "nope.xml"])
    assert str(tmp_path / "nope.xml") in info.value.render("en") and info.value.exit_code == 2
    assert "路径不存在" in info.value.render("zh")


def test_dangling_symlink_is_a_finding_not_a_crash(hostile: Callable[..., dict], xml_profile: Profile, tmp_path: Path) -> None:
    link = tmp_path / "gone.xml"
    link.symlink_to(tmp_path / "never-existed.xml")
    record = assert_record_valid(validate(xml_profile, [link], seed=1))
    _check_clear(record)
    f = _first_fail(record, "TX-1")
    assert "cannot read file" in f["message"]["en"] and f["location"]["file"] == str(link)
    assert "error" in record["subjects"][0]


def test_directory_with_mixed_files(xml_profile: Profile, tmp_path: Path) -> None:
    d = tmp_path / "mixed"
    (d / "sub").mkdir(parents=True)
    (d / "a-good.xml").write_bytes(GOOD_XML)
    (d / "b-empty.xml").write_bytes(b"")
    (d / "c-binary.xml").write_bytes(b"\x00\x01\x02")
    (d / "d-bad-code.xml").write_bytes(GOOD_XML.replace(b"123", b"12x"))
    (d / "sub" / "e-nested.xml").write_bytes(GOOD_XML)
    (d / "notes.txt").write_text("not a payload", encoding="utf-8")
    (d / "data.json").write_text("{}", encoding="utf-8")
    (d / "dir.xml").mkdir()  # a folder that looks like a payload
    record = assert_record_valid(validate(xml_profile, [d], seed=1))
    _check_clear(record)
    names = [Path(s["name"]).name for s in record["subjects"]]
    assert names == ["a-good.xml", "b-empty.xml", "c-binary.xml", "d-bad-code.xml", "e-nested.xml"]
    assert [s["verdict"] for s in record["subjects"]] == ["pass", "fail", "fail", "fail", "pass"]
    failing_subjects = {f["subject"] for f in requirement(record, "TX-1")["findings"] if f["verdict"] == "fail"}
    assert failing_subjects == {1, 2}
    assert {f["subject"] for f in requirement(record, "TX-5")["findings"] if f["verdict"] == "fail"} == {3}
    assert record["summary"]["exit_code"] == 1


# ------------------------------------------------------------------ property tests

XML_TOKENS = [
    b'<?xml version="1.0" encoding="UTF-8"?>', b'<?xml version="1.0" encoding="GB18030"?>', b"\xef\xbb\xbf",
    b'<doc xmlns="urn:test:1" count="1">', b"</doc>", b"<code>123</code>", b"<name>", b"</name>", b"<item>a</item>",
    b"<!DOCTYPE doc>", b'<!ENTITY x "y">', b"&x;", b"&amp;", b"<![CDATA[", b"]]>", b"<!--", b"-->", b"\x00",
    b"\xff", b"\xc3", b"\n", b" ", b"<", b">", b'"', b"<sig/>", b' min="5" max="2"', b"\xe4\xb8\xad",
]
JSON_TOKENS = [
    b"{", b"}", b"[", b"]", b",", b":", b'"id"', b'"ORD-0001"', b'"name"', b'"items"', b'"location"', b'"lat"',
    b"1", b"-0.5e3", b"true", b"null", b"NaN", b"\xef\xbb\xbf", b"\x00", b"\xff", b"\\u0000", b'"\\ud800"', b" ",
    b"\n", b'"', b"99999999999999999999999", b'{"sku": "A", "qty": 1}',
]


def _payloads(tokens: list[bytes]) -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=300), st.lists(st.sampled_from(tokens), max_size=40).map(b"".join))


PROPERTY = settings(
    max_examples=200, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@PROPERTY
@given(data=_payloads(XML_TOKENS))
def test_arbitrary_bytes_as_xml_never_raise(xml_profile: Profile, data: bytes) -> None:
    record = assert_record_valid(
        validate(xml_profile, subjects=[Subject.from_bytes("fuzz.xml", data, media_type="xml")], seed=1)
    )
    _check_clear(record)
    assert verdicts(record)["TX-1"] in ("pass", "fail")
    assert record["subjects"][0]["size"] == len(data)
    assert all(f["verdict"] != "error" for f in all_findings(record) if f.get("check")), [
        f for f in all_findings(record) if f["verdict"] == "error"
    ]


@PROPERTY
@given(data=_payloads(JSON_TOKENS))
def test_arbitrary_bytes_as_json_never_raise(json_profile: Profile, data: bytes) -> None:
    record = assert_record_valid(
        validate(json_profile, subjects=[Subject.from_bytes("fuzz.json", data, media_type="json")], seed=1)
    )
    _check_clear(record)
    assert verdicts(record)["TJ-1"] in ("pass", "fail")
    assert all(f["verdict"] != "error" for f in all_findings(record) if f.get("check")), [
        f for f in all_findings(record) if f["verdict"] == "error"
    ]

