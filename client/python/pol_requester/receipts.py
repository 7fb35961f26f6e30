"""Worker receipts (format v2, ``modules/inference/src/receipt.rs``): canonical bytes,
verification against the provider's registered key, and the checks a requester makes of
an answer (the same as ``pol_client::answer``)."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import Any, Optional, Sequence, Tuple

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from . import addresses

DOMAIN_TAG = b"pol.worker.v1.receipt.v2\x00"


class AnswerError(Exception):
    """The answer is not accepted: the provider failed this request."""


def hash_input(values: Sequence[int]) -> bytes:
    return hashlib.sha256(bytes(v & 0xFF for v in values)).digest()


def hash_output(logits: Sequence[int]) -> bytes:
    return hashlib.sha256(b"".join(struct.pack("<i", v) for v in logits)).digest()


def _string(s: str) -> bytes:
    b = s.encode()
    if len(b) > 256:
        raise AnswerError("receipt string longer than 256 bytes")
    return struct.pack(">H", len(b)) + b


def _amount(s: str) -> int:
    if s == "":
        return 0
    if not s.isdigit() or len(s) > 39:
        raise AnswerError(f"receipt amount {s!r} is not a decimal amount")
    return int(s)


def canonical_bytes(r: Any) -> bytes:
    """The bytes a receipt's signature covers."""
    if len(r.input_hash) != 32 or len(r.output_hash) != 32:
        raise AnswerError("receipt hashes must be 32 bytes")
    return (
        DOMAIN_TAG
        + _string(r.chain_id)
        + addresses.parse(r.provider)
        + _string(r.model_id)
        + bytes(r.input_hash)
        + bytes(r.output_hash)
        + struct.pack(">QQQ", r.nonce, r.worker_time_ms, r.channel_id)
        + _amount(r.payment_amount).to_bytes(16, "big")
        + _amount(r.price).to_bytes(16, "big")
        + _amount(r.royalty).to_bytes(16, "big")
    )


def receipt_id(r: Any) -> bytes:
    return hashlib.sha256(canonical_bytes(r)).digest()


@dataclass
class Expected:
    chain_id: str
    provider: str
    receipt_pubkey: bytes
    model_id: str
    nonce: int
    input: Sequence[int]
    output_len: int
    payment: Optional[Tuple[int, int]] = None


def check_answer(want: Expected, logits: Sequence[int], cls: int, receipt: Any) -> Any:
    """The receipt if the answer is what was asked and paid; AnswerError otherwise."""
    if len(logits) != want.output_len:
        raise AnswerError(f"{len(logits)} logits, the model has {want.output_len} outputs")
    best = max(range(len(logits)), key=lambda i: (logits[i], -i)) if logits else 0
    if cls != best:
        raise AnswerError(f"class {cls} is not the first largest logit {best}")
    if receipt is None or not receipt.signature:
        raise AnswerError("answer without a receipt")
    if bytes(receipt.worker_pubkey) != want.receipt_pubkey:
        raise AnswerError("receipt signed by a key other than the registered one")
    try:
        VerifyKey(want.receipt_pubkey).verify(canonical_bytes(receipt), bytes(receipt.signature))
    except (BadSignatureError, ValueError) as e:
        raise AnswerError("receipt signature does not verify") from e
    for field, got, expected in [
        ("chain_id", receipt.chain_id, want.chain_id),
        ("provider", receipt.provider, want.provider),
        ("model_id", receipt.model_id, want.model_id),
        ("nonce", receipt.nonce, want.nonce),
        ("input_hash", bytes(receipt.input_hash), hash_input(want.input)),
        ("output_hash", bytes(receipt.output_hash), hash_output(logits)),
    ]:
        if got != expected:
            raise AnswerError(f"receipt {field} is {got!r}, expected {expected!r}")
    if want.payment is not None:
        got_payment = (receipt.channel_id, _amount(receipt.payment_amount))
        if got_payment != want.payment:
            raise AnswerError(f"receipt commits to payment {got_payment}, sent {want.payment}")
    return receipt
