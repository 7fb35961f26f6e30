// cosmjs's gov support against a running pol node, unchanged client code: a legacy
// (cosmos.gov.v1beta1) TextProposal submitted and voted on with SigningStargateClient
// (SIGN_MODE_DIRECT), then read back through the QueryClient gov extension: proposals by
// status, the proposal, its deposits, votes and tally, and the three kinds of params.
// Prints one JSON object.
//
// cosmjs-types comes with @cosmjs/stargate (its gov messages are built on it).
//
// Usage: node gov.mjs --rpc http://127.0.0.1:26657 --deposit 10000000   (mnemonic in POL_MNEMONIC)
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, QueryClient, SigningStargateClient, setupGovExtension } from "@cosmjs/stargate";
import { Comet38Client } from "@cosmjs/tendermint-rpc";
import { ProposalStatus, TextProposal, VoteOption } from "cosmjs-types/cosmos/gov/v1beta1/gov";

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

const ascii = (bytes) => new TextDecoder().decode(bytes);

async function main() {
  const rpc = arg("rpc", "http://127.0.0.1:26657");
  const deposit = arg("deposit", "10000000");
  const mnemonic = process.env.POL_MNEMONIC;
  if (!mnemonic) throw new Error("POL_MNEMONIC is required");
  const fee = { amount: [{ denom: "upol", amount: "10000" }], gas: "400000" };
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "pol" });
  const [me] = await wallet.getAccounts();
  const client = await SigningStargateClient.connectWithSigner(rpc, wallet, {
    gasPrice: GasPrice.fromString("0.025upol"),
  });

  const content = {
    typeUrl: "/cosmos.gov.v1beta1.TextProposal",
    value: TextProposal.encode(
      TextProposal.fromPartial({ title: "cosmjs signal", description: "Proposed by cosmjs" }),
    ).finish(),
  };
  const submitted = await client.signAndBroadcast(
    me.address,
    [
      {
        typeUrl: "/cosmos.gov.v1beta1.MsgSubmitProposal",
        value: { content, initialDeposit: [{ denom: "upol", amount: deposit }], proposer: me.address },
      },
    ],
    fee,
    "cosmjs gov compat",
  );
  if (submitted.code !== 0) throw new Error(`submit: ${submitted.rawLog}`);
  const attr = submitted.events
    .filter((e) => e.type === "submit_proposal")
    .flatMap((e) => e.attributes)
    .find((a) => a.key === "proposal_id");
  const id = attr.value;
  const voted = await client.signAndBroadcast(
    me.address,
    [
      {
        typeUrl: "/cosmos.gov.v1beta1.MsgVote",
        value: { proposalId: BigInt(id), voter: me.address, option: VoteOption.VOTE_OPTION_YES },
      },
    ],
    fee,
    "cosmjs gov compat",
  );
  client.disconnect();

  const comet = await Comet38Client.connect(rpc);
  const q = QueryClient.withExtensions(comet, setupGovExtension);
  const { proposals } = await q.gov.proposals(ProposalStatus.PROPOSAL_STATUS_VOTING_PERIOD, "", "");
  const { proposal } = await q.gov.proposal(id);
  const { deposits } = await q.gov.deposits(id);
  const { votes } = await q.gov.votes(id);
  const { vote } = await q.gov.vote(id, me.address);
  const { tally } = await q.gov.tally(id);
  const { tallyParams } = await q.gov.params("tallying");
  const { votingParams } = await q.gov.params("voting");
  const { depositParams } = await q.gov.params("deposit");
  comet.disconnect();
  const text = TextProposal.decode(proposal.content.value);
  console.log(
    JSON.stringify({
      client: "cosmjs",
      voter: me.address,
      proposalId: id,
      submitCode: submitted.code,
      voteCode: voted.code,
      votingIds: proposals.map((p) => String(p.proposalId)),
      status: proposal.status,
      contentType: proposal.content.typeUrl,
      title: text.title,
      description: text.description,
      totalDeposit: proposal.totalDeposit.map((c) => `${c.amount}${c.denom}`),
      deposits: deposits.map((d) => ({ depositor: d.depositor, amount: d.amount[0].amount })),
      votes: votes.map((v) => ({ voter: v.voter, option: v.options[0].option, weight: v.options[0].weight })),
      vote: { option: vote.options[0].option, weight: vote.options[0].weight },
      tallyYes: tally.yes,
      quorum: ascii(tallyParams.quorum),
      threshold: ascii(tallyParams.threshold),
      votingPeriodSeconds: String(votingParams.votingPeriod.seconds),
      minDeposit: depositParams.minDeposit.map((c) => `${c.amount}${c.denom}`),
    }),
  );
}

main().catch((e) => {
  console.error(`cosmjs gov compat: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
