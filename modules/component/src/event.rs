use tendermint_proto::v0_38::abci;

/// An ABCI event under construction; attributes keep their insertion order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: String,
    pub attributes: Vec<(String, String)>,
}

impl Event {
    pub fn new(kind: impl Into<String>) -> Self {
        Event {
            kind: kind.into(),
            attributes: Vec::new(),
        }
    }

    pub fn attr(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push((key.into(), value.into()));
        self
    }

    /// A typed event (its type is a full protobuf message name, see [`TypedEvents`]), not a
    /// legacy one.
    pub fn is_typed(&self) -> bool {
        self.kind.contains('.')
    }
}

impl From<Event> for abci::Event {
    fn from(e: Event) -> Self {
        abci::Event {
            r#type: e.kind,
            attributes: e
                .attributes
                .into_iter()
                .map(|(key, value)| abci::EventAttribute {
                    key,
                    value,
                    index: true,
                })
                .collect(),
        }
    }
}

/// A module's typed events (protobuf messages in its `events.proto`), emitted as the
/// Cosmos SDK emits typed events: event type = the message's full name, one attribute per
/// field (keys sorted) whose value is the field's proto3 JSON, defaults included
/// (`EmitTypedEvent`). Each typed event also gives the legacy event indexers read today:
/// type = the message name without `Event`, in snake_case (`EventProviderJailed` →
/// `provider_jailed`), one attribute per field in declaration order with its plain value
/// (numbers in decimal, lists comma-joined). One message is the single source of both, so
/// they cannot drift apart.
pub struct TypedEvents {
    descriptors: &'static [u8],
    pool: std::sync::OnceLock<Result<prost_reflect::DescriptorPool, String>>,
}

impl TypedEvents {
    /// The typed events described in `descriptors` (the module's encoded
    /// `FileDescriptorSet`).
    pub const fn new(descriptors: &'static [u8]) -> Self {
        TypedEvents {
            descriptors,
            pool: std::sync::OnceLock::new(),
        }
    }

    fn pool(&self) -> Result<&prost_reflect::DescriptorPool, crate::TxError> {
        self.pool
            .get_or_init(|| {
                prost_reflect::DescriptorPool::decode(self.descriptors).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| crate::TxError::INTERNAL(format!("event descriptors: {e}")))
    }

    /// The legacy event and the typed event of `msg`, in that order.
    pub fn emit<M: prost::Message + prost::Name>(
        &self,
        msg: &M,
    ) -> Result<[Event; 2], crate::TxError> {
        use prost_reflect::{DynamicMessage, SerializeOptions};
        let internal =
            |what: String| crate::TxError::INTERNAL(format!("event {}: {what}", M::full_name()));
        let desc = self
            .pool()?
            .get_message_by_name(&M::full_name())
            .ok_or_else(|| internal("no descriptor".into()))?;
        let dynamic = DynamicMessage::decode(desc.clone(), msg.encode_to_vec().as_slice())
            .map_err(|e| internal(e.to_string()))?;
        let options = SerializeOptions::new()
            .skip_default_fields(false)
            .use_proto_field_name(true);
        let json = dynamic
            .serialize_with_options(serde_json::value::Serializer, &options)
            .map_err(|e| internal(e.to_string()))?;
        let serde_json::Value::Object(fields) = json else {
            return Err(internal("not a JSON object".into()));
        };
        let typed = Event {
            kind: M::full_name(),
            attributes: fields
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect(),
        };
        let mut legacy = Event::new(legacy_name(M::NAME));
        for field in desc.fields() {
            let value = fields.get(field.name()).unwrap_or(&serde_json::Value::Null);
            legacy = legacy.attr(field.name(), plain(value));
        }
        Ok([legacy, typed])
    }
}

/// `EventProviderJailed` → `provider_jailed`.
fn legacy_name(message: &str) -> String {
    let name = message.strip_prefix("Event").unwrap_or(message);
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A JSON value as a legacy attribute: strings bare, lists comma-joined.
fn plain(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        serde_json::Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// The event every `MsgUpdateParams` emits: which module's parameters changed.
pub fn params_updated(module: &str) -> Event {
    Event::new("update_params").attr("module", module)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_names_are_snake_case_without_the_prefix() {
        assert_eq!(legacy_name("EventProviderJailed"), "provider_jailed");
        assert_eq!(legacy_name("EventObligation"), "obligation");
        assert_eq!(plain(&serde_json::json!(["a", "b"])), "a,b");
        assert_eq!(plain(&serde_json::json!("5")), "5");
        assert_eq!(plain(&serde_json::json!(true)), "true");
    }
}
