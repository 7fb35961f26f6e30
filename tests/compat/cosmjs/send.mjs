// cosmjs against a running pol node, with nothing pol-specific but the chain's parameters:
// connect a SigningStargateClient with a DirectSecp256k1HdWallet (prefix "pol"), read the
// sender's account and balance and the chain-id, send tokens with an explicit upol fee,
// and check that the recipient's balance moved; then send again with fee "auto" (cosmjs
// simulates over abci_query and pays gas × 1.4 at --gas-price). Prints one JSON object.
//
// Usage: node send.mjs --rpc http://127.0.0.1:26657 --mnemonic "<24 words>" \
//          --to pol1... [--amount 12345] [--fee 5000] [--gas 200000] [--chain-id pol-local-1]
//          [--gas-price 0.025upol] [--auto-amount 1]
// The mnemonic may also come from the POL_MNEMONIC environment variable.
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, SigningStargateClient } from "@cosmjs/stargate";

function args(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf("=");
    if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
    else out[a.slice(2)] = argv[++i];
  }
  return out;
}

async function main() {
  const opts = args(process.argv.slice(2));
  const rpc = opts.rpc ?? "http://127.0.0.1:26657";
  const mnemonic = opts.mnemonic ?? process.env.POL_MNEMONIC;
  if (!mnemonic) throw new Error("--mnemonic (or POL_MNEMONIC) is required");
  if (!opts.to) throw new Error("--to is required");
  const denom = "upol";
  const amount = String(opts.amount ?? "12345");
  const fee = { amount: [{ denom, amount: String(opts.fee ?? "5000") }], gas: String(opts.gas ?? "200000") };

  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "pol" });
  const [sender] = await wallet.getAccounts();
  const gasPrice = GasPrice.fromString(opts["gas-price"] ?? "0.025upol");
  const client = await SigningStargateClient.connectWithSigner(rpc, wallet, { gasPrice });

  const chainId = await client.getChainId();
  if (opts["chain-id"] && opts["chain-id"] !== chainId) {
    throw new Error(`chain-id ${chainId} is not the expected ${opts["chain-id"]}`);
  }
  const account = await client.getAccount(sender.address);
  if (!account) throw new Error(`account ${sender.address} not found`);
  const senderBefore = await client.getBalance(sender.address, denom);
  const recipientBefore = await client.getBalance(opts.to, denom);

  const result = await client.sendTokens(sender.address, opts.to, [{ denom, amount }], fee, "cosmjs compat");
  if (result.code !== 0) throw new Error(`sendTokens failed with code ${result.code}: ${result.rawLog}`);

  const recipientAfter = await client.getBalance(opts.to, denom);
  const senderAfter = await client.getBalance(sender.address, denom);
  const accountAfter = await client.getAccount(sender.address);
  const tx = await client.getTx(result.transactionHash);

  // Fee "auto": gas from a simulation of the tx, fee from the gas price.
  const autoAmount = String(opts["auto-amount"] ?? "1");
  const simulated = await client.simulate(sender.address, [
    { typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: { fromAddress: sender.address, toAddress: opts.to, amount: [{ denom, amount: autoAmount }] } },
  ], "");
  const auto = await client.sendTokens(sender.address, opts.to, [{ denom, amount: autoAmount }], "auto");
  if (auto.code !== 0) throw new Error(`sendTokens with fee auto failed with code ${auto.code}: ${auto.rawLog}`);
  const recipientFinal = await client.getBalance(opts.to, denom);
  const height = await client.getHeight();
  client.disconnect();

  const delta = BigInt(recipientAfter.amount) - BigInt(recipientBefore.amount);
  console.log(
    JSON.stringify({
      client: "cosmjs",
      chainId,
      height: Number(height),
      sender: sender.address,
      account: {
        address: account.address,
        accountNumber: String(account.accountNumber),
        sequence: Number(account.sequence),
        pubkey: account.pubkey ? account.pubkey.type : null,
      },
      sequenceAfter: accountAfter ? Number(accountAfter.sequence) : null,
      senderBefore: senderBefore.amount,
      senderAfter: senderAfter.amount,
      recipient: opts.to,
      recipientBefore: recipientBefore.amount,
      recipientAfter: recipientAfter.amount,
      sent: amount,
      fee: fee.amount[0].amount,
      txhash: result.transactionHash,
      txHeight: Number(result.height),
      code: result.code,
      gasUsed: String(result.gasUsed),
      gasWanted: String(result.gasWanted),
      events: result.events.map((e) => e.type),
      foundTx: tx ? { height: Number(tx.height), code: tx.code } : null,
      recipientDelta: delta.toString(),
      auto: {
        simulatedGas: String(simulated),
        code: auto.code,
        gasWanted: String(auto.gasWanted),
        gasUsed: String(auto.gasUsed),
        sent: autoAmount,
        recipientFinal: recipientFinal.amount,
      },
      ok: delta === BigInt(amount),
    }),
  );
  if (delta !== BigInt(amount)) process.exit(3);
}

main().catch((e) => {
  console.error(`cosmjs compat: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
