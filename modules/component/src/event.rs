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
