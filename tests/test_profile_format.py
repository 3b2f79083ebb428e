"""Loading profile.yaml: every mistake is a ProfileError naming the file, the path in
the document and the line, in zh and en."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.errors import ProfileError
from conformance.profile import Condition, load_profile
from conformance.verdicts import Level

from conftest import MINIMAL_PROFILE, PROFILES


def _load_error(folder: Path) -> ProfileError:
    with pytest.raises(ProfileError) as info:
        load_profile(folder)
    err = info.value
    assert err.exit_code == 2
    # both languages are present and differ (a real translation, not a copy)
    assert err.message["zh"] and err.message["en"] and err.message["zh"] != err.message["en"]
    return err


def _line(err: ProfileError) -> int:
    m = re.search(r"\(line (\d+)\)", err.path or "")
    assert m, f"no line number in {err.path!r}"
    return int(m.group(1))


BASE = MINIMAL_PROFILE.format(id="broken")


# ------------------------------------------------------------------ the good ones load


@pytest.mark.parametrize("pid", ["test-xml", "test-json"])
def test_test_profiles_load(pid: str) -> None:
    profile = load_profile(PROFILES / pid)
    assert profile.id == pid
    assert profile.media_type == pid.split("-")[1]
    assert profile.counts_by_level()["MUST"] >= 8
    assert profile.schemas_dir == (PROFILES / pid / "schemas").resolve()
    # a folder and its profile.yaml load the same profile
    assert load_profile(PROFILES / pid / "profile.yaml").requirements == profile.requirements


def test_profile_model_holds_what_the_yaml_says(write_profile: Callable[..., Path]) -> None:
    folder = write_profile(
        """\
        format: 1
        id: model
        version: "2.1"
        title: {zh: 模型, en: model}
        standards: [{code: "S 1", title: s, year: 2020}]
        roles: [{id: a, title: A}, {id: b, title: B}]
        default_role: b
        options:
          - {id: OPT, title: o, type: boolean, default: true}
          - {id: KIND, title: k, type: choice, choices: [x, y], mandatory: true}
        subjects: {media_type: json, encoding: gb18030, max_bytes: 1000}
        requirements:
          - {id: R-1, clause: "1", level: SHOULD, text: {zh: 中, en: en}, roles: [a], options: ["!OPT", "KIND=y"]}
        checks:
          - {id: c1, check: json-wellformed, requirements: [R-1], options: [OPT]}
        """
    )
    p = load_profile(folder)
    assert p.version == "2.1" and p.default_role == "b"
    assert p.media_type == "json" and p.encoding == "gb18030" and p.max_bytes == 1000
    r = p.requirement("R-1")
    assert r.level is Level.SHOULD and r.roles == ("a",)
    assert r.conditions == (Condition("OPT", negate=True), Condition("KIND", value="y"))
    assert p.bindings[0].conditions == (Condition("OPT"),)
    assert [o.id for o in p.options if o.mandatory] == ["KIND"]
    with pytest.raises(KeyError):
        p.requirement("R-2")


@pytest.mark.parametrize(
    ("raw", "options", "holds"),
    [
        ("OPT", {"OPT": True}, True),
        ("OPT", {"OPT": False}, False),
        ("OPT", {}, False),
        ("!OPT", {}, True),
        ("!OPT", {"OPT": True}, False),
        ("KIND=b", {"KIND": "b"}, True),
        ("KIND=b", {"KIND": "B"}, True),
        ("KIND=b", {"KIND": "a"}, False),
        ("!KIND=b", {"KIND": "a"}, True),
        ("N=3", {"N": 3}, True),
    ],
)
def test_condition_semantics(raw: str, options: dict, holds: bool) -> None:
    cond = Condition.parse(raw)
    assert cond.holds(options) is holds
    assert str(cond) == raw


# ------------------------------------------------------------------ broken profiles


def test_missing_profile_yaml(tmp_path: Path) -> None:
    err = _load_error(tmp_path)
    assert err.file == str(tmp_path / "profile.yaml")
    assert "missing" in err.render("en")


def test_invalid_yaml_names_file_line_and_column(write_profile: Callable[..., Path]) -> None:
    folder = write_profile(BASE + "  - {id: M-2, clause: '2'\n")  # unterminated flow mapping
    err = _load_error(folder)
    assert err.file == str(folder / "profile.yaml")
    assert re.search(r"line \d+, column \d+", err.path or "")
    assert "YAML" in err.render("en") and "YAML 语法错误" in err.render("zh")


@pytest.mark.parametrize("extra, key", [
    ("title: again\n", "title"),  # a top-level key given twice
    ("pixit:\n  - {id: a, type: string, id: b}\n", "id"),  # twice in one flow mapping
])
def test_a_key_given_twice_is_refused_not_overwritten(
    write_profile: Callable[..., Path], extra: str, key: str
) -> None:
    err = _load_error(write_profile(BASE + extra))
    assert f"duplicate key '{key}'" in err.render("en")
    assert re.search(r"line \d+, column \d+", err.path or "")


@pytest.mark.parametrize("source", ["- a list\n- not a mapping\n", "", "just a string\n"])
def test_top_level_must_be_a_mapping(write_profile: Callable[..., Path], source: str) -> None:
    err = _load_error(write_profile(source))
    assert "mapping" in err.render("en")


def test_schema_violation_names_file_path_and_line(write_profile: Callable[..., Path]) -> None:
    source = BASE.replace(
        "requirements:\n",
        "requirements:\n"
        "  - {id: M-A, clause: '1', level: MUST, text: a}\n"
        "  - {id: M-B, clause: '2', level: MUST, text: b}\n",
    ).replace("level: MUST, text: well-formed", "level: SHALL, text: well-formed")
    folder = write_profile(source)
    err = _load_error(folder)
    assert err.file == str(folder / "profile.yaml")
    assert err.path is not None and err.path.startswith("requirements[2].level")
    line = _line(err)
    assert "SHALL" in source.splitlines()[line - 1]
    rendered = err.render("en")
    assert str(folder / "profile.yaml") in rendered and "requirements[2].level" in rendered and "SHALL" in rendered
    assert "不符合测试配置格式" in err.render("zh")


@pytest.mark.parametrize(
    ("old", "new", "path_prefix", "needle"),
    [
        ("format: 1", "format: 2", "format", "format: 2"),
        ("version: 1.0.0", "version: one", "version", "version: one"),
        ("id: broken", "id: 'bad id!'", "id", "bad id"),
        ("  - {id: M-1, clause: \"1\", level: MUST, text: well-formed}",
         "  - {id: M-1, clause: \"1\", level: MUST, text: well-formed, colour: red}", "requirements[0]", "colour"),
        ("text: well-formed}", "text: {zh: 只有中文}}", "requirements[0].text", "只有中文"),
        ("  - {id: sender, title: sender}", "  - {id: sender}", "roles[0]", "id: sender"),
    ],
)
def test_other_schema_violations_point_at_the_right_line(
    write_profile: Callable[..., Path], old: str, new: str, path_prefix: str, needle: str
) -> None:
    assert old in BASE
    source = BASE.replace(old, new)
    err = _load_error(write_profile(source))
    assert err.path is not None and err.path.startswith(path_prefix), err.path
    assert needle in source.splitlines()[_line(err) - 1]


def test_missing_required_key_is_reported(write_profile: Callable[..., Path]) -> None:
    source = "\n".join(line for line in BASE.splitlines() if not line.startswith("title:")) + "\n"
    err = _load_error(write_profile(source))
    assert "'title' is a required property" in err.render("en")
    assert err.path == "(root)"


def test_duplicate_requirement_id(write_profile: Callable[..., Path]) -> None:
    source = BASE.replace("checks:", "  - {id: M-1, clause: '2', level: SHOULD, text: again}\nchecks:")
    err = _load_error(write_profile(source))
    assert err.path is not None and err.path.startswith("requirements[1].id")
    assert "duplicate requirement id 'M-1'" in err.render("en")
    assert "again" in source.splitlines()[_line(err) - 1]


def test_duplicate_check_id(write_profile: Callable[..., Path]) -> None:
    source = BASE + "  - {id: wf, check: xml-wellformed, requirements: [M-1]}\n"
    err = _load_error(write_profile(source))
    assert err.path is not None and err.path.startswith("checks[1].id")
    assert "duplicate check id 'wf'" in err.render("en")


@pytest.mark.parametrize("where", ["requirement", "check"])
def test_unknown_option_in_a_condition(write_profile: Callable[..., Path], where: str) -> None:
    source = BASE.replace("roles:", "options:\n  - {id: KNOWN, title: k, type: boolean}\nroles:")
    if where == "requirement":
        source = source.replace("text: well-formed}", "text: well-formed, options: [KNOWN, '!NOPE']}")
        prefix = "requirements[0].options[1]"
    else:
        source = source.replace("requirements: [M-1]}", "requirements: [M-1], options: [NOPE=x]}")
        prefix = "checks[0].options[0]"
    err = _load_error(write_profile(source))
    assert err.path is not None and err.path.startswith(prefix), err.path
    assert "unknown option 'NOPE'" in err.render("en") and "NOPE" in err.render("zh")
    assert "NOPE" in source.splitlines()[_line(err) - 1]


def test_unknown_role_in_a_requirement(write_profile: Callable[..., Path]) -> None:
    source = BASE.replace("text: well-formed}", "text: well-formed, roles: [sender, king]}")
    err = _load_error(write_profile(source))
    assert err.path is not None and err.path.startswith("requirements[0].roles[1]")
    assert "unknown role 'king'" in err.render("en")


def test_unknown_default_role(write_profile: Callable[..., Path]) -> None:
    err = _load_error(write_profile(BASE + "default_role: king\n"))
    assert err.path is not None and err.path.startswith("default_role")
    assert "king" in err.render("en")


def test_check_binding_unknown_requirement(write_profile: Callable[..., Path]) -> None:
    err = _load_error(write_profile(BASE.replace("requirements: [M-1]}", "requirements: [M-1, M-9]}")))
    assert err.path is not None and err.path.startswith("checks[0].requirements[1]")
    assert "M-9" in err.render("en")


def test_defect_naming_unknown_requirement(write_profile: Callable[..., Path]) -> None:
    err = _load_error(write_profile(BASE + "defects:\n  slow: {breaks: [M-1, M-7]}\n"))
    assert err.path is not None and err.path.startswith("defects.slow.breaks[1]")
    assert "M-7" in err.render("en")


def test_unknown_check_kind_lists_the_available_ones(write_profile: Callable[..., Path]) -> None:
    source = BASE.replace("check: xml-wellformed", "check: xml-wellformd")
    err = _load_error(write_profile(source))
    assert err.path is not None and err.path.startswith("checks[0].check")
    en = err.render("en")
    assert "unknown check kind 'xml-wellformd'" in en
    for kind in ("xml-wellformed", "xsd", "xpath", "schematron", "jsonschema", "json-wellformed", "xml-prolog"):
        assert kind in en
    assert "xml-wellformd" in source.splitlines()[_line(err) - 1]


@pytest.mark.parametrize(
    ("binding", "path_prefix", "words"),
    [
        ("{id: c, check: xsd, requirements: [M-1], params: {schema: 1}}", "checks[1].params.schema", "not of type 'string'"),
        ("{id: c, check: xsd, requirements: [M-1]}", "checks[1].params", "'schema' is a required property"),
        ("{id: c, check: xsd, requirements: [M-1], params: {schema: a.xsd, version: '2.0'}}", "checks[1].params.version", "is not one of"),
        ("{id: c, check: xsd, requirements: [M-1], params: {schema: a.xsd, routes: [{requirement: M-1, bogus: 1}]}}",
         "checks[1].params.routes[0]", "bogus"),
        ("{id: c, check: xml-wellformed, requirements: [M-1], params: {strict: true}}", "checks[1].params", "strict"),
        ("{id: c, check: jsonschema, requirements: [M-1], params: {schema: s.json, draft: '5'}}", "checks[1].params.draft", "'5'"),
        ("{id: c, check: xpath, requirements: [M-1], params: {assertions: []}}", "checks[1].params.assertions", "should be non-empty"),
    ],
)
def test_bad_check_params_are_validated_against_the_check_params_schema(
    write_profile: Callable[..., Path], binding: str, path_prefix: str, words: str
) -> None:
    source = BASE + f"  - {binding}\n"
    err = _load_error(write_profile(source))
    assert err.path is not None and err.path.startswith(path_prefix), err.path
    assert "invalid check parameters" in err.render("en") and "检查参数无效" in err.render("zh")
    assert words in err.render("en")
    assert _line(err) == len(source.splitlines())  # the binding's own line


def test_plugin_file_missing(write_profile: Callable[..., Path]) -> None:
    err = _load_error(write_profile(BASE + "plugins: [nope.py]\n"))
    assert err.path is not None and err.path.startswith("plugins[0]")
    assert "nope.py" in err.render("en")


def test_plugin_that_raises_names_the_plugin_file(write_profile: Callable[..., Path]) -> None:
    marker = f"kaboom-{uuid.uuid4().hex}"
    folder = write_profile(BASE + "plugins: [boom.py]\n", files={"boom.py": f"raise RuntimeError({marker!r})\n"})
    err = _load_error(folder)
    assert err.file == str((folder / "boom.py").resolve())
    assert marker in err.render("en") and "插件加载失败" in err.render("zh")
    assert isinstance(err.__cause__, RuntimeError)
    # a broken plugin is not half-registered: loading again fails the same way
    assert marker in _load_error(folder).render("en")


def test_plugin_with_syntax_error(write_profile: Callable[..., Path]) -> None:
    folder = write_profile(BASE + "plugins: [bad.py]\n", files={"bad.py": "def broken(:\n"})
    err = _load_error(folder)
    assert "SyntaxError" in err.render("en")
