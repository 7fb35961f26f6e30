//! Block time as the SDK writes it (slashing's jail time, gov's periods): durations (`"600s"` in JSON,
//! `google.protobuf.Duration` on the wire) and timestamps (RFC 3339 in JSON,
//! `google.protobuf.Timestamp` on the wire), held as integer nanoseconds.

use tendermint_proto::google::protobuf::{Duration, Timestamp};

const NANOS: i128 = 1_000_000_000;

/// The SDK's "never": `DoubleSignJailEndTime`, 9999-12-31T23:59:59Z.
pub const FOREVER_NANOS: i128 = 253_402_300_799 * NANOS;

pub fn duration_to_proto(nanos: u64) -> Duration {
    Duration {
        seconds: i64::try_from(nanos / 1_000_000_000).unwrap_or(i64::MAX),
        nanos: (nanos % 1_000_000_000) as i32,
    }
}

/// A non-negative `Duration` in nanoseconds; `what` names the field in errors.
pub fn duration_from_proto(d: Option<&Duration>, what: &str) -> Result<u64, String> {
    let d = d.ok_or_else(|| format!("{what} is missing"))?;
    if d.seconds < 0 || !(0..1_000_000_000).contains(&d.nanos) {
        return Err(format!(
            "{what} {}s {}ns is not a non-negative duration",
            d.seconds, d.nanos
        ));
    }
    (d.seconds as u64)
        .checked_mul(1_000_000_000)
        .and_then(|n| n.checked_add(d.nanos as u64))
        .ok_or_else(|| format!("{what} is too long"))
}

pub fn timestamp_to_proto(nanos: i128) -> Timestamp {
    Timestamp {
        seconds: i64::try_from(nanos.div_euclid(NANOS)).unwrap_or(i64::MAX),
        nanos: nanos.rem_euclid(NANOS) as i32,
    }
}

pub fn timestamp_from_proto(t: Option<&Timestamp>) -> i128 {
    t.map(|t| i128::from(t.seconds) * NANOS + i128::from(t.nanos))
        .unwrap_or(0)
}

/// RFC 3339, as Go's `time.Time` marshals to JSON.
pub fn rfc3339(nanos: i128) -> String {
    let secs = i64::try_from(nanos.div_euclid(NANOS)).unwrap_or(i64::MAX);
    tendermint::Time::from_unix_timestamp(secs, nanos.rem_euclid(NANOS) as u32)
        .map(|t| t.to_rfc3339())
        .unwrap_or_else(|_| format!("{secs}s since 1970"))
}

/// Unix nanoseconds from RFC 3339.
pub fn parse_rfc3339(text: &str) -> Result<i128, String> {
    tendermint::Time::parse_from_rfc3339(text)
        .map(|t| t.unix_timestamp_nanos())
        .map_err(|e| format!("timestamp {text:?}: {e}"))
}

/// `#[serde(with = "duration_string")]`: nanoseconds as protobuf JSON's `"600s"`,
/// `"0.5s"`.
pub mod duration_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(nanos: &u64, s: S) -> Result<S::Ok, S::Error> {
        let (secs, frac) = (nanos / 1_000_000_000, nanos % 1_000_000_000);
        if frac == 0 {
            s.collect_str(&format_args!("{secs}s"))
        } else {
            let digits = format!("{frac:09}");
            s.collect_str(&format_args!("{secs}.{}s", digits.trim_end_matches('0')))
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).map_err(serde::de::Error::custom)
    }

    pub fn parse(text: &str) -> Result<u64, String> {
        let bad = || format!("duration {text:?} is not like \"600s\" or \"0.5s\"");
        let body = text.strip_suffix('s').ok_or_else(bad)?;
        let (secs, frac) = body.split_once('.').unwrap_or((body, ""));
        if secs.is_empty()
            || !secs.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 9
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let secs: u64 = secs.parse().map_err(|_| bad())?;
        let frac: u64 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<9}").parse().map_err(|_| bad())?
        };
        secs.checked_mul(1_000_000_000)
            .and_then(|n| n.checked_add(frac))
            .ok_or_else(bad)
    }
}

/// `#[serde(with = "timestamp_string")]`: Unix nanoseconds as RFC 3339.
pub mod timestamp_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(nanos: &i128, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&super::rfc3339(*nanos))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_print_as_protobuf_json() {
        assert_eq!(duration_string::parse("600s").unwrap(), 600_000_000_000);
        assert_eq!(duration_string::parse("0.5s").unwrap(), 500_000_000);
        assert_eq!(
            duration_string::parse("1.000000001s").unwrap(),
            1_000_000_001
        );
        for bad in ["600", "s", "-1s", "1.0000000001s", "1e3s", " 1s", "1.s5"] {
            assert!(duration_string::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            duration_from_proto(Some(&duration_to_proto(1_500_000_000)), "d").unwrap(),
            1_500_000_000
        );
        assert!(duration_from_proto(
            Some(&Duration {
                seconds: -1,
                nanos: 0
            }),
            "d"
        )
        .is_err());
    }

    #[test]
    fn timestamps_round_trip() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(FOREVER_NANOS), "9999-12-31T23:59:59Z");
        let t = 1_700_000_000_123_000_000i128;
        assert_eq!(timestamp_from_proto(Some(&timestamp_to_proto(t))), t);
        let back: i128 = tendermint::Time::parse_from_rfc3339(&rfc3339(t))
            .unwrap()
            .unix_timestamp_nanos();
        assert_eq!(back, t);
    }
}
