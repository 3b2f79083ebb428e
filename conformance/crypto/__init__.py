"""Chinese commercial cryptography and the encodings around it, shared by profiles.

Domain-agnostic building blocks for profiles whose standards sign with SM2-with-SM3,
hash with SM3 or encrypt with SM4:

* :mod:`.sm2` – SM2 signatures (GB/T 32918): keys, Z_A, e, sign, verify, point coding.
  Fast pure Python, *not* constant-time: verification is safe on any input; signing is
  for fixtures and reference peers with TEST-ONLY keys.
* :mod:`.sm3` – SM3 (GB/T 32905) through OpenSSL when it has it, else pure Python.
* :mod:`.sm4` – SM4 (GB/T 32907) CBC and ECB through ``cryptography``.
* :mod:`.der` – strict DER ``ECDSA-Sig-Value`` (r, s).
* :mod:`.codec` – strict base64, PKCS#7 padding.

Errors are :class:`CryptoError` subclasses (all ``ValueError``) with an English and a
Chinese message.
"""

from __future__ import annotations

from . import codec, der, errors, sm2, sm3, sm4
from .codec import *  # noqa: F403
from .der import *  # noqa: F403
from .errors import *  # noqa: F403
from .sm2 import *  # noqa: F403
from .sm3 import *  # noqa: F403
from .sm4 import *  # noqa: F403

__all__ = [*codec.__all__, *der.__all__, *errors.__all__, *sm2.__all__, *sm3.__all__, *sm4.__all__]
