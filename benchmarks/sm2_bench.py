"""SM2 figures: signatures verified and made per second by conformance.crypto next to the
pure-Python gmssl package (3.2.2) on the same keys and messages in the same run, and the
one-time cost of the fixed-base tables.

    python benchmarks/sm2_bench.py            # 300 operations each (gmssl: 30)
    python benchmarks/sm2_bench.py --quick    # 60 each (gmssl: 10)
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

DEFAULT_TABLE_SNIPPET = """
import time
t0 = time.perf_counter()
from conformance.crypto import sm2
t1 = time.perf_counter()
sm2.sm2_public_key(12345)
t2 = time.perf_counter()
sm2.sm2_verify(sm2.sm2_public_key(12345), b"m", *sm2.sm2_sign(12345, b"m", 7))
t3 = time.perf_counter()
print(f"{(t2 - t1) * 1e3:.1f} {(t3 - t2) * 1e3:.1f}")
"""


def _rate(fn: Callable[[int], Any], count: int) -> float:
    """Operations per second of fn(i) for i in range(count)."""
    t0 = time.perf_counter()
    for i in range(count):
        fn(i)
    return count / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("-n", type=int, default=None, help="operations per figure for conformance.crypto")
    args = ap.parse_args(argv)
    n = args.n or (60 if args.quick else 300)
    n_ref = max(5, n // 10)

    from conformance import crypto as cc
    from conformance.crypto import sm2 as sm2_module

    rng = random.Random(32918)
    N = cc.SM2P256V1.n
    keys = [rng.randrange(1, N - 1) for _ in range(8)]
    pubs = [cc.sm2_public_key(d) for d in keys]
    messages = [rng.randbytes(rng.randrange(16, 512)) for _ in range(n)]
    sigs = [cc.sm2_sign(keys[i % 8], messages[i], rng.randrange(1, N)) for i in range(n)]
    assert all(cc.sm2_verify(pubs[i % 8], messages[i], *sigs[i]) for i in range(8))

    rows: list[tuple[str, float, float | None]] = []
    ours_verify = _rate(lambda i: cc.sm2_verify(pubs[i % 8], messages[i], *sigs[i]), n)

    def verify_uncached(i: int) -> bool:
        sm2_module._public_table.cache_clear()  # as if every signer were new
        return cc.sm2_verify(pubs[i % 8], messages[i], *sigs[i])

    ours_verify_new_key = _rate(verify_uncached, n)
    ours_sign = _rate(lambda i: cc.sm2_sign(keys[i % 8], messages[i]), n)

    ref_verify = ref_sign = None
    try:
        from gmssl import sm2 as gsm2
    except ImportError:
        print("gmssl is not installed: only conformance.crypto figures", file=sys.stderr)
    else:
        def gm(i: int) -> Any:
            x, y = cc.decode_point(pubs[i % 8])
            crypt = gsm2.CryptSM2(private_key=f"{keys[i % 8]:064x}", public_key="00" * 64)
            crypt.public_key = f"{x:064x}{y:064x}"  # after construction: the constructor lstrip("04")s
            return crypt

        crypts = [gm(i) for i in range(8)]
        # gmssl gets the same digest e = SM3(Z_A || M), computed by us (it is not what is timed)
        digests = [cc.sm2_e(*cc.decode_point(pubs[i % 8]), messages[i]) for i in range(n_ref)]
        assert crypts[0].verify(f"{sigs[0][0]:064x}{sigs[0][1]:064x}", digests[0])
        ref_verify = _rate(lambda i: crypts[i % 8].verify(f"{sigs[i][0]:064x}{sigs[i][1]:064x}", digests[i]), n_ref)
        ref_sign = _rate(lambda i: crypts[i % 8].sign(digests[i], f"{rng.randrange(1, N):064x}"), n_ref)

    rows.append(("verify (key seen before)", ours_verify, ref_verify))
    rows.append(("verify (new key each time)", ours_verify_new_key, ref_verify))
    rows.append(("sign (random k)", ours_sign, ref_sign))
    print(f"SM2 over sm2p256v1, Python {sys.version.split()[0]}, {n} operations each (gmssl {n_ref})")
    print(f"{'operation':<28} {'conformance.crypto':>20} {'gmssl 3.2.2':>14} {'ratio':>8}")
    for name, ours, ref in rows:
        ms = f"{ours:10.0f}/s {1e3 / ours:5.2f} ms"
        if ref is None:
            print(f"{name:<28} {ms:>20} {'-':>14} {'-':>8}")
        else:
            print(f"{name:<28} {ms:>20} {ref:10.1f}/s {ours / ref:7.1f}x")
    # the fixed-base and wNAF tables are built on first use in each process
    out = subprocess.run([sys.executable, "-c", DEFAULT_TABLE_SNIPPET], capture_output=True, text=True, check=True)
    fixed, first_verify = out.stdout.split()
    print(f"one-time per process: fixed-base table {fixed} ms, first sign+verify (G wNAF table) {first_verify} ms")
    print(f"SM3: {'OpenSSL (hashlib)' if cc.HASHLIB_SM3 else 'pure-Python fallback'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
