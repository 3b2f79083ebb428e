"""SM4 block cipher (GB/T 32907-2016) in CBC and ECB mode, through ``cryptography``
(OpenSSL). These functions do no padding: pair them with
:func:`~conformance.crypto.codec.pkcs7_pad` / :func:`~conformance.crypto.codec.pkcs7_unpad`.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .errors import CryptoError

__all__ = ["BLOCK_SIZE", "sm4_cbc_decrypt", "sm4_cbc_encrypt", "sm4_ecb_decrypt", "sm4_ecb_encrypt"]

BLOCK_SIZE = 16


def _check(key: bytes, data: bytes, iv: bytes | None = None) -> None:
    if len(key) != 16:
        raise CryptoError(f"an SM4 key is 16 octets, not {len(key)}", f"SM4 密钥应为 16 字节，而不是 {len(key)} 字节")
    if iv is not None and len(iv) != BLOCK_SIZE:
        raise CryptoError(f"an SM4 IV is 16 octets, not {len(iv)}", f"SM4 初始向量应为 16 字节，而不是 {len(iv)} 字节")
    if len(data) % BLOCK_SIZE:
        raise CryptoError(f"SM4 data of {len(data)} octets is not whole 16-octet blocks",
                          f"SM4 数据长度 {len(data)} 不是 16 字节分组的整数倍")


def _run(cipher: Cipher[Any], data: bytes, encrypt: bool) -> bytes:
    ctx = cipher.encryptor() if encrypt else cipher.decryptor()
    return ctx.update(data) + ctx.finalize()


def sm4_cbc_encrypt(key: bytes, iv: bytes, plaintext: bytes) -> bytes:
    """SM4-CBC of whole blocks (no padding, the IV is not prepended)."""
    _check(key, plaintext, iv)
    return _run(Cipher(algorithms.SM4(key), modes.CBC(iv)), plaintext, True)


def sm4_cbc_decrypt(key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    """Inverse of :func:`sm4_cbc_encrypt` (padding is left in place)."""
    _check(key, ciphertext, iv)
    return _run(Cipher(algorithms.SM4(key), modes.CBC(iv)), ciphertext, False)


def sm4_ecb_encrypt(key: bytes, plaintext: bytes) -> bytes:
    """SM4-ECB of whole blocks (no padding)."""
    _check(key, plaintext)
    return _run(Cipher(algorithms.SM4(key), modes.ECB()), plaintext, True)


def sm4_ecb_decrypt(key: bytes, ciphertext: bytes) -> bytes:
    """Inverse of :func:`sm4_ecb_encrypt`."""
    _check(key, ciphertext)
    return _run(Cipher(algorithms.SM4(key), modes.ECB()), ciphertext, False)
