// cosmjs's SigningStargateClient.delegateTokens / undelegateTokens against a running pol
// node, unchanged client code (cosmos.staking.v1beta1.MsgDelegate / MsgUndelegate, SIGN_MODE_DIRECT).
// Prints one JSON object: the tx's code, height and event types, and the balance before and
// after.
//
// Usage: node staking.mjs --rpc http://127.0.0.1:26657 --validator polvaloper1... \
//          --action delegate|undelegate --amount 1000000   (mnemonic in POL_MNEMONIC)
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, SigningStargateClient } from "@cosmjs/stargate";

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
    }),
  );
}

main().catch((e) => {
  console.error(`cosmjs staking compat: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
