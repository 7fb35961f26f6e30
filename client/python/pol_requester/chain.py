"""What the requester reads from and sends to a pol node: the chain's route and model over
pold's gRPC API, and, with cosmpy (``pip install 'pol-requester[chain]'``), the
transactions that open, fund and close a payment channel, signed like any Cosmos tx."""

from __future__ import annotations

import json
from typing import Any, List, Optional, Tuple

import grpc

from . import proto
from .payments import Wallet
from .requester import Candidate, Consensus, proof_setup


def _target(addr: str) -> str:
    for scheme in ("http://", "https://", "grpc+http://"):
        if addr.startswith(scheme):
            return addr[len(scheme):]
    return addr


class Chain:
    """pold's gRPC API at ``addr`` (``127.0.0.1:9090``)."""

    def __init__(self, addr: str) -> None:
        self.addr = _target(addr)
        self.channel = grpc.insecure_channel(self.addr)

    def _query(self, method: str, request: Any, response: Any) -> Any:
        call = self.channel.unary_unary(
            method, request_serializer=lambda m: m.SerializeToString(), response_deserializer=response.FromString
        )
        return call(request, timeout=10)

    def route(self, model: str) -> List[Candidate]:
        """The chain's ranked providers of ``model``."""
        r = self._query("/pol.latency.v1.Query/Route", proto.QueryRouteRequest(model_id=model), proto.QueryRouteResponse)
        return [
            Candidate(
                provider=e.provider,
                endpoint=e.endpoint,
                receipt_pubkey=bytes(e.receipt_pubkey),
                price=int(e.price_per_inference or 0),
                rank=e.rank,
                consensus=Consensus(e.p50_us, e.p99_us, e.failure_rate_ppm),
                setup=proof_setup(e.setup_kind, e.setup_attested),
            )
            for e in r.entries
        ]

    def model_shape(self, model: str) -> Tuple[int, int, int]:
        """Input width, output width and royalty of a registered model."""
        m = self._query("/pol.inference.v1.Query/Model", proto.QueryModelRequest(id=model), proto.QueryModelResponse).model
        a = self._query(
            "/pol.inference.v1.Query/Architecture",
            proto.QueryArchitectureRequest(id=m.architecture_id),
            proto.QueryArchitectureResponse,
        ).architecture
        return a.layers[0].input, a.layers[-1].output, int(m.price_per_inference or 0)

    def height(self) -> int:
        """The last committed height (payments queries say which height they read)."""
        request = proto.QueryChannelsRequest()
        request.pagination.limit = 1
        return int(self._query("/pol.payments.v1.Query/Channels", request, proto.QueryChannelsResponse).height)

    def channel_state(self, channel_id: int) -> Optional[Any]:
        try:
            return self._query(
                "/pol.payments.v1.Query/Channel", proto.QueryChannelRequest(channel_id=channel_id), proto.QueryChannelResponse
            ).channel
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise

    def _broadcast(self, chain_id: str, private_key_hex: str, msgs: List[Any], gas_price: float, what: str) -> Any:
        """Sign ``msgs`` from the account of ``private_key_hex`` (secp256k1) with cosmpy,
        broadcast, wait for the block; returns the result (raises if the tx failed)."""
        from cosmpy.aerial.client import LedgerClient, NetworkConfig
        from cosmpy.aerial.client.utils import prepare_and_broadcast_basic_transaction
        from cosmpy.aerial.tx import Transaction
        from cosmpy.aerial.wallet import LocalWallet
        from cosmpy.crypto.keypairs import PrivateKey

        client = LedgerClient(
            NetworkConfig(
                chain_id=chain_id,
                url=f"grpc+http://{self.addr}",
                fee_minimum_gas_price=gas_price,
                fee_denomination="upol",
                staking_denomination="upol",
            )
        )
        account = LocalWallet(PrivateKey(bytes.fromhex(private_key_hex)), prefix="pol")
        tx = Transaction()
        for m in msgs:
            tx.add_message(m)
        submitted = prepare_and_broadcast_basic_transaction(client, tx, account)
        submitted.wait_to_complete()
        resp = submitted.response
        if resp is None or resp.code != 0:
            raise RuntimeError(f"{what} failed: {resp.raw_log if resp else 'no result'}")
        return resp

    @staticmethod
    def account_address(private_key_hex: str) -> str:
        """The bech32 account of a secp256k1 key."""
        from cosmpy.aerial.wallet import LocalWallet
        from cosmpy.crypto.keypairs import PrivateKey

        return str(LocalWallet(PrivateKey(bytes.fromhex(private_key_hex)), prefix="pol").address())

    def open_channel(
        self,
        wallet: Wallet,
        private_key_hex: str,
        provider: str,
        model: str,
        deposit: int,
        blocks: int,
        gas_price: float = 0.025,
    ) -> int:
        """Open a channel from the account of ``private_key_hex`` (secp256k1) and remember
        its new signer key in ``wallet``; returns the channel id."""
        key = Wallet.new_signer()
        height = self.height()
        msg = proto.MsgOpenChannel(
            requester=self.account_address(private_key_hex),
            provider=provider,
            model_id=model,
            signer=bytes(key.verify_key),
            expiry_height=height + blocks,
        )
        msg.deposit.denom, msg.deposit.amount = "upol", str(deposit)
        resp = self._broadcast(wallet.chain_id, private_key_hex, [msg], gas_price, "opening a channel")
        opened = resp.events.get("pol.payments.v1.EventChannelOpened", {})
        channel_id = int(json.loads(opened["channel_id"]))
        wallet.add(channel_id, provider, model, key, deposit)
        return channel_id

    def report_served(self, chain_id: str, private_key_hex: str, reports: List[Any], gas_price: float = 0.025) -> None:
        """Send ``Requester.take_served_reports`` from the paying account (one tx)."""
        if reports:
            self._broadcast(chain_id, private_key_hex, reports, gas_price, "reporting served latency")

    def served(self, provider: str) -> Any:
        """What paying requesters reported of ``provider`` (``Query/Served``)."""
        return self._query(
            "/pol.latency.v1.Query/Served", proto.QueryServedRequest(provider=provider), proto.QueryServedResponse
        )
