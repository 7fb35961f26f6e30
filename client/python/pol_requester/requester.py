"""The requester client (the Python twin of ``pol_client::requester``): order the chain's
candidates by the consensus figures and this client's own measurements, pay each request,
verify every answer, hedge a slow request to the next provider within a budget (default
5 % of requests), fail over at once past an error or a bad answer, and retry rounds with
exponential backoff."""

from __future__ import annotations

import queue
import random
import threading
import time
import warnings
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Deque, Dict, List, Optional, Sequence, Tuple

import grpc

from . import proto
from .payments import SignedPayment
from .receipts import AnswerError, Expected, check_answer
from .served import ServedLog

WINDOW = 256
MIN_OWN_SAMPLES = 20


@dataclass
class Consensus:
    p50_us: int = 0
    p99_us: int = 0
    failure_rate_ppm: int = 0

    def p95_us(self) -> int:
        """p95 from p50 and p99 as for a normal distribution: p50 + 0.707·(p99 − p50)."""
        p99 = max(self.p99_us, self.p50_us)
        return self.p50_us + (p99 - self.p50_us) * 707 // 1000


# How a model's proof key was made, as the route reports it (``setup_kind``,
# ``setup_attested``): only an attested ceremony goes without a warning.
INSECURE = "insecure"
UNATTESTED = "ceremony (not attested)"
ATTESTED = "ceremony (attested)"
SETUP_KIND_CEREMONY = proto.enum_value("pol.inference.v1.SetupKind", "SETUP_KIND_CEREMONY")


def proof_setup(setup_kind: int, setup_attested: bool) -> str:
    """``INSECURE``, ``UNATTESTED`` or ``ATTESTED`` from a route entry's setup fields."""
    if setup_kind == SETUP_KIND_CEREMONY:
        return ATTESTED if setup_attested else UNATTESTED
    return INSECURE


def setup_warning(setup: str) -> Optional[str]:
    """What to tell a requester about proofs against a key from ``setup``, if anything."""
    if setup == ATTESTED:
        return None
    if setup == UNATTESTED:
        return ("this model's proving key comes from a ceremony that governance has not attested yet: "
                "verify its transcript (pol-proofs ceremony finalize) before relying on its proofs")
    return ("this model's proving key comes from an insecure (seeded) setup: whoever made it can forge "
            "proofs, so answers are not backed by sound proofs (fine on a localnet, never for value)")


@dataclass
class Candidate:
    provider: str
    endpoint: str
    receipt_pubkey: bytes
    price: int
    rank: int
    consensus: Consensus
    # The model's proof setup (``proof_setup``), the same for every candidate of a model.
    setup: str = INSECURE


@dataclass
class ProviderStats:
    rtts_us: Deque[int] = field(default_factory=lambda: deque(maxlen=WINDOW))
    outcomes: Deque[bool] = field(default_factory=lambda: deque(maxlen=WINDOW))

    def _quantile(self, per_mille: int) -> Optional[int]:
        if len(self.rtts_us) < MIN_OWN_SAMPLES:
            return None
        v = sorted(self.rtts_us)
        i = min(max(-(-len(v) * per_mille // 1000), 1), len(v)) - 1
        return v[i]

    def p95_us(self, c: Consensus) -> int:
        q = self._quantile(950)
        return c.p95_us() if q is None else q

    def p99_us(self, c: Consensus) -> int:
        q = self._quantile(990)
        return c.p99_us if q is None else q

    def failure_rate_ppm(self, c: Consensus) -> int:
        if len(self.outcomes) < MIN_OWN_SAMPLES:
            return c.failure_rate_ppm
        return sum(self.outcomes) * 1_000_000 // len(self.outcomes)

    def score(self, c: Consensus, hedged: bool = False) -> int:
        """Lower is better: tail × (1 + 100 × failure rate); unmeasured scores as a second.
        The tail is the p99, or the p95 when requests are hedged (a second provider takes
        over the first one's slowest 5 %); hedged, a provider not measured enough yet is
        ranked by the consensus p50 (optimistic: tried, and learnt)."""
        if hedged:
            own = self._quantile(950)
            latency = c.p50_us if own is None else own
        else:
            latency = self.p99_us(c)
        tail = latency or 1_000_000
        fail = min(self.failure_rate_ppm(c), 1_000_000)
        return tail * (1_000_000 + 100 * fail) // 1_000_000


class HedgeBudget:
    """Each request earns max_extra_ppm millionths of a hedge; a hedge spends a whole one."""

    def __init__(self, max_extra_ppm: int) -> None:
        self.rate = max_extra_ppm
        self.tokens = min(1_000_000, max_extra_ppm * 1000)
        self.lock = threading.Lock()

    def earn(self) -> None:
        with self.lock:
            self.tokens = min(self.tokens + self.rate, 3_000_000)

    def try_spend(self) -> bool:
        with self.lock:
            if self.tokens >= 1_000_000:
                self.tokens -= 1_000_000
                return True
            return False


@dataclass
class Config:
    timeout_s: float = 5.0
    hedge_delay_pct: int = 100
    min_hedge_delay_s: float = 0.002
    max_extra_ppm: int = 50_000
    retries: int = 2
    backoff_s: float = 0.05
    candidates: int = 3
    chain_rank_order: bool = False
    # Ask for the providers' free tier (Health.free_requests_per_minute): each request
    # carries a payment on the channel that adds nothing, and the receipt names no payment.
    free: bool = False


@dataclass
class Job:
    chain_id: str
    model: str
    input: Sequence[int]
    output_len: int
    royalty: int
    nonce: Optional[int] = None
    # How the model's proof key was made (``proof_setup``): warned about, once per model,
    # unless it is an attested ceremony.
    setup: str = INSECURE


@dataclass
class Answer:
    provider: str
    logits: List[int]
    cls: int
    receipt: Any
    nonce: int
    rtt_s: float
    total_s: float
    hedged: bool
    failures: List[Tuple[str, str]]


class AllFailed(Exception):
    def __init__(self, failures: List[Tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {e}" for p, e in failures))
        self.failures = failures


# A payer: (provider, model, price, royalty) -> payment or None, and a way to hand back
# a payment the worker refused without charging.
PayFn = Callable[[str, str, int, int], Optional[SignedPayment]]
UnusedFn = Callable[[SignedPayment], None]

_INFER = "/pol.worker.v1.Worker/Infer"


def _target(endpoint: str) -> str:
    for scheme in ("http://", "https://"):
        if endpoint.startswith(scheme):
            return endpoint[len(scheme):]
    return endpoint


class Requester:
    def __init__(self, config: Optional[Config] = None) -> None:
        self.config = config or Config()
        self.stats: Dict[str, ProviderStats] = {}
        self.budget = HedgeBudget(self.config.max_extra_ppm)
        self.channels: Dict[str, grpc.Channel] = {}
        self.lock = threading.Lock()
        self.requests = 0
        self.hedges = 0
        self.served = ServedLog()
        self.warned: set = set()

    def _stats(self, provider: str) -> ProviderStats:
        with self.lock:
            return self.stats.setdefault(provider, ProviderStats())

    def order(self, candidates: Sequence[Candidate]) -> List[Candidate]:
        if self.config.chain_rank_order:
            ranked = sorted(candidates, key=lambda c: c.rank)
        else:
            hedged = self.config.max_extra_ppm > 0
            ranked = sorted(candidates, key=lambda c: (self._stats(c.provider).score(c.consensus, hedged), c.rank))
        return ranked[: max(1, self.config.candidates)]

    def _hedge_delay(self, c: Candidate) -> float:
        p95 = self._stats(c.provider).p95_us(c.consensus)
        d = p95 * self.config.hedge_delay_pct / 100 / 1e6
        return min(max(d, self.config.min_hedge_delay_s), self.config.timeout_s)

    def _call(self, endpoint: str) -> Any:
        with self.lock:
            ch = self.channels.get(endpoint)
            if ch is None:
                ch = grpc.insecure_channel(_target(endpoint))
                self.channels[endpoint] = ch
        return ch.unary_unary(
            _INFER,
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=proto.InferResponse.FromString,
        )

    def _launch(self, c: Candidate, job: Job, pay: PayFn, unused: UnusedFn, results: "queue.Queue[Any]") -> None:
        try:
            if self.config.free:
                payment = pay(c.provider, job.model, 0, 0)
            else:
                payment = pay(c.provider, job.model, c.price, job.royalty)
        except Exception as e:  # the wallet: out of deposit, no channel
            results.put((c, None, None, f"paying: {e}", None, 0.0))
            return
        nonce = job.nonce if job.nonce is not None else random.getrandbits(64)
        request = proto.InferRequest(model_id=job.model, input=bytes(v & 0xFF for v in job.input), nonce=nonce)
        if payment is not None:
            request.payment.CopyFrom(payment.to_proto())
        t0 = time.monotonic()
        future = self._call(c.endpoint).future(request, timeout=self.config.timeout_s)

        def done(f: Any) -> None:
            rtt = time.monotonic() - t0
            try:
                resp = f.result()
            except grpc.RpcError as e:
                code = e.code()
                answered = code not in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE)
                reusable = (payment if answered and code != grpc.StatusCode.ALREADY_EXISTS
                            and not self.config.free else None)
                results.put((c, None, nonce, f"worker error {code.name}: {e.details()}", reusable, rtt))
                return
            except Exception as e:  # cancelled hedge loser and the like
                results.put((c, None, nonce, str(e), None, rtt))
                return
            paid = (0, 0) if self.config.free else ((payment.channel_id, payment.amount) if payment else None)
            want = Expected(job.chain_id, c.provider, c.receipt_pubkey, job.model, nonce, job.input, job.output_len,
                            paid)
            try:
                receipt = check_answer(
                    want, list(resp.logits), getattr(resp, "class"), resp.receipt if resp.HasField("receipt") else None
                )
            except AnswerError as e:
                results.put((c, None, nonce, f"answer rejected: {e}", None, rtt))
                return
            results.put((c, (list(resp.logits), getattr(resp, "class"), receipt), nonce, None, None, rtt))

        future.add_done_callback(done)

    def infer(self, job: Job, candidates: Sequence[Candidate], pay: PayFn, unused: UnusedFn) -> Answer:
        order = self.order(candidates)
        if not order:
            raise AllFailed([])
        warning = setup_warning(job.setup)
        with self.lock:
            first = warning is not None and job.model not in self.warned
            self.warned.add(job.model)
        if first:
            warnings.warn(f"model {job.model}: {warning}", stacklevel=2)
        with self.lock:
            self.requests += 1
        self.budget.earn()
        started = time.monotonic()
        failures: List[Tuple[str, str]] = []
        hedged = False
        for round_ in range(self.config.retries + 1):
            if round_:
                time.sleep(self.config.backoff_s * 2 ** (round_ - 1))
            results: "queue.Queue[Any]" = queue.Queue()
            self._launch(order[0], job, pay, unused, results)
            in_flight, nxt = 1, 1
            may_hedge = round_ == 0 and self.config.max_extra_ppm > 0
            hedge_at = time.monotonic() + self._hedge_delay(order[0])
            while in_flight:
                wait = max(0.0, hedge_at - time.monotonic()) if may_hedge and nxt < len(order) else None
                try:
                    c, ok, nonce, why, reusable, rtt = results.get(timeout=wait)
                except queue.Empty:
                    may_hedge = False
                    if self.budget.try_spend():
                        hedged = True
                        with self.lock:
                            self.hedges += 1
                        self._launch(order[nxt], job, pay, unused, results)
                        nxt += 1
                        in_flight += 1
                    continue
                in_flight -= 1
                s = self._stats(c.provider)
                if ok is not None:
                    logits, cls, receipt = ok
                    with self.lock:
                        s.rtts_us.append(int(rtt * 1e6))
                        s.outcomes.append(False)
                        self.served.answered(c.provider, rtt, receipt)
                    return Answer(c.provider, logits, cls, receipt, nonce, rtt, time.monotonic() - started, hedged, failures)
                with self.lock:
                    s.outcomes.append(True)
                    self.served.failed(c.provider)
                if reusable is not None:
                    unused(reusable)
                failures.append((c.provider, why))
                if nxt < len(order):
                    self._launch(order[nxt], job, pay, unused, results)
                    nxt += 1
                    in_flight += 1
        raise AllFailed(failures)

    def take_served_reports(self, requester: str, max_latency_us: int = 60_000_000) -> List[Any]:
        """What this client saw of each provider since the last call, as the chain's
        ``MsgReportServedLatency`` from ``requester`` (the paying account), one per provider
        paid in between: send them with :meth:`Chain.report_served`."""
        with self.lock:
            return self.served.take_reports(requester, max_latency_us)
