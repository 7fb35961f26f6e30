#!/usr/bin/env python3
"""cosmpy against a running pol node over gRPC, with nothing pol-specific but the chain's
parameters: query the sender's account and balance, send tokens (cosmpy simulates the tx
to pick its gas limit, then broadcasts and waits for it through the tx service), and check
that the recipient's balance moved. Prints one JSON object on stdout.

Usage:
  cosmpy_send.py --grpc 127.0.0.1:9090 --chain-id pol-local-1 --to pol1... \
      (--mnemonic "<24 words>" | --private-key <hex>) [--amount 12345] [--gas-price 0.025]
The mnemonic may also come from the POL_MNEMONIC environment variable.
"""

import argparse
import json
import os
import sys
from datetime import timedelta

from cosmpy.aerial.client import LedgerClient, NetworkConfig
from cosmpy.aerial.wallet import LocalWallet
from cosmpy.crypto.address import Address
from cosmpy.crypto.keypairs import PrivateKey


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--grpc", default="127.0.0.1:9090", help="pold's gRPC host:port")
    p.add_argument("--chain-id", required=True)
    p.add_argument("--to", required=True, help="recipient, bech32 pol1...")
    p.add_argument("--mnemonic", default=os.environ.get("POL_MNEMONIC"))
    p.add_argument("--private-key", help="hex secp256k1 secret key instead of a mnemonic")
    p.add_argument("--amount", type=int, default=12345)
    p.add_argument("--gas-price", type=float, default=0.025)
    p.add_argument("--timeout", type=float, default=60.0)
    a = p.parse_args()

    cfg = NetworkConfig(
        chain_id=a.chain_id,
        url=f"grpc+http://{a.grpc}",
        fee_minimum_gas_price=a.gas_price,
        fee_denomination="upol",
        staking_denomination="upol",
    )
    client = LedgerClient(cfg)

    if a.private_key:
        wallet = LocalWallet(PrivateKey(bytes.fromhex(a.private_key)), prefix="pol")
    elif a.mnemonic:
        wallet = LocalWallet.from_mnemonic(a.mnemonic, prefix="pol")
    else:
        p.error("--mnemonic, POL_MNEMONIC or --private-key is required")
    sender = wallet.address()
    recipient = Address(a.to)

    account = client.query_account(sender)
    sender_before = client.query_bank_balance(sender, "upol")
    recipient_before = client.query_bank_balance(recipient, "upol")
    consensus = client.query_consensus_params()

    tx = client.send_tokens(recipient, a.amount, "upol", wallet, memo="cosmpy compat")
    tx.wait_to_complete(timeout=timedelta(seconds=a.timeout), poll_period=timedelta(milliseconds=250))
    resp = tx.response

    recipient_after = client.query_bank_balance(recipient, "upol")
    sender_after = client.query_bank_balance(sender, "upol")
    account_after = client.query_account(sender)
    delta = recipient_after - recipient_before

    print(
        json.dumps(
            {
                "client": "cosmpy",
                "chainId": a.chain_id,
                "sender": str(sender),
                "account": {"number": account.number, "sequence": account.sequence},
                "sequenceAfter": account_after.sequence,
                "blockMaxGas": int(consensus.params.block.max_gas),
                "senderBefore": str(sender_before),
                "senderAfter": str(sender_after),
                "recipient": str(recipient),
                "recipientBefore": str(recipient_before),
                "recipientAfter": str(recipient_after),
                "sent": str(a.amount),
                "txhash": tx.tx_hash,
                "txHeight": resp.height,
                "code": resp.code,
                "gasWanted": resp.gas_wanted,
                "gasUsed": resp.gas_used,
                "events": sorted(resp.events.keys()),
                "recipientDelta": str(delta),
                "ok": delta == a.amount,
            }
        )
    )
    return 0 if delta == a.amount else 3


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # report and fail clearly: the Rust test shows stderr
        print(f"cosmpy compat: {type(e).__name__}: {e}", file=sys.stderr)
        raise
