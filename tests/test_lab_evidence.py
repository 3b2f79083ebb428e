"""Evidence in reports: failing exchanges with their reproduction, and no PIXIT secret anywhere (item 6)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from conformance.discovery import resolve_profile
from conformance.live.runner import run_live
from conformance.record import validate_record
from conformance.render import render
from conformance.runner import validate
from conformance.signing import generate_key, sign_record

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LIVE = HERE / "data/profiles/test-live"
DX_FIX = ROOT / "fixtures/dx-1.0"
PASSWORD = "pa55-Very-Secret-77"


def _all_renderings(record: dict) -> dict[str, str]:
    out = {fmt: render(record, fmt, lang=lang) for fmt in ("html", "md", "junit") for lang in ("en",)}
    out.update({f"{fmt}-zh": render(record, fmt, lang="zh") for fmt in ("html", "md", "junit")})
    from conformance.render.certificate import render_certificate

    out["certificate"] = render_certificate(record)
    out["record"] = json.dumps(record, ensure_ascii=False)
    return out


@pytest.fixture(scope="module")
def live_profile():
    return resolve_profile(LIVE)


def test_failing_exchanges_are_shown_with_their_reproduction(live_profile) -> None:
    record = run_live(live_profile, role="server", reference=True, defects=("wrong-echo", "no-auth-check"),
                      pixit={"user": "lab", "password": PASSWORD}, seed=1)
    assert validate_record(record) == []
    failing = [e for e in record["exchanges"] if e.get("reproduce")]
    assert len(failing) == 2
    html, md = render(record, "html"), render(record, "md")
    assert 'id="exchanges"' in html
    for e in failing:
        assert f'id="ex-{e["index"]}"' in html
        assert "curl -sS -X POST" in md and e["url"] in md
    # HTML escapes the command (quotes) but keeps it whole.
    from markupsafe import escape

    assert str(escape(failing[0]["reproduce"])) in html
    assert "Failing exchanges (2)" in md and "未通过的交互（2）" in render(record, "md", lang="zh")
    passing = run_live(live_profile, role="server", reference=True, seed=1)
    assert "Failing exchanges" not in render(passing, "md")
    assert 'class="exchange failing"' not in render(passing, "html")
    assert 'id="exchanges"' in render(passing, "html")  # every exchange stays browsable


@pytest.mark.parametrize("defects", [(), ("accept-any-password",), ("wrong-echo", "plaintext")])
def test_live_password_and_tokens_never_reach_a_report(live_profile, defects: tuple[str, ...]) -> None:
    record = run_live(live_profile, role="server", reference=True, defects=defects,
                      pixit={"user": "lab", "password": PASSWORD})
    sign_record(record, generate_key("ed25519"), signer="lab")
    assert any("«redacted»" in e["request"]["body"]["text"] for e in record["exchanges"] if e["url"].endswith("/token"))
    for name, body in _all_renderings(record).items():
        assert PASSWORD not in body, name


def test_dx_content_keys_never_reach_a_report(tmp_path: Path) -> None:
    profile = resolve_profile("dx-1.0")
    pixit = yaml.safe_load((DX_FIX / "pixit.yaml").read_text(encoding="utf-8"))
    keys = [v for alg in pixit["content_keys"].values() for v in alg.values()]
    assert len(keys) == 2
    # A payload that quotes a content key in a failing value: the engine redacts it.
    leaky = tmp_path / "leaky.xml"
    source = (DX_FIX / "invalid/priority-4.xml").read_text(encoding="utf-8")
    assert "<Priority>4</Priority>" in source
    leaky.write_text(source.replace("<Priority>4</Priority>", f"<Priority>{keys[0]}</Priority>"),
                     encoding="utf-8")
    encrypted = [DX_FIX / "valid/lp01-sm4-encrypted.xml", DX_FIX / "valid/pp01-aes-encrypted.xml",
                 DX_FIX / "invalid/encrypted-wrong-key.xml", DX_FIX / "invalid/encrypted-zero-iv.xml"]
    for f in encrypted:
        shutil.copy(f, tmp_path / f.name)
    from datetime import datetime

    record = validate(profile, [tmp_path], pixit=pixit, pixit_dir=DX_FIX, seed=1,
                      now=datetime.fromisoformat("2026-01-15T12:00:00+08:00"))
    assert validate_record(record) == []
    priority = next(r for r in record["requirements"] if r["id"] == "DX-6.7a")
    assert priority["verdict"] == "fail", [(f["verdict"], f["message"]["en"]) for f in priority["findings"]]
    assert any("«redacted»" in f["message"]["en"] for f in priority["findings"])
    for name, body in _all_renderings(record).items():
        for key in keys:
            assert key not in body, name
            assert key.upper() not in body, name
