//! SPF, the Sender Policy Framework (RFC 7208): may this client send mail for this domain?
//!
//! A domain publishes, in a TXT record that starts with `v=spf1`, the servers allowed to
//! send its mail; a receiving server asks the DNS for it and compares the client's address.
//! [`SpfCheck`] is the function `check_host()` of RFC 7208 §4 as a sans-IO machine: it says
//! which DNS question it needs answered ([`SpfCheck::query`]), takes the answer
//! ([`SpfCheck::answer`]), and gives its [`SpfOutcome`] when it has asked all it needs. Each
//! question is a real query in the World's trace, so it asks what a real verifier asks, in
//! the RFC's order, and nothing more:
//!
//! 1. the TXT record of the domain (§4.4); a malformed domain or one that is not fully
//!    qualified is `none` before any query (§4.3);
//! 2. the terms of the record left to right (§4.6.2), each mechanism's own lookups (§5):
//!    `a` an A query, `mx` an MX query then an A query per exchange (stopping at the first
//!    that matches), `ptr` a PTR query of the client's `in-addr.arpa` name, `exists` an A
//!    query, `include` the TXT record of another domain and its evaluation;
//! 3. `redirect=` when no mechanism matched (§6.1);
//! 4. on `fail`, the TXT record named by `exp=` for the domain's explanation (§6.2).
//!
//! The whole record is read before anything is evaluated, so a syntax error anywhere is a
//! `permerror`, even after the term that would have matched (§4.6).
//!
//! This simulation is IPv4 only: the client's address is IPv4, so the `a` and `mx`
//! mechanisms ask for A records and never AAAA (§5.3, §5.4), an `ip6` network is read and
//! checked but never matches, and the IPv6 half of a dual CIDR length (`a/24//64`) is read
//! and ignored. Its DNS has no PTR records: the `ptr` mechanism asks its PTR question and
//! finds no name, so it never matches (with PTR data it would look up an A record for each
//! name, at most 10, §5.5), and the `%{p}` macro expands to `unknown` without a lookup, as
//! §7.3 has it when no validated name is known.
//!
//! Limits (§4.6.4): at most 10 terms that cause DNS queries (`include`, `a`, `mx`, `ptr`,
//! `exists`, `redirect`) in the whole check, the 11th is a `permerror` before it is asked;
//! at most 2 lookups that find nothing (NXDOMAIN or no data: "void lookups"), the 3rd is a
//! `permerror`; an MX answer of more than 10 names is a `permerror`. The 10 terms also bound
//! how deep includes and redirects nest (a record that includes itself is a `permerror` at
//! the 11th include); a depth limit stands behind it all the same. A record (or an
//! explanation) longer than [`MAX_RECORD_LEN`] is not read.

use crate::dns::Answer;
use std::net::{Ipv4Addr, Ipv6Addr};

/// What `check_host()` concludes (RFC 7208 §2.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpfResult {
    /// No SPF record, or no domain to check (§2.6.1).
    None,
    /// The domain says nothing about this client (`?`), or no mechanism matched (§2.6.2).
    Neutral,
    /// The client may send for the domain (§2.6.3).
    Pass,
    /// The client may not send for the domain (§2.6.4).
    Fail,
    /// Probably not allowed, a weak fail (§2.6.5).
    SoftFail,
    /// A DNS error or timeout: trying later may give a result (§2.6.6).
    TempError,
    /// The domain's records are broken or too costly to evaluate (§2.6.7).
    PermError,
}

impl SpfResult {
    /// The result's name as it is written in `Received-SPF:` and `Authentication-Results:`
    /// (RFC 7208 §9.1, RFC 8601 §2.7.2).
    pub fn name(self) -> &'static str {
        match self {
            SpfResult::None => "none",
            SpfResult::Neutral => "neutral",
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::TempError => "temperror",
            SpfResult::PermError => "permerror",
        }
    }
}

/// The result of a check, with what a student needs to understand it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpfOutcome {
    pub result: SpfResult,
    /// The domain checked: the MAIL FROM's domain, or the HELO name when MAIL FROM is empty (§2.4).
    pub domain: String,
    /// The identity checked, as it goes into `smtp.mailfrom=` (the whole reverse-path, or postmaster@HELO for an empty one, §2.4).
    pub sender: String,
    /// The directive that matched, as written in the record ("ip4:192.0.2.0/24", "-all", "include:_spf.example.org"), if any.
    pub mechanism: Option<String>,
    /// One plain sentence for a student: why this result.
    pub reason: String,
    /// For fail: the explanation of the domain's `exp=` (§6.2), macro-expanded, if it gives one.
    pub explanation: Option<String>,
}

/// Terms that cause DNS queries (`include`, `a`, `mx`, `ptr`, `exists`, `redirect`) one
/// check may evaluate (RFC 7208 §4.6.4).
pub const MAX_DNS_TERMS: u32 = 10;
/// Lookups that find nothing (NXDOMAIN, or a name without records of the type) one check
/// may make (RFC 7208 §4.6.4, "void lookups").
pub const MAX_VOID_LOOKUPS: u32 = 2;
/// MX names one `mx` mechanism may look up; more is a permerror (RFC 7208 §4.6.4).
pub const MAX_MX_NAMES: usize = 10;
/// The longest SPF record or explanation this checker reads, in octets. A record is meant
/// to fit a 512-octet DNS answer (RFC 7208 §3.4); this leaves room for long ones.
pub const MAX_RECORD_LEN: usize = 4096;
/// The longest text a macro-string may expand to before a domain name is cut to 253 octets
/// (RFC 7208 §7.3); past it the expansion is not used.
const MAX_EXPANSION: usize = 8192;
/// How deep includes and redirects may nest: one record, then one more per DNS term.
const MAX_DEPTH: usize = 1 + MAX_DNS_TERMS as usize;

/// `check_host()` for one client and one identity, asked one DNS question at a time.
#[derive(Clone, Debug)]
pub struct SpfCheck {
    cx: Context,
    /// The domain checked first (the outcome's `domain`).
    domain: String,
    /// The records being evaluated: the domain's, then one per `include` under way. A
    /// `redirect` replaces its frame's record.
    frames: Vec<Frame>,
    /// Terms that caused DNS queries so far (§4.6.4).
    dns_terms: u32,
    /// Lookups that found nothing so far (§4.6.4).
    voids: u32,
    asked: Option<Asked>,
    outcome: Option<SpfOutcome>,
}

/// The values macros expand to (§7.2), fixed for the whole check but `d`.
#[derive(Clone, Debug)]
struct Context {
    ip: Ipv4Addr,
    /// `s`: the sender, `local@domain`.
    sender: String,
    /// `l`: its local-part (`postmaster` when it has none, §4.3).
    local: String,
    /// `o`: its domain.
    sender_domain: String,
    /// `h`: the HELO/EHLO name.
    helo: String,
    /// `r`: the receiving server's name (explanations only).
    receiver: String,
    /// `t`: seconds since 1970 (explanations only).
    timestamp: u64,
}

/// One record under evaluation.
#[derive(Clone, Debug)]
struct Frame {
    /// `<domain>` of this `check_host()`: whose record this is.
    domain: String,
    /// None until its TXT answer came.
    record: Option<Record>,
    /// The directive evaluated now.
    next: usize,
    /// Reached by `include` (its result is mapped by §5.2) rather than being the check's own.
    included: bool,
    /// The redirects that led from the frame's first domain to this one.
    redirects: Vec<Hop>,
}

#[derive(Clone, Debug)]
struct Hop {
    from: String,
    to: String,
    text: String,
}

/// The question asked, and what its answer is for.
#[derive(Clone, Debug)]
struct Asked {
    name: String,
    qtype: &'static str,
    wants: Wants,
}

#[derive(Clone, Debug)]
enum Wants {
    /// The TXT record of the top frame's domain.
    Record,
    /// `a`: the addresses of `target`.
    Addresses { target: String, cidr: u8 },
    /// `mx`: the exchanges of `target`.
    Exchanges { target: String, cidr: u8 },
    /// `mx`: the addresses of `exchanges[next - 1]`.
    ExchangeAddresses { target: String, cidr: u8, exchanges: Vec<String>, next: usize },
    /// `ptr`: the names of the client's address.
    Names,
    /// `exists`: whether `target` has an address.
    Exists { target: String },
    /// `exp=`: the explanation of a fail.
    Explanation { verdict: Verdict, domain: String },
}

/// A record's result before it is mapped by its caller (an include, a redirect, the check).
#[derive(Clone, Debug)]
struct Verdict {
    result: SpfResult,
    mechanism: Option<String>,
    /// Why, without the result.
    why: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Qualifier {
    Pass,
    Fail,
    SoftFail,
    Neutral,
}

impl Qualifier {
    fn result(self) -> SpfResult {
        match self {
            Qualifier::Pass => SpfResult::Pass,
            Qualifier::Fail => SpfResult::Fail,
            Qualifier::SoftFail => SpfResult::SoftFail,
            Qualifier::Neutral => SpfResult::Neutral,
        }
    }
}

/// A mechanism (§5), its domain-spec still to expand.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Mechanism {
    All,
    Include(MacroString),
    /// The domain-spec (the current domain when absent) and the IPv4 prefix length.
    A(Option<MacroString>, u8),
    Mx(Option<MacroString>, u8),
    Ptr(Option<MacroString>),
    Ip4(Ipv4Addr, u8),
    Ip6,
    Exists(MacroString),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Directive {
    qualifier: Qualifier,
    mechanism: Mechanism,
    /// As written in the record.
    text: String,
}

/// A record read whole (§4.6, §12).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Record {
    directives: Vec<Directive>,
    /// `redirect=`: the domain-spec and the term as written.
    redirect: Option<(MacroString, String)>,
    exp: Option<MacroString>,
    /// An `all` anywhere makes `redirect=` ignored (§5.1).
    has_all: bool,
}

/// A macro-string (§7.1) as pieces to expand.
type MacroString = Vec<Piece>;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Literal(String),
    /// `%%`, `%_`, `%-`: what they stand for.
    Escape(&'static str),
    Macro {
        /// Lowercase.
        letter: u8,
        /// Written uppercase: the expansion is URL-escaped.
        upper: bool,
        /// Keep this many right-hand parts.
        digits: Option<usize>,
        reverse: bool,
        /// Split on these (`.` when empty).
        delimiters: String,
    },
}

/// Which macro letters a macro-string may use (§7.2).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Letters {
    /// In a domain-spec: `s l o d i p h v`.
    Domain,
    /// In an explanation (and an unknown modifier's value): `c r t` too.
    Explanation,
}

impl SpfCheck {
    /// check_host() for mail from client `ip` (dotted IPv4 text; this simulation is IPv4 only), envelope sender `mail_from` (may be empty, a bounce: then the HELO identity, §2.4), and HELO/EHLO name `helo`.
    ///
    /// The check of the HELO identity alone (§2.3) is `SpfCheck::new(ip, "", helo)`.
    pub fn new(ip: &str, mail_from: &str, helo: &str) -> SpfCheck {
        let helo = helo.trim();
        let helo = helo.strip_suffix('.').unwrap_or(helo);
        let path = mail_from.trim();
        let path = path.strip_prefix('<').and_then(|p| p.strip_suffix('>')).unwrap_or(path);
        let (local, domain) = match path.rsplit_once('@') {
            _ if path.is_empty() => ("postmaster", helo),
            Some((local, domain)) => (if local.is_empty() { "postmaster" } else { local }, domain),
            None => ("postmaster", path),
        };
        let domain = domain.strip_suffix('.').unwrap_or(domain);
        let parsed = ip.trim().parse::<Ipv4Addr>();
        let mut check = SpfCheck {
            cx: Context {
                ip: *parsed.as_ref().unwrap_or(&Ipv4Addr::UNSPECIFIED),
                sender: format!("{local}@{domain}"),
                local: local.to_string(),
                sender_domain: domain.to_string(),
                helo: helo.to_string(),
                receiver: "unknown".to_string(),
                timestamp: 0,
            },
            domain: domain.to_string(),
            frames: Vec::new(),
            dns_terms: 0,
            voids: 0,
            asked: None,
            outcome: None,
        };
        if parsed.is_err() {
            let why = format!(
                "“{}” is not an IPv4 address, and this simulation checks IPv4 clients only",
                ip.trim()
            );
            check.end(SpfResult::None, why);
        } else if !is_fqdn(domain) {
            let why = if domain.is_empty() {
                "the sender's address has no domain, so there is no SPF record to check (RFC 7208 §4.3)"
                    .to_string()
            } else {
                format!(
                    "“{domain}” is not a fully qualified domain name, so there is no SPF record to check (RFC 7208 §4.3)"
                )
            };
            check.end(SpfResult::None, why);
        } else {
            check.frames.push(Frame::new(domain.to_string(), false));
            check.advance();
        }
        check
    }

    /// The name of the receiving server, for `%{r}` in an explanation; without it `%{r}`
    /// is `unknown` (RFC 7208 §7.2).
    pub fn with_receiver(mut self, name: &str) -> SpfCheck {
        self.cx.receiver = name.to_string();
        self
    }

    /// The time of the check in seconds since 1970, for `%{t}` in an explanation; without it
    /// `%{t}` is `0` (the simulation has no calendar).
    pub fn with_timestamp(mut self, seconds: u64) -> SpfCheck {
        self.cx.timestamp = seconds;
        self
    }

    /// The DNS question to ask now: (name without trailing dot, qtype) with qtype one of "TXT", "A", "MX", "PTR"; None when finished.
    pub fn query(&self) -> Option<(String, &'static str)> {
        self.asked.as_ref().map(|a| (a.name.clone(), a.qtype))
    }

    /// The answer to the question `query` gave. `None`: the lookup failed (a timeout, a server failure), which is a temperror (§4.4, §5).
    pub fn answer(&mut self, answer: Option<&Answer>) {
        let Some(asked) = self.asked.take() else { return };
        let name = asked.name;
        match asked.wants {
            Wants::Record => self.got_record(&name, answer),
            Wants::Addresses { target, cidr } => match answer {
                None => self.no_answer(&name, "A"),
                Some(a) if is_void(a) => {
                    if self.void(&name, "A") {
                        self.skip();
                    }
                }
                Some(a) => {
                    match a.addrs().into_iter().filter_map(addr).find(|&a| in_net(self.cx.ip, a, cidr)) {
                        Some(found) => {
                            let why = self.address_phrase(found, cidr, &target);
                            self.matched(why);
                        }
                        None => self.skip(),
                    }
                }
            },
            Wants::Exchanges { target, cidr } => match answer {
                None => self.no_answer(&name, "MX"),
                Some(a) if is_void(a) => {
                    if self.void(&name, "MX") {
                        self.skip();
                    }
                }
                Some(a) => {
                    let exchanges = a.exchanges();
                    if exchanges.len() > MAX_MX_NAMES {
                        let (text, domain) = self.here();
                        let why = format!(
                            "{target} has {} MX records, and {text} in {domain}'s SPF record may look up at most {MAX_MX_NAMES} (RFC 7208 §4.6.4)",
                            exchanges.len()
                        );
                        self.end(SpfResult::PermError, why);
                    } else {
                        self.next_exchange(target, cidr, exchanges, 0);
                    }
                }
            },
            Wants::ExchangeAddresses { target, cidr, exchanges, next } => match answer {
                None => self.no_answer(&name, "A"),
                Some(a) if is_void(a) => {
                    if self.void(&name, "A") {
                        self.next_exchange(target, cidr, exchanges, next);
                    }
                }
                Some(a) => {
                    match a.addrs().into_iter().filter_map(addr).find(|&a| in_net(self.cx.ip, a, cidr)) {
                        Some(found) => {
                            let owner = format!("{name}, a mail server (MX) of {target}");
                            let why = self.address_phrase(found, cidr, &owner);
                            self.matched(why);
                        }
                        None => self.next_exchange(target, cidr, exchanges, next),
                    }
                }
            },
            // A DNS error while looking up the PTR records: the mechanism does not match (§5.5).
            Wants::Names => match answer {
                Some(a) if is_void(a) => {
                    if self.void(&name, "PTR") {
                        self.skip();
                    }
                }
                // This DNS has no PTR records: an answer holds no name to validate.
                _ => self.skip(),
            },
            Wants::Exists { target } => match answer {
                None => self.no_answer(&name, "A"),
                Some(a) if is_void(a) => {
                    if self.void(&name, "A") {
                        self.skip();
                    }
                }
                Some(a) if !a.addrs().is_empty() => {
                    let (text, domain) = self.here();
                    let why =
                        format!("{target} has an address record, so {text} in {domain}'s SPF record matches");
                    self.finish_match(why);
                }
                Some(_) => self.skip(),
            },
            Wants::Explanation { verdict, domain } => {
                // Any problem with the explanation: as if there were no exp= (§6.2).
                let explanation = answer.and_then(|a| match a.texts()[..] {
                    [text] if text.len() <= MAX_RECORD_LEN => {
                        parse_macro_string(text, Letters::Explanation, true)
                            .ok()
                            .and_then(|pieces| self.cx.expand(&pieces, &domain))
                    }
                    _ => None,
                });
                self.finish(verdict, explanation);
            }
        }
        self.advance();
    }

    /// The outcome, once `query` returns None.
    pub fn outcome(&self) -> Option<&SpfOutcome> {
        self.outcome.as_ref()
    }

    /// Evaluates until a question is needed or the check is over.
    fn advance(&mut self) {
        while self.outcome.is_none() && self.asked.is_none() {
            let Some(frame) = self.frames.last() else { return };
            let Some(record) = &frame.record else {
                let name = frame.domain.clone();
                self.ask(name, "TXT", Wants::Record);
                return;
            };
            if let Some(directive) = record.directives.get(frame.next) {
                let directive = directive.clone();
                self.evaluate(&directive);
            } else if let (Some((spec, text)), false) = (&record.redirect, record.has_all) {
                let (spec, text) = (spec.clone(), text.clone());
                self.redirect(&spec, text);
            } else {
                let why = format!(
                    "no mechanism of {}'s SPF record matches {}, and it has no redirect= (RFC 7208 §4.7)",
                    frame.domain, self.cx.ip
                );
                self.frame_done(Verdict { result: SpfResult::Neutral, mechanism: None, why });
            }
        }
    }

    fn evaluate(&mut self, directive: &Directive) {
        let ip = self.cx.ip;
        match &directive.mechanism {
            Mechanism::All => {
                let frame = self.frames.last().expect("a frame is evaluated");
                let domain = &frame.domain;
                let last = frame.record.as_ref().is_some_and(|r| r.directives.len() == frame.next + 1);
                let text = &directive.text;
                let ends = if last { "ends in" } else { "reaches" };
                let why = if directive.qualifier == Qualifier::Pass {
                    format!("{domain}'s SPF record allows any server ({text}), so {ip} too")
                } else if directive.qualifier == Qualifier::Neutral {
                    format!("{domain}'s SPF record says nothing about {ip} (it {ends} {text})")
                } else {
                    format!("{ip} is not among the servers {domain} allows (its SPF record {ends} {text})")
                };
                self.finish_match(why);
            }
            Mechanism::Ip4(net, cidr) => {
                if in_net(ip, *net, *cidr) {
                    let domain = &self.frames.last().expect("a frame is evaluated").domain;
                    let why = format!("{ip} is in {} of {domain}'s SPF record", directive.text);
                    self.finish_match(why);
                } else {
                    self.skip();
                }
            }
            // An IPv6 network never holds an IPv4 client.
            Mechanism::Ip6 => self.skip(),
            Mechanism::Include(spec) => {
                if !self.count_term() {
                    return;
                }
                let domain = self.frames.last().expect("a frame is evaluated").domain.clone();
                let Some(target) = self.check_host_target(spec, &domain) else {
                    let why = format!(
                        "{} in {domain}'s SPF record does not give a domain name, which is an error (RFC 7208 §5.2)",
                        directive.text
                    );
                    return self.end(SpfResult::PermError, why);
                };
                if self.frames.len() >= MAX_DEPTH {
                    let why = format!("{} in {domain}'s SPF record nests records too deep", directive.text);
                    return self.end(SpfResult::PermError, why);
                }
                self.frames.push(Frame::new(target, true));
            }
            Mechanism::A(spec, cidr) => {
                if let Some(target) = self.lookup_target(spec.as_ref()) {
                    self.ask(target.clone(), "A", Wants::Addresses { target, cidr: *cidr });
                }
            }
            Mechanism::Mx(spec, cidr) => {
                if let Some(target) = self.lookup_target(spec.as_ref()) {
                    self.ask(target.clone(), "MX", Wants::Exchanges { target, cidr: *cidr });
                }
            }
            // The PTR question is asked whatever the target: the target is compared with the
            // validated names only, and this DNS gives none.
            Mechanism::Ptr(_) => {
                if self.count_term() {
                    let [a, b, c, d] = ip.octets();
                    self.ask(format!("{d}.{c}.{b}.{a}.in-addr.arpa"), "PTR", Wants::Names);
                }
            }
            Mechanism::Exists(spec) => {
                if let Some(target) = self.lookup_target(Some(spec)) {
                    self.ask(target.clone(), "A", Wants::Exists { target });
                }
            }
        }
    }

    /// Counts a DNS term and expands its target for `a`, `mx` and `exists`. None: the limit
    /// ended the check, or the expansion is no name the DNS could hold, which cannot match
    /// (the directive is skipped, nothing is asked).
    fn lookup_target(&mut self, spec: Option<&MacroString>) -> Option<String> {
        if !self.count_term() {
            return None;
        }
        let domain = &self.frames.last().expect("a frame is evaluated").domain;
        let target = match spec {
            None => Some(domain.clone()),
            Some(spec) => self.cx.expand(spec, domain).and_then(|e| query_name(&e)),
        };
        if target.is_none() {
            self.skip();
        }
        target
    }

    /// The domain of a nested `check_host()` (`include`, `redirect`): a name DNS can be
    /// asked about, of at least two labels, or None. Any octet may be in a DNS label
    /// (RFC 2181 §11): a macro that puts a local-part such as `a+b` in it still names a
    /// domain (§7.4), as `a`, `mx` and `exists` take it; but not an address (a top label of
    /// digits only, §4.3).
    fn check_host_target(&self, spec: &MacroString, domain: &str) -> Option<String> {
        let numeric =
            |name: &str| name.rsplit('.').next().is_some_and(|t| t.bytes().all(|b| b.is_ascii_digit()));
        self.cx
            .expand(spec, domain)
            .and_then(|e| query_name(&e))
            .filter(|name| name.contains('.') && !numeric(name))
    }

    fn redirect(&mut self, spec: &MacroString, text: String) {
        if !self.count_term() {
            return;
        }
        let domain = self.frames.last().expect("a frame is evaluated").domain.clone();
        let Some(target) = self.check_host_target(spec, &domain) else {
            let why = format!("{text} in {domain}'s SPF record does not give a domain name (RFC 7208 §6.1)");
            return self.end(SpfResult::PermError, why);
        };
        let frame = self.frames.last_mut().expect("a frame is evaluated");
        frame.redirects.push(Hop { from: domain, to: target.clone(), text });
        frame.domain = target;
        frame.record = None;
        frame.next = 0;
    }

    /// The next MX name to look up from `exchanges[from..]`, or no match when none is left.
    /// A null MX (`.`, RFC 7505) names no host and is not looked up.
    fn next_exchange(&mut self, target: String, cidr: u8, exchanges: Vec<String>, from: usize) {
        let found =
            exchanges.iter().enumerate().skip(from).find_map(|(i, x)| query_name(x).map(|name| (i, name)));
        match found {
            Some((i, name)) => {
                self.ask(name, "A", Wants::ExchangeAddresses { target, cidr, exchanges, next: i + 1 })
            }
            None => self.skip(),
        }
    }

    fn got_record(&mut self, name: &str, answer: Option<&Answer>) {
        let domain = self.frames.last().expect("a frame asked for its record").domain.clone();
        let Some(answer) = answer else {
            let why = format!(
                "the DNS lookup of {name} (TXT) got no answer, so {domain}'s SPF record cannot be read now (RFC 7208 §4.4)"
            );
            return self.end(SpfResult::TempError, why);
        };
        let texts = answer.texts();
        let records: Vec<&str> = texts.iter().copied().filter(|t| is_spf1(t)).collect();
        match records[..] {
            [] => {
                let why = match answer {
                    Answer::NxDomain => {
                        format!("{domain} does not exist (NXDOMAIN), so it publishes no SPF record")
                    }
                    Answer::Records(_) if !texts.is_empty() => {
                        format!(
                            "{domain} publishes no SPF record (none of its TXT records starts with “v=spf1”)"
                        )
                    }
                    _ => format!("{domain} publishes no SPF record"),
                };
                self.frame_done(Verdict { result: SpfResult::None, mechanism: None, why });
            }
            [text] => match parse_record(text) {
                Ok(record) => {
                    self.frames.last_mut().expect("a frame asked for its record").record = Some(record)
                }
                Err(problem) => {
                    let why = format!("{domain}'s SPF record is not valid (RFC 7208 §4.6): {problem}");
                    self.end(SpfResult::PermError, why);
                }
            },
            _ => {
                let why = format!(
                    "{domain} publishes {} SPF records, and a domain may publish only one (RFC 7208 §4.5)",
                    records.len()
                );
                self.end(SpfResult::PermError, why);
            }
        }
    }

    /// The directive under evaluation matched: its qualifier is its record's result.
    fn finish_match(&mut self, why: String) {
        let frame = self.frames.last().expect("a frame is evaluated");
        let directive = &frame.record.as_ref().expect("a record is evaluated").directives[frame.next];
        let verdict =
            Verdict { result: directive.qualifier.result(), mechanism: Some(directive.text.clone()), why };
        self.frame_done(verdict);
    }

    /// A lookup of `a` or `mx` found the client, as `found` says.
    fn matched(&mut self, found: String) {
        let (text, domain) = self.here();
        self.finish_match(format!("{found} ({text} in {domain}'s SPF record)"));
    }

    /// How the client's address relates to an address `found` of `owner`.
    fn address_phrase(&self, found: Ipv4Addr, cidr: u8, owner: &str) -> String {
        let ip = self.cx.ip;
        if cidr == 32 {
            format!("{ip} is an address of {owner}")
        } else {
            format!("{ip} is within /{cidr} of {found}, an address of {owner}")
        }
    }

    /// The directive under evaluation as written, and its record's domain.
    fn here(&self) -> (String, String) {
        let frame = self.frames.last().expect("a frame is evaluated");
        let text = frame.record.as_ref().and_then(|r| r.directives.get(frame.next)).map(|d| d.text.clone());
        (text.unwrap_or_default(), frame.domain.clone())
    }

    /// The directive under evaluation does not match: on to the next.
    fn skip(&mut self) {
        if let Some(frame) = self.frames.last_mut() {
            frame.next += 1;
        }
    }

    /// The top frame has its result: it goes to the include that asked for it, or it is
    /// the check's.
    fn frame_done(&mut self, mut verdict: Verdict) {
        loop {
            let frame = self.frames.pop().expect("a frame is done");
            if let Some(hop) = frame.redirects.last() {
                if verdict.result == SpfResult::None {
                    let why = format!(
                        "{} in {}'s SPF record leads to {}, which publishes no SPF record (RFC 7208 §6.1)",
                        hop.text, hop.from, hop.to
                    );
                    return self.end(SpfResult::PermError, why);
                }
                for hop in frame.redirects.iter().rev() {
                    verdict.why =
                        format!("{}; {} hands its check to {} ({})", verdict.why, hop.from, hop.to, hop.text);
                }
            }
            if !frame.included {
                return self.conclude(verdict, frame);
            }
            let parent = self.frames.last_mut().expect("an included record has a parent");
            let directive =
                parent.record.as_ref().expect("an include is evaluated").directives[parent.next].clone();
            match verdict.result {
                // §5.2: only a pass of the included record is a match.
                SpfResult::Pass => {
                    verdict = Verdict {
                        result: directive.qualifier.result(),
                        why: format!(
                            "{}, which matches {} in {}'s SPF record",
                            verdict.why, directive.text, parent.domain
                        ),
                        mechanism: Some(directive.text),
                    };
                }
                SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => {
                    parent.next += 1;
                    return;
                }
                // Errors end the check where they happen; what comes here is a none.
                SpfResult::None | SpfResult::TempError | SpfResult::PermError => {
                    let why = format!(
                        "{} in {}'s SPF record: {}, and an include of a domain without an SPF record is an error (RFC 7208 §5.2)",
                        directive.text, parent.domain, verdict.why
                    );
                    return self.end(SpfResult::PermError, why);
                }
            }
        }
    }

    /// The check's own record has its result: on a fail by a mechanism, its explanation is
    /// looked up first (§6.2).
    fn conclude(&mut self, verdict: Verdict, frame: Frame) {
        let exp = frame.record.as_ref().and_then(|r| r.exp.as_ref());
        if let (SpfResult::Fail, Some(_), Some(exp)) = (verdict.result, &verdict.mechanism, exp)
            && let Some(name) = self.cx.expand(exp, &frame.domain).and_then(|e| query_name(&e))
        {
            return self.ask(name, "TXT", Wants::Explanation { verdict, domain: frame.domain });
        }
        self.finish(verdict, None);
    }

    /// Counts a term that causes DNS queries; false when it is one too many (and the check
    /// is over).
    fn count_term(&mut self) -> bool {
        self.dns_terms += 1;
        if self.dns_terms <= MAX_DNS_TERMS {
            return true;
        }
        let (text, domain) = self.here();
        let text = if text.is_empty() { self.redirect_text() } else { text };
        let why = format!(
            "the check needed more than {MAX_DNS_TERMS} DNS lookups (RFC 7208 §4.6.4), the {}th for {text} in {domain}'s SPF record",
            MAX_DNS_TERMS + 1
        );
        self.end(SpfResult::PermError, why);
        false
    }

    fn redirect_text(&self) -> String {
        let frame = self.frames.last().expect("a frame is evaluated");
        frame.record.as_ref().and_then(|r| r.redirect.as_ref()).map(|(_, t)| t.clone()).unwrap_or_default()
    }

    /// Counts a lookup that found nothing; false when it is one too many (and the check is
    /// over).
    fn void(&mut self, name: &str, qtype: &str) -> bool {
        self.voids += 1;
        if self.voids <= MAX_VOID_LOOKUPS {
            return true;
        }
        let (text, domain) = self.here();
        let why = format!(
            "more than {MAX_VOID_LOOKUPS} DNS lookups found nothing (RFC 7208 §4.6.4): the {}rd, {name} ({qtype}), was for {text} in {domain}'s SPF record",
            MAX_VOID_LOOKUPS + 1
        );
        self.end(SpfResult::PermError, why);
        false
    }

    fn no_answer(&mut self, name: &str, qtype: &str) {
        let (text, domain) = self.here();
        let why = format!(
            "the DNS lookup of {name} ({qtype}) for {text} in {domain}'s SPF record got no answer, so the check cannot finish now (RFC 7208 §5)"
        );
        self.end(SpfResult::TempError, why);
    }

    fn ask(&mut self, name: String, qtype: &'static str, wants: Wants) {
        self.asked = Some(Asked { name, qtype, wants });
    }

    /// The check ends with an error (or `none` before it started): no mechanism, no explanation.
    fn end(&mut self, result: SpfResult, why: String) {
        self.finish(Verdict { result, mechanism: None, why }, None);
    }

    fn finish(&mut self, verdict: Verdict, explanation: Option<String>) {
        let reason = match verdict.result {
            SpfResult::None => verdict.why,
            result => format!("{}: {}", verdict.why, result.name()),
        };
        self.outcome = Some(SpfOutcome {
            result: verdict.result,
            domain: self.domain.clone(),
            sender: self.cx.sender.clone(),
            mechanism: verdict.mechanism,
            reason,
            explanation,
        });
        self.frames.clear();
        self.asked = None;
    }
}

impl Frame {
    fn new(domain: String, included: bool) -> Frame {
        Frame { domain, record: None, next: 0, included, redirects: Vec::new() }
    }
}

impl Context {
    /// Expands a macro-string with `domain` as `%{d}` (§7.3). None when the expansion grows
    /// past [`MAX_EXPANSION`].
    fn expand(&self, pieces: &[Piece], domain: &str) -> Option<String> {
        let mut out = String::new();
        for piece in pieces {
            match piece {
                Piece::Literal(text) => out.push_str(text),
                Piece::Escape(text) => out.push_str(text),
                Piece::Macro { letter, upper, digits, reverse, delimiters } => {
                    let ip = self.ip.to_string();
                    let timestamp = self.timestamp.to_string();
                    let value = match letter {
                        b's' => &self.sender,
                        b'l' => &self.local,
                        b'o' => &self.sender_domain,
                        b'd' => domain,
                        b'i' | b'c' => &ip,
                        // No validated name without PTR data (§7.3).
                        b'p' => "unknown",
                        b'v' => "in-addr",
                        b'h' => &self.helo,
                        b'r' => &self.receiver,
                        _ => &timestamp,
                    };
                    let value = transform(value, *digits, *reverse, delimiters);
                    if *upper {
                        url_escape(&value, &mut out);
                    } else {
                        out.push_str(&value);
                    }
                }
            }
            if out.len() > MAX_EXPANSION {
                return None;
            }
        }
        Some(out)
    }
}

/// A macro's transformers (§7.3): split on the delimiters, reverse, keep the right-hand
/// parts, join with dots.
fn transform(value: &str, digits: Option<usize>, reverse: bool, delimiters: &str) -> String {
    let delimiters = if delimiters.is_empty() { "." } else { delimiters };
    let mut parts: Vec<&str> = value.split(|c| delimiters.contains(c)).collect();
    if reverse {
        parts.reverse();
    }
    if let Some(n) = digits {
        let drop = parts.len().saturating_sub(n);
        parts.drain(..drop);
    }
    parts.join(".")
}

/// URL-escaping of an uppercase macro: all but RFC 3986's unreserved characters (§7.3).
fn url_escape(value: &str, out: &mut String) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// A name to ask the DNS for, from an expanded domain-spec: without its trailing dot, cut
/// from the left to 253 octets by whole labels (§7.3), every label 1 to 63 octets. None
/// when no such name is left.
fn query_name(expanded: &str) -> Option<String> {
    let mut name = expanded.strip_suffix('.').unwrap_or(expanded);
    while name.len() > 253 {
        name = name.split_once('.')?.1;
    }
    let valid = !name.is_empty() && name.split('.').all(|l| !l.is_empty() && l.len() <= 63);
    valid.then(|| name.to_string())
}

/// A fully qualified domain name, as `check_host()` takes one (§4.3): at least two labels of
/// letters, digits, hyphens and underscores (A-labels for international names), 1 to 63
/// octets each, 253 in all, the top one not all digits (that would be an address).
pub fn is_fqdn(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    name.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(label_ok)
        && !labels.last().is_some_and(|top| top.bytes().all(|b| b.is_ascii_digit()))
}

/// An SPF record: starts with `v=spf1`, then a space or the end (§4.5). ABNF strings are
/// case-insensitive (RFC 5234 §2.3), `V=SPF1` too.
fn is_spf1(text: &str) -> bool {
    text.get(..6).is_some_and(|v| v.eq_ignore_ascii_case("v=spf1"))
        && matches!(text.as_bytes().get(6), None | Some(b' '))
}

fn is_void(answer: &Answer) -> bool {
    matches!(answer, Answer::NxDomain | Answer::NoData)
}

fn addr(text: &str) -> Option<Ipv4Addr> {
    text.parse().ok()
}

fn in_net(ip: Ipv4Addr, net: Ipv4Addr, cidr: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(cidr.min(32))).unwrap_or(0);
    u32::from(ip) & mask == u32::from(net) & mask
}

/// Reads a record whole (§4.6, §12). The caller has checked it starts with `v=spf1`.
fn parse_record(text: &str) -> Result<Record, String> {
    if text.len() > MAX_RECORD_LEN {
        return Err(format!(
            "it is {} characters long, more than the {MAX_RECORD_LEN} this checker reads",
            text.len()
        ));
    }
    let mut record = Record::default();
    for term in text[6..].split(' ').filter(|t| !t.is_empty()) {
        parse_term(term, &mut record)?;
    }
    Ok(record)
}

/// One term: a directive (`[qualifier] mechanism`) or a modifier (`name=value`).
fn parse_term(term: &str, record: &mut Record) -> Result<(), String> {
    if !term.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!("“{}” has a character that SPF does not allow", term.escape_debug()));
    }
    if let Some((name, value)) = modifier(term) {
        let spec = |value: &str| parse_domain_spec(value).map_err(|e| format!("in “{term}”, {e}"));
        if name.eq_ignore_ascii_case("redirect") {
            if record.redirect.is_some() {
                return Err("redirect= appears twice, and it may appear once (RFC 7208 §6)".to_string());
            }
            record.redirect = Some((spec(value)?, term.to_string()));
        } else if name.eq_ignore_ascii_case("exp") {
            if record.exp.is_some() {
                return Err("exp= appears twice, and it may appear once (RFC 7208 §6)".to_string());
            }
            record.exp = Some(spec(value)?);
        } else {
            // An unknown modifier is ignored, but it must be written right (§6).
            parse_macro_string(value, Letters::Explanation, false)
                .map_err(|e| format!("in “{term}”, {e}"))?;
        }
        return Ok(());
    }
    let (qualifier, rest) = match term.as_bytes()[0] {
        b'+' => (Qualifier::Pass, &term[1..]),
        b'-' => (Qualifier::Fail, &term[1..]),
        b'~' => (Qualifier::SoftFail, &term[1..]),
        b'?' => (Qualifier::Neutral, &term[1..]),
        _ => (Qualifier::Pass, term),
    };
    let (name, arg) = rest.split_at(rest.find([':', '/']).unwrap_or(rest.len()));
    let domain = |arg: &str| match arg.strip_prefix(':') {
        Some(spec) => parse_domain_spec(spec).map_err(|e| format!("in “{term}”, {e}")),
        None => Err(format!("“{term}” needs “:” and a domain")),
    };
    let optional_domain = |arg: &str| if arg.is_empty() { Ok(None) } else { domain(arg).map(Some) };
    let mechanism = match name.to_ascii_lowercase().as_str() {
        "all" if arg.is_empty() => Mechanism::All,
        "include" => Mechanism::Include(domain(arg)?),
        "exists" => Mechanism::Exists(domain(arg)?),
        "ptr" => Mechanism::Ptr(optional_domain(arg)?),
        "a" | "mx" => {
            let (arg, cidr) = dual_cidr(arg).map_err(|e| format!("in “{term}”, {e}"))?;
            let spec = optional_domain(arg)?;
            if name.eq_ignore_ascii_case("a") { Mechanism::A(spec, cidr) } else { Mechanism::Mx(spec, cidr) }
        }
        "ip4" => {
            let network =
                arg.strip_prefix(':').ok_or_else(|| format!("“{term}” needs “:” and an IPv4 network"))?;
            let (address, cidr) = match network.split_once('/') {
                Some((address, len)) => {
                    (address, prefix_len(len, 32).map_err(|e| format!("in “{term}”, {e}"))?)
                }
                None => (network, 32),
            };
            let net = parse_ip4(address)
                .ok_or_else(|| format!("in “{term}”, “{address}” is not an IPv4 address"))?;
            Mechanism::Ip4(net, cidr)
        }
        "ip6" => {
            let network =
                arg.strip_prefix(':').ok_or_else(|| format!("“{term}” needs “:” and an IPv6 network"))?;
            let address = match network.rsplit_once('/') {
                Some((address, len)) => {
                    prefix_len(len, 128).map_err(|e| format!("in “{term}”, {e}"))?;
                    address
                }
                None => network,
            };
            address
                .parse::<Ipv6Addr>()
                .map_err(|_| format!("in “{term}”, “{address}” is not an IPv6 address"))?;
            Mechanism::Ip6
        }
        _ if modifier(rest).is_some() => {
            return Err(format!(
                "“{term}” puts a qualifier before a modifier; + - ~ ? go before mechanisms only"
            ));
        }
        _ => return Err(format!("“{term}” is not a mechanism SPF knows")),
    };
    record.has_all |= mechanism == Mechanism::All;
    record.directives.push(Directive { qualifier, mechanism, text: term.to_string() });
    Ok(())
}

/// `name=value`, the name `ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )` (§12).
fn modifier(term: &str) -> Option<(&str, &str)> {
    let bytes = term.as_bytes();
    if !bytes.first()?.is_ascii_alphabetic() {
        return None;
    }
    let end = bytes.iter().position(|&b| !(b.is_ascii_alphanumeric() || b"-_.".contains(&b)))?;
    (bytes[end] == b'=').then(|| (&term[..end], &term[end + 1..]))
}

/// Splits `a`'s and `mx`'s dual-cidr-length off the end (`/24`, `//64`, `/24//64`): what is
/// left, and the IPv4 prefix length (32 when absent).
fn dual_cidr(arg: &str) -> Result<(&str, u8), String> {
    let mut rest = arg;
    let digits = |len: &str| !len.is_empty() && len.bytes().all(|b| b.is_ascii_digit());
    if let Some((head, len)) = rest.rsplit_once("//")
        && digits(len)
    {
        prefix_len(len, 128)?;
        rest = head;
    }
    let mut cidr = 32;
    if let Some((head, len)) = rest.rsplit_once('/')
        && digits(len)
    {
        cidr = prefix_len(len, 32)?;
        rest = head;
    }
    Ok((rest, cidr))
}

/// A prefix length: `0`, or digits without a leading zero, at most `max` (§12).
fn prefix_len(text: &str, max: u8) -> Result<u8, String> {
    let digits_ok = !text.is_empty() && text.len() <= 3 && text.bytes().all(|b| b.is_ascii_digit());
    match text.parse::<u8>() {
        Ok(n) if digits_ok && n <= max && (text == "0" || !text.starts_with('0')) => Ok(n),
        _ => Err(format!("“/{text}” is not a prefix length from 0 to {max}")),
    }
}

/// `qnum "." qnum "." qnum "." qnum`, each 0 to 255 without leading zeros (§12).
fn parse_ip4(text: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = text.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        let digits_ok = (1..=3).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit());
        if !digits_ok || (part.len() > 1 && part.starts_with('0')) {
            return None;
        }
        *octet = part.parse().ok()?;
    }
    parts.next().is_none().then_some(Ipv4Addr::from(octets))
}

/// A domain-spec: a macro-string that ends in a top-level label (`.com`, `.com.`) or a
/// macro (§7.1, §12).
fn parse_domain_spec(spec: &str) -> Result<MacroString, String> {
    if spec.is_empty() {
        return Err("the domain is missing".to_string());
    }
    let pieces = parse_macro_string(spec, Letters::Domain, false)?;
    if let Some(Piece::Literal(tail)) = pieces.last() {
        let tail = tail.strip_suffix('.').unwrap_or(tail);
        if !tail.rsplit_once('.').is_some_and(|(_, top)| is_toplabel(top)) {
            return Err(format!("“{spec}” does not end in a top-level domain (like .org) or a macro"));
        }
    }
    Ok(pieces)
}

/// `toplabel`: letters, digits and inner hyphens, not all digits (§12, RFC 3696 §2).
fn is_toplabel(label: &str) -> bool {
    let bytes = label.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else { return false };
    bytes.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-')
        && first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes.iter().any(|&b| b.is_ascii_alphabetic() || b == b'-')
}

/// Reads a macro-string (§7.1): literals of visible ASCII but `%`, spaces too in an
/// explanation, and `%{letter transformers delimiters}`, `%%`, `%_`, `%-`.
fn parse_macro_string(text: &str, letters: Letters, spaces: bool) -> Result<MacroString, String> {
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'%' {
            if !(b.is_ascii_graphic() || (spaces && b == b' ')) {
                return Err("there is a character that SPF does not allow".to_string());
            }
            literal.push(b as char);
            i += 1;
            continue;
        }
        let escape = match bytes.get(i + 1) {
            Some(b'%') => Some("%"),
            Some(b'_') => Some(" "),
            Some(b'-') => Some("%20"),
            Some(b'{') => None,
            _ => return Err("a % is followed by neither {, %, _ nor - (RFC 7208 §7.1)".to_string()),
        };
        if !literal.is_empty() {
            pieces.push(Piece::Literal(std::mem::take(&mut literal)));
        }
        if let Some(escape) = escape {
            pieces.push(Piece::Escape(escape));
            i += 2;
            continue;
        }
        let close = text[i..].find('}').ok_or_else(|| "a %{ has no }".to_string())?;
        pieces.push(parse_macro(&text[i + 2..i + close], letters)?);
        i += close + 1;
    }
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    Ok(pieces)
}

/// The inside of `%{...}`: `macro-letter transformers *delimiter` (§7.1).
fn parse_macro(inner: &str, letters: Letters) -> Result<Piece, String> {
    let bad = || format!("“%{{{inner}}}” is not a macro (RFC 7208 §7.1)");
    let bytes = inner.as_bytes();
    let first = *bytes.first().ok_or_else(bad)?;
    let letter = first.to_ascii_lowercase();
    if !b"slodiphv".contains(&letter) {
        if b"crt".contains(&letter) && letters == Letters::Domain {
            return Err(format!(
                "“%{{{inner}}}” is allowed only in an exp= explanation, not in a domain (RFC 7208 §7.2)"
            ));
        }
        if !b"crt".contains(&letter) {
            return Err(bad());
        }
    }
    let rest = &bytes[1..];
    let digit_count = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let digits = match digit_count {
        0 => None,
        // RFC 7208 §7.3: at least 127 must work; more parts than there are is all of them.
        _ => {
            match rest[..digit_count].iter().fold(0usize, |n, &d| (n * 10 + usize::from(d - b'0')).min(1000))
            {
                0 => {
                    return Err(format!(
                        "“%{{{inner}}}” keeps 0 parts, and it must keep 1 or more (RFC 7208 §7.3)"
                    ));
                }
                n => Some(n),
            }
        }
    };
    let rest = &rest[digit_count..];
    let reverse = rest.first().is_some_and(|b| b.eq_ignore_ascii_case(&b'r'));
    let rest = &rest[usize::from(reverse)..];
    if !rest.iter().all(|b| b".-+,/_=".contains(b)) {
        return Err(bad());
    }
    Ok(Piece::Macro {
        letter,
        upper: first.is_ascii_uppercase(),
        digits,
        reverse,
        delimiters: rest.iter().map(|&b| b as char).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::Zone;
    use SpfResult::{Fail, Neutral, Pass, PermError, SoftFail, TempError};

    /// The result `none` (`None` is Option's here).
    const NONE: SpfResult = SpfResult::None;

    /// A zone from lines `name TYPE data`: `example.org TXT v=spf1 -all`,
    /// `example.org MX 10 mx.example.org`, `mx.example.org A 192.0.2.25`.
    fn zone(lines: &[&str]) -> Zone {
        let mut zone = Zone::default();
        for line in lines {
            let (name, rest) = line.split_once(' ').expect(line);
            let (qtype, data) = rest.split_once(' ').expect(line);
            match qtype {
                "TXT" => zone.add_txt(name, data),
                "A" => zone.add_a(name, data),
                "MX" => {
                    let (preference, exchange) = data.split_once(' ').expect(line);
                    zone.add_mx(name, preference.parse().expect(line), exchange);
                }
                _ => panic!("{line}"),
            }
        }
        zone
    }

    /// Runs a check, answering every question from `zone`.
    fn run(zone: &Zone, ip: &str, from: &str, helo: &str) -> (SpfOutcome, Vec<(String, &'static str)>) {
        drive(SpfCheck::new(ip, from, helo), zone, None)
    }

    #[test]
    fn an_include_built_from_a_local_part_is_asked_as_it_reads() {
        // §7.4 expands local-parts such as `a+b` into names; DNS labels may hold any octet
        // (RFC 2181 §11), so include asks for it, as exists does.
        let z = zone(&[
            "example.org TXT v=spf1 include:%{l}._spf.example.net -all",
            "a+b._spf.example.net TXT v=spf1 ip4:192.0.2.25 -all",
        ]);
        let (outcome, asked) = run(&z, "192.0.2.25", "a+b@example.org", "mail.example.org");
        assert_eq!(outcome.result, SpfResult::Pass, "{}", outcome.reason);
        assert_eq!(asked[1], ("a+b._spf.example.net".to_string(), "TXT"));
    }

    /// Runs a check, answering every question from `zone` but question number `timeout`
    /// (from 0), which gets no answer.
    fn drive(
        mut check: SpfCheck,
        zone: &Zone,
        timeout: Option<usize>,
    ) -> (SpfOutcome, Vec<(String, &'static str)>) {
        let mut asked = Vec::new();
        while let Some((name, qtype)) = check.query() {
            assert!(check.outcome().is_none(), "an outcome while a question is open");
            assert!(asked.len() < 60, "too many questions: {asked:?}");
            let answer = zone.query(&name, qtype);
            let lost = timeout == Some(asked.len());
            asked.push((name, qtype));
            check.answer(if lost { None } else { Some(&answer) });
        }
        let outcome = check.outcome().expect("an outcome once there is no question").clone();
        (outcome, asked)
    }

    fn lines(asked: &[(String, &str)]) -> Vec<String> {
        asked.iter().map(|(name, qtype)| format!("{name} {qtype}")).collect()
    }

    const HELO: &str = "mail.example.net";

    /// The DNS of RFC 7208 Appendix A, but `www.example.com` (a CNAME) and the PTR records
    /// (this DNS has neither).
    const APPENDIX_A: &[&str] = &[
        "example.com MX 10 mail-a.example.com",
        "example.com MX 20 mail-b.example.com",
        "example.com A 192.0.2.10",
        "example.com A 192.0.2.11",
        "amy.example.com A 192.0.2.65",
        "bob.example.com A 192.0.2.66",
        "mail-a.example.com A 192.0.2.129",
        "mail-b.example.com A 192.0.2.130",
        "example.org MX 10 mail-c.example.org",
        "mail-c.example.org A 192.0.2.140",
    ];

    /// RFC 7208 Appendix A.1: records of example.com, the client, the result, the directive
    /// that matched, the questions asked.
    #[test]
    fn appendix_a1_simple_examples() {
        const TXT: &str = "example.com TXT";
        const MX: [&str; 4] = [TXT, "example.com MX", "mail-a.example.com A", "mail-b.example.com A"];
        const BOTH_MX: [&str; 6] = [
            TXT,
            "example.com MX",
            "mail-a.example.com A",
            "mail-b.example.com A",
            "example.org MX",
            "mail-c.example.org A",
        ];
        let cases: &[(&str, &str, SpfResult, Option<&str>, &[&str])] = &[
            // "any <ip> passes"
            ("v=spf1 +all", "192.0.2.10", Pass, Some("+all"), &[TXT]),
            ("v=spf1 +all", "10.1.1.1", Pass, Some("+all"), &[TXT]),
            // "hosts 192.0.2.10 and 192.0.2.11 pass"
            ("v=spf1 a -all", "192.0.2.10", Pass, Some("a"), &[TXT, "example.com A"]),
            ("v=spf1 a -all", "192.0.2.11", Pass, Some("a"), &[TXT, "example.com A"]),
            ("v=spf1 a -all", "192.0.2.12", Fail, Some("-all"), &[TXT, "example.com A"]),
            // "no sending hosts pass since example.org has no A records"
            ("v=spf1 a:example.org -all", "192.0.2.10", Fail, Some("-all"), &[TXT, "example.org A"]),
            ("v=spf1 a:example.org -all", "192.0.2.140", Fail, Some("-all"), &[TXT, "example.org A"]),
            // "sending hosts 192.0.2.129 and 192.0.2.130 pass": the first exchange that
            // matches ends the lookups
            ("v=spf1 mx -all", "192.0.2.129", Pass, Some("mx"), &MX[..3]),
            ("v=spf1 mx -all", "192.0.2.130", Pass, Some("mx"), &MX),
            ("v=spf1 mx -all", "192.0.2.10", Fail, Some("-all"), &MX),
            // "sending host 192.0.2.140 passes"
            (
                "v=spf1 mx:example.org -all",
                "192.0.2.140",
                Pass,
                Some("mx:example.org"),
                &[TXT, "example.org MX", "mail-c.example.org A"],
            ),
            (
                "v=spf1 mx:example.org -all",
                "192.0.2.129",
                Fail,
                Some("-all"),
                &[TXT, "example.org MX", "mail-c.example.org A"],
            ),
            // "sending hosts 192.0.2.129, 192.0.2.130, and 192.0.2.140 pass"
            ("v=spf1 mx mx:example.org -all", "192.0.2.129", Pass, Some("mx"), &MX[..3]),
            ("v=spf1 mx mx:example.org -all", "192.0.2.130", Pass, Some("mx"), &MX),
            ("v=spf1 mx mx:example.org -all", "192.0.2.140", Pass, Some("mx:example.org"), &BOTH_MX),
            ("v=spf1 mx mx:example.org -all", "192.0.2.12", Fail, Some("-all"), &BOTH_MX),
            // "any sending host in 192.0.2.128/30 or 192.0.2.140/30 passes"
            ("v=spf1 mx/30 mx:example.org/30 -all", "192.0.2.128", Pass, Some("mx/30"), &MX[..3]),
            ("v=spf1 mx/30 mx:example.org/30 -all", "192.0.2.131", Pass, Some("mx/30"), &MX[..3]),
            ("v=spf1 mx/30 mx:example.org/30 -all", "192.0.2.143", Pass, Some("mx:example.org/30"), &BOTH_MX),
            ("v=spf1 mx/30 mx:example.org/30 -all", "192.0.2.132", Fail, Some("-all"), &BOTH_MX),
            // "sending host 192.0.2.65 passes (reverse DNS is valid and is in example.com)":
            // not here, where the DNS has no PTR records. The question is asked all the same.
            ("v=spf1 ptr -all", "192.0.2.65", Fail, Some("-all"), &[TXT, "65.2.0.192.in-addr.arpa PTR"]),
            // "sending host 192.0.2.140 fails", "sending host 10.0.0.4 fails"
            ("v=spf1 ptr -all", "192.0.2.140", Fail, Some("-all"), &[TXT, "140.2.0.192.in-addr.arpa PTR"]),
            ("v=spf1 ptr -all", "10.0.0.4", Fail, Some("-all"), &[TXT, "4.0.0.10.in-addr.arpa PTR"]),
            // "sending host 192.0.2.65 fails", "sending host 192.0.2.129 passes"
            ("v=spf1 ip4:192.0.2.128/28 -all", "192.0.2.65", Fail, Some("-all"), &[TXT]),
            ("v=spf1 ip4:192.0.2.128/28 -all", "192.0.2.129", Pass, Some("ip4:192.0.2.128/28"), &[TXT]),
        ];
        for &(record, ip, result, mechanism, queries) in cases {
            let mut z = zone(APPENDIX_A);
            z.add_txt("example.com", record);
            let (outcome, asked) = run(&z, ip, "user@example.com", HELO);
            let what = format!("{record} from {ip}: {}", outcome.reason);
            assert_eq!(outcome.result, result, "{what}");
            assert_eq!(outcome.mechanism.as_deref(), mechanism, "{what}");
            assert_eq!(lines(&asked), queries, "{what}");
            assert_eq!(outcome.domain, "example.com");
            assert_eq!(outcome.sender, "user@example.com");
            assert_eq!(outcome.explanation, None);
        }
    }

    /// RFC 7208 Appendix A.2 (example.org includes example.com and example.net, three
    /// domains redirect to example.org; the appendix does not give the included records:
    /// example.com's here is the `mx -all` of A.1), A.3 (the DNSBL style: users and their
    /// addresses as names in DNS), A.4 (two requirements, De Morgan's law; without PTR
    /// records the second never holds, so it fails), and everything else that is driven
    /// by a zone: what the check concludes, which directive matched, and every question.
    #[test]
    fn checks() {
        const A2: &[&str] = &[
            "example.org TXT v=spf1 include:example.com include:example.net -all",
            "la.example.org TXT v=spf1 redirect=example.org",
            "ny.example.org TXT v=spf1 redirect=example.org",
            "sf.example.org TXT v=spf1 redirect=example.org",
            "example.com TXT v=spf1 mx -all",
            "example.net TXT v=spf1 ip4:198.51.100.0/24 -all",
        ];
        const A3: &[&str] = &[
            "example.com TXT v=spf1 mx include:mobile-users._spf.%{d} include:remote-users._spf.%{d} -all",
            "mobile-users._spf.example.com TXT v=spf1 exists:%{l1r+}.%{d}",
            "remote-users._spf.example.com TXT v=spf1 exists:%{ir}.%{l1r+}.%{d}",
            "mary.mobile-users._spf.example.com A 127.0.0.2",
            "fred.mobile-users._spf.example.com A 127.0.0.2",
            "15.15.168.192.joel.remote-users._spf.example.com A 127.0.0.2",
            "16.15.168.192.joel.remote-users._spf.example.com A 127.0.0.2",
        ];
        const A4: &[&str] = &[
            "example.com TXT v=spf1 -include:ip4._spf.%{d} -include:ptr._spf.%{d} +all",
            "ip4._spf.example.com TXT v=spf1 -ip4:192.0.2.0/24 +all",
            "ptr._spf.example.com TXT v=spf1 -ptr +all",
        ];
        const ORG: &str = "example.org TXT";
        const NET: &str = "_spf.example.net TXT";
        const INCLUDE: &str = "example.org TXT v=spf1 include:_spf.example.net -all";
        const ELEVEN_MX: &[&str] = &[
            "example.org TXT v=spf1 mx -all",
            "example.org MX 1 mx1.example.org",
            "example.org MX 2 mx2.example.org",
            "example.org MX 3 mx3.example.org",
            "example.org MX 4 mx4.example.org",
            "example.org MX 5 mx5.example.org",
            "example.org MX 6 mx6.example.org",
            "example.org MX 7 mx7.example.org",
            "example.org MX 8 mx8.example.org",
            "example.org MX 9 mx9.example.org",
            "example.org MX 10 mx10.example.org",
            "example.org MX 11 mx11.example.org",
        ];
        type Case<'a> = (
            &'a str,
            &'a [&'a [&'a str]],
            &'a str,
            &'a str,
            &'a str,
            SpfResult,
            Option<&'a str>,
            &'a [&'a str],
        );
        let cases: &[Case] = &[
            // Appendix A.2.
            (
                "A.2 include: example.com's mx",
                &[APPENDIX_A, A2],
                "192.0.2.129",
                "user@example.org",
                HELO,
                Pass,
                Some("include:example.com"),
                &[ORG, "example.com TXT", "example.com MX", "mail-a.example.com A"],
            ),
            (
                "A.2 include: example.net's ip4",
                &[APPENDIX_A, A2],
                "198.51.100.7",
                "user@example.org",
                HELO,
                Pass,
                Some("include:example.net"),
                &[
                    ORG,
                    "example.com TXT",
                    "example.com MX",
                    "mail-a.example.com A",
                    "mail-b.example.com A",
                    "example.net TXT",
                ],
            ),
            (
                "A.2 neither",
                &[APPENDIX_A, A2],
                "203.0.113.9",
                "user@example.org",
                HELO,
                Fail,
                Some("-all"),
                &[
                    ORG,
                    "example.com TXT",
                    "example.com MX",
                    "mail-a.example.com A",
                    "mail-b.example.com A",
                    "example.net TXT",
                ],
            ),
            (
                "A.2 redirect",
                &[APPENDIX_A, A2],
                "192.0.2.130",
                "tom@sf.example.org",
                HELO,
                Pass,
                Some("include:example.com"),
                &[
                    "sf.example.org TXT",
                    ORG,
                    "example.com TXT",
                    "example.com MX",
                    "mail-a.example.com A",
                    "mail-b.example.com A",
                ],
            ),
            (
                "A.2 redirect, fail",
                &[APPENDIX_A, A2],
                "10.0.0.4",
                "tom@la.example.org",
                HELO,
                Fail,
                Some("-all"),
                &[
                    "la.example.org TXT",
                    ORG,
                    "example.com TXT",
                    "example.com MX",
                    "mail-a.example.com A",
                    "mail-b.example.com A",
                    "example.net TXT",
                ],
            ),
            // Appendix A.3.
            (
                "A.3 mobile user",
                &[APPENDIX_A, A3],
                "1.1.1.1",
                "mary@example.com",
                HELO,
                Pass,
                Some("include:mobile-users._spf.%{d}"),
                &[
                    "example.com TXT",
                    "example.com MX",
                    "mail-a.example.com A",
                    "mail-b.example.com A",
                    "mobile-users._spf.example.com TXT",
                    "mary.mobile-users._spf.example.com A",
                ],
            ),
            (
                "A.3 remote user",
                &[APPENDIX_A, A3],
                "192.168.15.15",
                "joel@example.com",
                HELO,
                Pass,
                Some("include:remote-users._spf.%{d}"),
                &[
                    "example.com TXT",
                    "example.com MX",
                    "mail-a.example.com A",
                    "mail-b.example.com A",
                    "mobile-users._spf.example.com TXT",
                    "joel.mobile-users._spf.example.com A",
                    "remote-users._spf.example.com TXT",
                    "15.15.168.192.joel.remote-users._spf.example.com A",
                ],
            ),
            (
                "A.3 remote user, another address",
                &[APPENDIX_A, A3],
                "192.168.15.17",
                "joel@example.com",
                HELO,
                Fail,
                Some("-all"),
                &[
                    "example.com TXT",
                    "example.com MX",
                    "mail-a.example.com A",
                    "mail-b.example.com A",
                    "mobile-users._spf.example.com TXT",
                    "joel.mobile-users._spf.example.com A",
                    "remote-users._spf.example.com TXT",
                    "17.15.168.192.joel.remote-users._spf.example.com A",
                ],
            ),
            (
                "A.3 the mail server",
                &[APPENDIX_A, A3],
                "192.0.2.130",
                "joel@example.com",
                HELO,
                Pass,
                Some("mx"),
                &["example.com TXT", "example.com MX", "mail-a.example.com A", "mail-b.example.com A"],
            ),
            // Appendix A.4: -include of a pass is a fail.
            (
                "A.4 outside the range",
                &[A4],
                "10.0.0.4",
                "user@example.com",
                HELO,
                Fail,
                Some("-include:ip4._spf.%{d}"),
                &["example.com TXT", "ip4._spf.example.com TXT"],
            ),
            (
                "A.4 in the range, no PTR",
                &[A4],
                "192.0.2.65",
                "user@example.com",
                HELO,
                Fail,
                Some("-include:ptr._spf.%{d}"),
                &[
                    "example.com TXT",
                    "ip4._spf.example.com TXT",
                    "ptr._spf.example.com TXT",
                    "65.2.0.192.in-addr.arpa PTR",
                ],
            ),
            // Initial processing (§4.3).
            (
                "a bounce: the HELO identity",
                &[&["mail.example.org TXT v=spf1 a -all", "mail.example.org A 192.0.2.25"]],
                "192.0.2.25",
                "",
                "mail.example.org",
                Pass,
                Some("a"),
                &["mail.example.org TXT", "mail.example.org A"],
            ),
            ("a bounce from a single-label HELO", &[&[]], "192.0.2.25", "", "localhost", NONE, None, &[]),
            ("a bounce from an address literal", &[&[]], "192.0.2.25", "", "[192.0.2.25]", NONE, None, &[]),
            ("a domain literal", &[&[]], "192.0.2.25", "alice@[192.0.2.25]", HELO, NONE, None, &[]),
            ("an empty label", &[&[]], "192.0.2.25", "alice@example..org", HELO, NONE, None, &[]),
            ("a numeric top label", &[&[]], "192.0.2.25", "alice@192.0.2.25", HELO, NONE, None, &[]),
            ("no domain", &[&[]], "192.0.2.25", "alice@", HELO, NONE, None, &[]),
            ("not an IPv4 client", &[&[]], "2001:db8::25", "alice@example.org", HELO, NONE, None, &[]),
            (
                "a trailing dot",
                &[&["example.org TXT v=spf1 -all"]],
                "192.0.2.25",
                "alice@Example.Org.",
                HELO,
                Fail,
                Some("-all"),
                &["Example.Org TXT"],
            ),
            (
                "angle brackets",
                &[&["example.org TXT v=spf1 -all"]],
                "192.0.2.25",
                "<alice@example.org>",
                HELO,
                Fail,
                Some("-all"),
                &[ORG],
            ),
            // Record lookup and selection (§4.4, §4.5).
            ("no such domain", &[&[]], "192.0.2.25", "alice@example.org", HELO, NONE, None, &[ORG]),
            (
                "no TXT record",
                &[&["example.org A 192.0.2.25"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                NONE,
                None,
                &[ORG],
            ),
            (
                "no SPF among the TXT records",
                &[&["example.org TXT google-site-verification=x", "example.org TXT v=DMARC1; p=none"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                NONE,
                None,
                &[ORG],
            ),
            (
                "v=spf10",
                &[&["example.org TXT v=spf10 -all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                NONE,
                None,
                &[ORG],
            ),
            (
                "v=spf1 with no space",
                &[&["example.org TXT v=spf1-all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                NONE,
                None,
                &[ORG],
            ),
            (
                "v=spf1 and a tab",
                &[&["example.org TXT v=spf1\t-all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                NONE,
                None,
                &[ORG],
            ),
            (
                "a leading space",
                &[&["example.org TXT  v=spf1 -all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                NONE,
                None,
                &[ORG],
            ),
            (
                "V=SPF1 in capitals",
                &[&["example.org TXT V=SPF1 -ALL"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Fail,
                Some("-ALL"),
                &[ORG],
            ),
            (
                "one SPF among other TXT",
                &[&["example.org TXT verification=1", "example.org TXT v=spf1 ip4:192.0.2.25 -all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Pass,
                Some("ip4:192.0.2.25"),
                &[ORG],
            ),
            (
                "two SPF records",
                &[&["example.org TXT v=spf1 +all", "example.org TXT v=spf1 -all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "an empty record",
                &[&["example.org TXT v=spf1"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Neutral,
                None,
                &[ORG],
            ),
            (
                "spaces",
                &[&["example.org TXT v=spf1  ip4:192.0.2.25    -all   "]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Pass,
                Some("ip4:192.0.2.25"),
                &[ORG],
            ),
            (
                "case-insensitive names",
                &[&["example.org TXT v=spf1 IP4:192.0.2.25 -all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Pass,
                Some("IP4:192.0.2.25"),
                &[ORG],
            ),
            // A syntax error anywhere is a permerror, even after the term that matches, and
            // nothing is looked up for a broken record.
            (
                "bad ip4 after +all",
                &[&["example.org TXT v=spf1 +all ip4:192.0.2.300"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "unknown mechanism after a match",
                &[&["example.org TXT v=spf1 ip4:192.0.2.25 -all foo"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "a: with no domain after -all",
                &[&["example.org TXT v=spf1 -all a:"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "a bad cidr after a",
                &[&["example.org TXT v=spf1 a -all ip4:192.0.2.1/33", "example.org A 192.0.2.25"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "two redirects",
                &[&["example.org TXT v=spf1 -all redirect=a.example.org redirect=b.example.org"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "two exps",
                &[&["example.org TXT v=spf1 -all exp=a.example.org exp=b.example.org"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "a bad macro after +all",
                &[&["example.org TXT v=spf1 +all exists:%{x}.example.org"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "%{c} in a domain",
                &[&["example.org TXT v=spf1 +all a:%{c}.example.org"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "a qualified modifier",
                &[&["example.org TXT v=spf1 +all -exp=e.example.org"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "a bad unknown modifier",
                &[&["example.org TXT v=spf1 +all foo=%{q}"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "an empty exp",
                &[&["example.org TXT v=spf1 -all exp="]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            // Garbage.
            (
                "~~all",
                &[&["example.org TXT v=spf1 ~~all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "all:x",
                &[&["example.org TXT v=spf1 all:x"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "a lone qualifier",
                &[&["example.org TXT v=spf1 - all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "=foo",
                &[&["example.org TXT v=spf1 =foo -all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "ip4 with a leading zero",
                &[&["example.org TXT v=spf1 ip4:192.0.2.025"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "ip4 with three octets",
                &[&["example.org TXT v=spf1 ip4:192.0.2"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "ip4 cidr with a leading zero",
                &[&["example.org TXT v=spf1 ip4:192.0.2.0/024"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "ip4 without a network",
                &[&["example.org TXT v=spf1 ip4"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "ip6 /129",
                &[&["example.org TXT v=spf1 ip6:2001:db8::/129"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "ip6 with :::",
                &[&["example.org TXT v=spf1 ip6:2001:db8:::1"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "a/33",
                &[&["example.org TXT v=spf1 a/33"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "a//129",
                &[&["example.org TXT v=spf1 a//129"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "a/24/16",
                &[&["example.org TXT v=spf1 a/24/16"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "a single-label domain",
                &[&["example.org TXT v=spf1 a:museum"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "a numeric domain",
                &[&["example.org TXT v=spf1 a:192.0.2.25"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "a domain after a macro with no dot",
                &[&["example.org TXT v=spf1 a:%{d}x"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "include with no domain",
                &[&["example.org TXT v=spf1 include -all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "include: with no domain",
                &[&["example.org TXT v=spf1 include: -all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "exists with no domain",
                &[&["example.org TXT v=spf1 exists -all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "a lone %",
                &[&["example.org TXT v=spf1 mx:% -all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "%{d0}",
                &[&["example.org TXT v=spf1 a:%{d0}.example.org"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "a control character",
                &[&["example.org TXT v=spf1 -all \u{1}"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "a non-ASCII letter",
                &[&["example.org TXT v=spf1 a:exämple.org -all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "an unknown modifier is ignored",
                &[&["example.org TXT v=spf1 moo.cow-2_3=yes%{c} -all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Fail,
                Some("-all"),
                &[ORG],
            ),
            (
                "an unknown modifier may be empty",
                &[&["example.org TXT v=spf1 foo= ?all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Neutral,
                Some("?all"),
                &[ORG],
            ),
            // Qualifiers and the default (§4.6.2, §4.7).
            (
                "~all",
                &[&["example.org TXT v=spf1 ~all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                SoftFail,
                Some("~all"),
                &[ORG],
            ),
            (
                "?all",
                &[&["example.org TXT v=spf1 ?all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Neutral,
                Some("?all"),
                &[ORG],
            ),
            (
                "-ip4",
                &[&["example.org TXT v=spf1 -ip4:192.0.2.25 +all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Fail,
                Some("-ip4:192.0.2.25"),
                &[ORG],
            ),
            (
                "~ip4 /24",
                &[&["example.org TXT v=spf1 ~ip4:192.0.2.0/24"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                SoftFail,
                Some("~ip4:192.0.2.0/24"),
                &[ORG],
            ),
            (
                "nothing matches",
                &[&["example.org TXT v=spf1 ip4:192.0.2.1"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Neutral,
                None,
                &[ORG],
            ),
            (
                "ip4 /0",
                &[&["example.org TXT v=spf1 ip4:0.0.0.0/0 -all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Pass,
                Some("ip4:0.0.0.0/0"),
                &[ORG],
            ),
            (
                "ip6 never holds an IPv4 client",
                &[&["example.org TXT v=spf1 ip6:::ffff:192.0.2.25 ip6:::/0 -all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Fail,
                Some("-all"),
                &[ORG],
            ),
            (
                "mechanisms after all are not evaluated",
                &[&["example.org TXT v=spf1 -all a mx include:x.example.org"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Fail,
                Some("-all"),
                &[ORG],
            ),
            // a and mx, their domains and prefix lengths.
            (
                "a/24",
                &[&["example.org TXT v=spf1 a/24 -all", "example.org A 192.0.2.10"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Pass,
                Some("a/24"),
                &[ORG, "example.org A"],
            ),
            (
                "a:domain/24//64",
                &[&[
                    "example.org TXT v=spf1 a:mail.example.org/24//64 -all",
                    "mail.example.org A 192.0.2.10",
                ]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Pass,
                Some("a:mail.example.org/24//64"),
                &[ORG, "mail.example.org A"],
            ),
            (
                "a//64 is /32 for IPv4",
                &[&["example.org TXT v=spf1 a//64 -all", "example.org A 192.0.2.10"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Fail,
                Some("-all"),
                &[ORG, "example.org A"],
            ),
            (
                "several addresses",
                &[&["example.org TXT v=spf1 a -all", "example.org A 192.0.2.10", "example.org A 192.0.2.25"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Pass,
                Some("a"),
                &[ORG, "example.org A"],
            ),
            (
                "a domain as written",
                &[&["example.org TXT v=spf1 A:Mail.Example.ORG. -all", "mail.example.org A 192.0.2.25"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Pass,
                Some("A:Mail.Example.ORG."),
                &[ORG, "Mail.Example.ORG A"],
            ),
            (
                "mx with a trailing dot and /24",
                &[&[
                    "example.org TXT v=spf1 mx:example.net./24 -all",
                    "example.net MX 10 mx.example.net",
                    "mx.example.net A 192.0.2.1",
                ]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Pass,
                Some("mx:example.net./24"),
                &[ORG, "example.net MX", "mx.example.net A"],
            ),
            (
                "a null MX has no address",
                &[&["example.org TXT v=spf1 mx -all", "example.org MX 0 ."]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Fail,
                Some("-all"),
                &[ORG, "example.org MX"],
            ),
            (
                "an exchange without address",
                &[&[
                    "example.org TXT v=spf1 mx -all",
                    "example.org MX 10 gone.example.org",
                    "example.org MX 20 mx.example.org",
                    "mx.example.org A 192.0.2.25",
                ]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Pass,
                Some("mx"),
                &[ORG, "example.org MX", "gone.example.org A", "mx.example.org A"],
            ),
            (
                "11 MX names",
                &[ELEVEN_MX],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG, "example.org MX"],
            ),
            // ptr (§5.5): asked of the client's in-addr.arpa name, which this DNS never has.
            (
                "ptr:domain",
                &[&["example.org TXT v=spf1 ptr:example.org ?all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Neutral,
                Some("?all"),
                &[ORG, "25.2.0.192.in-addr.arpa PTR"],
            ),
            // exists (§5.7): any A record.
            (
                "exists",
                &[&[
                    "example.org TXT v=spf1 exists:%{i}._ip.%{d} -all",
                    "192.0.2.25._ip.example.org A 127.0.0.2",
                ]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Pass,
                Some("exists:%{i}._ip.%{d}"),
                &[ORG, "192.0.2.25._ip.example.org A"],
            ),
            (
                "exists, none",
                &[&["example.org TXT v=spf1 exists:%{i}._ip.%{d} -all"]],
                "192.0.2.26",
                "alice@example.org",
                HELO,
                Fail,
                Some("-all"),
                &[ORG, "192.0.2.26._ip.example.org A"],
            ),
            (
                "exists of a name that cannot be",
                &[&["example.org TXT v=spf1 exists:%{l}.example.org -all"]],
                "192.0.2.25",
                "a..b@example.org",
                HELO,
                Fail,
                Some("-all"),
                &[ORG],
            ),
            // include (§5.2): the mapping of its results.
            (
                "include: pass",
                &[&[INCLUDE, "_spf.example.net TXT v=spf1 ip4:192.0.2.0/24 -all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Pass,
                Some("include:_spf.example.net"),
                &[ORG, NET],
            ),
            (
                "include: fail is no match",
                &[&[INCLUDE, "_spf.example.net TXT v=spf1 ip4:198.51.100.0/24 -all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Fail,
                Some("-all"),
                &[ORG, NET],
            ),
            (
                "include: softfail is no match",
                &[&[
                    "example.org TXT v=spf1 include:_spf.example.net ?all",
                    "_spf.example.net TXT v=spf1 ~all",
                ]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Neutral,
                Some("?all"),
                &[ORG, NET],
            ),
            (
                "include: neutral is no match",
                &[&[INCLUDE, "_spf.example.net TXT v=spf1"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Fail,
                Some("-all"),
                &[ORG, NET],
            ),
            (
                "include: none is permerror",
                &[&[INCLUDE]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG, NET],
            ),
            (
                "include: permerror",
                &[&[INCLUDE, "_spf.example.net TXT v=spf1 ip4:1.2.3 +all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG, NET],
            ),
            (
                "-include of a pass",
                &[&[
                    "example.org TXT v=spf1 -include:_spf.example.net +all",
                    "_spf.example.net TXT v=spf1 +all",
                ]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Fail,
                Some("-include:_spf.example.net"),
                &[ORG, NET],
            ),
            (
                "include of an invalid name",
                &[&["example.org TXT v=spf1 include:%{l}.example.net -all"]],
                "192.0.2.25",
                "a..b@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "an included exp is not used",
                &[&[
                    INCLUDE,
                    "_spf.example.net TXT v=spf1 -all exp=why.example.net",
                    "why.example.net TXT no",
                ]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Fail,
                Some("-all"),
                &[ORG, NET],
            ),
            (
                "a record that includes itself",
                &[&["example.org TXT v=spf1 include:example.org -all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG, ORG, ORG, ORG, ORG, ORG, ORG, ORG, ORG, ORG, ORG],
            ),
            (
                "two records that include each other",
                &[&[
                    "example.org TXT v=spf1 include:example.net -all",
                    "example.net TXT v=spf1 include:example.org -all",
                ]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[
                    ORG,
                    "example.net TXT",
                    ORG,
                    "example.net TXT",
                    ORG,
                    "example.net TXT",
                    ORG,
                    "example.net TXT",
                    ORG,
                    "example.net TXT",
                    ORG,
                ],
            ),
            // redirect (§6.1).
            (
                "redirect to none",
                &[&["example.org TXT v=spf1 redirect=_spf.example.net"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG, NET],
            ),
            (
                "redirect ignored with all",
                &[&["example.org TXT v=spf1 redirect=_spf.example.net -all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Fail,
                Some("-all"),
                &[ORG],
            ),
            (
                "redirect after a match",
                &[&["example.org TXT v=spf1 ip4:192.0.2.25 redirect=_spf.example.net"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Pass,
                Some("ip4:192.0.2.25"),
                &[ORG],
            ),
            (
                "redirect, then the default",
                &[&[
                    "example.org TXT v=spf1 redirect=_spf.example.net",
                    "_spf.example.net TXT v=spf1 ip4:192.0.2.1",
                ]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Neutral,
                None,
                &[ORG, NET],
            ),
            (
                "redirect evaluates with its own domain",
                &[&[
                    "example.org TXT v=spf1 redirect=_spf.example.net",
                    "_spf.example.net TXT v=spf1 a -all",
                    "_spf.example.net A 192.0.2.25",
                ]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Pass,
                Some("a"),
                &[ORG, NET, "_spf.example.net A"],
            ),
            (
                "redirect of a macro",
                &[&["example.org TXT v=spf1 redirect=_spf.%{o}", "_spf.example.org TXT v=spf1 +all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Pass,
                Some("+all"),
                &[ORG, "_spf.example.org TXT"],
            ),
            (
                "redirect to a name that cannot be",
                &[&["example.org TXT v=spf1 redirect=%{i}"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG],
            ),
            (
                "a record that redirects to itself",
                &[&["example.org TXT v=spf1 redirect=example.org"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG, ORG, ORG, ORG, ORG, ORG, ORG, ORG, ORG, ORG, ORG],
            ),
            // Void lookups (§4.6.4): 2 are fine, the 3rd is a permerror.
            (
                "two void lookups",
                &[&["example.org TXT v=spf1 a:n1.example.org mx:n2.example.org -all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                Fail,
                Some("-all"),
                &[ORG, "n1.example.org A", "n2.example.org MX"],
            ),
            (
                "three void lookups",
                &[&["example.org TXT v=spf1 a:n1.example.org mx:n2.example.org exists:n3.example.org -all"]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG, "n1.example.org A", "n2.example.org MX", "n3.example.org A"],
            ),
            (
                "void lookups of exchanges and PTR",
                &[&[
                    "example.org TXT v=spf1 ptr mx -all",
                    "example.org MX 10 n1.example.org",
                    "example.org MX 20 n2.example.org",
                ]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[
                    ORG,
                    "25.2.0.192.in-addr.arpa PTR",
                    "example.org MX",
                    "n1.example.org A",
                    "n2.example.org A",
                ],
            ),
            (
                "void lookups in includes count",
                &[&[
                    "example.org TXT v=spf1 include:_spf.example.net a:n3.example.org -all",
                    "_spf.example.net TXT v=spf1 a:n1.example.net a:n2.example.net",
                ]],
                "192.0.2.25",
                "alice@example.org",
                HELO,
                PermError,
                None,
                &[ORG, NET, "n1.example.net A", "n2.example.net A", "n3.example.org A"],
            ),
        ];
        for &(what, records, ip, from, helo, result, mechanism, queries) in cases {
            let all: Vec<&str> = records.iter().flat_map(|r| r.iter().copied()).collect();
            let (outcome, asked) = run(&zone(&all), ip, from, helo);
            let what = format!("{what}: {}", outcome.reason);
            assert_eq!(outcome.result, result, "{what}");
            assert_eq!(outcome.mechanism.as_deref(), mechanism, "{what}");
            assert_eq!(lines(&asked), queries, "{what}");
        }
    }

    /// The 10 DNS terms of §4.6.4: 10 includes are fine, the 11th is a permerror before it
    /// is asked; the same for `a`, and across includes.
    #[test]
    fn ten_dns_terms() {
        let includes = |n: usize| {
            let terms: Vec<String> = (1..=n).map(|i| format!("include:i{i}.example.net")).collect();
            let mut z = zone(&[]);
            z.add_txt("example.org", &format!("v=spf1 {} -all", terms.join(" ")));
            for i in 1..=n {
                z.add_txt(&format!("i{i}.example.net"), "v=spf1 ip4:198.51.100.1 -all");
            }
            z
        };
        let (outcome, asked) = run(&includes(10), "192.0.2.25", "alice@example.org", HELO);
        assert_eq!((outcome.result, outcome.mechanism.as_deref()), (Fail, Some("-all")));
        assert_eq!(asked.len(), 11);
        let (outcome, asked) = run(&includes(11), "192.0.2.25", "alice@example.org", HELO);
        assert_eq!((outcome.result, outcome.mechanism), (PermError, None));
        let want: Vec<String> = std::iter::once("example.org TXT".to_string())
            .chain((1..=10).map(|i| format!("i{i}.example.net TXT")))
            .collect();
        assert_eq!(lines(&asked), want);
        assert_eq!(
            outcome.reason,
            "the check needed more than 10 DNS lookups (RFC 7208 §4.6.4), the 11th for \
             include:i11.example.net in example.org's SPF record: permerror"
        );

        let a_terms = |n: usize| {
            let mut z = zone(&["example.org A 198.51.100.1"]);
            z.add_txt("example.org", &format!("v=spf1 {}-all", "a ".repeat(n)));
            z
        };
        let (outcome, asked) = run(&a_terms(10), "192.0.2.25", "alice@example.org", HELO);
        assert_eq!((outcome.result, asked.len()), (Fail, 11));
        let (outcome, asked) = run(&a_terms(11), "192.0.2.25", "alice@example.org", HELO);
        assert_eq!((outcome.result, asked.len()), (PermError, 11));

        // The limit is for the whole check: 5 a in an include and 5 in the record are 11
        // with the include.
        let mut z = zone(&["example.org A 198.51.100.1", "example.net A 198.51.100.1"]);
        z.add_txt("example.org", "v=spf1 include:example.net a a a a a -all");
        z.add_txt("example.net", "v=spf1 a a a a a");
        let (outcome, asked) = run(&z, "192.0.2.25", "alice@example.org", HELO);
        assert_eq!((outcome.result, asked.len()), (PermError, 11));

        // Terms without DNS lookups do not count: 30 ip4 and 10 a.
        let mut z = zone(&["example.org A 198.51.100.1"]);
        let ip4s: String = (1..=30).map(|i| format!("ip4:198.51.100.{i} ")).collect();
        z.add_txt("example.org", &format!("v=spf1 {ip4s}{}ip4:192.0.2.25 -all", "a ".repeat(10)));
        let (outcome, asked) = run(&z, "192.0.2.25", "alice@example.org", HELO);
        assert_eq!(
            (outcome.result, outcome.mechanism.as_deref(), asked.len()),
            (Pass, Some("ip4:192.0.2.25"), 11)
        );
    }

    /// An MX answer of 10 names is looked up name by name; one of 11 is a permerror at once.
    #[test]
    fn ten_mx_names() {
        let mut z = zone(&["example.org TXT v=spf1 mx -all"]);
        for i in 1..=10 {
            z.add_mx("example.org", i, &format!("mx{i}.example.org"));
            z.add_a(&format!("mx{i}.example.org"), &format!("192.0.2.{i}"));
        }
        let (outcome, asked) = run(&z, "192.0.2.10", "alice@example.org", HELO);
        assert_eq!((outcome.result, outcome.mechanism.as_deref()), (Pass, Some("mx")));
        assert_eq!(asked.len(), 12);
        assert_eq!(lines(&asked)[11], "mx10.example.org A");
        assert_eq!(
            outcome.reason,
            "192.0.2.10 is an address of mx10.example.org, a mail server (MX) of example.org \
             (mx in example.org's SPF record): pass"
        );

        z.add_mx("example.org", 11, "mx11.example.org");
        let (outcome, asked) = run(&z, "192.0.2.10", "alice@example.org", HELO);
        assert_eq!(outcome.result, PermError);
        assert_eq!(lines(&asked), ["example.org TXT", "example.org MX"]);
        assert_eq!(
            outcome.reason,
            "example.org has 11 MX records, and mx in example.org's SPF record may look up at \
             most 10 (RFC 7208 §4.6.4): permerror"
        );
    }

    /// A lookup that gets no answer (a timeout, a server failure) at each kind of question:
    /// a temperror, but for PTR, where a DNS error is no match (§5.5), and for the
    /// explanation, where it is no explanation (§6.2).
    #[test]
    fn timeouts() {
        let cases: &[(&[&str], usize, SpfResult, Option<&str>, &[&str])] = &[
            // The domain's record (§4.4).
            (&["example.org TXT v=spf1 +all"], 0, TempError, None, &["example.org TXT"]),
            // include's record.
            (
                &["example.org TXT v=spf1 include:_spf.example.net -all", "_spf.example.net TXT v=spf1 +all"],
                1,
                TempError,
                None,
                &["example.org TXT", "_spf.example.net TXT"],
            ),
            // A lookup inside the include: its temperror is the check's (§5.2).
            (
                &[
                    "example.org TXT v=spf1 include:_spf.example.net -all",
                    "_spf.example.net TXT v=spf1 a +all",
                ],
                2,
                TempError,
                None,
                &["example.org TXT", "_spf.example.net TXT", "_spf.example.net A"],
            ),
            // redirect's record.
            (
                &["example.org TXT v=spf1 redirect=_spf.example.net", "_spf.example.net TXT v=spf1 +all"],
                1,
                TempError,
                None,
                &["example.org TXT", "_spf.example.net TXT"],
            ),
            // a.
            (
                &["example.org TXT v=spf1 a +all", "example.org A 192.0.2.25"],
                1,
                TempError,
                None,
                &["example.org TXT", "example.org A"],
            ),
            // mx: the MX lookup, then an exchange's address.
            (
                &["example.org TXT v=spf1 mx +all", "example.org MX 10 mx.example.org"],
                1,
                TempError,
                None,
                &["example.org TXT", "example.org MX"],
            ),
            (
                &[
                    "example.org TXT v=spf1 mx +all",
                    "example.org MX 10 mx.example.org",
                    "mx.example.org A 192.0.2.25",
                ],
                2,
                TempError,
                None,
                &["example.org TXT", "example.org MX", "mx.example.org A"],
            ),
            // exists.
            (
                &["example.org TXT v=spf1 exists:%{i}.example.org +all"],
                1,
                TempError,
                None,
                &["example.org TXT", "192.0.2.25.example.org A"],
            ),
            // ptr: no match, on to the next.
            (
                &["example.org TXT v=spf1 ptr ip4:192.0.2.25 -all"],
                1,
                Pass,
                Some("ip4:192.0.2.25"),
                &["example.org TXT", "25.2.0.192.in-addr.arpa PTR"],
            ),
            // exp: the fail without its explanation.
            (
                &["example.org TXT v=spf1 -all exp=why.example.org", "why.example.org TXT no"],
                1,
                Fail,
                Some("-all"),
                &["example.org TXT", "why.example.org TXT"],
            ),
        ];
        for &(records, at, result, mechanism, queries) in cases {
            let check = SpfCheck::new("192.0.2.25", "alice@example.org", HELO);
            let (outcome, asked) = drive(check, &zone(records), Some(at));
            let what = format!("{records:?} at {at}: {}", outcome.reason);
            assert_eq!(outcome.result, result, "{what}");
            assert_eq!(outcome.mechanism.as_deref(), mechanism, "{what}");
            assert_eq!(lines(&asked), queries, "{what}");
            assert_eq!(outcome.explanation, None, "{what}");
        }
        let (outcome, _) = drive(SpfCheck::new("192.0.2.25", "alice@example.org", HELO), &zone(&[]), Some(0));
        assert_eq!(
            outcome.reason,
            "the DNS lookup of example.org (TXT) got no answer, so example.org's SPF record cannot \
             be read now (RFC 7208 §4.4): temperror"
        );
        let z = zone(&["example.org TXT v=spf1 mx -all", "example.org MX 10 mx.example.org"]);
        let (outcome, _) = drive(SpfCheck::new("192.0.2.25", "alice@example.org", HELO), &z, Some(2));
        assert_eq!(
            outcome.reason,
            "the DNS lookup of mx.example.org (A) for mx in example.org's SPF record got no answer, \
             so the check cannot finish now (RFC 7208 §5): temperror"
        );
    }

    /// exp= (§6.2): looked up on a fail only, from the record whose mechanism failed (a
    /// redirect's, never an include's), macro-expanded with c, r and t; any problem is no
    /// explanation.
    #[test]
    fn explanations() {
        let cases: &[(&[&str], &str, Option<&str>, &[&str])] = &[
            (
                &[
                    "example.org TXT v=spf1 -all exp=explain.example.org",
                    "explain.example.org TXT %{i} is not one of %{d}'s designated mail servers.",
                ],
                "alice@example.org",
                Some("192.0.2.25 is not one of example.org's designated mail servers."),
                &["example.org TXT", "explain.example.org TXT"],
            ),
            (
                &[
                    "example.org TXT v=spf1 -all exp=explain.example.org",
                    "explain.example.org TXT %{c} at %{r}, %{t}: %{l}%_%%%-",
                ],
                "alice@example.org",
                Some("192.0.2.25 at unknown, 0: alice %%20"),
                &["example.org TXT", "explain.example.org TXT"],
            ),
            // Uppercase macros are URL-escaped.
            (
                &[
                    "example.org TXT v=spf1 -all exp=explain.example.org",
                    "explain.example.org TXT See http://%{d}/why.html?s=%{S}&i=%{I}",
                ],
                "a+b@example.org",
                Some("See http://example.org/why.html?s=a%2Bb%40example.org&i=192.0.2.25"),
                &["example.org TXT", "explain.example.org TXT"],
            ),
            // The exp name is a domain-spec with macros.
            (
                &[
                    "example.org TXT v=spf1 -all exp=%{l}._exp.%{o}",
                    "alice._exp.example.org TXT Alice may not send from %{i}.",
                ],
                "alice@example.org",
                Some("Alice may not send from 192.0.2.25."),
                &["example.org TXT", "alice._exp.example.org TXT"],
            ),
            // -include of a pass fails by a mechanism of this record: its exp.
            (
                &[
                    "example.org TXT v=spf1 -include:_spf.example.net exp=why.example.org",
                    "_spf.example.net TXT v=spf1 +all",
                    "why.example.org TXT no",
                ],
                "alice@example.org",
                Some("no"),
                &["example.org TXT", "_spf.example.net TXT", "why.example.org TXT"],
            ),
            // A redirect's record gives its own exp, not the first record's.
            (
                &[
                    "example.org TXT v=spf1 redirect=_spf.example.net exp=outer.example.org",
                    "_spf.example.net TXT v=spf1 -all exp=inner.example.net",
                    "inner.example.net TXT not from %{d}",
                    "outer.example.org TXT outer",
                ],
                "alice@example.org",
                Some("not from _spf.example.net"),
                &["example.org TXT", "_spf.example.net TXT", "inner.example.net TXT"],
            ),
            // Without its own exp, none.
            (
                &[
                    "example.org TXT v=spf1 redirect=_spf.example.net exp=outer.example.org",
                    "_spf.example.net TXT v=spf1 -all",
                    "outer.example.org TXT outer",
                ],
                "alice@example.org",
                None,
                &["example.org TXT", "_spf.example.net TXT"],
            ),
            // Not on a softfail.
            (
                &["example.org TXT v=spf1 ~all exp=why.example.org", "why.example.org TXT no"],
                "alice@example.org",
                None,
                &["example.org TXT"],
            ),
            // Problems: no record, two records, a bad macro, a character SPF does not
            // allow, a name that cannot be.
            (
                &["example.org TXT v=spf1 -all exp=why.example.org"],
                "alice@example.org",
                None,
                &["example.org TXT", "why.example.org TXT"],
            ),
            (
                &[
                    "example.org TXT v=spf1 -all exp=why.example.org",
                    "why.example.org TXT one",
                    "why.example.org TXT two",
                ],
                "alice@example.org",
                None,
                &["example.org TXT", "why.example.org TXT"],
            ),
            (
                &["example.org TXT v=spf1 -all exp=why.example.org", "why.example.org TXT 100%x"],
                "alice@example.org",
                None,
                &["example.org TXT", "why.example.org TXT"],
            ),
            (
                &["example.org TXT v=spf1 -all exp=why.example.org", "why.example.org TXT déjà vu"],
                "alice@example.org",
                None,
                &["example.org TXT", "why.example.org TXT"],
            ),
            (
                &["example.org TXT v=spf1 -all exp=%{l}.example.org"],
                "a..b@example.org",
                None,
                &["example.org TXT"],
            ),
        ];
        for &(records, from, explanation, queries) in cases {
            let (outcome, asked) = run(&zone(records), "192.0.2.25", from, HELO);
            let what = format!("{records:?}: {}", outcome.reason);
            assert_eq!(outcome.explanation.as_deref(), explanation, "{what}");
            assert_eq!(lines(&asked), queries, "{what}");
        }
        // %{r} and %{t} as the receiving server gives them.
        let z = zone(&[
            "example.org TXT v=spf1 -all exp=why.example.org",
            "why.example.org TXT checked by %{r} at %{t}",
        ]);
        let check = SpfCheck::new("192.0.2.25", "alice@example.org", HELO)
            .with_receiver("mx.example.net")
            .with_timestamp(1_700_000_000);
        let (outcome, _) = drive(check, &z, None);
        assert_eq!(outcome.explanation.as_deref(), Some("checked by mx.example.net at 1700000000"));
    }

    /// The macro examples of RFC 7208 §7.4, with `%{p}` as `unknown` (no PTR records
    /// here, where the RFC has `mx.example.org`), and more.
    #[test]
    fn macros() {
        let cx = SpfCheck::new("192.0.2.3", "strong-bad@email.example.com", "mx.example.org").cx;
        let cases = [
            ("%{s}", "strong-bad@email.example.com"),
            ("%{o}", "email.example.com"),
            ("%{d}", "email.example.com"),
            ("%{d4}", "email.example.com"),
            ("%{d3}", "email.example.com"),
            ("%{d2}", "example.com"),
            ("%{d1}", "com"),
            ("%{dr}", "com.example.email"),
            ("%{d2r}", "example.email"),
            ("%{l}", "strong-bad"),
            ("%{l-}", "strong.bad"),
            ("%{lr}", "strong-bad"),
            ("%{lr-}", "bad.strong"),
            ("%{l1r-}", "strong"),
            ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
            ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
            ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
            ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
            ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
            // Beyond the RFC's table.
            ("%{p}", "unknown"),
            ("%{h}", "mx.example.org"),
            ("%{h1r}", "mx"),
            ("%{i}", "192.0.2.3"),
            ("%{i2}", "2.3"),
            ("%{d200}", "email.example.com"),
            ("%{d2R}", "example.email"),
            ("%{l-.}", "strong.bad"),
            ("%{l1-}", "bad"),
            ("%{S}", "strong-bad%40email.example.com"),
            ("%{L2R-}", "bad.strong"),
            ("%{V}", "in-addr"),
            ("%%%_%-", "% %20"),
            ("x.%{c}.%{r}.%{t}", "x.192.0.2.3.unknown.0"),
        ];
        for (text, want) in cases {
            let pieces = parse_macro_string(text, Letters::Explanation, true).expect(text);
            assert_eq!(cx.expand(&pieces, "email.example.com").as_deref(), Some(want), "{text}");
        }
        for bad in [
            "%", "100%", "%x", "%{", "%{s", "%{}", "%{s0}", "%{q}", "%{sx}", "%{s1r2}", "%{s.r}", "é", "a\tb",
        ] {
            assert!(parse_macro_string(bad, Letters::Explanation, false).is_err(), "{bad}");
        }
        // c, r and t only in an explanation; spaces only there too.
        assert!(parse_domain_spec("%{c}.example.org").is_err());
        assert!(parse_macro_string("%{c}", Letters::Explanation, false).is_ok());
        assert!(parse_macro_string("a b", Letters::Domain, false).is_err());
        assert!(parse_macro_string("a b", Letters::Explanation, true).is_ok());
        // The end of a domain-spec: a top label or a macro.
        for good in
            ["example.org", "example.org.", "%{d}", "_spf.%{d}", "%{d}.example-1.org", "x.123-4", "%{d}%%"]
        {
            assert!(parse_domain_spec(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "org",
            "org.",
            "example.123",
            "%{d}.",
            "example.-org",
            "example.org-",
            "example..",
            "%{d}com",
        ] {
            assert!(parse_domain_spec(bad).is_err(), "{bad}");
        }

        // An expansion too long for a name is cut from the left, label by label (§7.3).
        let long = format!("{}example.org", "abcdefg.".repeat(40));
        let name = query_name(&long).expect("a name");
        assert!(
            name.len() <= 253 && name.ends_with(".example.org") && name.starts_with("abcdefg."),
            "{name}"
        );
        assert_eq!(query_name("example.org."), Some("example.org".to_string()));
        assert_eq!(query_name("a..b"), None);
        assert_eq!(query_name("."), None);
        assert_eq!(query_name(&format!("{}.org", "x".repeat(64))), None);

        // A macro used in a real check: the §7.4 names asked of the DNS.
        let z = zone(&[
            "email.example.com TXT v=spf1 exists:%{ir}.%{v}._spf.%{d2} -all",
            "3.2.0.192.in-addr._spf.example.com A 127.0.0.2",
        ]);
        let (outcome, asked) = run(&z, "192.0.2.3", "strong-bad@email.example.com", "mx.example.org");
        assert_eq!(
            (outcome.result, outcome.mechanism.as_deref()),
            (Pass, Some("exists:%{ir}.%{v}._spf.%{d2}"))
        );
        assert_eq!(lines(&asked), ["email.example.com TXT", "3.2.0.192.in-addr._spf.example.com A"]);
    }

    /// The sentences a student reads.
    #[test]
    fn reasons() {
        let org = |record: &str, extra: &[&str]| {
            let mut z = zone(extra);
            z.add_txt("example.org", record);
            z
        };
        let cases: &[(Zone, &str, &str, &str)] = &[
            (
                org("v=spf1 ip4:192.0.2.0/24 -all", &[]),
                "192.0.2.25",
                "alice@example.org",
                "192.0.2.25 is in ip4:192.0.2.0/24 of example.org's SPF record: pass",
            ),
            (
                org("v=spf1 ip4:192.0.2.0/24 -all", &[]),
                "198.51.100.7",
                "alice@example.org",
                "198.51.100.7 is not among the servers example.org allows (its SPF record ends in -all): fail",
            ),
            (
                org("v=spf1 -all a", &[]),
                "198.51.100.7",
                "alice@example.org",
                "198.51.100.7 is not among the servers example.org allows (its SPF record reaches -all): fail",
            ),
            (
                org("v=spf1 +all", &[]),
                "198.51.100.7",
                "alice@example.org",
                "example.org's SPF record allows any server (+all), so 198.51.100.7 too: pass",
            ),
            (
                zone(&[]),
                "192.0.2.25",
                "alice@example.org",
                "example.org does not exist (NXDOMAIN), so it publishes no SPF record",
            ),
            (
                zone(&["example.org A 192.0.2.1"]),
                "192.0.2.25",
                "alice@example.org",
                "example.org publishes no SPF record",
            ),
            (
                zone(&["example.org TXT hello"]),
                "192.0.2.25",
                "alice@example.org",
                "example.org publishes no SPF record (none of its TXT records starts with “v=spf1”)",
            ),
            (
                zone(&[]),
                "192.0.2.25",
                "alice@localhost",
                "“localhost” is not a fully qualified domain name, so there is no SPF record to check (RFC 7208 §4.3)",
            ),
            (
                org("v=spf1 a/24 -all", &["example.org A 192.0.2.10"]),
                "192.0.2.25",
                "alice@example.org",
                "192.0.2.25 is within /24 of 192.0.2.10, an address of example.org (a/24 in example.org's SPF record): pass",
            ),
            (
                org("v=spf1 a:mail.example.org -all", &["mail.example.org A 192.0.2.25"]),
                "192.0.2.25",
                "alice@example.org",
                "192.0.2.25 is an address of mail.example.org (a:mail.example.org in example.org's SPF record): pass",
            ),
            (
                org("v=spf1 exists:%{i}.x.example.org -all", &["192.0.2.25.x.example.org A 127.0.0.2"]),
                "192.0.2.25",
                "alice@example.org",
                "192.0.2.25.x.example.org has an address record, so exists:%{i}.x.example.org in example.org's SPF record matches: pass",
            ),
            (
                org("v=spf1 ip4:192.0.2.1", &[]),
                "192.0.2.25",
                "alice@example.org",
                "no mechanism of example.org's SPF record matches 192.0.2.25, and it has no redirect= (RFC 7208 §4.7): neutral",
            ),
            (
                org(
                    "v=spf1 include:_spf.example.net -all",
                    &["_spf.example.net TXT v=spf1 ip4:192.0.2.0/24 -all"],
                ),
                "192.0.2.25",
                "alice@example.org",
                "192.0.2.25 is in ip4:192.0.2.0/24 of _spf.example.net's SPF record, which matches \
                 include:_spf.example.net in example.org's SPF record: pass",
            ),
            (
                org("v=spf1 -include:_spf.example.net +all", &["_spf.example.net TXT v=spf1 +all"]),
                "192.0.2.25",
                "alice@example.org",
                "_spf.example.net's SPF record allows any server (+all), so 192.0.2.25 too, which matches \
                 -include:_spf.example.net in example.org's SPF record: fail",
            ),
            (
                org("v=spf1 ?all", &[]),
                "192.0.2.25",
                "alice@example.org",
                "example.org's SPF record says nothing about 192.0.2.25 (it ends in ?all): neutral",
            ),
            (
                org("v=spf1 ~all", &[]),
                "192.0.2.25",
                "alice@example.org",
                "192.0.2.25 is not among the servers example.org allows (its SPF record ends in ~all): softfail",
            ),
            (
                org("v=spf1 -all \u{1}", &[]),
                "192.0.2.25",
                "alice@example.org",
                "example.org's SPF record is not valid (RFC 7208 §4.6): “\\u{1}” has a character that SPF does not \
                 allow: permerror",
            ),
            (
                org("v=spf1 a:%{d0}.example.org", &[]),
                "192.0.2.25",
                "alice@example.org",
                "example.org's SPF record is not valid (RFC 7208 §4.6): in “a:%{d0}.example.org”, “%{d0}” keeps 0 \
                 parts, and it must keep 1 or more (RFC 7208 §7.3): permerror",
            ),
            (
                org(
                    "v=spf1 redirect=_spf.example.net",
                    &["_spf.example.net TXT v=spf1 ip4:192.0.2.0/24 -all"],
                ),
                "192.0.2.25",
                "alice@example.org",
                "192.0.2.25 is in ip4:192.0.2.0/24 of _spf.example.net's SPF record; example.org hands its check to \
                 _spf.example.net (redirect=_spf.example.net): pass",
            ),
            (
                org("v=spf1 include:_spf.example.net -all", &[]),
                "192.0.2.25",
                "alice@example.org",
                "include:_spf.example.net in example.org's SPF record: _spf.example.net does not exist (NXDOMAIN), so it \
                 publishes no SPF record, and an include of a domain without an SPF record is an error (RFC 7208 §5.2): permerror",
            ),
            (
                org("v=spf1 redirect=_spf.example.net", &[]),
                "192.0.2.25",
                "alice@example.org",
                "redirect=_spf.example.net in example.org's SPF record leads to _spf.example.net, which publishes no SPF \
                 record (RFC 7208 §6.1): permerror",
            ),
            (
                zone(&["example.org TXT v=spf1 +all", "example.org TXT v=spf1 -all"]),
                "192.0.2.25",
                "alice@example.org",
                "example.org publishes 2 SPF records, and a domain may publish only one (RFC 7208 §4.5): permerror",
            ),
            (
                org("v=spf1 +all ip4:192.0.2.300", &[]),
                "192.0.2.25",
                "alice@example.org",
                "example.org's SPF record is not valid (RFC 7208 §4.6): in “ip4:192.0.2.300”, “192.0.2.300” is not \
                 an IPv4 address: permerror",
            ),
            (
                org("v=spf1 -all foo=%{q}", &[]),
                "192.0.2.25",
                "alice@example.org",
                "example.org's SPF record is not valid (RFC 7208 §4.6): in “foo=%{q}”, “%{q}” is not a macro \
                 (RFC 7208 §7.1): permerror",
            ),
            (
                org("v=spf1 -all a:ex%mple.org", &[]),
                "192.0.2.25",
                "alice@example.org",
                "example.org's SPF record is not valid (RFC 7208 §4.6): in “a:ex%mple.org”, a % is followed by \
                 neither {, %, _ nor - (RFC 7208 §7.1): permerror",
            ),
            (
                org("v=spf1 a:n1.example.org a:n2.example.org a:n3.example.org -all", &[]),
                "192.0.2.25",
                "alice@example.org",
                "more than 2 DNS lookups found nothing (RFC 7208 §4.6.4): the 3rd, n3.example.org (A), was for \
                 a:n3.example.org in example.org's SPF record: permerror",
            ),
            (
                zone(&[]),
                "192.0.2.300",
                "alice@example.org",
                "“192.0.2.300” is not an IPv4 address, and this simulation checks IPv4 clients only",
            ),
        ];
        for (z, ip, from, want) in cases {
            let (outcome, _) = run(z, ip, from, HELO);
            assert_eq!(outcome.reason, *want);
        }
    }

    /// The identities: MAIL FROM's domain, or the HELO name for a bounce with
    /// postmaster as its local-part (§2.4, §4.3).
    #[test]
    fn identities() {
        let z = zone(&[
            "mail.example.org TXT v=spf1 -all exp=why.example.org",
            "why.example.org TXT %{s} %{l} %{o} %{h}",
        ]);
        let (outcome, _) = run(&z, "192.0.2.25", "", "mail.example.org");
        assert_eq!(outcome.domain, "mail.example.org");
        assert_eq!(outcome.sender, "postmaster@mail.example.org");
        let z = zone(&[
            "example.org TXT v=spf1 -all exp=why.example.org",
            "why.example.org TXT %{s} %{l} %{o} %{h}",
        ]);
        let (outcome, _) = run(&z, "192.0.2.25", "", "mail.example.org");
        assert_eq!(outcome.result, NONE);
        let (outcome, _) = run(&z, "192.0.2.25", "@example.org", "mail.example.org");
        assert_eq!(outcome.sender, "postmaster@example.org");
        assert_eq!(
            outcome.explanation.as_deref(),
            Some("postmaster@example.org postmaster example.org mail.example.org")
        );
        let (outcome, _) = run(&z, "192.0.2.25", "\"a@b\"@example.org", "mail.example.org");
        assert_eq!(
            (outcome.domain.as_str(), outcome.sender.as_str()),
            ("example.org", "\"a@b\"@example.org")
        );
        let (outcome, _) = run(&z, "192.0.2.25", "example.org", "mail.example.org");
        assert_eq!(outcome.sender, "postmaster@example.org");
        let long = format!("alice@{}.example.org", "x".repeat(64));
        assert_eq!(run(&z, "192.0.2.25", &long, HELO).0.result, NONE);
        let long = format!("alice@{}example.org", "abcdefghi.".repeat(25));
        let (outcome, asked) = run(&z, "192.0.2.25", &long, HELO);
        assert_eq!((outcome.result, asked.len()), (NONE, 0));
    }

    /// The machine: a question until the end, then only the outcome; an answer when
    /// nothing was asked changes nothing; the names of the results.
    #[test]
    fn machine() {
        let mut check = SpfCheck::new("192.0.2.25", "alice@example.org", HELO);
        assert_eq!(check.query(), Some(("example.org".to_string(), "TXT")));
        assert_eq!(check.outcome(), None);
        check.answer(Some(&Answer::NxDomain));
        assert_eq!(check.query(), None);
        let before = check.outcome().cloned();
        check.answer(Some(&Answer::NoData));
        assert_eq!(check.outcome().cloned(), before);
        assert_eq!(before.map(|o| o.result), Some(NONE));

        let names: Vec<&str> =
            [NONE, Neutral, Pass, Fail, SoftFail, TempError, PermError].iter().map(|r| r.name()).collect();
        assert_eq!(names, ["none", "neutral", "pass", "fail", "softfail", "temperror", "permerror"]);

        // A record longer than this checker reads.
        let mut z = zone(&[]);
        z.add_txt("example.org", &format!("v=spf1 {}-all", "ip4:198.51.100.1 ".repeat(300)));
        assert_eq!(run(&z, "192.0.2.25", "alice@example.org", HELO).0.result, PermError);
    }
}
