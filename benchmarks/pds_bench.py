"""PDS 1.0 figures: messages per second through the profile (XSD, Schematron, XPath,
business rules, SM2 signature verification, DGDECL decryption) next to raw lxml XSD
validation of the same messages in the same run; and the wall time of the platform
suite against the local reference peer.

    python benchmarks/pds_bench.py            # 60 messages per type
    python benchmarks/pds_bench.py --quick    # 10 per type, no repeat
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from lxml import etree

REPO = Path(__file__).resolve().parent.parent
PROFILE_DIR = REPO / "profiles" / "pds-1.0"
FIXTURES = REPO / "fixtures" / "pds-1.0"


def _load(name: str, path: Path) -> Any:
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("-n", type=int, default=None, help="messages per business type")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--no-live", action="store_true", help="skip the platform suite timing")
    args = ap.parse_args(argv)
    n = args.n or (10 if args.quick else 60)

    from conformance.discovery import resolve_profile
    from conformance.runner import validate

    profile = resolve_profile(PROFILE_DIR)
    tool = _load("conformance_profile_plugins.pds_1_0_make_messages", PROFILE_DIR / "tools" / "make_messages.py")
    pixit = yaml.safe_load((FIXTURES / "pixit.yaml").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t0 = time.perf_counter()
        tool.write_many(out, n)
        gen = time.perf_counter() - t0
        files = sorted(out.glob("*.xml"))
        count = len(files)
        print(f"messages: {count} ({n} per type, generated and signed in {gen:.2f} s)")

        # raw lxml: parse + XSD on the same files (schema compiled once, outside the timing)
        schema = etree.XMLSchema(etree.parse(str(REPO / "schemas" / "pds-1.0" / "pds.xsd")))
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        t0 = time.perf_counter()
        valid = sum(schema.validate(etree.parse(str(f), parser)) for f in files)
        raw = time.perf_counter() - t0
        assert valid == count

        validate(profile, files[:6], pixit=pixit, pixit_dir=str(FIXTURES), jobs=1)  # warm caches
        t0 = time.perf_counter()
        record = validate(profile, files, pixit=pixit, pixit_dir=str(FIXTURES), jobs=args.jobs)
        full = time.perf_counter() - t0
        assert record["summary"]["exit_code"] == 0, record["summary"]
    print(f"raw lxml XSD          : {count / raw:10.1f} msg/s  ({raw:.3f} s)")
    print(f"pds-1.0 profile (j={args.jobs})  : {count / full:10.1f} msg/s  ({full:.3f} s; with SM2 verification and SM4 decryption)")
    print(f"ratio profile / raw   : {raw / full:10.4f}  (the profile is {full / raw:.0f}x slower; SM2 in pure Python dominates)")

    if not args.no_live:
        from conformance.live.runner import run_live

        t0 = time.perf_counter()
        rec = run_live(profile, role="platform", reference=True, pixit={"retry_wait_s": 0.05, "timeout_s": 5})
        wall = time.perf_counter() - t0
        exchanges = len(rec["exchanges"])
        print(f"platform suite vs reference: {wall:.2f} s wall, {exchanges} exchanges, exit code {rec['summary']['exit_code']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
