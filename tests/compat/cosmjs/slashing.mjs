// cosmjs's slashing query extension against a running pol node, unchanged client code:
// the parameters (LegacyDec atomics in bytes fields, a Duration), every validator's
// signing info, and one by its consensus address. Prints one JSON object.
//
// Usage: node slashing.mjs --rpc http://127.0.0.1:26657
import { QueryClient, setupSlashingExtension } from "@cosmjs/stargate";
import { Comet38Client } from "@cosmjs/tendermint-rpc";

const ascii = (bytes) => new TextDecoder().decode(bytes);
const info = (i) => ({
  address: i.address,
  startHeight: String(i.startHeight),
  indexOffset: String(i.indexOffset),
  jailedUntilSeconds: String(i.jailedUntil ? i.jailedUntil.seconds : "none"),
  tombstoned: i.tombstoned,
  missedBlocksCounter: String(i.missedBlocksCounter),
});

async function main() {
  const i = process.argv.indexOf("--rpc");
  const rpc = i > 0 ? process.argv[i + 1] : "http://127.0.0.1:26657";
  const comet = await Comet38Client.connect(rpc);
  const client = QueryClient.withExtensions(comet, setupSlashingExtension);
  const { params } = await client.slashing.params();
  const { info: all } = await client.slashing.signingInfos();
  const one = await client.slashing.signingInfo(all[0].address);
  comet.disconnect();
  console.log(
    JSON.stringify({
      client: "cosmjs",
      params: {
        signedBlocksWindow: String(params.signedBlocksWindow),
        minSignedPerWindow: ascii(params.minSignedPerWindow),
        downtimeJailDurationSeconds: String(params.downtimeJailDuration.seconds),
        slashFractionDoubleSign: ascii(params.slashFractionDoubleSign),
        slashFractionDowntime: ascii(params.slashFractionDowntime),
      },
      signingInfos: all.map(info),
      signingInfo: info(one.valSigningInfo),
    }),
  );
}

main().catch((e) => {
  console.error(`cosmjs slashing compat: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
