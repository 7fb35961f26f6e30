//! The modules' own verbs, `pold tx <module> …` and `pold query <module> …`, from one list.
//!
//! A module that has verbs of its own declares them once, in its file here, as a
//! [`ModuleCli`] (a clap subcommand enum and its handler for each side), and adds one line
//! to [`MODULE_CLIS`]; `pold tx` and `pold query` list them in that order, which is the
//! app's module order. Every module, with verbs or not, is also reached by `pold tx call`
//! and `pold query call`, which read its messages and queries from the descriptors it
//! registers with the app: a new module needs nothing here to be usable from the command
//! line.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use clap::{ArgMatches, Command, FromArgMatches, Subcommand};

/// A running verb.
pub type Running<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + 'a>>;

/// One side (tx or query) of a module's verbs: a clap subcommand enum, read back from the
/// matches and handed to its handler.
pub struct Verbs {
    /// The `pold tx|query <module>` line of help.
    pub about: &'static str,
    /// Adds the enum's subcommands (`<Enum as Subcommand>::augment_subcommands`).
    pub augment: fn(Command) -> Command,
    /// Parses the module's matches into the enum and runs it, with the node home.
    pub run: for<'a> fn(&'a Path, &'a ArgMatches) -> Running<'a>,
}

/// `verbs!("about", Enum, handler)` for a handler `async fn(&Path, Enum)`, or
/// `verbs!("about", Enum, query handler)` for one `async fn(Enum)` that needs no home.
macro_rules! verbs {
    ($about:expr, $cmd:ty, $handler:path) => {
        $crate::cli::module_cli::Verbs {
            about: $about,
            augment: <$cmd as clap::Subcommand>::augment_subcommands,
            run: |home, matches| {
                Box::pin(async move {
                    $handler(
                        home,
                        <$cmd as clap::FromArgMatches>::from_arg_matches(matches)?,
                    )
                    .await
                })
            },
        }
    };
    ($about:expr, $cmd:ty, query $handler:path) => {
        $crate::cli::module_cli::Verbs {
            about: $about,
            augment: <$cmd as clap::Subcommand>::augment_subcommands,
            run: |_home, matches| {
                Box::pin(async move {
                    $handler(<$cmd as clap::FromArgMatches>::from_arg_matches(matches)?).await
                })
            },
        }
    };
}
pub(crate) use verbs;

/// A module's verbs: its name (`Module::name`, the subcommand) and what it has on each side.
pub struct ModuleCli {
    pub module: &'static str,
    pub tx: Option<Verbs>,
    pub query: Option<Verbs>,
}

/// Every module's verbs, in the app's module order (`pol_app::modules::MODULES`; a test
/// holds them to it).
pub static MODULE_CLIS: &[&ModuleCli] = &[
    &super::query::AUTH_CLI,
    &super::tx::BANK_CLI,
    &super::distribution::MINT_CLI,
    &super::inference::CLI,
    &super::payments::CLI,
    &super::pol::LATENCY_CLI,
    &super::pol::SLA_CLI,
    &super::pol::REPUTATION_CLI,
    &super::staking::CLI,
    &super::distribution::CLI,
    &super::slashing::CLI,
    &super::gov::CLI,
];

/// Which side of the verbs a [`ModuleVerbs`] is.
pub const TX: bool = true;
pub const QUERY: bool = false;

fn side(cli: &ModuleCli, tx: bool) -> Option<&Verbs> {
    if tx {
        cli.tx.as_ref()
    } else {
        cli.query.as_ref()
    }
}

fn find(name: &str, tx: bool) -> Option<&'static Verbs> {
    MODULE_CLIS
        .iter()
        .filter(|c| c.module == name)
        .find_map(|c| side(c, tx))
}

/// `pold tx <module> …` (`ModuleVerbs<TX>`) or `pold query <module> …`
/// (`ModuleVerbs<QUERY>`): flattened into the tx and query commands, one subcommand per
/// module of [`MODULE_CLIS`] with verbs on that side.
pub struct ModuleVerbs<const IS_TX: bool> {
    verbs: &'static Verbs,
    matches: ArgMatches,
}

impl<const IS_TX: bool> ModuleVerbs<IS_TX> {
    pub async fn run(&self, home: &Path) -> anyhow::Result<()> {
        (self.verbs.run)(home, &self.matches).await
    }
}

impl<const IS_TX: bool> FromArgMatches for ModuleVerbs<IS_TX> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let (name, sub) = matches
            .subcommand()
            .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::MissingSubcommand))?;
        let verbs = find(name, IS_TX)
            .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidSubcommand))?;
        Ok(ModuleVerbs {
            verbs,
            matches: sub.clone(),
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl<const IS_TX: bool> Subcommand for ModuleVerbs<IS_TX> {
    fn augment_subcommands(cmd: Command) -> Command {
        MODULE_CLIS
            .iter()
            .fold(cmd, |cmd, cli| match side(cli, IS_TX) {
                Some(verbs) => cmd.subcommand((verbs.augment)(
                    Command::new(cli.module)
                        .about(verbs.about)
                        .subcommand_required(true)
                        .arg_required_else_help(true),
                )),
                None => cmd,
            })
    }

    fn augment_subcommands_for_update(cmd: Command) -> Command {
        Self::augment_subcommands(cmd)
    }

    fn has_subcommand(name: &str) -> bool {
        find(name, IS_TX).is_some()
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn module_verbs_follow_the_apps_module_list_in_its_order() {
        let order: Vec<&str> = pol_app::modules::MODULES.iter().map(|m| m.name()).collect();
        let mut last = None;
        for cli in MODULE_CLIS {
            let at = order.iter().position(|m| *m == cli.module);
            assert!(at.is_some(), "{}: not a module of the app", cli.module);
            assert!(
                at > last,
                "{} is out of the module order {order:?}",
                cli.module
            );
            assert!(
                cli.tx.is_some() || cli.query.is_some(),
                "{}: no verbs",
                cli.module
            );
            last = at;
        }
    }

    #[test]
    fn every_modules_verbs_parse_and_reach_their_own_handler() {
        for cli in MODULE_CLIS {
            for (side_name, is_tx) in [("tx", true), ("query", false)] {
                let Some(verbs) = side(cli, is_tx) else {
                    continue;
                };
                let parsed = super::super::Cli::try_parse_from(["pold", side_name, cli.module]);
                // Without a verb, clap asks for one rather than running anything.
                assert!(parsed.is_err(), "pold {side_name} {}", cli.module);
                let found = find(cli.module, is_tx).expect("found");
                assert!(
                    std::ptr::eq(found, verbs),
                    "pold {side_name} {}",
                    cli.module
                );
            }
        }
        // A verb parses into the module's own enum.
        let cli = super::super::Cli::try_parse_from([
            "pold",
            "query",
            "staking",
            "validators",
            "--status",
            "bonded",
        ])
        .expect("pold query staking validators");
        let super::super::Command::Query(super::super::query::QueryCommand::Module(verbs)) =
            cli.command
        else {
            panic!("not a module's verbs");
        };
        assert!(std::ptr::eq(verbs.verbs, find("staking", false).unwrap()));
        assert!(super::super::Cli::try_parse_from(["pold", "query", "nosuchmodule", "x"]).is_err());
        assert!(super::super::Cli::try_parse_from(["pold", "tx", "mint", "x"]).is_err());
    }
}
