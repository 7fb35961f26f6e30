"""The Python requester client: its bytes agree with the Rust implementation (the same
constants are asserted in modules/payments/src/payment.rs and
modules/inference/src/receipt.rs), its wallet never signs less than before, and against
fake workers on loopback it hedges a slow provider within its budget, fails over past
errors and bad receipts, and hands back only payments a worker refused."""

from __future__ import annotations

import tempfile
import time
import unittest
import warnings
from concurrent import futures
from pathlib import Path
from typing import Any, List, Optional

import grpc
from nacl.signing import SigningKey

from pol_requester import addresses, proto, receipts
from pol_requester.payments import SignedPayment, Wallet
from pol_requester.requester import (
    ATTESTED,
    INSECURE,
    UNATTESTED,
    AllFailed,
    Candidate,
    Config,
    Consensus,
    Job,
    Requester,
    proof_setup,
)
from pol_requester.served import ServedLog

CHAIN = "pol-test-1"
MODEL = "m"
LOGITS = [1, 5, 2]


class Bytes(unittest.TestCase):
    def test_payments_sign_the_bytes_the_chain_checks(self) -> None:
        p = SignedPayment.sign("pol-1", 7, 1000, 70, SigningKey(bytes([5] * 32)))
        self.assertEqual(
            p.signature.hex(),
            "60b91737f69e954719892dca265520819b02fa13e9acba78c3279b4feccb46c6"
            "f5076be2e8fe8e783d63bafd486a43a38d9112f7a3f0ee483b38ba038951b90b",
        )

    def test_receipts_verify_as_the_worker_signs_them(self) -> None:
        key = SigningKey(bytes([7] * 32))
        r = proto.Receipt(
            chain_id="pol-local-1",
            provider=addresses.format(bytes([3] * 20)),
            model_id="digits-64-32-10",
            input_hash=receipts.hash_input([1, -2, 3]),
            output_hash=receipts.hash_output([10, -20, 30]),
            nonce=42,
            worker_time_ms=1_700_000_000_000,
            worker_pubkey=bytes(key.verify_key),
            channel_id=5,
            payment_amount="130",
            price="10",
            royalty="3",
        )
        self.assertEqual(receipts.receipt_id(r).hex(), "b7cbec444fc55c0577709de3c908f5b1bb561e5dda3a2fc4f26ec25736c16509")
        r.signature = key.sign(receipts.canonical_bytes(r)).signature
        want = receipts.Expected("pol-local-1", r.provider, bytes(key.verify_key), "digits-64-32-10", 42, [1, -2, 3], 3, (5, 130))
        receipts.check_answer(want, [10, -20, 30], 2, r)
        for tweak in [("price", "11"), ("nonce", 43), ("channel_id", 6)]:
            bad = proto.Receipt()
            bad.CopyFrom(r)
            setattr(bad, *tweak)
            with self.assertRaises(receipts.AnswerError):
                receipts.check_answer(want, [10, -20, 30], 2, bad)
        with self.assertRaises(receipts.AnswerError):
            receipts.check_answer(want, [10, -20, 30], 0, r)  # not the largest logit


class WalletTest(unittest.TestCase):
    def test_payments_count_up_survive_a_restart_and_a_refused_one_comes_back(self) -> None:
        with tempfile.TemporaryDirectory() as home:
            key = Wallet.new_signer()
            w = Wallet(Path(home), "c")
            w.add(4, "pol1p", "m", key, 100)
            a, b = w.pay(4, 10, 3), w.pay(4, 10, 3)
            self.assertEqual((a.amount, a.royalty, b.amount, b.royalty), (13, 3, 26, 6))
            w.retry_later(b)
            w = Wallet(Path(home), "c")
            self.assertEqual(w.pay(4, 10, 3).amount, 26)
            self.assertEqual(w.pay(4, 10, 3).amount, 39)
            with self.assertRaises(Exception):
                w.pay(4, 60, 3)
            self.assertEqual(w.channel_for("pol1p", "m"), 4)
            self.assertEqual((Path(home) / "payments" / "c.json").stat().st_mode & 0o777, 0o600)


def fake_worker(b: int, delay_s: float, behaviour: str, calls: List[int]) -> Candidate:
    key = SigningKey(bytes([b] * 32))
    provider = addresses.format(bytes([b] * 20))

    def infer(request: Any, context: Any) -> Any:
        calls.append(b)
        time.sleep(delay_s)
        if behaviour == "down":
            context.abort(grpc.StatusCode.UNAVAILABLE, "down")
        if behaviour == "refuse":
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "underpaid")
        signer = SigningKey(bytes([99] * 32)) if behaviour == "liar" else key
        r = proto.Receipt(
            chain_id=CHAIN,
            provider=provider,
            model_id=MODEL,
            input_hash=receipts.hash_input([x if x < 128 else x - 256 for x in request.input]),
            output_hash=receipts.hash_output(LOGITS),
            nonce=request.nonce,
            worker_time_ms=1,
            worker_pubkey=bytes(signer.verify_key),
        )
        if request.HasField("payment") and behaviour != "free":
            r.channel_id = request.payment.channel_id
            r.payment_amount = request.payment.amount
        r.signature = signer.sign(receipts.canonical_bytes(r)).signature
        resp = proto.InferResponse(logits=LOGITS, receipt=r)
        setattr(resp, "class", 1)
        return resp

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                "pol.worker.v1.Worker",
                {
                    "Infer": grpc.unary_unary_rpc_method_handler(
                        infer,
                        request_deserializer=proto.InferRequest.FromString,
                        response_serializer=lambda m: m.SerializeToString(),
                    )
                },
            ),
        )
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    SERVERS.append(server)
    return Candidate(provider, f"http://127.0.0.1:{port}", bytes(key.verify_key), 10, b, Consensus(0, 0, 0))


SERVERS: List[Any] = []


def job() -> Job:
    # An attested key: the tests of the setup warning choose their own.
    return Job(CHAIN, MODEL, [1, 2, 3], len(LOGITS), 0, setup=ATTESTED)


def unpaid(*_: Any) -> Optional[SignedPayment]:
    return None


class RequesterTest(unittest.TestCase):
    @classmethod
    def tearDownClass(cls) -> None:
        for s in SERVERS:
            s.stop(0)

    def test_a_slow_first_provider_is_hedged_and_the_first_verified_answer_wins(self) -> None:
        calls: List[int] = []
        slow = fake_worker(1, 0.4, "ok", calls)
        fast = fake_worker(2, 0.0, "ok", calls)
        slow.consensus = Consensus(2_500, 5_000, 0)
        fast.consensus = Consensus(5_000, 10_000, 0)
        r = Requester(Config(timeout_s=2))
        self.assertEqual(r.order([fast, slow])[0].provider, slow.provider)
        a = r.infer(job(), [slow, fast], unpaid, lambda p: None)
        self.assertEqual(a.provider, fast.provider)
        self.assertTrue(a.hedged)
        self.assertLess(a.total_s, 0.3)

    def test_hedges_stay_within_five_percent(self) -> None:
        calls: List[int] = []
        slow = fake_worker(3, 0.015, "ok", calls)
        fast = fake_worker(4, 0.0, "ok", calls)
        slow.consensus = Consensus(500, 1_000, 0)
        fast.consensus = Consensus(25_000, 50_000, 0)
        r = Requester(Config(timeout_s=2, candidates=2))
        for _ in range(60):
            r.infer(job(), [slow, fast], unpaid, lambda p: None)
        self.assertEqual(r.requests, 60)
        self.assertTrue(1 <= r.hedges <= 1 + 60 * 5 // 100, r.hedges)

    def test_failures_and_bad_receipts_hand_over_and_refused_payments_come_back(self) -> None:
        calls: List[int] = []
        down = fake_worker(5, 0.0, "down", calls)
        liar = fake_worker(6, 0.0, "liar", calls)
        refusing = fake_worker(7, 0.0, "refuse", calls)
        good = fake_worker(8, 0.0, "ok", calls)
        for i, c in enumerate([down, liar, refusing, good]):
            c.consensus = Consensus(500, 1_000 * (i + 1), 0)
        returned: List[SignedPayment] = []
        key = SigningKey(bytes([9] * 32))
        total = [0]

        def pay(provider: str, model: str, price: int, royalty: int) -> SignedPayment:
            total[0] += price + royalty
            return SignedPayment.sign(CHAIN, 7, total[0], 0, key)

        r = Requester(Config(timeout_s=2, max_extra_ppm=0, candidates=4))
        a = r.infer(job(), [down, liar, refusing, good], pay, returned.append)
        self.assertEqual(a.provider, good.provider)
        self.assertEqual([p for p, _ in a.failures], [down.provider, liar.provider, refusing.provider])
        self.assertIn("registered", a.failures[1][1])
        # Only the refused request's payment comes back (the worker charged nothing); the
        # receipt commits to the payment that was taken.
        self.assertEqual([p.amount for p in returned], [30])
        self.assertEqual((a.receipt.channel_id, a.receipt.payment_amount), (7, "40"))
        with self.assertRaises(AllFailed) as e:
            Requester(Config(timeout_s=2, retries=1, backoff_s=0.01)).infer(job(), [down], unpaid, lambda p: None)
        self.assertEqual(len(e.exception.failures), 2)

    def test_a_free_request_adds_nothing_to_the_payment_and_wants_a_receipt_naming_none(self) -> None:
        calls: List[int] = []
        free = fake_worker(10, 0.0, "free", calls)
        charging = fake_worker(11, 0.0, "ok", calls)
        key = SigningKey(bytes([9] * 32))
        asked: List[int] = []

        def pay(provider: str, model: str, price: int, royalty: int) -> SignedPayment:
            asked.append(price + royalty)
            return SignedPayment.sign(CHAIN, 7, 40, 0, key)

        returned: List[SignedPayment] = []
        r = Requester(Config(timeout_s=2, max_extra_ppm=0, retries=0, free=True))
        a = r.infer(job(), [free], pay, returned.append)
        self.assertEqual((a.receipt.channel_id, a.receipt.payment_amount), (0, ""))
        self.assertEqual(asked, [0], "a free request pays nothing new")
        # A worker whose receipt names the payment would charge it: refused, and the
        # payment (which added nothing) never comes back to pay with.
        with self.assertRaises(AllFailed) as e:
            r.infer(job(), [charging], pay, returned.append)
        self.assertIn("receipt commits to payment", e.exception.failures[0][1])
        self.assertEqual(returned, [])


if __name__ == "__main__":
    unittest.main()


class Setup(unittest.TestCase):
    def test_only_an_attested_ceremony_goes_without_a_warning_given_once_per_model(self) -> None:
        ceremony = proto.enum_value("pol.inference.v1.SetupKind", "SETUP_KIND_CEREMONY")
        self.assertEqual(proof_setup(ceremony, True), ATTESTED)
        self.assertEqual(proof_setup(ceremony, False), UNATTESTED)
        for kind in (0, proto.enum_value("pol.inference.v1.SetupKind", "SETUP_KIND_INSECURE"), 77):
            self.assertEqual(proof_setup(kind, True), INSECURE)
        calls: List[int] = []
        w = fake_worker(7, 0.0, "ok", calls)
        for setup, warnings_per_call in (
            (INSECURE, [1, 0]),
            (UNATTESTED, [1, 0]),
            (ATTESTED, [0, 0]),
        ):
            r = Requester(Config(timeout_s=2, max_extra_ppm=0))
            for want in warnings_per_call:
                j = job()
                j.setup = setup
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    r.infer(j, [w], unpaid, lambda p: None)
                self.assertEqual(len(caught), want, (setup, [str(c.message) for c in caught]))
                if want:
                    self.assertIn("forge proofs" if setup == INSECURE else "not attested", str(caught[0].message))


class Descriptors(unittest.TestCase):
    def test_the_shipped_descriptors_match_the_repository_protos(self) -> None:
        """descriptors.pb is what gen-descriptors makes from today's .proto files (run it
        after changing a proto). protoc comes with the cargo build scripts/test runs first."""
        import subprocess

        here = Path(__file__).resolve().parent.parent
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "descriptors.pb"
            subprocess.run([str(here / "gen-descriptors"), str(out)], check=True)
            shipped = (here / "pol_requester" / "descriptors.pb").read_bytes()
            self.assertEqual(out.read_bytes(), shipped, "run client/python/gen-descriptors")


class Served(unittest.TestCase):
    def test_a_report_needs_a_paid_receipt_and_carries_the_highest_one(self) -> None:
        log = ServedLog()

        def receipt(channel: int, amount: int) -> Any:
            return proto.Receipt(chain_id=CHAIN, channel_id=channel, payment_amount=str(amount))

        log.failed("p")
        log.failed("p")
        log.answered("p", 0.005, receipt(0, 0))
        self.assertEqual(log.take_reports("r"), [], "nothing paid yet")
        for ms, amount in [(10, 300), (320, 200), (20, 100)]:
            log.answered("p", ms / 1000, receipt(7, amount))
        (r,) = log.take_reports("r")
        self.assertEqual(r.receipt.payment_amount, "300")
        self.assertEqual(r.receipt.channel_id, 7)
        self.assertEqual((r.requests, r.failures), (5, 2), "two failures, three paid answers")
        self.assertEqual((r.p50_us, r.p99_us), (20_000, 320_000))
        self.assertEqual(r.requester, "r")
        self.assertEqual(log.take_reports("r"), [], "cleared")
        for _ in range(3):
            log.failed("p")
        log.answered("p", 90.0, receipt(7, 400))
        (r,) = log.take_reports("r")
        self.assertEqual((r.requests, r.failures, r.p99_us), (2, 1, 60_000_000))
