"""pol-requester: a pol requester in Python. Route a model to the providers the chain ranks,
pay each request through a ``pol.payments.v1`` channel, hedge and retry, and verify every
answer and receipt. See ``python -m pol_requester --help``."""

from .chain import Chain
from .payments import SignedPayment, Wallet
from .receipts import AnswerError, Expected, check_answer
from .requester import AllFailed, Answer, Candidate, Config, Consensus, Job, Requester

__all__ = [
    "AllFailed",
    "Answer",
    "AnswerError",
    "Candidate",
    "Chain",
    "Config",
    "Consensus",
    "Expected",
    "Job",
    "Requester",
    "SignedPayment",
    "Wallet",
    "check_answer",
]
