"""What this requester saw of each provider, for the chain's ``MsgReportServedLatency``
(the Python twin of ``pol_client::requester::served``).

Validators' probes cannot see a provider that serves them fast and its requesters slowly;
requesters can. Per provider the log keeps the round trips and failures since the last
report and the provider's receipt for the last paid request (the highest cumulative
payment: what weighs the report on chain). A report is ready once a paid receipt came in;
failures before it wait for the next one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from . import proto

MAX_SAMPLES = 1 << 16


@dataclass
class _Seen:
    rtts_us: List[int] = field(default_factory=list)
    failures: int = 0
    receipt: Optional[Tuple[int, Any]] = None


def _rank(v: List[int], per_mille: int) -> int:
    if not v:
        return 0
    i = min(max(-(-len(v) * per_mille // 1000), 1), len(v)) - 1
    return v[i]


class ServedLog:
    def __init__(self) -> None:
        self.seen: Dict[str, _Seen] = {}

    def answered(self, provider: str, rtt_s: float, receipt: Any) -> None:
        """A verified answer; unpaid ones are left out (the chain weighs what was paid)."""
        if receipt is None or not receipt.channel_id or not receipt.payment_amount:
            return
        s = self.seen.setdefault(provider, _Seen())
        if len(s.rtts_us) == MAX_SAMPLES:
            s.rtts_us.pop(0)
        s.rtts_us.append(min(int(rtt_s * 1e6), 2**32 - 1))
        amount = int(receipt.payment_amount)
        if s.receipt is None or amount > s.receipt[0]:
            s.receipt = (amount, receipt)

    def failed(self, provider: str) -> None:
        self.seen.setdefault(provider, _Seen()).failures += 1

    def take_reports(self, requester: str, max_latency_us: int = 60_000_000) -> List[Any]:
        """One ``MsgReportServedLatency`` from ``requester`` (bech32, the channels' owner) per
        provider paid since the last call; what they cover is cleared."""
        out = []
        for s in self.seen.values():
            if s.receipt is None:
                continue
            _, receipt = s.receipt
            rtts = sorted(min(r, max_latency_us) for r in s.rtts_us)
            # The chain takes at most as many failures as paid answers.
            failures = min(s.failures, len(rtts))
            m = proto.MsgReportServedLatency(
                requester=requester,
                requests=len(rtts) + failures,
                failures=failures,
                p50_us=_rank(rtts, 500),
                p99_us=_rank(rtts, 990),
            )
            # The worker's receipt and the chain's are the same fields on the wire.
            m.receipt.ParseFromString(receipt.SerializeToString())
            out.append(m)
            s.rtts_us.clear()
            s.failures = 0
            s.receipt = None
        return out
