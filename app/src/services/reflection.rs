//! The encoded `FileDescriptorSet` of every service pold serves, built by `build.rs` from
//! the shared `proto/` root (wire-compatible declarations of the Cosmos SDK and CometBFT types that the
//! `cosmos-sdk-proto` structs implement), for gRPC server reflection.

/// Protobuf descriptors of the cosmos.* and tendermint.* services and messages pold serves.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/pol_cosmos_descriptor.bin"));

/// The fully qualified names of the services in [`FILE_DESCRIPTOR_SET`].
pub const SERVICES: &[&str] = &[
    "cosmos.auth.v1beta1.Query",
    "cosmos.bank.v1beta1.Query",
    "cosmos.consensus.v1.Query",
    "cosmos.distribution.v1beta1.Query",
    "cosmos.gov.v1.Query",
    "cosmos.gov.v1beta1.Query",
    "cosmos.upgrade.v1beta1.Query",
    "cosmos.mint.v1beta1.Query",
    "cosmos.slashing.v1beta1.Query",
    "cosmos.staking.v1beta1.Query",
    "cosmos.tx.v1beta1.Service",
];

#[cfg(test)]
mod tests {
    //! Wire compatibility of `proto/` with the Rust types pold really encodes: for every
    //! message declared, bytes built from the descriptor (every field set, nested messages
    //! too) must survive a decode/encode round trip through the `cosmos-sdk-proto` /
    //! `tendermint-proto` struct unchanged. prost drops unknown fields, so a field number or
    //! wire type that disagrees changes the bytes.

    use std::collections::BTreeMap;

    use prost::Message;
    use prost_types::field_descriptor_proto::{Label, Type};
    use prost_types::{DescriptorProto, FileDescriptorSet};

    use super::FILE_DESCRIPTOR_SET;

    fn messages() -> BTreeMap<String, DescriptorProto> {
        let set = FileDescriptorSet::decode(FILE_DESCRIPTOR_SET).expect("descriptor set");
        let mut out = BTreeMap::new();
        fn walk(prefix: &str, m: &DescriptorProto, out: &mut BTreeMap<String, DescriptorProto>) {
            let name = format!("{prefix}.{}", m.name());
            for n in &m.nested_type {
                walk(&name, n, out);
            }
            out.insert(name, m.clone());
        }
        for f in &set.file {
            for m in &f.message_type {
                walk(&format!(".{}", f.package()), m, &mut out);
            }
        }
        out
    }

    fn varint(mut v: u64, buf: &mut Vec<u8>) {
        while v >= 0x80 {
            buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        buf.push(v as u8);
    }

    fn key(number: i32, wire: u64, buf: &mut Vec<u8>) {
        varint(((number as u64) << 3) | wire, buf);
    }

    /// Every field of `name` set (the first of each oneof), in field-number order.
    fn sample(all: &BTreeMap<String, DescriptorProto>, name: &str, depth: usize) -> Vec<u8> {
        let m = &all[name];
        let mut fields: Vec<_> = m.field.iter().collect();
        fields.sort_by_key(|f| f.number());
        let mut seen_oneofs = Vec::new();
        let mut buf = Vec::new();
        for f in fields {
            if let Some(o) = f.oneof_index {
                if seen_oneofs.contains(&o) {
                    continue;
                }
                seen_oneofs.push(o);
            }
            let n = f.number();
            let repeated = f.label() == Label::Repeated;
            let scalar: Option<u64> = match f.r#type() {
                Type::Bool => Some(1),
                Type::Enum => Some(1),
                Type::Int32 | Type::Int64 | Type::Uint32 | Type::Uint64 => Some(n as u64 + 7),
                _ => None,
            };
            match (scalar, f.r#type()) {
                (Some(v), _) if repeated => {
                    // proto3 packs repeated scalars, as prost does.
                    let mut inner = Vec::new();
                    varint(v, &mut inner);
                    varint(v + 1, &mut inner);
                    key(n, 2, &mut buf);
                    varint(inner.len() as u64, &mut buf);
                    buf.extend(inner);
                }
                (Some(v), _) => {
                    key(n, 0, &mut buf);
                    varint(v, &mut buf);
                }
                (None, Type::String) | (None, Type::Bytes) => {
                    let v = format!("f{n}");
                    key(n, 2, &mut buf);
                    varint(v.len() as u64, &mut buf);
                    buf.extend(v.as_bytes());
                }
                (None, Type::Message) => {
                    if depth == 0 {
                        continue;
                    }
                    let inner = sample(all, f.type_name(), depth - 1);
                    key(n, 2, &mut buf);
                    varint(inner.len() as u64, &mut buf);
                    buf.extend(inner);
                }
                (None, other) => panic!("{name}.{}: sample does not know {other:?}", f.name()),
            }
        }
        buf
    }

    fn roundtrip<M: Message + Default>(bytes: &[u8]) -> Vec<u8> {
        M::decode(bytes).expect("decodes").encode_to_vec()
    }

    #[test]
    fn every_declared_message_is_wire_compatible_with_the_rust_type() {
        use crate::services::consensus::pb as consensus;
        use cosmos_sdk_proto::cosmos::auth::v1beta1 as auth;
        use cosmos_sdk_proto::cosmos::bank::v1beta1 as bank;
        use cosmos_sdk_proto::cosmos::base::abci::v1beta1 as abci;
        use cosmos_sdk_proto::cosmos::base::query::v1beta1 as query;
        use cosmos_sdk_proto::cosmos::distribution::v1beta1 as distribution;
        use cosmos_sdk_proto::cosmos::gov::v1 as gov_v1;
        use cosmos_sdk_proto::cosmos::gov::v1beta1 as gov_v1beta1;
        use cosmos_sdk_proto::cosmos::mint::v1beta1 as mint;
        use cosmos_sdk_proto::cosmos::slashing::v1beta1 as slashing;
        use cosmos_sdk_proto::cosmos::staking::v1beta1 as staking;
        use cosmos_sdk_proto::cosmos::tx::v1beta1 as tx;
        use cosmos_sdk_proto::cosmos::upgrade::v1beta1 as upgrade;
        use tendermint_proto::types as tmtypes;

        type Roundtrip = fn(&[u8]) -> Vec<u8>;
        let mut checks: BTreeMap<&str, Roundtrip> = BTreeMap::new();
        macro_rules! check {
            ($($name:literal => $ty:ty),* $(,)?) => { $( checks.insert($name, roundtrip::<$ty>); )* };
        }
        check! {
            ".cosmos.base.v1beta1.Coin" => cosmos_sdk_proto::cosmos::base::v1beta1::Coin,
            ".cosmos.base.query.v1beta1.PageRequest" => query::PageRequest,
            ".cosmos.base.query.v1beta1.PageResponse" => query::PageResponse,
            ".cosmos.crypto.secp256k1.PubKey" => cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey,
            ".cosmos.crypto.multisig.v1beta1.CompactBitArray" => cosmos_sdk_proto::cosmos::crypto::multisig::v1beta1::CompactBitArray,
            ".cosmos.auth.v1beta1.BaseAccount" => auth::BaseAccount,
            ".cosmos.auth.v1beta1.ModuleAccount" => auth::ModuleAccount,
            ".cosmos.auth.v1beta1.Params" => auth::Params,
            ".cosmos.auth.v1beta1.QueryAccountsRequest" => auth::QueryAccountsRequest,
            ".cosmos.auth.v1beta1.QueryAccountsResponse" => auth::QueryAccountsResponse,
            ".cosmos.auth.v1beta1.QueryAccountRequest" => auth::QueryAccountRequest,
            ".cosmos.auth.v1beta1.QueryAccountResponse" => auth::QueryAccountResponse,
            ".cosmos.auth.v1beta1.QueryParamsRequest" => auth::QueryParamsRequest,
            ".cosmos.auth.v1beta1.QueryParamsResponse" => auth::QueryParamsResponse,
            ".cosmos.auth.v1beta1.Bech32PrefixRequest" => auth::Bech32PrefixRequest,
            ".cosmos.auth.v1beta1.Bech32PrefixResponse" => auth::Bech32PrefixResponse,
            ".cosmos.auth.v1beta1.AddressBytesToStringRequest" => auth::AddressBytesToStringRequest,
            ".cosmos.auth.v1beta1.AddressBytesToStringResponse" => auth::AddressBytesToStringResponse,
            ".cosmos.auth.v1beta1.AddressStringToBytesRequest" => auth::AddressStringToBytesRequest,
            ".cosmos.auth.v1beta1.AddressStringToBytesResponse" => auth::AddressStringToBytesResponse,
            ".cosmos.auth.v1beta1.QueryAccountAddressByIDRequest" => auth::QueryAccountAddressByIdRequest,
            ".cosmos.auth.v1beta1.QueryAccountAddressByIDResponse" => auth::QueryAccountAddressByIdResponse,
            ".cosmos.auth.v1beta1.QueryAccountInfoRequest" => auth::QueryAccountInfoRequest,
            ".cosmos.auth.v1beta1.QueryAccountInfoResponse" => auth::QueryAccountInfoResponse,
            ".cosmos.bank.v1beta1.Params" => bank::Params,
            ".cosmos.bank.v1beta1.SendEnabled" => bank::SendEnabled,
            ".cosmos.bank.v1beta1.DenomUnit" => bank::DenomUnit,
            ".cosmos.bank.v1beta1.Metadata" => bank::Metadata,
            ".cosmos.bank.v1beta1.MsgSend" => bank::MsgSend,
            ".cosmos.bank.v1beta1.MsgSendResponse" => bank::MsgSendResponse,
            ".cosmos.bank.v1beta1.QueryBalanceRequest" => bank::QueryBalanceRequest,
            ".cosmos.bank.v1beta1.QueryBalanceResponse" => bank::QueryBalanceResponse,
            ".cosmos.bank.v1beta1.QueryAllBalancesRequest" => bank::QueryAllBalancesRequest,
            ".cosmos.bank.v1beta1.QueryAllBalancesResponse" => bank::QueryAllBalancesResponse,
            ".cosmos.bank.v1beta1.QuerySpendableBalancesRequest" => bank::QuerySpendableBalancesRequest,
            ".cosmos.bank.v1beta1.QuerySpendableBalancesResponse" => bank::QuerySpendableBalancesResponse,
            ".cosmos.bank.v1beta1.QuerySpendableBalanceByDenomRequest" => bank::QuerySpendableBalanceByDenomRequest,
            ".cosmos.bank.v1beta1.QuerySpendableBalanceByDenomResponse" => bank::QuerySpendableBalanceByDenomResponse,
            ".cosmos.bank.v1beta1.QueryTotalSupplyRequest" => bank::QueryTotalSupplyRequest,
            ".cosmos.bank.v1beta1.QueryTotalSupplyResponse" => bank::QueryTotalSupplyResponse,
            ".cosmos.bank.v1beta1.QuerySupplyOfRequest" => bank::QuerySupplyOfRequest,
            ".cosmos.bank.v1beta1.QuerySupplyOfResponse" => bank::QuerySupplyOfResponse,
            ".cosmos.bank.v1beta1.QueryParamsRequest" => bank::QueryParamsRequest,
            ".cosmos.bank.v1beta1.QueryParamsResponse" => bank::QueryParamsResponse,
            ".cosmos.bank.v1beta1.QueryDenomsMetadataRequest" => bank::QueryDenomsMetadataRequest,
            ".cosmos.bank.v1beta1.QueryDenomsMetadataResponse" => bank::QueryDenomsMetadataResponse,
            ".cosmos.bank.v1beta1.QueryDenomMetadataRequest" => bank::QueryDenomMetadataRequest,
            ".cosmos.bank.v1beta1.QueryDenomMetadataResponse" => bank::QueryDenomMetadataResponse,
            ".cosmos.bank.v1beta1.QueryDenomMetadataByQueryStringRequest" => bank::QueryDenomMetadataByQueryStringRequest,
            ".cosmos.bank.v1beta1.QueryDenomMetadataByQueryStringResponse" => bank::QueryDenomMetadataByQueryStringResponse,
            ".cosmos.bank.v1beta1.QuerySendEnabledRequest" => bank::QuerySendEnabledRequest,
            ".cosmos.bank.v1beta1.QuerySendEnabledResponse" => bank::QuerySendEnabledResponse,
            ".cosmos.distribution.v1beta1.Params" => distribution::Params,
            ".cosmos.distribution.v1beta1.ValidatorAccumulatedCommission" => distribution::ValidatorAccumulatedCommission,
            ".cosmos.distribution.v1beta1.ValidatorOutstandingRewards" => distribution::ValidatorOutstandingRewards,
            ".cosmos.distribution.v1beta1.ValidatorSlashEvent" => distribution::ValidatorSlashEvent,
            ".cosmos.distribution.v1beta1.DelegationDelegatorReward" => distribution::DelegationDelegatorReward,
            ".cosmos.distribution.v1beta1.QueryParamsRequest" => distribution::QueryParamsRequest,
            ".cosmos.distribution.v1beta1.QueryParamsResponse" => distribution::QueryParamsResponse,
            ".cosmos.distribution.v1beta1.QueryValidatorDistributionInfoRequest" => distribution::QueryValidatorDistributionInfoRequest,
            ".cosmos.distribution.v1beta1.QueryValidatorDistributionInfoResponse" => distribution::QueryValidatorDistributionInfoResponse,
            ".cosmos.distribution.v1beta1.QueryValidatorOutstandingRewardsRequest" => distribution::QueryValidatorOutstandingRewardsRequest,
            ".cosmos.distribution.v1beta1.QueryValidatorOutstandingRewardsResponse" => distribution::QueryValidatorOutstandingRewardsResponse,
            ".cosmos.distribution.v1beta1.QueryValidatorCommissionRequest" => distribution::QueryValidatorCommissionRequest,
            ".cosmos.distribution.v1beta1.QueryValidatorCommissionResponse" => distribution::QueryValidatorCommissionResponse,
            ".cosmos.distribution.v1beta1.QueryValidatorSlashesRequest" => distribution::QueryValidatorSlashesRequest,
            ".cosmos.distribution.v1beta1.QueryValidatorSlashesResponse" => distribution::QueryValidatorSlashesResponse,
            ".cosmos.distribution.v1beta1.QueryDelegationRewardsRequest" => distribution::QueryDelegationRewardsRequest,
            ".cosmos.distribution.v1beta1.QueryDelegationRewardsResponse" => distribution::QueryDelegationRewardsResponse,
            ".cosmos.distribution.v1beta1.QueryDelegationTotalRewardsRequest" => distribution::QueryDelegationTotalRewardsRequest,
            ".cosmos.distribution.v1beta1.QueryDelegationTotalRewardsResponse" => distribution::QueryDelegationTotalRewardsResponse,
            ".cosmos.distribution.v1beta1.QueryDelegatorValidatorsRequest" => distribution::QueryDelegatorValidatorsRequest,
            ".cosmos.distribution.v1beta1.QueryDelegatorValidatorsResponse" => distribution::QueryDelegatorValidatorsResponse,
            ".cosmos.distribution.v1beta1.QueryDelegatorWithdrawAddressRequest" => distribution::QueryDelegatorWithdrawAddressRequest,
            ".cosmos.distribution.v1beta1.QueryDelegatorWithdrawAddressResponse" => distribution::QueryDelegatorWithdrawAddressResponse,
            ".cosmos.distribution.v1beta1.QueryCommunityPoolRequest" => distribution::QueryCommunityPoolRequest,
            ".cosmos.distribution.v1beta1.QueryCommunityPoolResponse" => distribution::QueryCommunityPoolResponse,
            ".cosmos.base.v1beta1.DecCoin" => cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin,
            ".cosmos.mint.v1beta1.Minter" => mint::Minter,
            ".cosmos.mint.v1beta1.Params" => mint::Params,
            ".cosmos.mint.v1beta1.QueryParamsRequest" => mint::QueryParamsRequest,
            ".cosmos.mint.v1beta1.QueryParamsResponse" => mint::QueryParamsResponse,
            ".cosmos.mint.v1beta1.QueryInflationRequest" => mint::QueryInflationRequest,
            ".cosmos.mint.v1beta1.QueryInflationResponse" => mint::QueryInflationResponse,
            ".cosmos.mint.v1beta1.QueryAnnualProvisionsRequest" => mint::QueryAnnualProvisionsRequest,
            ".cosmos.mint.v1beta1.QueryAnnualProvisionsResponse" => mint::QueryAnnualProvisionsResponse,
            ".cosmos.slashing.v1beta1.ValidatorSigningInfo" => slashing::ValidatorSigningInfo,
            ".cosmos.slashing.v1beta1.Params" => slashing::Params,
            ".cosmos.slashing.v1beta1.QueryParamsRequest" => slashing::QueryParamsRequest,
            ".cosmos.slashing.v1beta1.QueryParamsResponse" => slashing::QueryParamsResponse,
            ".cosmos.slashing.v1beta1.QuerySigningInfoRequest" => slashing::QuerySigningInfoRequest,
            ".cosmos.slashing.v1beta1.QuerySigningInfoResponse" => slashing::QuerySigningInfoResponse,
            ".cosmos.slashing.v1beta1.QuerySigningInfosRequest" => slashing::QuerySigningInfosRequest,
            ".cosmos.slashing.v1beta1.QuerySigningInfosResponse" => slashing::QuerySigningInfosResponse,
            ".cosmos.tx.v1beta1.Tx" => tx::Tx,
            ".cosmos.tx.v1beta1.TxRaw" => tx::TxRaw,
            ".cosmos.tx.v1beta1.SignDoc" => tx::SignDoc,
            ".cosmos.tx.v1beta1.TxBody" => tx::TxBody,
            ".cosmos.tx.v1beta1.AuthInfo" => tx::AuthInfo,
            ".cosmos.tx.v1beta1.SignerInfo" => tx::SignerInfo,
            ".cosmos.tx.v1beta1.ModeInfo" => tx::ModeInfo,
            ".cosmos.tx.v1beta1.ModeInfo.Single" => tx::mode_info::Single,
            ".cosmos.tx.v1beta1.ModeInfo.Multi" => tx::mode_info::Multi,
            ".cosmos.tx.v1beta1.Fee" => tx::Fee,
            ".cosmos.tx.v1beta1.Tip" => tx::Tip,
            ".cosmos.tx.v1beta1.BroadcastTxRequest" => tx::BroadcastTxRequest,
            ".cosmos.tx.v1beta1.BroadcastTxResponse" => tx::BroadcastTxResponse,
            ".cosmos.tx.v1beta1.SimulateRequest" => tx::SimulateRequest,
            ".cosmos.tx.v1beta1.SimulateResponse" => tx::SimulateResponse,
            ".cosmos.tx.v1beta1.GetTxRequest" => tx::GetTxRequest,
            ".cosmos.tx.v1beta1.GetTxResponse" => tx::GetTxResponse,
            ".cosmos.tx.v1beta1.TxDecodeRequest" => tx::TxDecodeRequest,
            ".cosmos.tx.v1beta1.TxDecodeResponse" => tx::TxDecodeResponse,
            ".cosmos.tx.v1beta1.TxEncodeRequest" => tx::TxEncodeRequest,
            ".cosmos.tx.v1beta1.TxEncodeResponse" => tx::TxEncodeResponse,
            ".cosmos.base.abci.v1beta1.TxResponse" => abci::TxResponse,
            ".cosmos.base.abci.v1beta1.ABCIMessageLog" => abci::AbciMessageLog,
            ".cosmos.base.abci.v1beta1.StringEvent" => abci::StringEvent,
            ".cosmos.base.abci.v1beta1.Attribute" => abci::Attribute,
            ".cosmos.base.abci.v1beta1.GasInfo" => abci::GasInfo,
            ".cosmos.base.abci.v1beta1.Result" => abci::Result,
            ".tendermint.abci.Event" => tendermint_proto::abci::Event,
            ".tendermint.abci.EventAttribute" => tendermint_proto::abci::EventAttribute,
            ".cosmos.consensus.v1.QueryParamsRequest" => consensus::QueryParamsRequest,
            ".cosmos.consensus.v1.QueryParamsResponse" => consensus::QueryParamsResponse,
            ".cosmos.consensus.v1.MsgUpdateParams" => consensus::MsgUpdateParams,
            ".cosmos.consensus.v1.MsgUpdateParamsResponse" => consensus::MsgUpdateParamsResponse,
            ".tendermint.types.ConsensusParams" => tmtypes::ConsensusParams,
            ".tendermint.types.BlockParams" => tmtypes::BlockParams,
            ".tendermint.types.EvidenceParams" => tmtypes::EvidenceParams,
            ".tendermint.types.ValidatorParams" => tmtypes::ValidatorParams,
            ".tendermint.types.VersionParams" => tmtypes::VersionParams,
            ".tendermint.types.ABCIParams" => tmtypes::AbciParams,
            ".cosmos.staking.v1beta1.Validator" => staking::Validator,
            ".cosmos.staking.v1beta1.DelegationResponse" => staking::DelegationResponse,
            ".cosmos.staking.v1beta1.UnbondingDelegation" => staking::UnbondingDelegation,
            ".cosmos.staking.v1beta1.RedelegationResponse" => staking::RedelegationResponse,
            ".cosmos.staking.v1beta1.HistoricalInfo" => staking::HistoricalInfo,
            ".cosmos.staking.v1beta1.Pool" => staking::Pool,
            ".cosmos.staking.v1beta1.Params" => staking::Params,
            ".cosmos.staking.v1beta1.Description" => staking::Description,
            ".cosmos.staking.v1beta1.Commission" => staking::Commission,
            ".cosmos.staking.v1beta1.Delegation" => staking::Delegation,
            ".cosmos.staking.v1beta1.UnbondingDelegationEntry" => staking::UnbondingDelegationEntry,
            ".cosmos.staking.v1beta1.Redelegation" => staking::Redelegation,
            ".cosmos.staking.v1beta1.RedelegationEntryResponse" => staking::RedelegationEntryResponse,
            ".cosmos.staking.v1beta1.CommissionRates" => staking::CommissionRates,
            ".cosmos.staking.v1beta1.RedelegationEntry" => staking::RedelegationEntry,
            ".cosmos.staking.v1beta1.QueryValidatorsRequest" => staking::QueryValidatorsRequest,
            ".cosmos.staking.v1beta1.QueryValidatorRequest" => staking::QueryValidatorRequest,
            ".cosmos.staking.v1beta1.QueryValidatorDelegationsRequest" => staking::QueryValidatorDelegationsRequest,
            ".cosmos.staking.v1beta1.QueryValidatorUnbondingDelegationsRequest" => staking::QueryValidatorUnbondingDelegationsRequest,
            ".cosmos.staking.v1beta1.QueryDelegationRequest" => staking::QueryDelegationRequest,
            ".cosmos.staking.v1beta1.QueryUnbondingDelegationRequest" => staking::QueryUnbondingDelegationRequest,
            ".cosmos.staking.v1beta1.QueryDelegatorDelegationsRequest" => staking::QueryDelegatorDelegationsRequest,
            ".cosmos.staking.v1beta1.QueryDelegatorUnbondingDelegationsRequest" => staking::QueryDelegatorUnbondingDelegationsRequest,
            ".cosmos.staking.v1beta1.QueryRedelegationsRequest" => staking::QueryRedelegationsRequest,
            ".cosmos.staking.v1beta1.QueryDelegatorValidatorsRequest" => staking::QueryDelegatorValidatorsRequest,
            ".cosmos.staking.v1beta1.QueryDelegatorValidatorRequest" => staking::QueryDelegatorValidatorRequest,
            ".cosmos.staking.v1beta1.QueryHistoricalInfoRequest" => staking::QueryHistoricalInfoRequest,
            ".cosmos.staking.v1beta1.QueryPoolRequest" => staking::QueryPoolRequest,
            ".cosmos.staking.v1beta1.QueryParamsRequest" => staking::QueryParamsRequest,
            ".cosmos.staking.v1beta1.QueryValidatorsResponse" => staking::QueryValidatorsResponse,
            ".cosmos.staking.v1beta1.QueryValidatorResponse" => staking::QueryValidatorResponse,
            ".cosmos.staking.v1beta1.QueryValidatorDelegationsResponse" => staking::QueryValidatorDelegationsResponse,
            ".cosmos.staking.v1beta1.QueryValidatorUnbondingDelegationsResponse" => staking::QueryValidatorUnbondingDelegationsResponse,
            ".cosmos.staking.v1beta1.QueryDelegationResponse" => staking::QueryDelegationResponse,
            ".cosmos.staking.v1beta1.QueryUnbondingDelegationResponse" => staking::QueryUnbondingDelegationResponse,
            ".cosmos.staking.v1beta1.QueryDelegatorDelegationsResponse" => staking::QueryDelegatorDelegationsResponse,
            ".cosmos.staking.v1beta1.QueryDelegatorUnbondingDelegationsResponse" => staking::QueryDelegatorUnbondingDelegationsResponse,
            ".cosmos.staking.v1beta1.QueryRedelegationsResponse" => staking::QueryRedelegationsResponse,
            ".cosmos.staking.v1beta1.QueryDelegatorValidatorsResponse" => staking::QueryDelegatorValidatorsResponse,
            ".cosmos.staking.v1beta1.QueryDelegatorValidatorResponse" => staking::QueryDelegatorValidatorResponse,
            ".cosmos.staking.v1beta1.QueryHistoricalInfoResponse" => staking::QueryHistoricalInfoResponse,
            ".cosmos.staking.v1beta1.QueryPoolResponse" => staking::QueryPoolResponse,
            ".cosmos.staking.v1beta1.QueryParamsResponse" => staking::QueryParamsResponse,
            ".tendermint.types.Header" => tmtypes::Header,
            ".tendermint.types.BlockID" => tmtypes::BlockId,
            ".tendermint.types.PartSetHeader" => tmtypes::PartSetHeader,
            ".tendermint.version.Consensus" => tendermint_proto::version::Consensus,
            ".cosmos.auth.v1beta1.MsgUpdateParams" => auth::MsgUpdateParams,
            ".cosmos.auth.v1beta1.MsgUpdateParamsResponse" => auth::MsgUpdateParamsResponse,
            ".cosmos.mint.v1beta1.MsgUpdateParams" => mint::MsgUpdateParams,
            ".cosmos.mint.v1beta1.MsgUpdateParamsResponse" => mint::MsgUpdateParamsResponse,
            ".cosmos.slashing.v1beta1.MsgUpdateParams" => slashing::MsgUpdateParams,
            ".cosmos.slashing.v1beta1.MsgUpdateParamsResponse" => slashing::MsgUpdateParamsResponse,
            ".cosmos.distribution.v1beta1.MsgUpdateParams" => distribution::MsgUpdateParams,
            ".cosmos.distribution.v1beta1.MsgUpdateParamsResponse" => distribution::MsgUpdateParamsResponse,
            ".cosmos.distribution.v1beta1.MsgCommunityPoolSpend" => distribution::MsgCommunityPoolSpend,
            ".cosmos.distribution.v1beta1.MsgCommunityPoolSpendResponse" => distribution::MsgCommunityPoolSpendResponse,
            ".cosmos.upgrade.v1beta1.QueryCurrentPlanRequest" => upgrade::QueryCurrentPlanRequest,
            ".cosmos.upgrade.v1beta1.QueryCurrentPlanResponse" => upgrade::QueryCurrentPlanResponse,
            ".cosmos.upgrade.v1beta1.QueryAppliedPlanRequest" => upgrade::QueryAppliedPlanRequest,
            ".cosmos.upgrade.v1beta1.QueryAppliedPlanResponse" => upgrade::QueryAppliedPlanResponse,
            ".cosmos.upgrade.v1beta1.QueryAuthorityRequest" => upgrade::QueryAuthorityRequest,
            ".cosmos.upgrade.v1beta1.QueryAuthorityResponse" => upgrade::QueryAuthorityResponse,
            ".cosmos.upgrade.v1beta1.MsgSoftwareUpgrade" => upgrade::MsgSoftwareUpgrade,
            ".cosmos.upgrade.v1beta1.MsgSoftwareUpgradeResponse" => upgrade::MsgSoftwareUpgradeResponse,
            ".cosmos.upgrade.v1beta1.MsgCancelUpgrade" => upgrade::MsgCancelUpgrade,
            ".cosmos.upgrade.v1beta1.MsgCancelUpgradeResponse" => upgrade::MsgCancelUpgradeResponse,
            ".cosmos.upgrade.v1beta1.Plan" => upgrade::Plan,
            ".cosmos.upgrade.v1beta1.ModuleVersion" => upgrade::ModuleVersion,
            ".cosmos.gov.v1.WeightedVoteOption" => gov_v1::WeightedVoteOption,
            ".cosmos.gov.v1.Deposit" => gov_v1::Deposit,
            ".cosmos.gov.v1.Proposal" => gov_v1::Proposal,
            ".cosmos.gov.v1.TallyResult" => gov_v1::TallyResult,
            ".cosmos.gov.v1.Vote" => gov_v1::Vote,
            ".cosmos.gov.v1.DepositParams" => gov_v1::DepositParams,
            ".cosmos.gov.v1.VotingParams" => gov_v1::VotingParams,
            ".cosmos.gov.v1.TallyParams" => gov_v1::TallyParams,
            ".cosmos.gov.v1.Params" => gov_v1::Params,
            ".cosmos.gov.v1.QueryConstitutionRequest" => gov_v1::QueryConstitutionRequest,
            ".cosmos.gov.v1.QueryConstitutionResponse" => gov_v1::QueryConstitutionResponse,
            ".cosmos.gov.v1.QueryProposalRequest" => gov_v1::QueryProposalRequest,
            ".cosmos.gov.v1.QueryProposalResponse" => gov_v1::QueryProposalResponse,
            ".cosmos.gov.v1.QueryProposalsRequest" => gov_v1::QueryProposalsRequest,
            ".cosmos.gov.v1.QueryProposalsResponse" => gov_v1::QueryProposalsResponse,
            ".cosmos.gov.v1.QueryVoteRequest" => gov_v1::QueryVoteRequest,
            ".cosmos.gov.v1.QueryVoteResponse" => gov_v1::QueryVoteResponse,
            ".cosmos.gov.v1.QueryVotesRequest" => gov_v1::QueryVotesRequest,
            ".cosmos.gov.v1.QueryVotesResponse" => gov_v1::QueryVotesResponse,
            ".cosmos.gov.v1.QueryParamsRequest" => gov_v1::QueryParamsRequest,
            ".cosmos.gov.v1.QueryParamsResponse" => gov_v1::QueryParamsResponse,
            ".cosmos.gov.v1.QueryDepositRequest" => gov_v1::QueryDepositRequest,
            ".cosmos.gov.v1.QueryDepositResponse" => gov_v1::QueryDepositResponse,
            ".cosmos.gov.v1.QueryDepositsRequest" => gov_v1::QueryDepositsRequest,
            ".cosmos.gov.v1.QueryDepositsResponse" => gov_v1::QueryDepositsResponse,
            ".cosmos.gov.v1.QueryTallyResultRequest" => gov_v1::QueryTallyResultRequest,
            ".cosmos.gov.v1.QueryTallyResultResponse" => gov_v1::QueryTallyResultResponse,
            ".cosmos.gov.v1.MsgSubmitProposal" => gov_v1::MsgSubmitProposal,
            ".cosmos.gov.v1.MsgSubmitProposalResponse" => gov_v1::MsgSubmitProposalResponse,
            ".cosmos.gov.v1.MsgExecLegacyContent" => gov_v1::MsgExecLegacyContent,
            ".cosmos.gov.v1.MsgExecLegacyContentResponse" => gov_v1::MsgExecLegacyContentResponse,
            ".cosmos.gov.v1.MsgVote" => gov_v1::MsgVote,
            ".cosmos.gov.v1.MsgVoteResponse" => gov_v1::MsgVoteResponse,
            ".cosmos.gov.v1.MsgVoteWeighted" => gov_v1::MsgVoteWeighted,
            ".cosmos.gov.v1.MsgVoteWeightedResponse" => gov_v1::MsgVoteWeightedResponse,
            ".cosmos.gov.v1.MsgDeposit" => gov_v1::MsgDeposit,
            ".cosmos.gov.v1.MsgDepositResponse" => gov_v1::MsgDepositResponse,
            ".cosmos.gov.v1.MsgUpdateParams" => gov_v1::MsgUpdateParams,
            ".cosmos.gov.v1.MsgUpdateParamsResponse" => gov_v1::MsgUpdateParamsResponse,
            ".cosmos.gov.v1.MsgCancelProposal" => gov_v1::MsgCancelProposal,
            ".cosmos.gov.v1.MsgCancelProposalResponse" => gov_v1::MsgCancelProposalResponse,
            ".cosmos.gov.v1beta1.WeightedVoteOption" => gov_v1beta1::WeightedVoteOption,
            ".cosmos.gov.v1beta1.TextProposal" => gov_v1beta1::TextProposal,
            ".cosmos.gov.v1beta1.Deposit" => gov_v1beta1::Deposit,
            ".cosmos.gov.v1beta1.Proposal" => gov_v1beta1::Proposal,
            ".cosmos.gov.v1beta1.TallyResult" => gov_v1beta1::TallyResult,
            ".cosmos.gov.v1beta1.Vote" => gov_v1beta1::Vote,
            ".cosmos.gov.v1beta1.DepositParams" => gov_v1beta1::DepositParams,
            ".cosmos.gov.v1beta1.VotingParams" => gov_v1beta1::VotingParams,
            ".cosmos.gov.v1beta1.TallyParams" => gov_v1beta1::TallyParams,
            ".cosmos.gov.v1beta1.QueryProposalRequest" => gov_v1beta1::QueryProposalRequest,
            ".cosmos.gov.v1beta1.QueryProposalResponse" => gov_v1beta1::QueryProposalResponse,
            ".cosmos.gov.v1beta1.QueryProposalsRequest" => gov_v1beta1::QueryProposalsRequest,
            ".cosmos.gov.v1beta1.QueryProposalsResponse" => gov_v1beta1::QueryProposalsResponse,
            ".cosmos.gov.v1beta1.QueryVoteRequest" => gov_v1beta1::QueryVoteRequest,
            ".cosmos.gov.v1beta1.QueryVoteResponse" => gov_v1beta1::QueryVoteResponse,
            ".cosmos.gov.v1beta1.QueryVotesRequest" => gov_v1beta1::QueryVotesRequest,
            ".cosmos.gov.v1beta1.QueryVotesResponse" => gov_v1beta1::QueryVotesResponse,
            ".cosmos.gov.v1beta1.QueryParamsRequest" => gov_v1beta1::QueryParamsRequest,
            ".cosmos.gov.v1beta1.QueryParamsResponse" => gov_v1beta1::QueryParamsResponse,
            ".cosmos.gov.v1beta1.QueryDepositRequest" => gov_v1beta1::QueryDepositRequest,
            ".cosmos.gov.v1beta1.QueryDepositResponse" => gov_v1beta1::QueryDepositResponse,
            ".cosmos.gov.v1beta1.QueryDepositsRequest" => gov_v1beta1::QueryDepositsRequest,
            ".cosmos.gov.v1beta1.QueryDepositsResponse" => gov_v1beta1::QueryDepositsResponse,
            ".cosmos.gov.v1beta1.QueryTallyResultRequest" => gov_v1beta1::QueryTallyResultRequest,
            ".cosmos.gov.v1beta1.QueryTallyResultResponse" => gov_v1beta1::QueryTallyResultResponse,
            ".cosmos.gov.v1beta1.MsgSubmitProposal" => gov_v1beta1::MsgSubmitProposal,
            ".cosmos.gov.v1beta1.MsgSubmitProposalResponse" => gov_v1beta1::MsgSubmitProposalResponse,
            ".cosmos.gov.v1beta1.MsgVote" => gov_v1beta1::MsgVote,
            ".cosmos.gov.v1beta1.MsgVoteResponse" => gov_v1beta1::MsgVoteResponse,
            ".cosmos.gov.v1beta1.MsgVoteWeighted" => gov_v1beta1::MsgVoteWeighted,
            ".cosmos.gov.v1beta1.MsgVoteWeightedResponse" => gov_v1beta1::MsgVoteWeightedResponse,
            ".cosmos.gov.v1beta1.MsgDeposit" => gov_v1beta1::MsgDeposit,
            ".cosmos.gov.v1beta1.MsgDepositResponse" => gov_v1beta1::MsgDepositResponse,
        }

        let all = messages();
        let ours: Vec<&String> = all.keys().filter(|k| !k.starts_with(".google.")).collect();
        let unchecked: Vec<&&String> = ours
            .iter()
            .filter(|k| !checks.contains_key(k.as_str()))
            .collect();
        assert!(
            unchecked.is_empty(),
            "declared but not checked: {unchecked:?}"
        );
        for (name, rt) in &checks {
            assert!(all.contains_key(*name), "{name} is not declared");
            let bytes = sample(&all, name, 4);
            assert_eq!(
                rt(&bytes),
                bytes,
                "{name} is not wire-compatible with its Rust type"
            );
        }
    }

    #[test]
    fn declares_the_served_services() {
        let set = FileDescriptorSet::decode(FILE_DESCRIPTOR_SET).unwrap();
        for svc in super::SERVICES {
            let (pkg, name) = svc.rsplit_once('.').unwrap();
            assert!(
                set.file
                    .iter()
                    .any(|f| f.package() == pkg && f.service.iter().any(|s| s.name() == name)),
                "{svc}"
            );
        }
    }
}
