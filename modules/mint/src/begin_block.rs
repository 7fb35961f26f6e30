//! Every block, before its transactions: move the inflation rate one block toward the
//! bonded-ratio goal, recompute the annual provisions on the staking token's supply, and
//! mint one block's share into the fee collector, where distribution pays it out with the
//! fees. The SDK's `x/mint` BeginBlocker, step for step.

use pol_bank::{BankRead, BankWrite};
use pol_component::coins::Coin;
use pol_component::{Address, BlockContext, Event, TxError};
use pol_staking::StakingRead;
use pol_store::StateWrite;

use crate::minter::bonded_ratio;
use crate::{MintRead, MintWrite};

fn dec_error(e: pol_component::dec::DecError) -> TxError {
    TxError::INTERNAL(format!("mint arithmetic: {e}"))
}

/// Mint this block's provision; returns the SDK's `mint` event.
pub fn begin_block<S: StateWrite + ?Sized>(
    state: &mut S,
    _ctx: &BlockContext,
) -> Result<Vec<Event>, TxError> {
    let params = state.mint_params()?;
    let mut minter = state.minter()?;
    let bond_denom = state.staking_params()?.bond_denom;
    let supply = state.supply_of(&bond_denom)?;
    let ratio = bonded_ratio(state.bonded_tokens()?, supply).map_err(dec_error)?;

    minter.inflation = minter
        .next_inflation_rate(&params, &ratio)
        .map_err(dec_error)?;
    minter.annual_provisions = minter.next_annual_provisions(supply).map_err(dec_error)?;
    state.put_minter(&minter);

    let amount = minter.block_provision(&params).map_err(dec_error)?;
    if amount > 0 {
        let coins = [Coin::new(params.mint_denom.clone(), amount)];
        state.mint(&Address::module(pol_auth::FEE_COLLECTOR), &coins)?;
    }
    Ok(vec![Event::new("mint")
        .attr("bonded_ratio", ratio.to_string())
        .attr("inflation", minter.inflation.to_string())
        .attr("annual_provisions", minter.annual_provisions.to_string())
        .attr("amount", amount.to_string())])
}

#[cfg(test)]
mod tests {
    use super::*;
    use pol_bank::BankWrite;
    use pol_component::{Dec, ModuleGenesis};
    use pol_staking::types::{BondStatus, Validator};
    use pol_staking::StakingWrite;
    use pol_store::{MemState, StateDelta};

    const SUPPLY: u128 = 1_000_000_000_000;

    /// A chain with `SUPPLY` upol, of which `bonded` sit with one BONDED validator.
    fn chain(bonded: u128) -> StateDelta<MemState> {
        let mut state = StateDelta::new(MemState::default());
        state.put_staking_params(&pol_staking::params::Params::default());
        crate::GenesisState::default()
            .init(&mut state, &BlockContext::default())
            .unwrap();
        let holder = Address([7; 20]);
        state.mint(&holder, &[Coin::new("upol", SUPPLY)]).unwrap();
        if bonded > 0 {
            state
                .put_validator(&Validator {
                    operator: Address([1; 20]),
                    consensus_pubkey: [2; 32],
                    moniker: "v".into(),
                    commission_bps: 0,
                    tokens: bonded,
                    delegator_shares: bonded,
                    jailed: false,
                    jailed_until_height: 0,
                    status: BondStatus::Bonded,
                    unbonding_height: 0,
                    unbonding_completion_height: 0,
                    details: None,
                })
                .unwrap();
        }
        state
    }

    fn fee_collector() -> Address {
        Address::module(pol_auth::FEE_COLLECTOR)
    }

    #[test]
    fn mints_one_blocks_provision_into_the_fee_collector() {
        let mut state = chain(0);
        let events = begin_block(&mut state, &BlockContext::default()).unwrap();
        let minter = state.minter().unwrap();
        // Nothing bonded: the rate rises by 0.13 / 5,259,600 from 13 %.
        assert_eq!(
            minter.inflation,
            "0.130000024716708495".parse::<Dec>().unwrap()
        );
        assert_eq!(
            minter.annual_provisions,
            minter.inflation.mul_int(SUPPLY).unwrap()
        );
        // 130,000,024,716.7 / 5,259,600 = 24,716.71… → 24,716 upol.
        assert_eq!(state.balance(&fee_collector(), "upol").unwrap(), 24_716);
        assert_eq!(state.supply_of("upol").unwrap(), SUPPLY + 24_716);
        assert_eq!(events[0].kind, "mint");
        assert!(events[0]
            .attributes
            .iter()
            .any(|(k, v)| k == "amount" && v == "24716"));

        // The next block mints on the grown supply at the next rate:
        // 0.130000049433416990 × 1,000,000,024,716 / 5,259,600 = 24,716.72… → 24,716 again.
        begin_block(&mut state, &BlockContext::default()).unwrap();
        let second = state.minter().unwrap();
        assert_eq!(
            second.inflation,
            "0.130000049433416990".parse::<Dec>().unwrap()
        );
        assert_eq!(
            second.annual_provisions,
            second.inflation.mul_int(SUPPLY + 24_716).unwrap()
        );
        assert_eq!(state.balance(&fee_collector(), "upol").unwrap(), 2 * 24_716);
    }

    #[test]
    fn a_bonded_ratio_above_the_goal_lowers_the_rate_down_to_the_floor() {
        let mut state = chain(SUPPLY); // all bonded
        begin_block(&mut state, &BlockContext::default()).unwrap();
        assert!(state.minter().unwrap().inflation < Dec::with_decimals(13, 2));
        // At the floor it stays there.
        let mut minter = state.minter().unwrap();
        minter.inflation = Dec::with_decimals(7, 2);
        state.put_minter(&minter);
        begin_block(&mut state, &BlockContext::default()).unwrap();
        assert_eq!(state.minter().unwrap().inflation, Dec::with_decimals(7, 2));
    }

    #[test]
    fn nothing_is_minted_without_supply() {
        let mut state = StateDelta::new(MemState::default());
        state.put_staking_params(&pol_staking::params::Params::default());
        crate::GenesisState::default()
            .init(&mut state, &BlockContext::default())
            .unwrap();
        begin_block(&mut state, &BlockContext::default()).unwrap();
        assert_eq!(state.supply_of("upol").unwrap(), 0);
        assert_eq!(state.minter().unwrap().annual_provisions, Dec::zero());
    }
}
