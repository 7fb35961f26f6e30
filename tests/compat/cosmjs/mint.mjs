// cosmjs's mint and bank query extensions against a running pol node, unchanged client
// code: read the inflation, the annual provisions and the mint parameters as cosmjs decodes
// them (LegacyDec atomics → Decimal), and the upol supply. Prints one JSON object with the
// CometBFT heights seen before and after the queries.
//
// Usage: node mint.mjs --rpc http://127.0.0.1:26657
// (@cosmjs/tendermint-rpc is @cosmjs/stargate's own dependency, at the same 0.39.0.)
import { QueryClient, setupBankExtension, setupMintExtension } from "@cosmjs/stargate";
import { Comet38Client } from "@cosmjs/tendermint-rpc";

async function main() {
  const i = process.argv.indexOf("--rpc");
  const rpc = i > 0 ? process.argv[i + 1] : "http://127.0.0.1:26657";
  const comet = await Comet38Client.connect(rpc);
  const client = QueryClient.withExtensions(comet, setupMintExtension, setupBankExtension);
  const before = (await comet.status()).syncInfo.latestBlockHeight;
  const inflation = await client.mint.inflation();
  const annualProvisions = await client.mint.annualProvisions();
  const params = await client.mint.params();
  const supply = await client.bank.supplyOf("upol");
  const after = (await comet.status()).syncInfo.latestBlockHeight;
  comet.disconnect();
  console.log(
    JSON.stringify({
      client: "cosmjs",
      before: Number(before),
      after: Number(after),
      inflation: inflation.toString(),
      annualProvisions: annualProvisions.toString(),
      params: {
        mintDenom: params.mintDenom,
        blocksPerYear: String(params.blocksPerYear),
        goalBonded: params.goalBonded.toString(),
        inflationMin: params.inflationMin.toString(),
        inflationMax: params.inflationMax.toString(),
        inflationRateChange: params.inflationRateChange.toString(),
      },
      supply: supply.amount,
    }),
  );
}

main().catch((e) => {
  console.error(`cosmjs mint compat: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
