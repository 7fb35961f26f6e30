// cosmjs's SigningStargateClient.delegateTokens / undelegateTokens against a running pol
// node, unchanged client code (cosmos.staking.v1beta1.MsgDelegate / MsgUndelegate, SIGN_MODE_DIRECT),
// then the QueryClient staking extension (cosmos.staking.v1beta1.Query) on what the tx left:
// the delegation, the validator, the bonded set, the delegator's unbondings, the pool and the
// params. Prints one JSON object: the tx's code, height and event types, the balance before
// and after, and what the queries read.
//
// Usage: node staking.mjs --rpc http://127.0.0.1:26657 --validator polvaloper1... \
//          --action delegate|undelegate --amount 1000000   (mnemonic in POL_MNEMONIC)
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import {
  GasPrice,
  QueryClient,
  SigningStargateClient,
  setupStakingExtension,
} from "@cosmjs/stargate";
import { Comet38Client } from "@cosmjs/tendermint-rpc";

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

async function main() {
  const rpc = arg("rpc", "http://127.0.0.1:26657");
  const validator = arg("validator");
  const action = arg("action", "delegate");
  const amount = { denom: "upol", amount: arg("amount", "1000000") };
  const mnemonic = process.env.POL_MNEMONIC;
  if (!validator || !mnemonic) throw new Error("--validator and POL_MNEMONIC are required");
  const fee = { amount: [{ denom: "upol", amount: "10000" }], gas: "400000" };

  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "pol" });
  const [delegator] = await wallet.getAccounts();
  const client = await SigningStargateClient.connectWithSigner(rpc, wallet, {
    gasPrice: GasPrice.fromString("0.025upol"),
  });
  const before = await client.getBalance(delegator.address, "upol");
  const result =
    action === "undelegate"
      ? await client.undelegateTokens(delegator.address, validator, amount, fee, "cosmjs compat")
      : await client.delegateTokens(delegator.address, validator, amount, fee, "cosmjs compat");
  const after = await client.getBalance(delegator.address, "upol");
  client.disconnect();

  const comet = await Comet38Client.connect(rpc);
  const q = QueryClient.withExtensions(comet, setupStakingExtension);
  const delegation = (await q.staking.delegation(delegator.address, validator)).delegationResponse;
  const val = (await q.staking.validator(validator)).validator;
  const bonded = (await q.staking.validators("BOND_STATUS_BONDED")).validators;
  const mine = (await q.staking.delegatorDelegations(delegator.address)).delegationResponses;
  const unbonding = (await q.staking.delegatorUnbondingDelegations(delegator.address))
    .unbondingResponses;
  const pool = (await q.staking.pool()).pool;
  const params = (await q.staking.params()).params;
  comet.disconnect();
  console.log(
    JSON.stringify({
      client: "cosmjs",
      action,
      code: result.code,
      height: result.height,
      events: result.events.map((e) => e.type),
      fee: fee.amount[0].amount,
      balanceBefore: before.amount,
      balanceAfter: after.amount,
      delegationBalance: delegation.balance.amount,
      delegationShares: delegation.delegation.shares,
      validatorTokens: val.tokens,
      validatorShares: val.delegatorShares,
      validatorStatus: val.status,
      validatorKeyType: val.consensusPubkey.typeUrl,
      bonded: bonded.map((v) => v.operatorAddress),
      delegations: mine.map((d) => d.delegation.validatorAddress),
      unbondings: unbonding.map((u) => ({
        validator: u.validatorAddress,
        balances: u.entries.map((e) => e.balance),
      })),
      bondedTokens: pool.bondedTokens,
      bondDenom: params.bondDenom,
      maxValidators: params.maxValidators,
    }),
  );
}

main().catch((e) => {
  console.error(`cosmjs staking compat: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
