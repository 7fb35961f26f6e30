//! Serde helpers for the Cosmos SDK's JSON (proto3 JSON writes 64-bit integers as strings).

/// `#[serde(with = "pol_component::json::u64_string")]`: a u64 as a string; a bare number
/// is accepted too.
pub mod u64_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            S(String),
            N(u64),
        }
        match Either::deserialize(d)? {
            Either::N(n) => Ok(n),
            Either::S(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// `#[serde(with = "pol_component::json::u128_string")]`: an amount (u128) as a decimal
/// string (JSON numbers lose precision past 2^53).
pub mod u128_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let s = String::deserialize(d)?;
        crate::coins::parse_amount(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("not an amount: {s:?}")))
    }
}

/// `#[serde(with = "pol_component::json::base64_bytes")]`: bytes as standard base64.
pub mod base64_bytes {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .map_err(serde::de::Error::custom)
    }
}

/// `#[serde(with = "pol_component::json::coins")]`: coins as the SDK's JSON writes them,
/// `[{"denom": "upol", "amount": "10"}]`, each checked as a protobuf coin would be.
pub mod coins {
    use crate::coins::Coin;
    use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct CoinJson {
        denom: String,
        amount: String,
    }

    pub fn serialize<S: Serializer>(v: &[Coin], s: S) -> Result<S::Ok, S::Error> {
        v.iter()
            .map(|c| CoinJson {
                denom: c.denom.clone(),
                amount: c.amount.to_string(),
            })
            .collect::<Vec<_>>()
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Coin>, D::Error> {
        Vec::<CoinJson>::deserialize(d)?
            .into_iter()
            .map(|c| {
                Coin::from_proto(&ProtoCoin {
                    denom: c.denom,
                    amount: c.amount,
                })
                .map_err(|e| serde::de::Error::custom(e.log))
            })
            .collect()
    }
}
