// cosmjs's distribution query extension and SigningStargateClient.withdrawRewards against a
// running pol node, unchanged client code: read the delegator's rewards (one validator and
// in total), the validator's outstanding rewards, the community pool, the parameters and
// the withdraw address; withdraw the rewards with an explicit fee; read the balance before
// and after. Prints one JSON object.
//
// Usage: node distribution.mjs --rpc http://127.0.0.1:26657 --validator polvaloper1... \
//          [--fee 7500] [--gas 300000]   (mnemonic in POL_MNEMONIC)
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import {
  GasPrice,
  QueryClient,
  SigningStargateClient,
  setupDistributionExtension,
} from "@cosmjs/stargate";
import { Comet38Client } from "@cosmjs/tendermint-rpc";

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

// cosmjs returns LegacyDec amounts of DecCoins as their atomics (18 decimals).
const whole = (atomics) => (BigInt(atomics) / 10n ** 18n).toString();

async function main() {
  const rpc = arg("rpc", "http://127.0.0.1:26657");
  const validator = arg("validator");
  if (!validator) throw new Error("--validator is required");
  const mnemonic = process.env.POL_MNEMONIC;
  if (!mnemonic) throw new Error("POL_MNEMONIC is required");
  const denom = "upol";
  const fee = { amount: [{ denom, amount: arg("fee", "7500") }], gas: arg("gas", "300000") };

  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "pol" });
  const [delegator] = await wallet.getAccounts();
  const comet = await Comet38Client.connect(rpc);
  const q = QueryClient.withExtensions(comet, setupDistributionExtension);

  const rewards = await q.distribution.delegationRewards(delegator.address, validator);
  const total = await q.distribution.delegationTotalRewards(delegator.address);
  const outstanding = await q.distribution.validatorOutstandingRewards(validator);
  const pool = await q.distribution.communityPool();
  const params = await q.distribution.params();
  const withdrawAddress = await q.distribution.delegatorWithdrawAddress(delegator.address);
  const of = (coins) => (coins.find((c) => c.denom === denom) || { amount: "0" }).amount;

  const client = await SigningStargateClient.connectWithSigner(rpc, wallet, {
    gasPrice: GasPrice.fromString("0.025upol"),
  });
  const before = await client.getBalance(delegator.address, denom);
  const result = await client.withdrawRewards(delegator.address, validator, fee, "cosmjs compat");
  const after = await client.getBalance(delegator.address, denom);
  const afterRewards = await q.distribution.delegationRewards(delegator.address, validator);
  client.disconnect();
  comet.disconnect();

  console.log(
    JSON.stringify({
      client: "cosmjs",
      delegator: delegator.address,
      rewardsBefore: whole(of(rewards.rewards)),
      totalValidators: total.rewards.map((r) => r.validatorAddress),
      totalRewards: whole(of(total.total)),
      outstanding: whole(of(outstanding.rewards.rewards)),
      communityPool: whole(of(pool.pool)),
      communityTax: params.params.communityTax,
      withdrawAddressEnabled: params.params.withdrawAddrEnabled,
      withdrawAddress: withdrawAddress.withdrawAddress,
      code: result.code,
      height: Number(result.height),
      events: result.events.map((e) => e.type),
      balanceBefore: before.amount,
      balanceAfter: after.amount,
      fee: fee.amount[0].amount,
      rewardsAfter: whole(of(afterRewards.rewards)),
    }),
  );
  if (result.code !== 0) process.exit(3);
}

main().catch((e) => {
  console.error(`cosmjs distribution compat: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
