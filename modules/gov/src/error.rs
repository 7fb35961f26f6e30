//! Gov's errors (codespace `gov`), numbered as the SDK's `x/gov` numbers them.

pol_component::module_errors! {
    codespace = "gov";
    /// No proposal has this id.
    UNKNOWN_PROPOSAL = 2,
    /// The proposal is not in the period this message needs (deposit or voting).
    INACTIVE_PROPOSAL = 3,
    /// A legacy (v1beta1) content that pol does not run.
    INVALID_PROPOSAL_CONTENT = 5,
    /// A vote option that is not one of the four, a weight outside (0, 1], duplicate
    /// options or weights that do not sum to 1.
    INVALID_VOTE = 7,
    /// A message of the proposal that no module routes.
    UNROUTABLE_PROPOSAL_MSG = 10,
    /// A proposal with no messages and no title.
    NO_PROPOSAL_MSGS = 11,
    /// A message of the proposal that does not decode.
    INVALID_PROPOSAL_MSG = 12,
    /// A message of the proposal whose signer is not the gov module account.
    INVALID_SIGNER = 13,
    /// Metadata or title longer than the chain allows.
    METADATA_TOO_LONG = 15,
    /// An initial deposit below `min_initial_deposit_ratio × min_deposit`, or a deposit
    /// below `min_deposit_ratio × min_deposit`.
    MIN_DEPOSIT_TOO_SMALL = 16,
    /// Cancelling a proposal one did not submit.
    INVALID_PROPOSER = 17,
    /// The voting period is over.
    VOTING_PERIOD_ENDED = 20,
    /// A proposal that is malformed (empty title or summary, expedited without messages).
    INVALID_PROPOSAL = 21,
    /// A summary longer than the chain allows.
    SUMMARY_TOO_LONG = 22,
    /// A deposit in a denomination `min_deposit` does not list.
    INVALID_DEPOSIT_DENOM = 23,
}
