/// What a module may know about the block it runs in. Everything here comes from the block
/// header, so it is identical on every validator (no wall clock on the consensus path).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockContext {
    pub chain_id: String,
    pub height: u64,
    /// Block time from the header, in nanoseconds since the Unix epoch.
    pub time_unix_nanos: i128,
}
