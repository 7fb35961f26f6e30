//! Account addresses: 20 bytes, shown as bech32 with the `pol` prefix.

use std::fmt;
use std::str::FromStr;

use crate::TxError;

/// Human-readable prefix of account addresses.
pub const ADDRESS_PREFIX: &str = "pol";

/// A 20-byte account address (RIPEMD160(SHA256(pubkey)) for secp256k1 keys, as in Cosmos).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address(pub [u8; 20]);

impl Address {
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 20]>::try_from(bytes).ok().map(Address)
    }

    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// The address of a module account (fee collector, bonded pool …): the first 20 bytes
    /// of SHA-256 of its name, the Cosmos SDK's derivation.
    pub fn module(name: &str) -> Self {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(name.as_bytes());
        let mut out = [0u8; 20];
        out.copy_from_slice(&digest[..20]);
        Address(out)
    }

    /// Parse a bech32 `pol1…` address, with an error fit for an ABCI log.
    pub fn parse(s: &str) -> Result<Self, TxError> {
        s.parse()
    }
}

impl FromStr for Address {
    type Err = TxError;
    fn from_str(s: &str) -> Result<Self, TxError> {
        let id = cosmrs::AccountId::from_str(s)
            .map_err(|e| TxError::INVALID_ADDRESS(format!("invalid address {s:?}: {e}")))?;
        if id.prefix() != ADDRESS_PREFIX {
            return Err(TxError::INVALID_ADDRESS(format!(
                "invalid address {s:?}: prefix {:?}, want {ADDRESS_PREFIX:?}",
                id.prefix()
            )));
        }
        Address::from_slice(&id.to_bytes()).ok_or_else(|| {
            TxError::INVALID_ADDRESS(format!("invalid address {s:?}: must be 20 bytes"))
        })
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // 20 bytes always encode; the prefix is a valid constant.
        match cosmrs::AccountId::new(ADDRESS_PREFIX, &self.0) {
            Ok(id) => write!(f, "{id}"),
            Err(_) => write!(f, "0x{}", hex_lower(&self.0)),
        }
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({self})")
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_prefix_check() {
        let a = Address([7u8; 20]);
        let s = a.to_string();
        assert!(s.starts_with("pol1"), "{s}");
        assert_eq!(Address::parse(&s).unwrap(), a);
        let cosmos = cosmrs::AccountId::new("cosmos", &[7u8; 20])
            .unwrap()
            .to_string();
        let err = Address::parse(&cosmos).unwrap_err();
        assert_eq!(err.code, crate::error::code::INVALID_ADDRESS);
        assert!(Address::parse("pol1notanaddress").is_err());
    }

    #[test]
    fn module_address_matches_cosmos_derivation() {
        // The Cosmos Hub's fee collector is sha256("fee_collector")[:20].
        let a = Address::module("fee_collector");
        let cosmos = cosmrs::AccountId::new("cosmos", &a.0).unwrap().to_string();
        assert_eq!(cosmos, "cosmos17xpfvakm2amg962yls6f84z3kell8c5lserqta");
    }
}
