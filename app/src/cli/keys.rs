//! `pold keys add|list|show|export`.

use std::io::Read;
use std::path::Path;

use pol_client::keyring::Keyring;
use serde_json::json;

#[derive(clap::Subcommand)]
pub enum KeysCommand {
    /// Create a key (prints its mnemonic once), or recover one with --recover.
    Add {
        name: String,
        /// Read a BIP39 mnemonic from standard input instead of generating one.
        #[arg(long)]
        recover: bool,
    },
    /// List keys.
    List,
    /// Show a key's address and public key.
    Show {
        name: String,
        /// Print only the address.
        #[arg(long, short = 'a')]
        address: bool,
    },
    /// Print a key's secret (hex) and mnemonic. Anyone who sees it controls the account.
    Export {
        name: String,
        #[arg(long)]
        unsafe_export: bool,
    },
}

pub fn run(home: &Path, cmd: KeysCommand) -> anyhow::Result<()> {
    let kr = Keyring::open(home);
    match cmd {
        KeysCommand::Add { name, recover } => {
            let words = if recover {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                Some(s)
            } else {
                None
            };
            let k = kr.add(&name, words.as_deref())?;
            let mut out =
                json!({"name": k.name, "type": "local", "address": k.address, "pubkey": k.pubkey});
            if !recover {
                out["mnemonic"] = json!(k.mnemonic);
            }
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        KeysCommand::List => {
            let list: Vec<_> = kr
                .list()?
                .into_iter()
                .map(|k| json!({"name": k.name, "address": k.address, "pubkey": k.pubkey}))
                .collect();
            println!("{}", serde_json::to_string_pretty(&list)?);
        }
        KeysCommand::Show { name, address } => {
            let k = kr.find(&name)?;
            if address {
                println!("{}", k.address);
            } else {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &json!({"name": k.name, "address": k.address, "pubkey": k.pubkey})
                    )?
                );
            }
        }
        KeysCommand::Export {
            name,
            unsafe_export,
        } => {
            if !unsafe_export {
                anyhow::bail!(
                    "exporting prints the secret key; pass --unsafe-export if you mean it"
                );
            }
            let k = kr.find(&name)?;
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &json!({"name": k.name, "address": k.address, "secret_hex": k.secret, "mnemonic": k.mnemonic})
                )?
            );
        }
    }
    Ok(())
}
