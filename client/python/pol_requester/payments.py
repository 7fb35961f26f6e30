"""Payments on ``pol.payments.v1`` channels: the canonical bytes a payment's ed25519
signature covers (the same as ``modules/payments/src/payment.rs``), and the requester's
payment wallet, in the same JSON file ``pold`` keeps (``<home>/payments/<chain-id>.json``),
so the CLI and this client pay from the same channels without ever signing less than before.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

from nacl.signing import SigningKey

from . import proto

DOMAIN_TAG = b"pol.payments.v1.payment\x00"


def canonical_bytes(chain_id: str, channel_id: int, amount: int, royalty: int) -> bytes:
    cid = chain_id.encode()
    if len(cid) > 256:
        raise ValueError("chain id longer than 256 bytes")
    return (
        DOMAIN_TAG
        + struct.pack(">H", len(cid))
        + cid
        + struct.pack(">Q", channel_id)
        + amount.to_bytes(16, "big")
        + royalty.to_bytes(16, "big")
    )


@dataclass(frozen=True)
class SignedPayment:
    channel_id: int
    amount: int
    royalty: int
    signature: bytes

    @staticmethod
    def sign(chain_id: str, channel_id: int, amount: int, royalty: int, key: SigningKey) -> "SignedPayment":
        if royalty > amount:
            raise ValueError("royalty exceeds amount")
        sig = key.sign(canonical_bytes(chain_id, channel_id, amount, royalty)).signature
        return SignedPayment(channel_id, amount, royalty, bytes(sig))

    def to_proto(self) -> Any:
        return proto.Payment(
            channel_id=self.channel_id,
            amount=str(self.amount),
            royalty=str(self.royalty),
            signature=self.signature,
        )


class WalletError(Exception):
    pass


class Wallet:
    """The channels one requester pays through (the file ``pold`` writes too)."""

    def __init__(self, home: Path, chain_id: str) -> None:
        self.path = Path(home) / "payments" / f"{chain_id}.json"
        self.chain_id = chain_id
        self.channels: Dict[int, Dict[str, Any]] = {}
        if self.path.exists():
            for c in json.loads(self.path.read_text()):
                self.channels[int(c["channel_id"])] = c

    @staticmethod
    def new_signer() -> SigningKey:
        return SigningKey.generate()

    def add(self, channel_id: int, provider: str, model_id: str, key: SigningKey, deposit: int) -> None:
        self.channels[channel_id] = {
            "channel_id": channel_id,
            "provider": provider,
            "model_id": model_id,
            "signer_seed": bytes(key).hex(),
            "signed": "0",
            "signed_royalty": "0",
            "deposit": str(deposit),
        }
        self._save()

    def channel_for(self, provider: str, model: str) -> Optional[int]:
        best = None
        for c in self.channels.values():
            if c["provider"] == provider and c["model_id"] == model:
                left = int(c["deposit"]) - int(c["signed"])
                if best is None or left > best[0]:
                    best = (left, int(c["channel_id"]))
        return None if best is None else best[1]

    def pay(self, channel_id: int, price: int, royalty: int) -> SignedPayment:
        c = self.channels.get(channel_id)
        if c is None:
            raise WalletError(f"channel {channel_id} is not in this wallet")
        retry = c.pop("retry", None)
        if retry is not None:
            self._save()
            return SignedPayment(channel_id, int(retry["amount"]), int(retry["royalty"]), bytes.fromhex(retry["signature"]))
        total = int(c["signed"]) + price + royalty
        if total > int(c["deposit"]):
            raise WalletError(f"channel {channel_id}: {total} would exceed its deposit {c['deposit']}; top it up")
        key = SigningKey(bytes.fromhex(c["signer_seed"]))
        p = SignedPayment.sign(self.chain_id, channel_id, total, int(c["signed_royalty"]) + royalty, key)
        c["signed"], c["signed_royalty"] = str(p.amount), str(p.royalty)
        self._save()
        return p

    def retry_later(self, p: SignedPayment) -> None:
        """The worker refused ``p`` without charging: hand it out again next time."""
        c = self.channels[p.channel_id]
        c["retry"] = {"amount": str(p.amount), "royalty": str(p.royalty), "signature": p.signature.hex()}
        self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data: List[Dict[str, Any]] = [self.channels[k] for k in sorted(self.channels)]
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".wallet")
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2)
        os.chmod(tmp, 0o600)  # signing keys
        os.replace(tmp, self.path)
