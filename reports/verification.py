"""Verification codes and QR images printed on every PDF so a reader can check it online.

A code is an HMAC of the document kind, its content digest and the audit-chain event that
issued it; it is short enough to type from paper. Imports stdlib and segno only.
"""

from __future__ import annotations

import hashlib
import hmac

import segno

# Crockford base32: no I, L, O, U, so a code read off paper is unambiguous.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 16  # 80 bits
_TYPO_MAP = str.maketrans({"O": "0", "I": "1", "L": "1"})


def make_code(kind: str, digest: str, event_hash: str, secret: bytes) -> str:
    """Derive the human-typable code ``XXXX-XXXX-XXXX-XXXX`` for one issued document."""
    if not secret:
        raise ValueError("the verification secret must not be empty")
    message = f"{kind}|{digest}|{event_hash}".encode()
    mac = hmac.new(secret, message, hashlib.sha256).digest()
    number = int.from_bytes(mac[: CODE_CHARS * 5 // 8], "big")
    chars = [ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(CODE_CHARS))]
    return "-".join("".join(chars[i : i + 4]) for i in range(0, CODE_CHARS, 4))


def normalize_code(text: str) -> str:
    """Return *text* as a canonical code, forgiving case, spaces, dashes and O/I/L typos."""
    compact = "".join(ch for ch in text.upper() if ch not in " -\t").translate(_TYPO_MAP)
    return "-".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def qr_svg(url: str) -> str:
    """Return a ``data:image/svg+xml`` URI of a QR code for *url*, for an ``<img src>``.

    A data URI (not inline ``<svg>``) keeps the markup out of the template, and the
    restricted URL fetcher allows ``data:``.
    """
    qr = segno.make(url, error="m", micro=False)
    return qr.svg_data_uri(scale=4, border=2, omitsize=False)
