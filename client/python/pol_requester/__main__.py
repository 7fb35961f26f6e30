"""``python -m pol_requester`` (or ``pol-requester``): run paid, verified inferences on the
providers a pol chain routes a model to, and open payment channels.

    pol-requester open-channel --grpc 127.0.0.1:9090 --chain-id pol-local-1 --home ~/.pol \\
        --private-key HEX --provider pol1… --model digits-64-32-10 --deposit 1000000
    pol-requester infer --grpc 127.0.0.1:9090 --chain-id pol-local-1 --home ~/.pol \\
        --model digits-64-32-10 --input 0,0,5,… [--count 1000] [--provider pol1…] \\
        [--report-served --private-key HEX]

Payments come from the wallet ``<home>/payments/<chain-id>.json`` (the one ``pold`` keeps).
Prints one JSON object: counts, failures, hedges, latency quantiles, the last answer.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import List, Optional

from .chain import Chain
from .payments import SignedPayment, Wallet
from .requester import AllFailed, Config, Job, Requester


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="pol-requester", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("infer", "open-channel"):
        s = sub.add_parser(name)
        s.add_argument("--grpc", default="127.0.0.1:9090", help="pold's gRPC host:port")
        s.add_argument("--chain-id", required=True)
        s.add_argument("--home", type=Path, required=True, help="where the payment wallet lives")
        s.add_argument("--model", required=True)
    i = sub.choices["infer"]
    i.add_argument("--input", required=True, help="comma-separated int8 values")
    i.add_argument("--count", type=int, default=1)
    i.add_argument("--provider", help="only this provider (no hedging)")
    i.add_argument("--timeout", type=float, default=5.0)
    i.add_argument("--no-hedge", action="store_true")
    i.add_argument("--free", action="store_true", help="use the provider's free tier (nothing charged)")
    i.add_argument(
        "--report-served",
        action="store_true",
        help="afterwards, tell the chain what latency the paid requests saw (MsgReportServedLatency; needs --private-key)",
    )
    i.add_argument("--private-key", help="hex secp256k1 key of the paying account (for --report-served)")
    o = sub.choices["open-channel"]
    o.add_argument("--private-key", required=True, help="hex secp256k1 key of the paying account")
    o.add_argument("--provider", required=True)
    o.add_argument("--deposit", type=int, required=True)
    o.add_argument("--blocks", type=int, default=14_400)
    a = p.parse_args(argv)

    chain = Chain(a.grpc)
    wallet = Wallet(a.home, a.chain_id)
    if a.cmd == "open-channel":
        cid = chain.open_channel(wallet, a.private_key, a.provider, a.model, a.deposit, a.blocks)
        print(json.dumps({"channel_id": str(cid)}))
        return 0

    if a.report_served and not a.private_key:
        print("--report-served needs --private-key (the paying account signs the report)", file=sys.stderr)
        return 2
    values = [int(x) for x in a.input.replace(" ", "").split(",") if x]
    input_len, output_len, royalty = chain.model_shape(a.model)
    if len(values) != input_len:
        print(f"model {a.model} takes {input_len} inputs, --input has {len(values)}", file=sys.stderr)
        return 2
    candidates = chain.route(a.model)
    if a.provider:
        candidates = [c for c in candidates if c.provider == a.provider]
    if not candidates:
        print(f"no active provider serves {a.model}", file=sys.stderr)
        return 1
    requester = Requester(
        Config(timeout_s=a.timeout, max_extra_ppm=0 if a.no_hedge or len(candidates) < 2 else 50_000,
               candidates=len(candidates), free=a.free)
    )

    def pay(provider: str, model: str, price: int, royalty_: int) -> Optional[SignedPayment]:
        cid = wallet.channel_for(provider, model)
        return None if cid is None else wallet.pay(cid, price, royalty_)

    latencies: List[float] = []
    failed = 0
    last = None
    for n in range(a.count):
        t0 = time.monotonic()
        try:
            last = requester.infer(
                Job(a.chain_id, a.model, values, output_len, royalty, setup=candidates[0].setup),
                candidates,
                pay,
                wallet.retry_later,
            )
            latencies.append(time.monotonic() - t0)
        except AllFailed as e:
            failed += 1
            print(f"request {n} failed: {e}", file=sys.stderr)
    latencies.sort()

    def q(f: float) -> Optional[float]:
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * f))] * 1000, 3) if latencies else None

    out = {
        "requests": a.count,
        "answered": len(latencies),
        "failed": failed,
        "hedges": requester.hedges,
        "p50_ms": q(0.5),
        "p99_ms": q(0.99),
        "proof_setup": candidates[0].setup,
    }
    if last is not None:
        out.update(
            provider=last.provider,
            **{"class": last.cls},
            logits=last.logits,
            receipt_channel_id=str(last.receipt.channel_id),
            receipt_payment_amount=last.receipt.payment_amount,
        )
    if a.report_served:
        reports = requester.take_served_reports(chain.account_address(a.private_key))
        chain.report_served(a.chain_id, a.private_key, reports)
        out["served_reports"] = len(reports)
    print(json.dumps(out))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
