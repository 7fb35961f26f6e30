"""Bech32 ``pol1…`` account addresses."""

from __future__ import annotations

import bech32

PREFIX = "pol"


def parse(address: str) -> bytes:
    """The 20 bytes of a ``pol1…`` address; ValueError if it is not one."""
    hrp, data = bech32.bech32_decode(address)
    if hrp != PREFIX or data is None:
        raise ValueError(f"{address!r} is not a {PREFIX}1… address")
    raw = bech32.convertbits(data, 5, 8, False)
    if raw is None or len(raw) != 20:
        raise ValueError(f"{address!r} does not hold 20 bytes")
    return bytes(raw)


def format(raw: bytes) -> str:  # noqa: A001 (the module's verb)
    data = bech32.convertbits(list(raw), 8, 5, True)
    assert data is not None
    return bech32.bech32_encode(PREFIX, data)
