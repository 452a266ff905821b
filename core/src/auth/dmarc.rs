//! DMARC (RFC 7489), as a receiving mail server checks it. The domain a person reads in
//! `From:` publishes a policy in DNS, at `_dmarc.<domain>`; a message passes when SPF or DKIM
//! passed for a domain *aligned* with that `From:` domain. When it fails, the policy says
//! what the domain's owner asks for: no action (`p=none`), suspicion, such as the spam
//! folder (`p=quarantine`), or refusal (`p=reject`).
//!
//! Four parts, each usable alone: [`from_domain`] finds the domain to check (§6.6.1),
//! [`PolicyLookup`] asks the DNS for its policy, sans-IO (§6.6.3), [`parse_record`] reads a
//! policy record (§6.3, §6.4), and [`evaluate`] gives the result and what the domain asks
//! for (§6.6.2, §6.6.4). No report is sent: `rua` and `ruf` are read and kept so that they
//! can be shown.

use crate::dns::Answer;

/// The longest DMARC record read; a longer one is a permanent error. RFC 7489 sets no limit;
/// 4096 octets is the DNS answer size RFC 6891 §6.2.5 suggests a resolver start from, and a
/// record of a real domain is a few hundred at most.
pub const MAX_RECORD_LEN: usize = 4096;

/// The most report URIs kept from one `rua` or `ruf` tag: a receiver may limit how many
/// addresses get reports, but must handle at least two (RFC 7489 §6.2). The URIs after these
/// are checked but not kept.
pub const MAX_REPORT_URIS: usize = 4;

/// The longest domain name: 255 octets on the wire, 253 characters written out
/// (RFC 1035 §2.3.4).
pub const MAX_DOMAIN_LEN: usize = 253;

/// The longest label of a domain name (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;

/// The longest `From:` field read, unfolded. A line holds at most 998 characters
/// (RFC 5322 §2.1.1); a folded field can run over several lines, and four lines' worth is
/// more than any one mailbox needs.
pub const MAX_FROM_LEN: usize = 4096;

/// How many domains a `reason` names before it says how many more there are: a message may
/// carry many DKIM signatures, and the sentence a student reads stays short.
const MAX_NAMED: usize = 3;

/// The longest piece of a record or header quoted back in a reason, in characters.
const MAX_SHOWN: usize = 60;

/// What a domain's owner asks receivers to do with mail that fails DMARC (RFC 7489 §6.3,
/// the `p` and `sp` tags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// No action: the owner only wants to learn, from reports, who sends in its name.
    None,
    /// Treat the message as suspicious: the spam folder, for instance (§6.6.4).
    Quarantine,
    /// Refuse the message, during the SMTP transaction when possible (§6.6.4, §10.3).
    Reject,
}

impl Policy {
    /// The policy's name, as it is written in a record: `none`, `quarantine`, `reject`.
    pub fn name(self) -> &'static str {
        match self {
            Policy::None => "none",
            Policy::Quarantine => "quarantine",
            Policy::Reject => "reject",
        }
    }

    /// The next policy down, which a message left out by `pct` gets: a message not
    /// subject to `reject` is treated as if `quarantine` applied, and one not subject to
    /// `quarantine` gets the receiver's usual handling (RFC 7489 §6.6.4).
    pub fn weaker(self) -> Policy {
        match self {
            Policy::Reject => Policy::Quarantine,
            Policy::Quarantine | Policy::None => Policy::None,
        }
    }

    /// `none`, `quarantine` or `reject`, in any case: the ABNF's quoted strings are
    /// case-insensitive (RFC 7489 §6.4, RFC 5234 §2.3).
    fn parse(value: &str) -> Option<Policy> {
        [Policy::None, Policy::Quarantine, Policy::Reject]
            .into_iter()
            .find(|p| value.eq_ignore_ascii_case(p.name()))
    }
}

/// How closely a domain that passed SPF or DKIM must match the `From:` domain
/// (RFC 7489 §3.1, the `adkim` and `aspf` tags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alignment {
    /// `r`, the default: the same Organizational Domain (`mail.example.org` matches
    /// `example.org`).
    Relaxed,
    /// `s`: exactly the same domain.
    Strict,
}

impl Alignment {
    /// `relaxed` or `strict`.
    pub fn name(self) -> &'static str {
        match self {
            Alignment::Relaxed => "relaxed",
            Alignment::Strict => "strict",
        }
    }

    /// `r` or `s`, in any case (RFC 7489 §6.4).
    fn parse(value: &str) -> Option<Alignment> {
        if value.eq_ignore_ascii_case("r") {
            Some(Alignment::Relaxed)
        } else if value.eq_ignore_ascii_case("s") {
            Some(Alignment::Strict)
        } else {
            None
        }
    }
}

/// When the domain asks for a failure report about one message (RFC 7489 §6.3, `fo`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureOption {
    /// `0`, the default: when neither SPF nor DKIM gives an aligned pass.
    AllFail,
    /// `1`: when SPF or DKIM gives anything but an aligned pass.
    AnyFail,
    /// `d`: when a DKIM signature fails to verify, aligned or not.
    Dkim,
    /// `s`: when SPF fails, aligned or not.
    Spf,
}

impl FailureOption {
    /// The option as it is written in a record: `0`, `1`, `d` or `s`.
    pub fn name(self) -> &'static str {
        match self {
            FailureOption::AllFail => "0",
            FailureOption::AnyFail => "1",
            FailureOption::Dkim => "d",
            FailureOption::Spf => "s",
        }
    }

    fn parse(value: &str) -> Option<FailureOption> {
        [FailureOption::AllFail, FailureOption::AnyFail, FailureOption::Dkim, FailureOption::Spf]
            .into_iter()
            .find(|o| value.eq_ignore_ascii_case(o.name()))
    }
}

/// A DMARC policy record, with the defaults of RFC 7489 §6.3 for the tags it leaves out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// `p`: what to do with mail from this domain that fails.
    pub policy: Policy,
    /// `sp`: what to do with mail from its subdomains that fails; `None` when absent, and
    /// then `p` applies to them too.
    pub subdomain_policy: Option<Policy>,
    /// `pct`: the percentage of failing messages the policy is applied to (default 100).
    pub percent: u8,
    /// `adkim`: DKIM alignment (default relaxed).
    pub adkim: Alignment,
    /// `aspf`: SPF alignment (default relaxed).
    pub aspf: Alignment,
    /// `rua`: where aggregate reports go, as written (`mailto:dmarc@example.org!10m`); at
    /// most [`MAX_REPORT_URIS`].
    pub rua: Vec<String>,
    /// `ruf`: where failure reports about single messages go, as written; at most
    /// [`MAX_REPORT_URIS`].
    pub ruf: Vec<String>,
    /// `fo`: when a failure report is asked for (default `0`).
    pub fo: Vec<FailureOption>,
    /// `rf`: the formats of failure reports, lower case (default `afrf`, the only
    /// registered one; others are ignored, §6.3).
    pub rf: Vec<String>,
    /// `ri`: the interval between aggregate reports, in seconds (default 86400, a day).
    pub ri: u32,
    /// Why the record is read as `p=none` though it does not say so: it has no valid `p`,
    /// or an invalid `sp`, but a valid `rua`, and a receiver then acts as if it said
    /// `p=none` (RFC 7489 §6.6.3 step 6). `None` for a record whose policy is valid.
    pub policy_problem: Option<String>,
    /// Tags left at their defaults because their values had syntax errors, each with why
    /// (RFC 7489 §6.3: "Syntax errors in the remainder of the record SHOULD be discarded in
    /// favor of default values"); a report address list keeps the addresses that read.
    pub ignored: Vec<String>,
}

/// The tags RFC 7489 §6.3 defines; any other tag is ignored.
const TAGS: [&str; 11] = ["v", "p", "sp", "rua", "ruf", "adkim", "aspf", "pct", "ri", "fo", "rf"];

/// A tag's value read into `slot`; one that does not read leaves the default there and is
/// noted as ignored (RFC 7489 §6.3: the record still says what the domain asks).
fn keep<T>(slot: &mut T, read: Option<T>, ignored: &mut Vec<String>, why: impl FnOnce() -> String) {
    match read {
        Some(value) => *slot = value,
        None => ignored.push(why()),
    }
}

/// Parses a DMARC policy record (RFC 7489 §6.3, §6.4). `v=DMARC1` must be the first tag
/// and `p` must follow it somewhere; a record with no valid `p` (or an invalid `sp`) but a
/// valid `rua` is read as `p=none` (§6.6.3 step 6). Tags this version does not define are
/// ignored (§6.3). A syntax error in the value of a defined tag, a tag given twice (the
/// tag-value syntax of DKIM that DMARC uses, RFC 6376 §3.2) or a part that is not a tag
/// at all makes the record invalid, with the reason in plain words: RFC 7489 §6.3 lets a
/// receiver ignore such errors, and a student learns more from being told.
///
/// Lenient where real receivers are: spaces and tabs around tags, `=`, `;`, `,` and `:`,
/// empty parts between semicolons, tag names and keywords in any case (the ABNF's quoted
/// strings are case-insensitive, RFC 5234 §2.3), `p` after other tags (the ABNF puts it
/// second; §6.3 only asks that it come after `v`). Strict where the ABNF is: `DMARC1` is
/// written in capitals exactly (§6.4 gives it in %x), `pct` has at most three digits.
pub fn parse_record(text: &str) -> Result<Record, String> {
    if text.len() > MAX_RECORD_LEN {
        return Err(format!(
            "the record is {} bytes long, more than the {MAX_RECORD_LEN} this receiver reads",
            text.len()
        ));
    }
    let mut parts = text.split(';');
    let first = parts.next().unwrap_or_default();
    // The version first, exactly "DMARC1" (RFC 7489 §6.3 `v`, §6.4 dmarc-version).
    match tag_of(first) {
        Some((name, "DMARC1")) if name.eq_ignore_ascii_case("v") => {}
        Some((name, value)) if name.eq_ignore_ascii_case("v") && value.starts_with("DMARC1") => {
            return Err(format!("v={} needs a ; after DMARC1, before the next tag", shown(value)));
        }
        Some((name, value)) if name.eq_ignore_ascii_case("v") => {
            return Err(format!("v={} is not DMARC1, written exactly so", shown(value)));
        }
        _ => return Err(format!("the record starts with `{}`, not with v=DMARC1", shown(trim_wsp(first)))),
    }
    let mut record = Record {
        policy: Policy::None,
        subdomain_policy: None,
        percent: 100,
        adkim: Alignment::Relaxed,
        aspf: Alignment::Relaxed,
        rua: Vec::new(),
        ruf: Vec::new(),
        fo: vec![FailureOption::AllFail],
        rf: vec!["afrf".to_string()],
        ri: 86400,
        policy_problem: None,
        ignored: Vec::new(),
    };
    let mut policy = None;
    let mut p_error = None;
    let mut sp_error = None;
    let mut seen = vec!["v"];
    for part in parts {
        let part = trim_wsp(part);
        if part.is_empty() {
            continue;
        }
        let Some((name, value)) = tag_of(part) else {
            return Err(format!("`{}` has no = sign, so it is not a tag", shown(part)));
        };
        if !is_tag_name(name) {
            return Err(format!("`{}` is not a tag name (a letter, then letters, digits or _)", shown(name)));
        }
        // Unknown tags are ignored (RFC 7489 §6.3), whatever their value.
        let Some(&tag) = TAGS.iter().find(|t| t.eq_ignore_ascii_case(name)) else {
            continue;
        };
        if seen.contains(&tag) {
            return Err(format!("the tag {tag} appears twice"));
        }
        seen.push(tag);
        let bad = |what: &str| format!("{tag}={} is not {what}", shown(value));
        match tag {
            "p" => match Policy::parse(value) {
                Some(p) => policy = Some(p),
                None => p_error = Some(bad("none, quarantine or reject")),
            },
            "sp" => match Policy::parse(value) {
                Some(p) => record.subdomain_policy = Some(p),
                None => sp_error = Some(bad("none, quarantine or reject")),
            },
            // The other tags: a value with a syntax error is ignored, the default stays
            // (RFC 7489 §6.3), and the record still says what the domain asks.
            "rua" | "ruf" => {
                let (uris, problem) = report_uris(tag, value);
                record.ignored.extend(problem);
                if tag == "rua" { record.rua = uris } else { record.ruf = uris }
            }
            "adkim" => keep(&mut record.adkim, Alignment::parse(value), &mut record.ignored, || {
                bad("r (relaxed) or s (strict)")
            }),
            "aspf" => keep(&mut record.aspf, Alignment::parse(value), &mut record.ignored, || {
                bad("r (relaxed) or s (strict)")
            }),
            "pct" => keep(&mut record.percent, percent(value), &mut record.ignored, || {
                bad("a whole number from 0 to 100")
            }),
            "ri" => {
                keep(&mut record.ri, seconds(value), &mut record.ignored, || bad("a whole number of seconds"))
            }
            "fo" => keep(&mut record.fo, failure_options(value), &mut record.ignored, || {
                bad("a list of 0, 1, d and s separated by colons")
            }),
            "rf" => keep(&mut record.rf, report_formats(value), &mut record.ignored, || {
                bad("a list of report format names")
            }),
            // "v" again was refused as a repeated tag above.
            _ => {}
        }
    }
    let p_problem = match policy {
        Some(_) => None,
        None => {
            Some(p_error.unwrap_or_else(|| "it has no p= tag to say none, quarantine or reject".to_string()))
        }
    };
    match (policy, p_problem.or(sp_error)) {
        (Some(p), None) => record.policy = p,
        (_, problem) => {
            let problem = problem.unwrap_or_default();
            // RFC 7489 §6.6.3 step 6: with a usable report address, act as if p=none.
            if record.rua.is_empty() {
                return Err(problem);
            }
            record.policy = Policy::None;
            record.subdomain_policy = None;
            record.policy_problem = Some(problem);
        }
    }
    Ok(record)
}

/// Whether a TXT record is a DMARC record at all: its first tag is `v=DMARC1`. The others at
/// `_dmarc.<domain>` are discarded (RFC 7489 §6.6.3 steps 2 and 4).
fn is_dmarc_record(text: &str) -> bool {
    let first = text.split(';').next().unwrap_or_default();
    matches!(tag_of(first), Some((name, "DMARC1")) if name.eq_ignore_ascii_case("v"))
}

/// Space and tab, the WSP of the ABNF (RFC 5234 appendix B.1).
fn is_wsp(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn trim_wsp(s: &str) -> &str {
    s.trim_matches(is_wsp)
}

/// `name = value`, both without the spaces around them.
fn tag_of(part: &str) -> Option<(&str, &str)> {
    let (name, value) = part.split_once('=')?;
    Some((trim_wsp(name), trim_wsp(value)))
}

/// A letter, then letters, digits or `_` (RFC 6376 §3.2 tag-name, which DMARC's records
/// follow, RFC 7489 §6.3).
fn is_tag_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// At most [`MAX_SHOWN`] characters of `s`, for quoting it back in a reason.
fn shown(s: &str) -> String {
    match s.char_indices().nth(MAX_SHOWN) {
        Some((cut, _)) => format!("{}…", s.get(..cut).unwrap_or_default()),
        None => s.to_string(),
    }
}

/// `pct`: 1*3DIGIT, at most 100 (RFC 7489 §6.3, §6.4).
fn percent(value: &str) -> Option<u8> {
    if value.is_empty() || value.len() > 3 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse::<u8>().ok().filter(|&n| n <= 100)
}

/// `ri`: 1*DIGIT, a 32-bit unsigned number of seconds (RFC 7489 §6.3, §6.4).
fn seconds(value: &str) -> Option<u32> {
    if value.is_empty() || value.len() > 10 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// `fo`: `0`, `1`, `d` or `s`, separated by colons (RFC 7489 §6.3, §6.4). Repeated options
/// are kept once.
fn failure_options(value: &str) -> Option<Vec<FailureOption>> {
    let mut options = Vec::new();
    for part in value.split(':') {
        let option = FailureOption::parse(trim_wsp(part))?;
        if !options.contains(&option) {
            options.push(option);
        }
    }
    Some(options)
}

/// `rf`: report format names (RFC 5321 Keyword) separated by colons. Only `afrf` is
/// registered; a receiver ignores the others (RFC 7489 §6.3), and with none left the
/// default, `afrf`, stands.
fn report_formats(value: &str) -> Option<Vec<String>> {
    for part in value.split(':') {
        let keyword = trim_wsp(part);
        // Keyword = Ldh-str: letters, digits and hyphens, ending in a letter or digit
        // (RFC 5321 §4.1.2).
        let ldh = keyword.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ldh || !keyword.ends_with(|c: char| c.is_ascii_alphanumeric()) {
            return None;
        }
    }
    Some(vec!["afrf".to_string()])
}

/// `rua`, `ruf`: report URIs separated by commas, each with an optional size limit
/// (`!10m`) (RFC 7489 §6.2, §6.4 dmarc-uri). The first [`MAX_REPORT_URIS`] are kept.
fn report_uris(tag: &str, value: &str) -> (Vec<String>, Option<String>) {
    let mut uris = Vec::new();
    let mut problem = None;
    for item in value.split(',') {
        let item = trim_wsp(item);
        match report_uri(item) {
            Ok(()) if uris.len() < MAX_REPORT_URIS => uris.push(item.to_string()),
            Ok(()) => {}
            Err(why) => {
                problem.get_or_insert_with(|| format!("{tag}= has {why}"));
            }
        }
    }
    (uris, problem)
}

/// One dmarc-uri: a URI (RFC 3986 §3) in which commas and exclamation marks are
/// percent-encoded, then `!` and a size in octets, kilo, mega, giga or tera, that fits in
/// 64 bits (RFC 7489 §6.2, §6.4). A `mailto:` URI needs an address with an `@`
/// (RFC 6068 §2).
fn report_uri(item: &str) -> Result<(), String> {
    if item.is_empty() {
        return Err("an empty place in its list of addresses".to_string());
    }
    let not_uri = || format!("`{}`, which is not a URI like mailto:reports@example.org", shown(item));
    let (uri, size) = match item.split_once('!') {
        Some((uri, size)) => (uri, Some(size)),
        None => (item, None),
    };
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Err(not_uri());
    };
    let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok || rest.is_empty() || !uri_chars(rest) {
        return Err(not_uri());
    }
    if scheme.eq_ignore_ascii_case("mailto") {
        let to = rest.split('?').next().unwrap_or_default();
        match to.split_once('@') {
            Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {}
            _ => return Err(format!("`{}`, whose mail address has no name@domain", shown(item))),
        }
    }
    if let Some(size) = size {
        let digits = size.trim_end_matches(['k', 'm', 'g', 't', 'K', 'M', 'G', 'T']);
        let unit_ok = size.len() - digits.len() <= 1;
        let number_ok = !digits.is_empty()
            && digits.len() <= 20
            && digits.bytes().all(|b| b.is_ascii_digit())
            && digits.parse::<u64>().is_ok();
        if !unit_ok || !number_ok {
            return Err(format!(
                "`{}`, whose size limit after ! is not a number with k, m, g or t",
                shown(item)
            ));
        }
    }
    Ok(())
}

/// The characters a URI may hold after its scheme (RFC 3986 §2): unreserved, reserved and
/// `%` with two hex digits, but not `,` and `!`, which a dmarc-uri must encode (RFC 7489
/// §6.4).
fn uri_chars(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = |j: usize| bytes.get(j).is_some_and(|h| h.is_ascii_hexdigit());
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
            continue;
        }
        if !(b.is_ascii_alphanumeric() || b"-._~:/?#[]@$&'()*+=".contains(&b)) {
            return false;
        }
        i += 1;
    }
    true
}

/// A domain in lower case without the dot of the root at its end.
fn normalized(domain: &str) -> String {
    domain.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// The Organizational Domain of `domain` (RFC 7489 §3.2): the public suffix it ends in, with
/// one more label. A real receiver finds the suffix in the Public Suffix List, where
/// `example.co.uk` is registered under `co.uk`. This world's top-level domains (`example`,
/// `org`, `net`, `com`, `test`, `invalid`, `localhost`, `arpa`, and any other single label)
/// are all public suffixes of one label, so the Organizational Domain is the last two labels:
/// `mail.example.org` → `example.org`. A domain of one label is its own.
pub fn organizational_domain(domain: &str) -> String {
    let domain = normalized(domain);
    match domain.rmatch_indices('.').nth(1) {
        Some((dot, _)) => domain.get(dot + 1..).unwrap_or_default().to_string(),
        None => domain,
    }
}

/// Identifier alignment (RFC 7489 §3.1.1, §3.1.2): in strict mode the two domains are equal
/// (in any case), in relaxed mode they have the same Organizational Domain. An empty domain
/// aligns with nothing.
pub fn aligned(a: &str, b: &str, mode: Alignment) -> bool {
    let (a, b) = (normalized(a), normalized(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    match mode {
        Alignment::Strict => a == b,
        Alignment::Relaxed => organizational_domain(&a) == organizational_domain(&b),
    }
}

/// The domain of the RFC5322.From address, in lower case (RFC 7489 §6.6.1): the message must
/// have exactly one `From:` field, holding exactly one address with a domain name; otherwise
/// the reason, in plain words. Reads display names (plain, quoted with commas inside, or
/// RFC 2047 encoded), comments (nested), angle brackets, the obsolete route in them
/// (RFC 5322 §4.4), groups, and folded lines (RFC 5322 §3.4, §3.2). The domain is the one in
/// the angle brackets, whatever the display name says.
///
/// Knowingly not done: a `From:` with several addresses is refused, where RFC 7489 §6.6.1
/// would check each and apply the strictest policy; a domain that is not ASCII is refused,
/// where a receiver converts it to its `xn--` form (RFC 5890 §2.3).
pub fn from_domain(message: &[u8]) -> Result<String, String> {
    let value = from_field(message)?;
    let tokens = tokenize(&value)?;
    // Split the address list at top-level commas and at the `;` that ends a group; a
    // group's name, before its `:`, is no address (RFC 5322 §3.4).
    let mut mailboxes: Vec<&[Tok]> = Vec::new();
    let mut start = 0;
    let mut in_angle = false;
    for (i, tok) in tokens.iter().enumerate() {
        match tok {
            Tok::Special('<') if in_angle => return Err("the From: field has a < inside <…>".to_string()),
            Tok::Special('<') => in_angle = true,
            Tok::Special('>') if !in_angle => {
                return Err("the From: field has a > with no < before it".to_string());
            }
            Tok::Special('>') => in_angle = false,
            Tok::Special(',' | ';') if !in_angle => {
                mailboxes.push(tokens.get(start..i).unwrap_or_default());
                start = i + 1;
            }
            // A group's name is a phrase of words (RFC 5322 §3.4): `a@b.example:` is no name,
            // and what follows it must not be read as the one address.
            Tok::Special(':') if !in_angle => {
                let name = tokens.get(start..i).unwrap_or_default();
                if !name.iter().all(|t| matches!(t, Tok::Atom(_) | Tok::Quoted(_) | Tok::Special('.'))) {
                    return Err(
                        "the From: field has a group name that is not a phrase (RFC 5322 §3.4)".to_string()
                    );
                }
                start = i + 1
            }
            _ => {}
        }
    }
    if in_angle {
        return Err("the From: field has a < with no > after it".to_string());
    }
    mailboxes.push(tokens.get(start..).unwrap_or_default());
    // Empty places in the list are allowed (RFC 5322 §4.4 obs-mbox-list).
    mailboxes.retain(|m| !m.is_empty());
    match mailboxes.as_slice() {
        [] => Err("the From: field has no address".to_string()),
        [mailbox] => mailbox_domain(mailbox),
        more => Err(format!("the From: field holds {} addresses, and DMARC needs exactly one", more.len())),
    }
}

/// The value of the one `From:` field, unfolded (RFC 5322 §2.2.3): the header section ends
/// at the first empty line, a line starting with a space or tab continues the field before
/// it. Line ends may be CRLF or a bare LF. `From :`, with a space before the colon, is a
/// `From:` field too (RFC 5322 §4.5.3 obs-optional), so it cannot hide a second one.
fn from_field(message: &[u8]) -> Result<String, String> {
    let mut count = 0usize;
    let mut value = Vec::new();
    let mut in_from = false;
    for line in message.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let more = match line.first() {
            None => break,
            Some(b' ' | b'\t') => line,
            Some(_) => {
                in_from = false;
                let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
                let name = line.get(..colon).unwrap_or_default().trim_ascii_end();
                if !name.eq_ignore_ascii_case(b"From") {
                    continue;
                }
                count += 1;
                in_from = count == 1;
                line.get(colon + 1..).unwrap_or_default()
            }
        };
        if in_from {
            if value.len() + more.len() > MAX_FROM_LEN {
                return Err(format!(
                    "the From: field is longer than the {MAX_FROM_LEN} characters Mailroom reads"
                ));
            }
            value.extend_from_slice(more);
        }
    }
    match count {
        0 => Err("the message has no From: field".to_string()),
        1 => Ok(String::from_utf8_lossy(&value).into_owned()),
        n => Err(format!("the message has {n} From: fields, and DMARC needs exactly one")),
    }
}

/// A piece of an address list (RFC 5322 §3.2, §3.4); spaces and comments are dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok<'a> {
    /// An atom: letters, digits and `!#$%&'*+-/=?^_`{|}~`, or UTF-8 (RFC 6532 §3.2).
    Atom(&'a str),
    /// A quoted string, with its quotes.
    Quoted(&'a str),
    /// A domain literal, with its brackets: `[192.0.2.1]`.
    Literal(&'a str),
    /// One of `< > , : ; @ .`
    Special(char),
}

impl Tok<'_> {
    fn text(self) -> String {
        match self {
            Tok::Atom(s) | Tok::Quoted(s) | Tok::Literal(s) => s.to_string(),
            Tok::Special(c) => c.to_string(),
        }
    }
}

/// The tokens written out again for quoting them back, a space between two words.
fn text_of(tokens: &[Tok]) -> String {
    let mut text = String::new();
    let mut after_word = false;
    for t in tokens {
        let word = !matches!(t, Tok::Special(_));
        if word && after_word {
            text.push(' ');
        }
        after_word = word;
        text.push_str(&t.text());
    }
    shown(&text)
}

fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || (!c.is_ascii() && !c.is_control())
}

/// Cuts an unfolded address list into tokens. Comments nest and may hold `\`-escaped
/// characters; quoted strings and domain literals may too (RFC 5322 §3.2.1-§3.2.4, §3.4.1).
fn tokenize(value: &str) -> Result<Vec<Tok<'_>>, String> {
    let mut tokens = Vec::new();
    let mut chars = value.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            ' ' | '\t' => {}
            '(' => {
                let mut depth = 1usize;
                while depth > 0 {
                    match chars.next() {
                        None => return Err("a comment in the From: field has no closing )".to_string()),
                        Some((_, '\\')) => {
                            chars.next();
                        }
                        Some((_, '(')) => depth += 1,
                        Some((_, ')')) => depth -= 1,
                        Some(_) => {}
                    }
                }
            }
            '"' | '[' => {
                let close = if c == '"' { '"' } else { ']' };
                let end = loop {
                    match chars.next() {
                        None => return Err(format!("the From: field has a {c} with no closing {close}")),
                        Some((_, '\\')) => {
                            chars.next();
                        }
                        Some((j, d)) if d == close => break j + 1,
                        Some(_) => {}
                    }
                };
                let text = value.get(i..end).unwrap_or_default();
                tokens.push(if c == '"' { Tok::Quoted(text) } else { Tok::Literal(text) });
            }
            '<' | '>' | ',' | ':' | ';' | '@' | '.' => tokens.push(Tok::Special(c)),
            c if is_atext(c) => {
                let mut end = i + c.len_utf8();
                while let Some(&(j, d)) = chars.peek() {
                    if !is_atext(d) {
                        break;
                    }
                    end = j + d.len_utf8();
                    chars.next();
                }
                tokens.push(Tok::Atom(value.get(i..end).unwrap_or_default()));
            }
            c => {
                return Err(format!(
                    "the From: field has a `{}` where it does not belong",
                    c.escape_default()
                ));
            }
        }
    }
    Ok(tokens)
}

/// The domain of one mailbox: `name <local@domain>` or `local@domain` (RFC 5322 §3.4).
fn mailbox_domain(tokens: &[Tok]) -> Result<String, String> {
    let addr = match tokens.iter().position(|t| *t == Tok::Special('<')) {
        Some(lt) => {
            // from_domain checked that every < has its > after it.
            let gt = tokens.iter().position(|t| *t == Tok::Special('>')).unwrap_or(tokens.len());
            let after = tokens.get(gt + 1..).unwrap_or_default();
            if !after.is_empty() {
                return Err(format!("the From: field has `{}` after the address in <…>", text_of(after)));
            }
            let inside = tokens.get(lt + 1..gt).unwrap_or_default();
            // The obsolete route `<@relay.example:alice@example.org>` (RFC 5322 §4.4): the
            // address is after its colon.
            match inside.iter().rposition(|t| *t == Tok::Special(':')) {
                Some(colon) => inside.get(colon + 1..).unwrap_or_default(),
                None => inside,
            }
        }
        None => tokens,
    };
    if addr.is_empty() {
        return Err("the From: field has an empty address <>".to_string());
    }
    let ats = addr.iter().filter(|t| **t == Tok::Special('@')).count();
    let Some(at) = addr.iter().position(|t| *t == Tok::Special('@')) else {
        return Err(format!("the From: address `{}` has no @, so it has no domain", text_of(addr)));
    };
    if ats > 1 {
        return Err(format!("the From: address `{}` has more than one @", text_of(addr)));
    }
    let local = addr.get(..at).unwrap_or_default();
    let domain = addr.get(at + 1..).unwrap_or_default();
    if local.is_empty() {
        return Err(format!("the From: address `{}` has nothing before the @", text_of(addr)));
    }
    if let [Tok::Literal(literal)] = domain {
        return Err(format!(
            "the From: address has the address literal {} instead of a domain name, so there is no domain to check",
            shown(literal)
        ));
    }
    if domain.is_empty() {
        return Err(format!("the From: address `{}` has nothing after the @", text_of(addr)));
    }
    if !dotted(local, true) {
        return Err(format!(
            "`{}` in the From: field is not a valid address (a display name needs the address in <…>)",
            text_of(addr)
        ));
    }
    if !dotted(domain, false) {
        return Err(format!("the From: domain `{}` is not a domain name", text_of(domain)));
    }
    let name = domain.iter().map(|t| t.text()).collect::<String>();
    check_domain_name(&name)?;
    Ok(name.to_ascii_lowercase())
}

/// Words joined by dots: `word *("." word)`, a word being an atom, or a quoted string where
/// `quoted` allows it (dot-atom and obs-local-part, RFC 5322 §3.4.1, §4.4).
fn dotted(tokens: &[Tok], quoted: bool) -> bool {
    tokens.len() % 2 == 1
        && tokens.iter().enumerate().all(|(i, t)| match t {
            Tok::Atom(_) => i % 2 == 0,
            Tok::Quoted(_) => quoted && i % 2 == 0,
            Tok::Special('.') => i % 2 == 1,
            _ => false,
        })
}

/// A domain name the DNS can hold: ASCII, labels of letters, digits, `-` and `_`, at most
/// [`MAX_LABEL_LEN`] each and [`MAX_DOMAIN_LEN`] in all (RFC 1035 §2.3.4).
fn check_domain_name(name: &str) -> Result<(), String> {
    if !name.is_ascii() {
        return Err(format!(
            "the From: domain {} is not plain ASCII, and this simulator does not convert international domain names",
            shown(name)
        ));
    }
    if name.len() > MAX_DOMAIN_LEN {
        return Err(format!(
            "the From: domain is longer than the {MAX_DOMAIN_LEN} characters a domain name can have"
        ));
    }
    for label in name.split('.') {
        if label.len() > MAX_LABEL_LEN {
            return Err(format!(
                "the From: domain has a part longer than the {MAX_LABEL_LEN} characters a domain name allows"
            ));
        }
        if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(format!("the From: domain {} has characters a domain name cannot have", shown(name)));
        }
    }
    Ok(())
}

/// What the policy discovery found (RFC 7489 §6.6.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// One valid record, at `domain`: the `From:` domain or its Organizational Domain.
    Record { domain: String, record: Record },
    /// No DMARC record at either name: DMARC does not apply (§6.6.3).
    NoPolicy,
    /// More than one DMARC record at `domain`: discovery ends there with no policy (§6.6.3
    /// step 5), as with none; kept apart so that the reason can say so.
    Multiple { domain: String, count: usize },
    /// A lookup failed (no answer in time): DMARC cannot decide now (RFC 7489 §11.2
    /// temperror; what to do then is left to the receiver, §6.6.3).
    TempError,
    /// One record that starts with `v=DMARC1` but cannot be read, at `domain` (RFC 7489 §11.2
    /// permerror).
    Invalid { domain: String, reason: String },
}

/// Where a [`PolicyLookup`] is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    AskFromDomain,
    AskOrgDomain,
    Done(Found),
}

/// The policy discovery of RFC 7489 §6.6.3, sans-IO: the TXT records at `_dmarc.` and the
/// `From:` domain; if none of them is a DMARC record and the `From:` domain is not its own
/// Organizational Domain, the TXT records at `_dmarc.` and the Organizational Domain. No
/// name in between is asked (`_dmarc.b.example.org` for `a.b.example.org`): RFC 7489 does
/// not walk the tree. More than one DMARC record at the first name ends the discovery with
/// no policy (step 5), without asking the second.
///
/// Drive it: while [`query`](PolicyLookup::query) gives a question, ask it and give the
/// answer to [`answer`](PolicyLookup::answer); then read [`found`](PolicyLookup::found).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyLookup {
    from_domain: String,
    org_domain: String,
    step: Step,
}

impl PolicyLookup {
    /// A lookup for the policy of `from_domain` (taken in lower case, without a final dot).
    pub fn new(from_domain: &str) -> PolicyLookup {
        let from_domain = normalized(from_domain);
        let org_domain = organizational_domain(&from_domain);
        let mut lookup = PolicyLookup { from_domain, org_domain, step: Step::AskFromDomain };
        lookup.skip_impossible();
        lookup
    }

    /// The Organizational Domain the lookup falls back to.
    pub fn org_domain(&self) -> &str {
        &self.org_domain
    }

    /// The next DNS question, `(name, "TXT")`; `None` once the lookup is finished.
    pub fn query(&self) -> Option<(String, &'static str)> {
        policy_name(self.asked_domain()?).map(|name| (name, "TXT"))
    }

    /// The answer to the last question; `None` when the lookup failed (a timeout), which
    /// ends the discovery with a temporary error. An answer after the end is ignored.
    pub fn answer(&mut self, answer: Option<&Answer>) {
        let Some(domain) = self.asked_domain().map(str::to_string) else {
            return;
        };
        let Some(answer) = answer else {
            self.step = Step::Done(Found::TempError);
            return;
        };
        // Records that are not DMARC records are discarded (§6.6.3 steps 2 and 4); NXDOMAIN
        // and an empty answer hold none.
        let texts = answer.texts();
        let mut dmarc = texts.iter().filter(|t| is_dmarc_record(t));
        let count = dmarc.clone().count();
        match (count, dmarc.next()) {
            (1, Some(text)) => {
                self.step = Step::Done(match parse_record(text) {
                    Ok(record) => Found::Record { domain, record },
                    Err(reason) => Found::Invalid { domain, reason },
                });
            }
            (0, _) => self.nothing_at_asked_name(),
            (count, _) => self.step = Step::Done(Found::Multiple { domain, count }),
        }
    }

    /// What the discovery found, once finished.
    pub fn found(&self) -> Option<&Found> {
        match &self.step {
            Step::Done(found) => Some(found),
            Step::AskFromDomain | Step::AskOrgDomain => None,
        }
    }

    /// The domain whose policy is being asked for, if the lookup is not finished.
    fn asked_domain(&self) -> Option<&str> {
        match self.step {
            Step::AskFromDomain => Some(&self.from_domain),
            Step::AskOrgDomain => Some(&self.org_domain),
            Step::Done(_) => None,
        }
    }

    /// No DMARC record at the name asked: on to the Organizational Domain if it is another
    /// (§6.6.3 step 3), else no policy.
    fn nothing_at_asked_name(&mut self) {
        self.step = match self.step {
            Step::AskFromDomain if self.org_domain != self.from_domain => Step::AskOrgDomain,
            _ => Step::Done(Found::NoPolicy),
        };
        self.skip_impossible();
    }

    /// A name the DNS cannot hold (an empty domain, or one so long that `_dmarc.` makes it
    /// longer than [`MAX_DOMAIN_LEN`]) has no record there: it is not asked.
    fn skip_impossible(&mut self) {
        if self.asked_domain().is_some_and(|d| policy_name(d).is_none()) {
            self.nothing_at_asked_name();
        }
    }
}

/// `_dmarc.<domain>` (RFC 7489 §6.1), if the DNS can hold such a name.
fn policy_name(domain: &str) -> Option<String> {
    let name = format!("_dmarc.{domain}");
    (!domain.is_empty() && name.len() <= MAX_DOMAIN_LEN).then_some(name)
}

/// The result of DMARC for one message, as RFC 7489 §11.2 registers it for the
/// `Authentication-Results:` field of RFC 8601.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DmarcResult {
    /// The `From:` domain publishes no policy.
    None,
    /// SPF or DKIM passed for a domain aligned with `From:`.
    Pass,
    /// Neither did, and the domain publishes a policy.
    Fail,
    /// A DNS lookup failed; a later try may succeed.
    TempError,
    /// The domain's record cannot be read; a later try will not help.
    PermError,
}

impl DmarcResult {
    /// The result's name in an `Authentication-Results:` field: `none`, `pass`, `fail`,
    /// `temperror`, `permerror` (RFC 7489 §11.2).
    pub fn name(self) -> &'static str {
        match self {
            DmarcResult::None => "none",
            DmarcResult::Pass => "pass",
            DmarcResult::Fail => "fail",
            DmarcResult::TempError => "temperror",
            DmarcResult::PermError => "permerror",
        }
    }
}

/// What DMARC says about one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DmarcOutcome {
    pub result: DmarcResult,
    /// The `From:` domain checked, in lower case.
    pub from_domain: String,
    /// What the domain asks for this message: `p`, or `sp` for a subdomain of the
    /// Organizational Domain whose record says it (RFC 7489 §6.3), one step weaker when the
    /// message is not sampled; `None` when there is no policy or the message passed.
    pub disposition: Option<Policy>,
    /// Whether the message failed and fell within `pct`, so that the policy applies in full
    /// (RFC 7489 §6.6.4); a failed message not sampled gets the next policy down (reject →
    /// quarantine, quarantine → none). False when the message did not fail.
    pub sampled: bool,
    /// Why, in one plain sentence for a student.
    pub reason: String,
}

/// The DMARC evaluation (RFC 7489 §6.6.2, §4.2): a pass when SPF passed for a domain aligned
/// with `From:` (mode `aspf`), or some DKIM signature passed for a domain aligned with it
/// (mode `adkim`); else a fail, with the domain's policy (§6.6.4).
///
/// `spf_pass_domain`: the MAIL FROM domain when SPF passed (the HELO domain when MAIL FROM
/// was empty, RFC 7208 §2.4), else `None`. `dkim_pass_domains`: the `d=` of every signature
/// that passed. `sample`: a number in `0..=99` drawn by the caller's seeded generator; the
/// message is sampled when it is below `pct` (a larger number counts as 99).
pub fn evaluate(
    from_domain: &str,
    found: &Found,
    spf_pass_domain: Option<&str>,
    dkim_pass_domains: &[&str],
    sample: u8,
) -> DmarcOutcome {
    let from = normalized(from_domain);
    let outcome = |result, disposition, sampled, reason| DmarcOutcome {
        result,
        from_domain: from.clone(),
        disposition,
        sampled,
        reason,
    };
    let (domain, record) = match found {
        Found::Record { domain, record } => (normalized(domain), record),
        Found::NoPolicy => {
            let org = organizational_domain(&from);
            let reason = if org == from {
                format!("_dmarc.{from} has no DMARC record, so DMARC does not apply to this message.")
            } else {
                format!(
                    "Neither _dmarc.{from} nor _dmarc.{org} has a DMARC record, so DMARC does not apply to this message."
                )
            };
            return outcome(DmarcResult::None, None, false, reason);
        }
        Found::Multiple { domain, count } => {
            let reason = format!(
                "_dmarc.{} has {count} DMARC records where there must be one, so DMARC treats {from} as having no policy.",
                normalized(domain)
            );
            return outcome(DmarcResult::None, None, false, reason);
        }
        Found::TempError => {
            let reason = format!(
                "The DNS lookup of the DMARC record for {from} got no answer, so DMARC could not decide this time (a temporary error)."
            );
            return outcome(DmarcResult::TempError, None, false, reason);
        }
        Found::Invalid { domain, reason } => {
            let reason = format!(
                "The DMARC record at _dmarc.{} is broken ({reason}), so DMARC could not be applied (a permanent error).",
                normalized(domain)
            );
            return outcome(DmarcResult::PermError, None, false, reason);
        }
    };
    let spf = spf_pass_domain.map(normalized).filter(|d| !d.is_empty());
    let dkim_all: Vec<String> =
        dkim_pass_domains.iter().map(|d| normalized(d)).filter(|d| !d.is_empty()).collect();
    let spf_aligned = spf.as_deref().filter(|d| aligned(d, &from, record.aspf));
    let dkim_aligned: Vec<&String> = dkim_all.iter().filter(|d| aligned(d, &from, record.adkim)).collect();
    if spf_aligned.is_some() || !dkim_aligned.is_empty() {
        let mut parts = Vec::new();
        if let Some(d) = spf_aligned {
            parts.push(format!("SPF passed for {d}"));
        }
        if !dkim_aligned.is_empty() {
            parts.push(format!("DKIM passed for {}", Names::of(dkim_aligned.iter().copied()).listed()));
        }
        // Only relaxed alignment lets a domain other than From's own align.
        let relaxed =
            spf_aligned.iter().copied().chain(dkim_aligned.iter().map(|d| d.as_str())).any(|d| d != from);
        let note = if relaxed {
            format!(" (relaxed alignment: the same organizational domain, {})", organizational_domain(&from))
        } else {
            String::new()
        };
        let reason = format!("DMARC passed: {}, aligned with From: {from}{note}.", parts.join(" and "));
        return outcome(DmarcResult::Pass, None, false, reason);
    }
    // Failed: `sp` for a subdomain whose policy was found at the Organizational Domain,
    // else `p` (§6.3); `pct` decides whether it applies in full (§6.6.4).
    let subdomain = from != domain && from.ends_with(&format!(".{domain}"));
    let (asked, tag) = match record.subdomain_policy {
        Some(sp) if subdomain => (sp, "sp"),
        _ => (record.policy, "p"),
    };
    let sampled = sample.min(99) < record.percent;
    let disposition = if sampled { asked } else { asked.weaker() };
    let said = match &record.policy_problem {
        Some(problem) => {
            format!(
                "{domain}'s DMARC record counts as p=none ({problem}, but it has a report address in rua=)"
            )
        }
        None if tag == "sp" => format!("{domain}'s DMARC record says sp={} for its subdomains", asked.name()),
        None => format!("{domain}'s DMARC record says p={}", asked.name()),
    };
    let mut notes = Vec::new();
    if let Some(d) = &spf {
        notes.push(unaligned("SPF", "aspf", d, &from, record.aspf));
    }
    let dkim = Names::of(dkim_all.iter());
    for d in &dkim.first {
        notes.push(unaligned("DKIM", "adkim", d, &from, record.adkim));
    }
    if dkim.more() > 0 {
        notes.push(format!("DKIM passed for {} more domains", dkim.more()));
    }
    let notes = if notes.is_empty() { String::new() } else { format!(" ({})", notes.join("; ")) };
    let applied = if asked == Policy::None {
        format!("; {tag}=none asks for no action on the message")
    } else if record.percent == 0 {
        format!(
            "; pct=0 applies it to no message, so {} applies instead of {}",
            disposition.name(),
            asked.name()
        )
    } else if record.percent < 100 && sampled {
        format!("; pct={} and this message was among the {}% it applies to", record.percent, record.percent)
    } else if record.percent < 100 {
        format!(
            "; pct={} and this message was not among the {}% it applies to, so {} applies instead of {}",
            record.percent,
            record.percent,
            disposition.name(),
            asked.name()
        )
    } else {
        String::new()
    };
    let reason = format!(
        "{said}, and neither SPF nor DKIM passed for a domain aligned with From: {from}{notes}{applied}."
    );
    outcome(DmarcResult::Fail, Some(disposition), sampled, reason)
}

/// Why a domain that passed is not aligned with `from`: strict mode wants the very domain,
/// relaxed mode its Organizational Domain.
fn unaligned(what: &str, tag: &str, domain: &str, from: &str, mode: Alignment) -> String {
    if mode == Alignment::Strict && organizational_domain(domain) == organizational_domain(from) {
        format!("{what} passed for {domain}, but {tag}=s asks for exactly {from}")
    } else {
        format!("{what} passed for {domain}, which is not part of {}", organizational_domain(from))
    }
}

/// Distinct domains: the first [`MAX_NAMED`] of them, in the order first seen, to name in a
/// reason, and how many there are in all.
struct Names {
    first: Vec<String>,
    count: usize,
}

impl Names {
    fn of<'a>(domains: impl Iterator<Item = &'a String>) -> Names {
        let mut all: Vec<&String> = domains.collect();
        let mut first: Vec<String> = Vec::new();
        for d in &all {
            if first.len() == MAX_NAMED {
                break;
            }
            if !first.contains(d) {
                first.push(d.to_string());
            }
        }
        all.sort_unstable();
        all.dedup();
        Names { first, count: all.len() }
    }

    /// How many distinct domains are not named.
    fn more(&self) -> usize {
        self.count.saturating_sub(self.first.len())
    }

    /// `a`, `a and b`, `a, b and c`, `a, b, c and 2 more`.
    fn listed(&self) -> String {
        let mut names = self.first.clone();
        if self.more() > 0 {
            names.push(format!("{} more", self.more()));
        }
        match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            Some((last, _)) => last.clone(),
            None => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::Zone;

    /// A record with the defaults of RFC 7489 §6.3 and policy `p`.
    fn base(p: Policy) -> Record {
        Record {
            policy: p,
            subdomain_policy: None,
            percent: 100,
            adkim: Alignment::Relaxed,
            aspf: Alignment::Relaxed,
            rua: Vec::new(),
            ruf: Vec::new(),
            fo: vec![FailureOption::AllFail],
            rf: vec!["afrf".to_string()],
            ri: 86400,
            policy_problem: None,
            ignored: Vec::new(),
        }
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn records_parse() {
        use Policy::{Quarantine, Reject};
        let feedback = strings(&["mailto:dmarc-feedback@example.com"]);
        let ok = |r: Record| Ok::<Record, &str>(r);
        let cases: Vec<(String, Result<Record, &str>)> = vec![
            // RFC 7489 appendix B.2.1: monitoring only, aggregate reports.
            (
                "v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com".into(),
                ok(Record { rua: feedback.clone(), ..base(Policy::None) }),
            ),
            // B.2.2: and failure reports.
            (
                "v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com; ruf=mailto:auth-reports@example.com"
                    .into(),
                ok(Record {
                    rua: feedback.clone(),
                    ruf: strings(&["mailto:auth-reports@example.com"]),
                    ..base(Policy::None)
                }),
            ),
            // B.2.3: failure reports to a third party.
            (
                "v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com; ruf=mailto:auth-reports@thirdparty.example.net".into(),
                ok(Record {
                    rua: feedback.clone(),
                    ruf: strings(&["mailto:auth-reports@thirdparty.example.net"]),
                    ..base(Policy::None)
                }),
            ),
            // B.2.4: sampling, two aggregate URIs, the second with a size limit (§6.2).
            (
                "v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com,mailto:tld-test@thirdparty.example.net!10m; pct=25".into(),
                ok(Record {
                    percent: 25,
                    rua: strings(&[
                        "mailto:dmarc-feedback@example.com",
                        "mailto:tld-test@thirdparty.example.net!10m",
                    ]),
                    ..base(Quarantine)
                }),
            ),
            // B.3.1: reject, relaxed SPF alignment written out.
            (
                "v=DMARC1; p=reject; aspf=r; rua=mailto:dmarc-feedback@example.com".into(),
                ok(Record { rua: feedback.clone(), ..base(Reject) }),
            ),
            // §6.2's size limit example, in a ruf.
            (
                "v=DMARC1; p=none; ruf=mailto:reports@example.com!50m".into(),
                ok(Record { ruf: strings(&["mailto:reports@example.com!50m"]), ..base(Policy::None) }),
            ),
            // Every tag, with spaces and tabs around `=`, `;`, `,` and `:` (§6.4 *WSP), and
            // a trailing `;`.
            (
                "v = DMARC1 ;\tp = reject ; sp=none; adkim=s; aspf = s ; pct = 0 ; ri = 3600 ; fo = 1 : d ; rf = afrf ; rua = mailto:a@example.org ,\tmailto:b@example.org!5k ;".into(),
                ok(Record {
                    subdomain_policy: Some(Policy::None),
                    percent: 0,
                    adkim: Alignment::Strict,
                    aspf: Alignment::Strict,
                    ri: 3600,
                    fo: vec![FailureOption::AnyFail, FailureOption::Dkim],
                    rua: strings(&["mailto:a@example.org", "mailto:b@example.org!5k"]),
                    ..base(Reject)
                }),
            ),
            // Spaces before `v` (RFC 6376 §3.2 tag-spec, which DMARC's syntax follows) and
            // empty parts between semicolons are harmless.
            ("  v=DMARC1;; p=quarantine;;".into(), ok(base(Quarantine))),
            // Tag names and keywords in any case (RFC 5234 §2.3)...
            (
                "V=DMARC1; P=Reject; SP=QUARANTINE; ADKIM=S; Aspf=S; FO=D".into(),
                ok(Record {
                    subdomain_policy: Some(Quarantine),
                    adkim: Alignment::Strict,
                    aspf: Alignment::Strict,
                    fo: vec![FailureOption::Dkim],
                    ..base(Reject)
                }),
            ),
            // ...but DMARC1 exactly, in capitals (§6.4 gives it in %x).
            ("v=dmarc1; p=none".into(), Err("is not DMARC1")),
            // Unknown tags are ignored (§6.3), RFC 9091's np and DMARCbis's t among them.
            (
                "v=DMARC1; p=reject; np=none; t=y; future_tag=anything, even this!".into(),
                ok(base(Reject)),
            ),
            // p after other tags is accepted (§6.3 asks only that it come after v).
            (
                "v=DMARC1; rua=mailto:a@example.org; p=reject".into(),
                ok(Record { rua: strings(&["mailto:a@example.org"]), ..base(Reject) }),
            ),
            // pct has 1 to 3 digits: 007 is 7, 100 is the most.
            ("v=DMARC1; p=reject; pct=007".into(), ok(Record { percent: 7, ..base(Reject) })),
            ("v=DMARC1; p=reject; pct=100".into(), ok(base(Reject))),
            // An unregistered report format is ignored, the default stays (§6.3 rf).
            ("v=DMARC1; p=none; rf=iodef".into(), ok(base(Policy::None))),
            ("v=DMARC1; p=none; rf=AFRF:iodef".into(), ok(base(Policy::None))),
            // Repeated fo options are kept once.
            ("v=DMARC1; p=none; fo=0:0:s".into(), ok(Record { fo: vec![FailureOption::AllFail, FailureOption::Spf], ..base(Policy::None) })),
            // Other URI schemes are URIs too (§6.2).
            (
                "v=DMARC1; p=none; rua=https://reports.example.org/dmarc?x=%2C".into(),
                ok(Record { rua: strings(&["https://reports.example.org/dmarc?x=%2C"]), ..base(Policy::None) }),
            ),
            // No p, but a valid rua: read as p=none (§6.6.3 step 6.1).
            (
                "v=DMARC1; rua=mailto:a@example.org".into(),
                ok(Record {
                    rua: strings(&["mailto:a@example.org"]),
                    policy_problem: Some("it has no p= tag to say none, quarantine or reject".into()),
                    ..base(Policy::None)
                }),
            ),
            // An invalid p, or an invalid sp, with a valid rua: the same.
            (
                "v=DMARC1; p=bogus; rua=mailto:a@example.org".into(),
                ok(Record {
                    rua: strings(&["mailto:a@example.org"]),
                    policy_problem: Some("p=bogus is not none, quarantine or reject".into()),
                    ..base(Policy::None)
                }),
            ),
            (
                "v=DMARC1; p=reject; sp=bogus; rua=mailto:a@example.org".into(),
                ok(Record {
                    rua: strings(&["mailto:a@example.org"]),
                    policy_problem: Some("sp=bogus is not none, quarantine or reject".into()),
                    ..base(Policy::None)
                }),
            ),
            // No p and no rua: no DMARC processing (§6.6.3 step 6.2). The record §7.1 puts
            // at a report receiver's name, v=DMARC1 alone, is not a policy.
            ("v=DMARC1".into(), Err("it has no p= tag")),
            ("v=DMARC1; sp=reject".into(), Err("it has no p= tag")),
            ("v=DMARC1; p=reject; sp=bogus".into(), Err("sp=bogus is not none")),
            // OpenDMARC reads `p=rej` as reject; the ABNF does not.
            ("v=DMARC1; p=rej".into(), Err("p=rej is not none, quarantine or reject")),
            // v must come first (§6.3); anything else at the start is not DMARC.
            ("p=none; v=DMARC1".into(), Err("not with v=DMARC1")),
            ("v=DMARC2; p=none".into(), Err("v=DMARC2 is not DMARC1")),
            ("v=DMARC1 p=none".into(), Err("v=DMARC1 p=none needs a ; after DMARC1, before the next tag")),
            ("".into(), Err("not with v=DMARC1")),
            // A tag twice (RFC 6376 §3.2), v included.
            ("v=DMARC1; p=none; p=reject".into(), Err("the tag p appears twice")),
            ("v=DMARC1; p=none; V=DMARC1".into(), Err("the tag v appears twice")),
            // Parts that are not tags.
            ("v=DMARC1; p=none; bogus".into(), Err("`bogus` has no = sign")),
            ("v=DMARC1; p p=none".into(), Err("`p p` is not a tag name")),
            ("v=DMARC1; =none".into(), Err("`` is not a tag name")),
            // An invalid rua does not rescue a missing p.
            ("v=DMARC1; rua=bogus".into(), Err("it has no p= tag")),
            // Not ASCII: refused, quoted back whole characters, no panic.
            ("v=DMARC1; p=réject".into(), Err("p=réject is not")),
            // Bounds: a long value is cut when quoted; a record over the limit is refused.
            (
                format!("v=DMARC1; p={}", "x".repeat(100)),
                Err("is not none, quarantine or reject"),
            ),
            (format!("v=DMARC1; p=none; x={}", "a".repeat(MAX_RECORD_LEN)), Err("more than the 4096")),
        ];
        for (text, want) in &cases {
            let got = parse_record(text);
            match (want, &got) {
                (Ok(want), Ok(got)) => assert_eq!(got, want, "{text:?}"),
                (Err(part), Err(reason)) => {
                    assert!(reason.contains(part), "{text:?}: {reason:?} should contain {part:?}");
                    assert!(reason.chars().count() < 200, "{text:?}: a long reason: {reason:?}");
                }
                _ => panic!("{text:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn a_bad_value_of_another_tag_is_ignored_and_the_policy_kept() {
        // RFC 7489 §6.3: only v and p are required; "Syntax errors in the remainder of the
        // record SHOULD be discarded in favor of default values (if any) or ignored outright."
        let cases: &[(&str, &str)] = &[
            // Bad pct: too big, negative, not a number, empty, four digits, a space inside.
            ("v=DMARC1; p=reject; pct=150", "pct=150 is not a whole number from 0 to 100"),
            ("v=DMARC1; p=reject; pct=-1", "pct=-1 is not"),
            ("v=DMARC1; p=reject; pct=half", "pct=half is not"),
            ("v=DMARC1; p=reject; pct=", "pct= is not"),
            ("v=DMARC1; p=reject; pct=0100", "pct=0100 is not"),
            ("v=DMARC1; p=reject; pct=5 0", "pct=5 0 is not"),
            // Other values with errors.
            ("v=DMARC1; p=reject; adkim=strict", "adkim=strict is not r (relaxed) or s (strict)"),
            ("v=DMARC1; p=reject; ri=+5", "ri=+5 is not a whole number of seconds"),
            ("v=DMARC1; p=reject; ri=4294967296", "ri=4294967296 is not"),
            ("v=DMARC1; p=reject; fo=2", "fo=2 is not a list of 0, 1, d and s"),
            ("v=DMARC1; p=reject; fo=", "fo= is not"),
            ("v=DMARC1; p=reject; rf=a f", "rf=a f is not a list of report format names"),
            // Report URIs: empty, no scheme, an unencoded comma's empty neighbour, no
            // address in a mailto, a bad size, one that overflows 64 bits, a space.
            ("v=DMARC1; p=none; rua=", "rua= has an empty place"),
            ("v=DMARC1; p=none; rua=mailto:a@example.org,", "rua= has an empty place"),
            ("v=DMARC1; p=none; rua=dmarc@example.org", "rua= has `dmarc@example.org`, which is not a URI"),
            ("v=DMARC1; p=none; ruf=mailto:dmarc", "ruf= has `mailto:dmarc`, whose mail address"),
            ("v=DMARC1; p=none; rua=mailto:a@example.org!10x", "whose size limit"),
            ("v=DMARC1; p=none; rua=mailto:a@example.org!", "whose size limit"),
            ("v=DMARC1; p=none; rua=mailto:a@example.org!99999999999999999999m", "whose size limit"),
            ("v=DMARC1; p=none; rua=mailto:a b@example.org", "which is not a URI"),
            ("v=DMARC1; p=none; rua=mailto:a@example.org%zz", "which is not a URI"),
        ];
        for (text, why) in cases {
            let got = parse_record(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            let p = if text.contains("p=none") { Policy::None } else { Policy::Reject };
            assert_eq!(got.policy, p, "{text:?}");
            assert!(
                got.ignored.iter().any(|i| i.contains(why)),
                "{text:?}: {:?} should say {why:?}",
                got.ignored
            );
            // The tag kept its default.
            let defaults = base(p);
            assert_eq!(
                (got.percent, got.adkim, got.ri, &got.fo, &got.rf),
                (defaults.percent, defaults.adkim, defaults.ri, &defaults.fo, &defaults.rf),
                "{text:?}"
            );
        }
        // A list keeps the addresses that read: the common mistake of a bare address beside
        // a good one (RFC 7489 §6.6.3 step 6 needs "at least one syntactically valid" URI).
        let r = parse_record("v=DMARC1; p=bogus; rua=mailto:d@example.org,dmarc@example.org").unwrap();
        assert_eq!(r.rua, ["mailto:d@example.org"]);
        assert_eq!(r.policy, Policy::None, "no usable p, a usable rua: as if p=none");
    }

    #[test]
    fn report_uris_are_bounded() {
        // Ten URIs: all checked, the first MAX_REPORT_URIS kept (§6.2 lets a receiver limit
        // them to no fewer than two).
        let list: Vec<String> = (0..10).map(|i| format!("mailto:r{i}@example.org")).collect();
        let r = parse_record(&format!("v=DMARC1; p=none; rua={}", list.join(","))).unwrap();
        assert_eq!(r.rua, list[..MAX_REPORT_URIS]);
        const { assert!(MAX_REPORT_URIS >= 2) };
        // An error after the limit is still noticed, and the rest kept.
        let bad = format!("v=DMARC1; p=none; rua={},bogus", list.join(","));
        let r = parse_record(&bad).unwrap();
        assert_eq!((r.rua.len(), r.ignored.len()), (MAX_REPORT_URIS, 1));
    }

    #[test]
    fn organizational_domains() {
        let cases = [
            // The last two labels: every top-level domain of this world is a one-label
            // public suffix (§3.2 with that list).
            ("example.org", "example.org"),
            ("mail.example.org", "example.org"),
            ("a.b.c.example.net", "example.net"),
            // Case and the root's dot do not matter.
            ("Mail.Example.ORG.", "example.org"),
            // One label is its own (a public suffix has no label below it to add).
            ("localhost", "localhost"),
            ("org", "org"),
            ("", ""),
            // With a real Public Suffix List this would be example.co.uk; here co.uk is a
            // name like any other.
            ("example.co.uk", "co.uk"),
            // Odd input does not panic.
            (".", ""),
            ("..", ""),
            ("a..b", ".b"),
        ];
        for (domain, want) in cases {
            assert_eq!(organizational_domain(domain), want, "{domain:?}");
        }
    }

    #[test]
    fn alignment() {
        use Alignment::*;
        let cases = [
            // Strict: the same domain, in any case (§3.1.1, §3.1.2).
            ("example.org", "example.org", Strict, true),
            ("EXAMPLE.org", "example.ORG.", Strict, true),
            ("mail.example.org", "example.org", Strict, false),
            // Relaxed: the same Organizational Domain, either way round, siblings too.
            ("mail.example.org", "example.org", Relaxed, true),
            ("example.org", "mail.example.org", Relaxed, true),
            ("a.example.org", "b.example.org", Relaxed, true),
            ("example.org", "example.net", Relaxed, false),
            // A look-alike is not a subdomain.
            ("badexample.org", "example.org", Relaxed, false),
            ("example.org.evil.example", "example.org", Relaxed, false),
            // A public suffix shares no Organizational Domain with a domain under it.
            ("org", "example.org", Relaxed, false),
            // An empty domain aligns with nothing, not even another empty one.
            ("", "", Strict, false),
            ("", "", Relaxed, false),
            ("example.org", "", Relaxed, false),
        ];
        for (a, b, mode, want) in cases {
            assert_eq!(aligned(a, b, mode), want, "{a:?} {b:?} {mode:?}");
        }
    }

    #[test]
    fn from_domains() {
        let cases: Vec<(Vec<u8>, Result<&str, &str>)> = vec![
            // A bare address; the domain in lower case.
            (b"From: alice@Example.ORG\r\n\r\nbody".to_vec(), Ok("example.org")),
            // A display name and angle brackets (RFC 5322 §3.4 name-addr).
            (b"Subject: hi\r\nFrom: Alice Liddell <alice@example.org>\r\n\r\n".to_vec(), Ok("example.org")),
            // A comma inside a quoted display name is not a list separator.
            (b"From: \"Liddell, Alice\" <alice@example.org>\r\n\r\n".to_vec(), Ok("example.org")),
            // Nor are < > @ inside quotes: the address is the one outside them.
            (
                b"From: \"Mallory <mallory@evil.example>\" <alice@example.org>\r\n\r\n".to_vec(),
                Ok("example.org"),
            ),
            // A display name that looks like an address: the domain is the one in <...>.
            (b"From: alice@example.org <mallory@evil.example>\r\n\r\n".to_vec(), Ok("evil.example")),
            // Comments, nested, with escapes, even around and inside the address.
            (b"From: alice@example.org (Alice, at work)\r\n\r\n".to_vec(), Ok("example.org")),
            (
                b"From: (x <m@evil.example>) alice(@evil.example)@(\\) (y))example.org\r\n\r\n".to_vec(),
                Ok("example.org"),
            ),
            // A quoted local part with an @ inside (RFC 5322 §3.4.1).
            (b"From: \"alice@evil.example\"@example.org\r\n\r\n".to_vec(), Ok("example.org")),
            // An RFC 2047 display name, and raw UTF-8 in one (RFC 6532).
            (b"From: =?UTF-8?B?Wm/Dqw==?= <zoe@example.org>\r\n\r\n".to_vec(), Ok("example.org")),
            ("From: Zoë <zoe@example.org>\r\n\r\n".as_bytes().to_vec(), Ok("example.org")),
            // The obsolete route in angle brackets (RFC 5322 §4.4).
            (b"From: <@relay.example,@other.example:alice@example.org>\r\n\r\n".to_vec(), Ok("example.org")),
            // A group's name with an @ is no phrase: not read as a group of evil.example.
            (
                b"From: ceo@bank.example:attacker@evil.example;\r\n\r\n".to_vec(),
                Err("group name that is not a phrase"),
            ),
            // A group with one member (not allowed in From: by §3.6.2, but one address).
            (b"From: Team: alice@example.org;\r\n\r\n".to_vec(), Ok("example.org")),
            // Folded lines (§2.2.3), CRLF or bare LF, tab or space.
            (b"From: Alice\r\n <alice@example.org>\r\n\r\n".to_vec(), Ok("example.org")),
            (b"From:\n\talice@example.org\nTo: bob@example.net\n\n".to_vec(), Ok("example.org")),
            // The field name in any case; an empty place in the list (§4.4 obs-mbox-list).
            (b"FROM: alice@example.org,\r\n\r\n".to_vec(), Ok("example.org")),
            // An mbox separator line is no From: field.
            (
                b"From alice@example.org Mon Jan  1 00:00:00 2024\r\nFrom: bob@example.net\r\n\r\n".to_vec(),
                Ok("example.net"),
            ),
            // A From: in the body is not read.
            (b"From: alice@example.org\r\n\r\nFrom: mallory@evil.example\r\n".to_vec(), Ok("example.org")),
            // Exactly one From: field (RFC 7489 §6.6.1).
            (b"Subject: hi\r\n\r\n".to_vec(), Err("the message has no From: field")),
            (b"Subject: hi\r\n\r\nFrom: alice@example.org\r\n".to_vec(), Err("no From: field")),
            (b"".to_vec(), Err("no From: field")),
            (
                b"From: alice@example.org\r\nFrom: mallory@evil.example\r\n\r\n".to_vec(),
                Err("the message has 2 From: fields, and DMARC needs exactly one"),
            ),
            // A second From: field is counted, not read: however long, it is the second.
            (
                format!("From: a@example.org\r\nFrom: {}@evil.example\r\n\r\n", "x".repeat(5000))
                    .into_bytes(),
                Err("2 From: fields"),
            ),
            // `From :` (§4.5.3) and `from:` are From: fields too: they cannot hide a second one.
            (
                b"From: alice@example.org\r\nFrom : mallory@evil.example\r\n\r\n".to_vec(),
                Err("2 From: fields"),
            ),
            (
                b"from: alice@example.org\r\nFROM: mallory@evil.example\r\n\r\n".to_vec(),
                Err("2 From: fields"),
            ),
            // Exactly one address: two, even of one domain, or a group of two, are refused.
            (
                b"From: alice@example.org, bob@example.net\r\n\r\n".to_vec(),
                Err("the From: field holds 2 addresses, and DMARC needs exactly one"),
            ),
            (b"From: alice@example.org, bob@example.org\r\n\r\n".to_vec(), Err("holds 2 addresses")),
            (b"From: Team: a@example.org, b@example.org;\r\n\r\n".to_vec(), Err("holds 2 addresses")),
            (b"From: A <a@example.org> <b@evil.example>\r\n\r\n".to_vec(), Err("after the address in <")),
            // No address, or no domain.
            (b"From: \r\n\r\n".to_vec(), Err("the From: field has no address")),
            (b"From: undisclosed-recipients:;\r\n\r\n".to_vec(), Err("has no address")),
            (b"From: (just a comment)\r\n\r\n".to_vec(), Err("has no address")),
            (b"From: <>\r\n\r\n".to_vec(), Err("an empty address <>")),
            (b"From: alice\r\n\r\n".to_vec(), Err("`alice` has no @, so it has no domain")),
            (b"From: alice@\r\n\r\n".to_vec(), Err("nothing after the @")),
            (b"From: @example.org\r\n\r\n".to_vec(), Err("nothing before the @")),
            (b"From: alice@[192.0.2.1]\r\n\r\n".to_vec(), Err("the address literal [192.0.2.1]")),
            (b"From: a@b@example.org\r\n\r\n".to_vec(), Err("more than one @")),
            // Not an address: a display name without <...>, a broken domain.
            (
                b"From: Alice alice@example.org\r\n\r\n".to_vec(),
                Err(
                    "`Alice alice@example.org` in the From: field is not a valid address (a display name needs the address in <…>)",
                ),
            ),
            (b"From: alice@example..org\r\n\r\n".to_vec(), Err("is not a domain name")),
            (b"From: alice@example...org\r\n\r\n".to_vec(), Err("is not a domain name")),
            (b"From: alice@example.org.\r\n\r\n".to_vec(), Err("is not a domain name")),
            (b"From: alice@exa mple.org\r\n\r\n".to_vec(), Err("is not a domain name")),
            (b"From: alice@ex$ample.org\r\n\r\n".to_vec(), Err("characters a domain name cannot have")),
            // Unclosed quotes, comments, brackets; stray characters.
            (b"From: \"Alice <alice@example.org>\r\n\r\n".to_vec(), Err("a \" with no closing \"")),
            (b"From: alice@example.org (Alice\r\n\r\n".to_vec(), Err("no closing )")),
            (b"From: alice@[192.0.2.1\r\n\r\n".to_vec(), Err("a [ with no closing ]")),
            (b"From: Alice <alice@example.org\r\n\r\n".to_vec(), Err("a < with no > after it")),
            (b"From: alice@example.org>\r\n\r\n".to_vec(), Err("a > with no < before it")),
            (b"From: <<alice@example.org>>\r\n\r\n".to_vec(), Err("a < inside <")),
            (b"From: alice@example.org)\r\n\r\n".to_vec(), Err("a `)` where it does not belong")),
            (b"From: alice@exam\rple.org\r\n\r\n".to_vec(), Err("a `\\r` where it does not belong")),
            // An international domain is not converted (RFC 7489 §6.6.1 would, to xn--).
            ("From: a@bücher.example\r\n\r\n".as_bytes().to_vec(), Err("is not plain ASCII")),
            // Bytes that are not UTF-8 become U+FFFD, which no domain has.
            (b"From: a@ex\xffample.org\r\n\r\n".to_vec(), Err("is not plain ASCII")),
            // Bounds: a label over 63, a name over 253, a field over the limit.
            (format!("From: a@{}.example\r\n\r\n", "x".repeat(64)).into_bytes(), Err("longer than the 63")),
            (
                format!("From: a@{}example\r\n\r\n", "abcdefghi.".repeat(25)).into_bytes(),
                Err("longer than the 253"),
            ),
            (
                format!("From: {}<a@example.org>\r\n\r\n", "word ".repeat(1000)).into_bytes(),
                Err("longer than the 4096"),
            ),
            (
                format!("From: a@example.org\r\n{}\r\n\r\n", " (folded)\r\n".repeat(1000)).into_bytes(),
                Err("longer than the 4096"),
            ),
        ];
        for (message, want) in &cases {
            let got = from_domain(message);
            let shown = String::from_utf8_lossy(message);
            match (want, &got) {
                (Ok(want), Ok(got)) => assert_eq!(got, want, "{shown:?}"),
                (Err(part), Err(reason)) => {
                    assert!(reason.contains(part), "{shown:?}: {reason:?} should contain {part:?}");
                    assert!(reason.chars().count() < 200, "{shown:?}: a long reason: {reason:?}");
                }
                _ => panic!("{shown:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    /// Drives a lookup against `zone`, failing (a timeout) the question numbered `timeout`;
    /// returns the names asked and what was found.
    fn run(from: &str, zone: &Zone, timeout: Option<usize>) -> (Vec<String>, Found) {
        let mut lookup = PolicyLookup::new(from);
        let mut asked = Vec::new();
        while let Some((name, qtype)) = lookup.query() {
            assert_eq!(qtype, "TXT");
            assert!(asked.len() < 2, "{from}: a third question {name}");
            let answer = zone.query(&name, qtype);
            lookup.answer((timeout != Some(asked.len())).then_some(&answer));
            asked.push(name);
        }
        let found = lookup.found().cloned().expect("a finished lookup has found something");
        (asked, found)
    }

    #[test]
    fn lookups_ask_what_a_receiver_asks_in_order() {
        let record = |domain: &str, text: &str| Found::Record {
            domain: domain.to_string(),
            record: parse_record(text).unwrap(),
        };
        let mut zone = Zone::default();
        zone.add_txt("_dmarc.example.org", "v=DMARC1; p=reject; sp=quarantine");
        zone.add_txt("_dmarc.own.example.org", "v=DMARC1; p=none");
        // Other TXT records beside the DMARC one are discarded (§6.6.3 step 2).
        zone.add_txt("_dmarc.mixed.example.org", "v=spf1 -all");
        zone.add_txt("_dmarc.mixed.example.org", "v=DMARC1; p=quarantine");
        // Only garbage: no DMARC record here, so on to the Organizational Domain.
        for garbage in ["hello", "v=spf1 -all", "v=DMARC2; p=none", "v=dmarc1; p=none", "", "; v=DMARC1"] {
            zone.add_txt("_dmarc.garbage.example.org", garbage);
        }
        // A name that exists with no TXT record (NOERROR, no data).
        zone.add_a("_dmarc.nodata.example.org", "192.0.2.1");
        zone.add_txt("_dmarc.two.example.org", "v=DMARC1; p=none");
        zone.add_txt("_dmarc.two.example.org", "v=DMARC1; p=reject");
        zone.add_txt("_dmarc.broken.example.org", "v=DMARC1; p=bogus");
        zone.add_txt("_dmarc.example.net", "v=DMARC1; p=none");
        zone.add_txt("_dmarc.example.net", "v=DMARC1; p=quarantine");
        zone.add_txt("_dmarc.localhost", "v=DMARC1; p=reject");
        let org = "_dmarc.example.org";
        let cases: Vec<(&str, Option<usize>, Vec<&str>, Found)> = vec![
            // The From: domain is its own Organizational Domain: one question.
            ("example.org", None, vec![org], record("example.org", "v=DMARC1; p=reject; sp=quarantine")),
            ("example.com", None, vec!["_dmarc.example.com"], Found::NoPolicy),
            ("localhost", None, vec!["_dmarc.localhost"], record("localhost", "v=DMARC1; p=reject")),
            // A subdomain with its own record: no second question.
            (
                "own.example.org",
                None,
                vec!["_dmarc.own.example.org"],
                record("own.example.org", "v=DMARC1; p=none"),
            ),
            (
                "mixed.example.org",
                None,
                vec!["_dmarc.mixed.example.org"],
                record("mixed.example.org", "v=DMARC1; p=quarantine"),
            ),
            // A subdomain without one: then the Organizational Domain (§6.6.3 step 3).
            (
                "mail.example.org",
                None,
                vec!["_dmarc.mail.example.org", org],
                record("example.org", "v=DMARC1; p=reject; sp=quarantine"),
            ),
            (
                "garbage.example.org",
                None,
                vec!["_dmarc.garbage.example.org", org],
                record("example.org", "v=DMARC1; p=reject; sp=quarantine"),
            ),
            (
                "nodata.example.org",
                None,
                vec!["_dmarc.nodata.example.org", org],
                record("example.org", "v=DMARC1; p=reject; sp=quarantine"),
            ),
            // No name in between: a.b.example.org asks _dmarc.example.org, never
            // _dmarc.b.example.org (RFC 7489 does not walk the tree).
            (
                "a.own.example.org",
                None,
                vec!["_dmarc.a.own.example.org", org],
                record("example.org", "v=DMARC1; p=reject; sp=quarantine"),
            ),
            // Case and the root's dot are normalized before asking.
            (
                "Mail.Example.ORG.",
                None,
                vec!["_dmarc.mail.example.org", org],
                record("example.org", "v=DMARC1; p=reject; sp=quarantine"),
            ),
            // Nothing at either name.
            (
                "mail.example.com",
                None,
                vec!["_dmarc.mail.example.com", "_dmarc.example.com"],
                Found::NoPolicy,
            ),
            // Two DMARC records at the From: domain: no policy, and the Organizational
            // Domain is not asked (§6.6.3 step 5: the set was not empty).
            (
                "two.example.org",
                None,
                vec!["_dmarc.two.example.org"],
                Found::Multiple { domain: "two.example.org".into(), count: 2 },
            ),
            // Two at the Organizational Domain.
            (
                "mail.example.net",
                None,
                vec!["_dmarc.mail.example.net", "_dmarc.example.net"],
                Found::Multiple { domain: "example.net".into(), count: 2 },
            ),
            // A broken record is still a DMARC record: no fall-back (a permerror).
            (
                "broken.example.org",
                None,
                vec!["_dmarc.broken.example.org"],
                Found::Invalid {
                    domain: "broken.example.org".into(),
                    reason: "p=bogus is not none, quarantine or reject".into(),
                },
            ),
            // A timeout at each step ends the lookup with a temperror.
            ("example.org", Some(0), vec![org], Found::TempError),
            ("mail.example.org", Some(0), vec!["_dmarc.mail.example.org"], Found::TempError),
            ("mail.example.org", Some(1), vec!["_dmarc.mail.example.org", org], Found::TempError),
            // A name the DNS cannot hold is not asked.
            ("", None, vec![], Found::NoPolicy),
        ];
        for (from, timeout, want_asked, want) in cases {
            let (asked, found) = run(from, &zone, timeout);
            assert_eq!(asked, want_asked, "{from:?} {timeout:?}");
            assert_eq!(found, want, "{from:?} {timeout:?}");
        }
        // A From: domain so long that _dmarc. in front of it makes too long a name: only
        // its Organizational Domain is asked.
        let long = format!("{}example.org", "abcdefghi.".repeat(24));
        assert!(long.len() <= MAX_DOMAIN_LEN && long.len() + 7 > MAX_DOMAIN_LEN);
        assert_eq!(run(&long, &zone, None).0, [org]);
    }

    #[test]
    fn a_finished_lookup_asks_nothing_and_ignores_late_answers() {
        let mut zone = Zone::default();
        zone.add_txt("_dmarc.example.org", "v=DMARC1; p=reject");
        let mut lookup = PolicyLookup::new("example.org");
        assert_eq!(lookup.found(), None, "not finished before the answer");
        assert_eq!(lookup.org_domain(), "example.org");
        lookup.answer(Some(&zone.query("_dmarc.example.org", "TXT")));
        let found = lookup.found().cloned();
        assert!(matches!(found, Some(Found::Record { .. })), "{found:?}");
        assert_eq!(lookup.query(), None);
        lookup.answer(None);
        lookup.answer(Some(&Answer::NxDomain));
        assert_eq!(lookup.found().cloned(), found);
    }

    /// `from`'s policy found at `domain`.
    fn at(domain: &str, text: &str) -> Found {
        Found::Record { domain: domain.to_string(), record: parse_record(text).unwrap() }
    }

    #[test]
    fn evaluation() {
        use DmarcResult::{Fail, Pass};
        use Policy::{Quarantine, Reject};
        // The records, by a short name.
        let found = |name: &str| match name {
            "reject" => at("example.org", "v=DMARC1; p=reject"),
            "strict" => at("example.org", "v=DMARC1; p=reject; aspf=s; adkim=s"),
            "adkim=s" => at("example.org", "v=DMARC1; p=reject; adkim=s"),
            "sp" => at("example.org", "v=DMARC1; p=reject; sp=quarantine"),
            "own" => at("mail.example.org", "v=DMARC1; p=none; sp=reject"),
            "pct25" => at("example.org", "v=DMARC1; p=reject; pct=25"),
            "none" => at("example.org", "v=DMARC1; p=none"),
            "pct0" => at("example.org", "v=DMARC1; p=quarantine; pct=0"),
            "no p" => at("example.org", "v=DMARC1; p=bogus; rua=mailto:d@example.org"),
            "nothing" => Found::NoPolicy,
            "two" => Found::Multiple { domain: "example.org".into(), count: 2 },
            "timeout" => Found::TempError,
            "broken" => Found::Invalid {
                domain: "example.org".into(),
                reason: "it has no p= tag to say none, quarantine or reject".into(),
            },
            _ => unreachable!("{name}"),
        };
        let fail = "example.org's DMARC record says p=reject, and neither SPF nor DKIM passed for a domain aligned with From: example.org.";
        // ((From: domain, record, SPF pass domain, DKIM pass domains, sample),
        //  (result, disposition, sampled), the reason, or a part of it after "…").
        type Case<'a> = (
            (&'a str, &'a str, Option<&'a str>, &'a [&'a str], u8),
            (DmarcResult, Option<Policy>, bool),
            &'a str,
        );
        let cases: Vec<Case> = vec![
            // Nothing passed: the policy, p=reject (§6.6.2, §6.6.4).
            (("example.org", "reject", None, &[], 0), (Fail, Some(Reject), true), fail),
            // SPF passed for the very domain.
            (
                ("example.org", "reject", Some("example.org"), &[], 0),
                (Pass, None, false),
                "DMARC passed: SPF passed for example.org, aligned with From: example.org.",
            ),
            // SPF passed for a subdomain: aligned in relaxed mode (§3.1.2)...
            (
                ("example.org", "reject", Some("bounces.example.org"), &[], 0),
                (Pass, None, false),
                "DMARC passed: SPF passed for bounces.example.org, aligned with From: example.org (relaxed alignment: the same organizational domain, example.org).",
            ),
            // ...not in strict mode.
            (
                ("example.org", "strict", Some("bounces.example.org"), &[], 0),
                (Fail, Some(Reject), true),
                "example.org's DMARC record says p=reject, and neither SPF nor DKIM passed for a domain aligned with From: example.org (SPF passed for bounces.example.org, but aspf=s asks for exactly example.org).",
            ),
            // SPF passed for another organization: not aligned in any mode.
            (
                ("example.org", "reject", Some("mailer.example.net"), &[], 0),
                (Fail, Some(Reject), true),
                "…(SPF passed for mailer.example.net, which is not part of example.org)",
            ),
            // DKIM aligned: exactly, in relaxed mode, one among others (§4.2: one aligned
            // pass is enough, whatever else failed).
            (
                ("example.org", "reject", None, &["example.org"], 0),
                (Pass, None, false),
                "DMARC passed: DKIM passed for example.org, aligned with From: example.org.",
            ),
            (
                ("example.org", "reject", None, &["mail.example.org"], 0),
                (Pass, None, false),
                "…(relaxed alignment",
            ),
            (
                ("example.org", "reject", Some("mailer.example.net"), &["esp.example.net", "EXAMPLE.org"], 0),
                (Pass, None, false),
                "DMARC passed: DKIM passed for example.org, aligned with From: example.org.",
            ),
            // Both aligned: both named.
            (
                ("example.org", "reject", Some("example.org"), &["example.org"], 0),
                (Pass, None, false),
                "DMARC passed: SPF passed for example.org and DKIM passed for example.org, aligned with From: example.org.",
            ),
            // DKIM aligned in relaxed mode only, under adkim=s.
            (
                ("example.org", "strict", None, &["mail.example.org"], 0),
                (Fail, Some(Reject), true),
                "…(DKIM passed for mail.example.org, but adkim=s asks for exactly example.org)",
            ),
            // DKIM of another organization, e.g. a mailing service's own signature.
            (
                ("example.org", "reject", None, &["esp.example.net"], 0),
                (Fail, Some(Reject), true),
                "…(DKIM passed for esp.example.net, which is not part of example.org)",
            ),
            // The two modes are apart: SPF relaxed aligns where adkim=s would not.
            (
                ("example.org", "adkim=s", Some("mail.example.org"), &[], 0),
                (Pass, None, false),
                "…SPF passed",
            ),
            // A subdomain under a record at the Organizational Domain gets sp (§6.3)...
            (
                ("mail.example.org", "sp", None, &[], 0),
                (Fail, Some(Quarantine), true),
                "example.org's DMARC record says sp=quarantine for its subdomains, and neither SPF nor DKIM passed for a domain aligned with From: mail.example.org.",
            ),
            // ...the domain itself gets p...
            (("example.org", "sp", None, &[], 0), (Fail, Some(Reject), true), fail),
            // ...and with no sp, a subdomain gets p.
            (("mail.example.org", "reject", None, &[], 0), (Fail, Some(Reject), true), "…says p=reject,"),
            // A record found at the From: domain itself applies p, even to a subdomain.
            (("mail.example.org", "own", None, &[], 0), (Fail, Some(Policy::None), true), "…says p=none,"),
            // pct=25: samples 0..=24 get reject, 25..=99 quarantine, the next policy down
            // (§6.6.4).
            (
                ("example.org", "pct25", None, &[], 24),
                (Fail, Some(Reject), true),
                "…; pct=25 and this message was among the 25% it applies to.",
            ),
            (
                ("example.org", "pct25", None, &[], 25),
                (Fail, Some(Quarantine), false),
                "…; pct=25 and this message was not among the 25% it applies to, so quarantine applies instead of reject.",
            ),
            // pct=0: quarantine is never applied; none instead.
            (
                ("example.org", "pct0", None, &[], 0),
                (Fail, Some(Policy::None), false),
                "…; pct=0 applies it to no message, so none applies instead of quarantine.",
            ),
            // pct=100 with the largest sample, and a sample out of range counted as 99.
            (("example.org", "reject", None, &[], 99), (Fail, Some(Reject), true), fail),
            (("example.org", "reject", None, &[], 255), (Fail, Some(Reject), true), fail),
            // p=none: a fail, and no action asked for.
            (
                ("example.org", "none", None, &[], 0),
                (Fail, Some(Policy::None), true),
                "…; p=none asks for no action on the message.",
            ),
            // A record read as p=none (§6.6.3 step 6) says why.
            (
                ("example.org", "no p", None, &[], 0),
                (Fail, Some(Policy::None), true),
                "…example.org's DMARC record counts as p=none (p=bogus is not none, quarantine or reject, but it has a report address in rua=)",
            ),
            // Empty domains pass nothing.
            (("example.org", "reject", Some(""), &["", "."], 0), (Fail, Some(Reject), true), fail),
            // No policy: one name asked, or two.
            (
                ("example.org", "nothing", Some("example.org"), &[], 0),
                (DmarcResult::None, None, false),
                "_dmarc.example.org has no DMARC record, so DMARC does not apply to this message.",
            ),
            (
                ("mail.example.org", "nothing", None, &[], 0),
                (DmarcResult::None, None, false),
                "Neither _dmarc.mail.example.org nor _dmarc.example.org has a DMARC record, so DMARC does not apply to this message.",
            ),
            // Two records, a timeout, a broken record.
            (
                ("example.org", "two", None, &[], 0),
                (DmarcResult::None, None, false),
                "_dmarc.example.org has 2 DMARC records where there must be one, so DMARC treats example.org as having no policy.",
            ),
            (
                ("example.org", "timeout", None, &[], 0),
                (DmarcResult::TempError, None, false),
                "The DNS lookup of the DMARC record for example.org got no answer, so DMARC could not decide this time (a temporary error).",
            ),
            (
                ("example.org", "broken", None, &[], 0),
                (DmarcResult::PermError, None, false),
                "The DMARC record at _dmarc.example.org is broken (it has no p= tag to say none, quarantine or reject), so DMARC could not be applied (a permanent error).",
            ),
        ];
        for ((from, record, spf, dkim, sample), (result, disposition, sampled), reason) in cases {
            let got = evaluate(from, &found(record), spf, dkim, sample);
            let case = format!("{from} {record:?} {spf:?} {dkim:?} {sample}");
            assert_eq!(got.result, result, "{case}: {got:?}");
            assert_eq!(got.from_domain, from, "{case}");
            assert_eq!(got.disposition, disposition, "{case}: {got:?}");
            assert_eq!(got.sampled, sampled, "{case}: {got:?}");
            // A reason starting with … is a part of the sentence; the others are all of it.
            match reason.strip_prefix('…') {
                Some(part) => {
                    assert!(got.reason.contains(part), "{case}: {:?} should contain {part:?}", got.reason)
                }
                None => assert_eq!(got.reason, reason, "{case}"),
            }
            // One sentence: ends with a full stop, no line break, no second sentence.
            assert!(got.reason.ends_with('.') && !got.reason.contains('\n'), "{}", got.reason);
            assert!(!got.reason.contains(". "), "{}", got.reason);
        }
        // The From: domain is read in lower case, without the root's dot.
        assert_eq!(evaluate("Mail.Example.ORG.", &found("sp"), None, &[], 0).from_domain, "mail.example.org");
    }

    #[test]
    fn evaluation_names_a_few_domains_and_counts_the_rest() {
        // A message with many signatures that passed for other domains: the reason stays
        // short.
        let domains: Vec<String> = (0..1000).map(|i| format!("d{}.example.net", i % 500)).collect();
        let refs: Vec<&str> = domains.iter().map(String::as_str).collect();
        let found = at("example.org", "v=DMARC1; p=reject");
        let got = evaluate("example.org", &found, None, &refs, 0);
        assert_eq!(got.result, DmarcResult::Fail);
        assert!(got.reason.contains("DKIM passed for d0.example.net,"), "{}", got.reason);
        assert!(got.reason.contains("DKIM passed for 497 more domains"), "{}", got.reason);
        assert!(got.reason.len() < 600, "{}", got.reason);
        // And passing for many aligned ones lists them the same way.
        let aligned: Vec<String> = (0..6).map(|i| format!("s{i}.example.org")).collect();
        let refs: Vec<&str> = aligned.iter().map(String::as_str).collect();
        let got = evaluate("example.org", &found, None, &refs, 0);
        assert!(
            got.reason.starts_with(
                "DMARC passed: DKIM passed for s0.example.org, s1.example.org, s2.example.org and 3 more, aligned"
            ),
            "{}",
            got.reason
        );
    }

    #[test]
    fn from_the_message_to_the_outcome() {
        // The four parts together, as the World will use them. RFC 7489 appendix B.2.4: the
        // record of the subdomain test.example.com, published at its own name, and the
        // Organizational Domain's record, which does not apply to it then.
        let mut zone = Zone::default();
        zone.add_txt(
            "_dmarc.test.example.com",
            "v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com,mailto:tld-test@thirdparty.example.net!10m; pct=25",
        );
        zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
        let message = b"From: \"Test, Team\" <news@test.example.com>\r\nSubject: hi\r\n\r\nHello\r\n";
        let from = from_domain(message).unwrap();
        assert_eq!(from, "test.example.com");
        let (asked, found) = run(&from, &zone, None);
        assert_eq!(asked, ["_dmarc.test.example.com"]);
        // Signed by a mailing service for its own domain: a fail, quarantined in 25 of 100.
        let service = (Some("bounce.esp.example.net"), ["esp.example.net"]);
        let out = evaluate(&from, &found, service.0, &service.1, 24);
        assert_eq!(
            (out.result, out.disposition, out.sampled),
            (DmarcResult::Fail, Some(Policy::Quarantine), true)
        );
        let out = evaluate(&from, &found, service.0, &service.1, 25);
        assert_eq!(
            (out.result, out.disposition, out.sampled),
            (DmarcResult::Fail, Some(Policy::None), false)
        );
        assert_eq!(
            out.reason,
            "test.example.com's DMARC record says p=quarantine, and neither SPF nor DKIM passed for a domain \
             aligned with From: test.example.com (SPF passed for bounce.esp.example.net, which is not part of \
             example.com; DKIM passed for esp.example.net, which is not part of example.com); pct=25 and this \
             message was not among the 25% it applies to, so none applies instead of quarantine."
        );
        // Signed by the Organizational Domain: relaxed alignment passes.
        let out = evaluate(&from, &found, None, &["example.com"], 50);
        assert_eq!((out.result, out.disposition), (DmarcResult::Pass, None));
        assert_eq!(out.result.name(), "pass");
    }

    #[test]
    fn names() {
        assert_eq!(
            [Policy::None, Policy::Quarantine, Policy::Reject].map(Policy::name),
            ["none", "quarantine", "reject"]
        );
        assert_eq!(
            [
                DmarcResult::None,
                DmarcResult::Pass,
                DmarcResult::Fail,
                DmarcResult::TempError,
                DmarcResult::PermError
            ]
            .map(DmarcResult::name),
            ["none", "pass", "fail", "temperror", "permerror"]
        );
        assert_eq!([Alignment::Relaxed, Alignment::Strict].map(Alignment::name), ["relaxed", "strict"]);
        // §6.6.4: reject → quarantine → none.
        assert_eq!(
            [Policy::Reject, Policy::Quarantine, Policy::None].map(Policy::weaker),
            [Policy::Quarantine, Policy::None, Policy::None]
        );
    }

    #[test]
    fn strangers_input_never_panics() {
        // Random records and From: fields built from the characters that matter to the
        // parsers: each call returns, whatever it returns.
        let mut rng = crate::rng::Rng::new(7489);
        let record_parts = [
            "v=DMARC1", "v", "=", ";", " ", "\t", "p=", "reject", "rua=", "mailto:", "a@b", ",", "!", "10m",
            "pct=", "99", ":", "fo=", "é", "%", "sp",
        ];
        let from_parts = [
            "From:", " ", "\r\n", "\n", "\t", "<", ">", "\"", "(", ")", "\\", "@", ".", ",", ":", ";", "[",
            "]", "a", "example", "ë", "\r", "From :",
        ];
        for _ in 0..20_000 {
            let mut record = String::new();
            let mut from = String::new();
            for _ in 0..rng.below(30) {
                record.push_str(record_parts[rng.below(record_parts.len() as u64) as usize]);
                from.push_str(from_parts[rng.below(from_parts.len() as u64) as usize]);
            }
            if let Ok(r) = parse_record(&record) {
                assert!(r.percent <= 100 && r.rua.len() <= MAX_REPORT_URIS, "{record:?}");
            }
            if let Ok(d) = from_domain(from.as_bytes()) {
                assert!(!d.is_empty() && d.len() <= MAX_DOMAIN_LEN, "{from:?}");
            }
            let mut lookup = PolicyLookup::new(&from);
            let mut steps = 0;
            while lookup.query().is_some() {
                lookup.answer(Some(&Answer::NxDomain));
                steps += 1;
                assert!(steps <= 2, "{from:?}");
            }
        }
    }
}
