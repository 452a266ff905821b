//! Sender authentication, as a receiving mail server does it: SPF (RFC 7208) checks the
//! client's address against what the envelope sender's domain publishes, DKIM (RFC 6376)
//! checks a signature made by the domain that signed, and DMARC (RFC 7489) ties both to the
//! `From:` a person reads and says what the domain wants done with mail that fails.
//!
//! Every check is sans-IO, as the protocol machines are: it says which DNS question it needs
//! answered next (`query`), takes the answer (`answer`), and gives its result when it has
//! asked all it needs. The World asks the resolver over the simulated network, so each
//! lookup is in the trace, in time.

pub mod check;
pub mod dkim;
pub mod dmarc;
pub mod spf;
