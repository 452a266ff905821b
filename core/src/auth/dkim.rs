//! DKIM, DomainKeys Identified Mail (RFC 6376): the provider that sends a message signs it
//! with a private key, and a server that receives it checks the signature with the public
//! key the signing domain publishes in DNS, at `selector._domainkey.domain` (§3.6.2.1). A
//! signature that checks says two things: the domain in `d=` took responsibility for the
//! message, and the header fields it names in `h=` and the body have not changed since.
//!
//! The signatures are Ed25519-SHA256 (RFC 8463), and real: a student can copy a signed
//! message and the published key into a real verifier (dkimpy's `dkimverify`, OpenDKIM) and
//! see it pass. Ed25519 signatures are deterministic (RFC 8032 §5.1.6), so a World replays
//! byte for byte. RSA signatures (rsa-sha256) are read, but this simulation does not check
//! them, and says so in its reason.
//!
//! Sans-IO, as the rest of the engine: [`signatures`] reads a message's DKIM-Signature
//! fields; the World asks DNS for each [`Signature::key_name`] (TXT) over its simulated
//! network and hands the answer to [`verify`], with the time of the check.

use ed25519_compact::{KeyPair, PublicKey, Seed};
use hmac_sha256::Hash;

use crate::base64;
use crate::dns::Answer;

/// The most DKIM-Signature fields of one message that are read and checked, top to bottom:
/// a verifier may limit how many signatures it tries, so that a message with hundreds of
/// them costs no more than a few (RFC 6376 §6.1).
pub const MAX_SIGNATURES: usize = 5;

/// The longest DKIM-Signature field read, in octets, its name and folding included. A
/// signature with a 4096-bit RSA key and a long `h=` fits in half of this; a longer field
/// is someone's garbage, and verifiers must be ready for malformed fields (RFC 6376 §8.9).
pub const MAX_FIELD_LEN: usize = 8192;

/// The most tags read from one tag-list, in a DKIM-Signature field or a key record (RFC
/// 6376 §3.2): a signature has at most 14 defined tags, a key record 7.
pub const MAX_TAGS: usize = 64;

/// The most header field names in a signature's `h=`, repeats (oversigning) counted (RFC
/// 6376 §3.5, §5.4.2).
pub const MAX_SIGNED_FIELDS: usize = 64;

/// The longest key record read, in characters: a 4096-bit RSA key is about 740 (RFC 6376
/// §3.6.1), and verifiers must be ready for malformed key records (§8.8).
pub const MAX_KEY_RECORD_LEN: usize = 4096;

/// A domain name of at most 253 characters, in labels of at most 63 (RFC 1035 §2.3.4).
const MAX_DOMAIN_LEN: usize = 253;
const MAX_LABEL_LEN: usize = 63;

/// `t=` and `x=` have at most 12 digits, `l=` at most 76 (RFC 6376 §3.5).
const MAX_TIME_DIGITS: usize = 12;
const MAX_LENGTH_DIGITS: usize = 76;

/// The line length a signer keeps to where it can (RFC 5322 §2.1.1).
const LINE_LEN: usize = 78;

/// The header fields a [`Signer`] signs, those present, in this order: From (required, RFC
/// 6376 §5.4), the fields RFC 6376 §5.4.1 recommends that a person reads, the Message-ID
/// and the MIME fields that say how to read the body.
pub const SIGNED_FIELDS: [&str; 12] = [
    "from",
    "reply-to",
    "subject",
    "date",
    "to",
    "cc",
    "message-id",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
];

/// The key of one selector of one domain, and the signatures it makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signer {
    domain: String,
    selector: String,
    key: KeyPair,
}

impl Signer {
    /// The key of `selector` for `domain` (both lower-cased, the domain without a final
    /// dot). Made up and derived, not random: its seed is SHA-256 of `mailroom DKIM key:
    /// {selector}._domainkey.{domain}`, so every World has the same keys. A real private key
    /// is random and kept secret; these are shown to students, and sign only simulated mail.
    pub fn new(domain: &str, selector: &str) -> Signer {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        let selector = selector.to_ascii_lowercase();
        let seed = Hash::hash(format!("mailroom DKIM key: {selector}._domainkey.{domain}").as_bytes());
        Signer::from_seed(&domain, &selector, seed)
    }

    /// The key whose 32-byte private seed is `seed` (RFC 8032 §5.1.5). A seed of zeros (no
    /// SHA-256 output is one) would be refused by the crate: a fixed one stands in.
    fn from_seed(domain: &str, selector: &str, seed: [u8; 32]) -> Signer {
        let key = KeyPair::try_from_seed(Seed::new(seed))
            .unwrap_or_else(|_| KeyPair::from_seed(Seed::new([1; 32])));
        Signer { domain: domain.to_string(), selector: selector.to_string(), key }
    }

    pub fn domain(&self) -> &str {
        &self.domain
    }

    pub fn selector(&self) -> &str {
        &self.selector
    }

    /// Where the public key is published: `{selector}._domainkey.{domain}` (RFC 6376
    /// §3.6.2.1).
    pub fn key_name(&self) -> String {
        format!("{}._domainkey.{}", self.selector, self.domain)
    }

    /// The TXT record to publish at [`Signer::key_name`]: `v=DKIM1; k=ed25519; p=` and the
    /// 32-byte public key in base64 (RFC 6376 §3.6.1, RFC 8463 §4).
    pub fn record(&self) -> String {
        format!("v=DKIM1; k=ed25519; p={}", base64::encode(&self.key.pk[..]))
    }

    /// The private key: its 32-byte seed in base64, as RFC 8463 Appendix A.2 shows one and
    /// as dkimpy's `dkimsign` reads it. Made up (see [`Signer::new`]): shown so that a
    /// student can sign with a real tool and compare.
    pub fn private_key(&self) -> String {
        base64::encode(&self.key.sk.seed()[..])
    }

    /// `message` (CRLF line ends: header, an empty line, body) with a `DKIM-Signature:`
    /// field put on top, signed at `unix_time` (`t=`): `v=1; a=ed25519-sha256;
    /// c=relaxed/relaxed; d=; s=; t=; h=; bh=; b=`. `h=` names the [`SIGNED_FIELDS`] the
    /// message has, once per instance. A message without a From field is returned as it
    /// is: a signature must sign From (RFC 6376 §5.4). The field is folded with CRLF and a
    /// space so that its lines stay within 78 characters where they can; `b=` may be split
    /// anywhere, as white space inside base64 is allowed (§3.5).
    pub fn sign(&self, message: &[u8], unix_time: i64) -> Vec<u8> {
        let (fields, _) = split(message);
        let mut headers = Vec::new();
        for name in SIGNED_FIELDS {
            for _ in fields.iter().filter(|f| f.name.eq_ignore_ascii_case(name.as_bytes())) {
                headers.push(name.to_string());
            }
        }
        if headers.first().map(String::as_str) != Some("from") {
            return message.to_vec();
        }
        // From comes first, so cutting the list to what a verifier reads keeps it.
        headers.truncate(MAX_SIGNED_FIELDS);
        let mut words: Vec<Word> = [
            "v=1;".to_string(),
            "a=ed25519-sha256;".to_string(),
            "c=relaxed/relaxed;".to_string(),
            format!("d={};", self.domain),
            format!("s={};", self.selector),
            format!("t={};", unix_time.max(0)),
        ]
        .into_iter()
        .map(|text| Word { text, glue: false })
        .collect();
        // `h=from:to:subject;`, which may be folded after a colon (§3.5: FWS around `:`).
        for (i, name) in headers.iter().enumerate() {
            let head = if i == 0 { "h=" } else { "" };
            let tail = if i + 1 == headers.len() { ";" } else { ":" };
            words.push(Word { text: format!("{head}{name}{tail}"), glue: i > 0 });
        }
        let spec = Spec {
            words,
            headers,
            header_canon: Canonicalization::Relaxed,
            body_canon: Canonicalization::Relaxed,
            body_length: None,
        };
        self.sign_with(message, &spec)
    }

    /// Signs `message` with the tags of `spec` before `bh=`, then `bh=` and `b=`.
    fn sign_with(&self, message: &[u8], spec: &Spec) -> Vec<u8> {
        let (fields, body) = split(message);
        let canonical = canonical_body(body, spec.body_canon);
        let hashed = match spec.body_length {
            Some(l) => canonical.get(..usize::try_from(l).unwrap_or(usize::MAX)).unwrap_or(&canonical),
            None => &canonical[..],
        };
        let mut words = spec.words.clone();
        words.push(Word { text: format!("bh={};", base64::encode(&Hash::hash(hashed))), glue: false });
        words.push(Word { text: "b=".to_string(), glue: false });
        let (mut field, mut line) = fold(&words);
        // The header hash covers this field with `b=` still empty (RFC 6376 §3.7), and the
        // Ed25519 signature is made over that hash (RFC 8463 §3).
        let data = header_data(&spec.headers, spec.header_canon, &fields, field.as_bytes());
        let signature = self.key.sk.sign(Hash::hash(&data), None);
        for c in base64::encode(signature.as_ref()).chars() {
            if line >= LINE_LEN {
                field.push_str("\r\n ");
                line = 1;
            }
            field.push(c);
            line += 1;
        }
        field.push_str("\r\n");
        let mut out = field.into_bytes();
        out.extend_from_slice(message);
        out
    }
}

/// What a signer puts in a signature, for [`Signer::sign_with`].
#[derive(Clone, Debug)]
struct Spec {
    /// The tags before `bh=`, as words to fold between.
    words: Vec<Word>,
    /// The names of `h=`, in order.
    headers: Vec<String>,
    header_canon: Canonicalization,
    body_canon: Canonicalization,
    /// `l=`, when the tags have one.
    body_length: Option<u64>,
}

/// A piece of a header field that folding keeps whole.
#[derive(Clone, Debug)]
struct Word {
    text: String,
    /// Written right after the word before it, without a space, unless the line is folded
    /// between them.
    glue: bool,
}

/// `DKIM-Signature:` and the words, folded with CRLF and a space before a word that would
/// take its line past 78 characters (RFC 5322 §2.2.3); and the length of the last line.
fn fold(words: &[Word]) -> (String, usize) {
    let mut out = String::from("DKIM-Signature:");
    let mut line = out.len();
    for w in words {
        let space = usize::from(!w.glue);
        if line + space + w.text.len() > LINE_LEN && line > 1 {
            out.push_str("\r\n ");
            line = 1;
        } else if space == 1 {
            out.push(' ');
            line += 1;
        }
        out.push_str(&w.text);
        line += w.text.len();
    }
    (out, line)
}

/// A verifier's result for one signature, by the names of RFC 8601 §2.7.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DkimResult {
    /// The message has no signature.
    None,
    /// The signature checked.
    Pass,
    /// The signature was read and its key found, but it does not match the message.
    Fail,
    /// The signature could not be processed for another reason.
    Neutral,
    /// A temporary error, such as a DNS lookup that got no answer: a later try may work.
    TempError,
    /// An error that a later try will not change: a malformed signature, no key, a revoked
    /// key.
    PermError,
}

impl DkimResult {
    /// The name in an `Authentication-Results:` field (RFC 8601 §2.7.1).
    pub fn name(self) -> &'static str {
        match self {
            DkimResult::None => "none",
            DkimResult::Pass => "pass",
            DkimResult::Fail => "fail",
            DkimResult::Neutral => "neutral",
            DkimResult::TempError => "temperror",
            DkimResult::PermError => "permerror",
        }
    }
}

/// How header fields or the body are put in one form before hashing (RFC 6376 §3.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Canonicalization {
    /// Nothing may change (§3.4.1, §3.4.3).
    Simple,
    /// White space and the case of header names may change (§3.4.2, §3.4.4).
    Relaxed,
}

impl Canonicalization {
    pub fn name(self) -> &'static str {
        match self {
            Canonicalization::Simple => "simple",
            Canonicalization::Relaxed => "relaxed",
        }
    }

    fn parse(text: &str) -> Option<Canonicalization> {
        match text {
            "simple" => Some(Canonicalization::Simple),
            "relaxed" => Some(Canonicalization::Relaxed),
            _ => None,
        }
    }
}

/// One DKIM-Signature field, read and checked (RFC 6376 §3.5, §6.1.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// `d=`: the domain that signed.
    pub domain: String,
    /// `s=`: which of its keys.
    pub selector: String,
    /// `a=`: `ed25519-sha256`, `rsa-sha256` or `rsa-sha1`.
    pub algorithm: String,
    /// `h=`: the names of the signed header fields, as written, in order.
    pub headers: Vec<String>,
    /// `c=`, before the `/`: `simple` if not given.
    pub header_canonicalization: Canonicalization,
    /// `c=`, after the `/`: `simple` if not given.
    pub body_canonicalization: Canonicalization,
    /// `bh=`, decoded: the hash of the body.
    pub body_hash: Vec<u8>,
    /// `b=`, decoded: the signature.
    pub signature: Vec<u8>,
    /// `l=`: how many octets of the canonicalized body the body hash covers.
    pub body_length: Option<u64>,
    /// `t=`: when it was signed, in seconds since 1970 (UTC).
    pub timestamp: Option<i64>,
    /// `x=`: when it expires, in seconds since 1970 (UTC).
    pub expiration: Option<i64>,
    /// `i=`, or `@` and `d=` when not given (§3.5).
    pub identity: String,
    /// The whole field as it is in the message, name and folding included, without its
    /// last CRLF.
    pub field: String,
    /// `b=` as written, white space taken out.
    b_text: String,
    /// Where `b=`'s value is in `field`, with the white space around it: what is emptied
    /// when the field is hashed (§3.7).
    b_span: (usize, usize),
}

impl Signature {
    /// Where its key is: `{s}._domainkey.{d}` (RFC 6376 §3.6.2.1).
    pub fn key_name(&self) -> String {
        format!("{}._domainkey.{}", self.selector, self.domain)
    }

    /// The first 8 characters of `b=`, which tell two signatures of one domain apart in an
    /// `Authentication-Results:` field's `header.b` (RFC 6008 §4, RFC 8601).
    pub fn b_prefix(&self) -> String {
        prefix8(&self.b_text)
    }
}

/// The result of checking one signature, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DkimOutcome {
    pub result: DkimResult,
    /// `d=`, when the signature has a readable one.
    pub domain: Option<String>,
    /// `s=`, when the signature has a readable one.
    pub selector: Option<String>,
    /// The first 8 characters of `b=` ([`Signature::b_prefix`]).
    pub b_prefix: Option<String>,
    /// Why, in one plain sentence for a student.
    pub reason: String,
}

impl DkimOutcome {
    /// The outcome for a message without a DKIM-Signature field (RFC 8601 §2.7.1 `none`).
    pub fn none() -> DkimOutcome {
        DkimOutcome {
            result: DkimResult::None,
            domain: None,
            selector: None,
            b_prefix: None,
            reason: "The message has no DKIM-Signature field, so no domain vouches for it.".to_string(),
        }
    }
}

/// Every DKIM-Signature field of `message`, top to bottom, read and checked (RFC 6376
/// §3.5, §6.1.1): the signature, or the permerror outcome that says what is wrong with it
/// (a required tag missing, `v=` other than 1, `i=` outside `d=`, `h=` without From, `x=`
/// not after `t=`, bad base64, an unknown algorithm, a tag twice ...). At most
/// [`MAX_SIGNATURES`] are read.
pub fn signatures(message: &[u8]) -> Vec<Result<Signature, DkimOutcome>> {
    let (fields, _) = split(message);
    fields
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case(b"DKIM-Signature"))
        .take(MAX_SIGNATURES)
        .map(|f| parse_signature(f.raw))
        .collect()
}

/// Checks `sig` against `message`, with `key`, the answer to the TXT query of
/// [`Signature::key_name`] (`None`: the query got no answer), at `unix_time` (RFC 6376
/// §6.1.2, §6.1.3).
pub fn verify(sig: &Signature, message: &[u8], key: Option<&Answer>, unix_time: i64) -> DkimOutcome {
    let name = sig.key_name();
    let outcome = |result: DkimResult, reason: String| DkimOutcome {
        result,
        domain: Some(sig.domain.clone()),
        selector: Some(sig.selector.clone()),
        b_prefix: Some(sig.b_prefix()),
        reason,
    };
    let perm = |reason: String| outcome(DkimResult::PermError, reason);

    // The checks of the field that need the time or the algorithm (§6.1.1).
    if sig.algorithm == "rsa-sha1" {
        return perm(
            "The signature uses rsa-sha1, which DKIM no longer accepts because SHA-1 is too weak (RFC 8301)."
                .to_string(),
        );
    }
    let Some(sig_key_type) =
        sig.algorithm.strip_suffix("-sha256").filter(|k| matches!(*k, "rsa" | "ed25519"))
    else {
        return perm(format!(
            "The signature uses the algorithm a={}, which DKIM does not define.",
            quote(&sig.algorithm)
        ));
    };
    if let Some(x) = sig.expiration
        && x < unix_time
    {
        // "Verifiers MAY ... return PERMFAIL (signature expired)" (§6.1.1, §3.5 x=).
        return perm(format!(
            "The signature expired at {} (x=), before it was checked at {}.",
            utc(x),
            utc(unix_time)
        ));
    }

    // The key (§6.1.2).
    let texts = match key {
        None => {
            return outcome(
                DkimResult::TempError,
                format!(
                    "The DNS lookup of the key at {name} got no answer, so the signature cannot be checked now; a later try may work."
                ),
            );
        }
        Some(Answer::NxDomain) => {
            return perm(format!("No key is published at {name}: that name does not exist in DNS."));
        }
        Some(answer) => answer.texts(),
    };
    if texts.is_empty() {
        return perm(format!("No key is published at {name}: the name has no TXT record."));
    }
    // Several records: the verifier may choose one (§6.1.2); the first that reads as a key.
    let reads: Vec<KeyRead> = texts.iter().map(|t| read_key(t)).collect();
    let record = match reads.iter().find_map(|r| match r {
        KeyRead::Good(k) => Some(k),
        _ => None,
    }) {
        Some(k) => k,
        None => {
            let why = reads.iter().find_map(|r| match r {
                KeyRead::Bad(why) => Some(why.as_str()),
                _ => None,
            });
            return perm(match why {
                Some(why) => format!("The key record at {name} cannot be read: {why}."),
                None if texts.len() == 1 => format!(
                    "The TXT record at {name} is not a DKIM key: it starts with a v= other than v=DKIM1, so it must be ignored."
                ),
                None => format!(
                    "None of the {} TXT records at {name} is a DKIM key: each starts with a v= other than v=DKIM1.",
                    texts.len()
                ),
            });
        }
    };
    // A record for other services is ignored (§3.6.1 s=).
    if !record.services.iter().any(|s| s == "*" || s == "email") {
        return perm(format!(
            "The key at {name} is not for email: its s= says {}.",
            quote(&record.services.join(":"))
        ));
    }
    if let Some(hashes) = &record.hashes
        && !hashes.iter().any(|h| h == "sha256")
    {
        return perm(format!(
            "The key at {name} may only be used with the hash algorithms h={}, and the signature uses sha256.",
            quote(&hashes.join(":"))
        ));
    }
    if record.public.is_empty() {
        return perm(format!(
            "The key at {name} has been revoked: its p= is empty, so no signature made with it is accepted."
        ));
    }
    // t=s: the identity must be in d= itself, not in a subdomain (§3.6.1 t=).
    let identity_domain = sig.identity.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    if record.flags.iter().any(|f| f == "s") && !identity_domain.eq_ignore_ascii_case(&sig.domain) {
        return perm(format!(
            "The key at {name} is marked t=s, so the identity i={} must be in {} itself, not in a subdomain.",
            quote(&sig.identity),
            sig.domain
        ));
    }
    if record.key_type != sig_key_type {
        return perm(match record.key_type.as_str() {
            "rsa" | "ed25519" => format!(
                "The key at {name} is {}, but the signature says it was made with {} (a={}): the two must match.",
                key_kind(&record.key_type),
                key_kind(sig_key_type),
                sig.algorithm
            ),
            other => {
                format!("The key at {name} is of the type k={}, which DKIM does not define.", quote(other))
            }
        });
    }
    if sig_key_type == "rsa" {
        return perm(format!(
            "The signature is an RSA signature (a={}), and this simulation checks Ed25519 signatures only, so it cannot say whether this one is good.",
            sig.algorithm
        ));
    }
    let Some(public) = PublicKey::from_slice(&record.public).ok().filter(|pk| pk.validate().is_ok()) else {
        return perm(format!(
            "The key at {name} is not a usable Ed25519 public key: p= must hold 32 bytes that encode a point of the curve."
        ));
    };

    // The body hash (§6.1.3, with l= §3.4.5).
    let (fields, body) = split(message);
    let canonical = canonical_body(body, sig.body_canonicalization);
    let (hashed, unsigned) = match sig.body_length {
        Some(l) => match usize::try_from(l).ok().and_then(|l| canonical.get(..l)) {
            Some(part) => (part, canonical.len() - part.len()),
            // "This value MUST NOT be larger than the actual number of octets in the
            // canonicalized message body" (§3.5 l=).
            None => {
                return perm(format!(
                    "The signature says its body hash covers {l} octets of the body (l=), but the body has only {} after canonicalization.",
                    canonical.len()
                ));
            }
        },
        None => (&canonical[..], 0),
    };
    if Hash::hash(hashed)[..] != sig.body_hash[..] {
        return outcome(
            DkimResult::Fail,
            "The body was changed after it was signed: its hash is no longer the one in bh=.".to_string(),
        );
    }

    // The header hash and the signature (§6.1.3, RFC 8463 §3).
    let emptied = match (sig.field.get(..sig.b_span.0), sig.field.get(sig.b_span.1..)) {
        (Some(before), Some(after)) => format!("{before}{after}"),
        _ => sig.field.clone(),
    };
    // The signature being checked is hashed last, by itself (§3.7): a `dkim-signature` in its
    // h= names the other, earlier signatures (§5.4), never this one.
    let own = fields.iter().position(|f| f.raw == sig.field.as_bytes());
    let others: Vec<Field> =
        fields.into_iter().enumerate().filter(|(i, _)| Some(*i) != own).map(|(_, f)| f).collect();
    let data = header_data(&sig.headers, sig.header_canonicalization, &others, emptied.as_bytes());
    let matches = ed25519_compact::Signature::from_slice(&sig.signature)
        .is_ok_and(|s| public.verify(Hash::hash(&data), &s).is_ok());
    if !matches {
        return outcome(
            DkimResult::Fail,
            format!(
                "A signed header field was changed after signing, or the key at {name} is not the one that signed: b= does not match the fields it covers ({}).",
                field_list(&sig.headers)
            ),
        );
    }
    // t=y: still checked, and said (§3.6.1 t=).
    let testing = if record.flags.iter().any(|f| f == "y") {
        " (the key is marked t=y: the domain is only testing DKIM)"
    } else {
        ""
    };
    let reason = if unsigned > 0 {
        format!(
            "The signature of {} matches the key published at {name}, but it covers only the first {} octets of the body (l=): the {unsigned} after them could have been added by anyone{testing}.",
            sig.domain,
            hashed.len()
        )
    } else {
        format!(
            "The signature of {} matches the key published at {name}: the signed header fields and the body are as they were signed{testing}.",
            sig.domain
        )
    };
    outcome(DkimResult::Pass, reason)
}

/// `from, to, subject`: the names of `h=`, the first 8 of them.
fn field_list(headers: &[String]) -> String {
    let mut names: Vec<String> = headers.iter().take(8).map(|n| quote(n)).collect();
    if headers.len() > 8 {
        names.push("…".to_string());
    }
    names.join(", ")
}

/// `an RSA key (k=rsa)`, `an Ed25519 key (k=ed25519)`.
fn key_kind(key_type: &str) -> String {
    match key_type {
        "rsa" => "an RSA key (k=rsa)".to_string(),
        _ => format!("an Ed25519 key (k={key_type})"),
    }
}

/// One header field as it is in the message.
#[derive(Clone, Copy, Debug)]
struct Field<'a> {
    /// Its name, without white space before the colon.
    name: &'a [u8],
    /// The whole field, name, colon, value and folding, without its last CRLF.
    raw: &'a [u8],
}

/// The fields of the header section, and the body: what follows the first empty line
/// (RFC 5322 §2.1). Lines end with CRLF; a line that starts with a space or a tab continues
/// the field before it (§2.2.3). A line without a colon is no field, and is skipped.
fn split(message: &[u8]) -> (Vec<Field<'_>>, &[u8]) {
    let mut fields = Vec::new();
    let mut push = |span: Option<(usize, usize)>| {
        if let Some(raw) = span.and_then(|(start, end)| message.get(start..end)) {
            let colon = raw.iter().position(|&b| b == b':').unwrap_or(raw.len());
            fields.push(Field { name: trim_wsp(&raw[..colon]), raw });
        }
    };
    let mut current: Option<(usize, usize)> = None;
    let mut pos = 0;
    let body_start = loop {
        let rest = message.get(pos..).unwrap_or_default();
        let (end, next) = match find(rest, b"\r\n") {
            Some(i) => (pos + i, pos + i + 2),
            None => (message.len(), message.len()),
        };
        let line = message.get(pos..end).unwrap_or_default();
        match line.first() {
            // The empty line that ends the header, or the end of the message.
            None => break next,
            Some(b' ' | b'\t') => {
                if let Some((_, e)) = current.as_mut() {
                    *e = end;
                }
            }
            Some(_) => {
                push(current.take());
                if line.contains(&b':') {
                    current = Some((pos, end));
                }
            }
        }
        if next == end {
            // The message ends in its header, without a line end.
            break message.len();
        }
        pos = next;
    };
    push(current);
    (fields, message.get(body_start..).unwrap_or_default())
}

/// Where `needle` first is in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `bytes` without spaces and tabs at either end.
fn trim_wsp(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| !matches!(b, b' ' | b'\t')).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !matches!(b, b' ' | b'\t')).map_or(start, |i| i + 1);
    bytes.get(start..end).unwrap_or_default()
}

/// What the header hash covers (RFC 6376 §3.7, §5.4.2): each field named in `headers`,
/// canonicalized, in the order of the list. A name that comes again takes the next
/// instance up from the bottom of the header; a name with no instance left adds nothing.
/// Then `own`, the DKIM-Signature field itself with `b=` empty, without its CRLF.
fn header_data(headers: &[String], c: Canonicalization, fields: &[Field], own: &[u8]) -> Vec<u8> {
    let mut data = Vec::new();
    for (i, name) in headers.iter().enumerate() {
        let before = headers[..i].iter().filter(|n| n.eq_ignore_ascii_case(name)).count();
        if let Some(f) =
            fields.iter().rev().filter(|f| f.name.eq_ignore_ascii_case(name.as_bytes())).nth(before)
        {
            canonical_field(f.raw, c, &mut data);
            data.extend_from_slice(b"\r\n");
        }
    }
    canonical_field(own, c, &mut data);
    data
}

/// One header field, canonicalized, without its CRLF. Simple: as it is (§3.4.1). Relaxed
/// (§3.4.2): the name in lower case, the value unfolded, each run of spaces and tabs made
/// one space, and no white space at its ends or around the colon.
fn canonical_field(raw: &[u8], c: Canonicalization, out: &mut Vec<u8>) {
    if c == Canonicalization::Simple {
        out.extend_from_slice(raw);
        return;
    }
    let colon = raw.iter().position(|&b| b == b':').unwrap_or(raw.len());
    let (name, value) = raw.split_at(colon);
    out.extend(trim_wsp(name).iter().map(u8::to_ascii_lowercase));
    out.push(b':');
    let value = value.get(1..).unwrap_or_default();
    let mut space = false;
    let mut started = false;
    let mut i = 0;
    while let Some(&b) = value.get(i) {
        if b == b'\r' && value.get(i + 1) == Some(&b'\n') {
            // Unfolding: a CRLF in a field is always followed by white space.
            i += 2;
            continue;
        }
        if b == b' ' || b == b'\t' {
            space = true;
        } else {
            if space && started {
                out.push(b' ');
            }
            space = false;
            started = true;
            out.push(b);
        }
        i += 1;
    }
}

/// The body, canonicalized (RFC 6376 §3.4.3, §3.4.4).
///
/// Simple: empty lines at the end are dropped, and the body ends with one CRLF (an empty
/// body becomes CRLF). Relaxed: each run of spaces and tabs in a line becomes one space,
/// white space at the end of a line is dropped, empty lines at the end are dropped, and a
/// last line without its CRLF gets one; an empty body stays empty (§3.4.4 adds a CRLF to a
/// non-empty body only; RFC 4871 erratum 1376 gives the hashes of both empty bodies).
fn canonical_body(body: &[u8], c: Canonicalization) -> Vec<u8> {
    match c {
        Canonicalization::Simple => {
            let mut end = body.len();
            while end >= 2 && body.get(end - 2..end) == Some(b"\r\n") {
                end -= 2;
            }
            let mut out = body.get(..end).unwrap_or_default().to_vec();
            out.extend_from_slice(b"\r\n");
            out
        }
        Canonicalization::Relaxed => {
            let mut out = Vec::with_capacity(body.len());
            let mut empty_lines = 0;
            let mut line = Vec::new();
            let mut rest = body;
            loop {
                let (text, next) = match find(rest, b"\r\n") {
                    Some(i) => (&rest[..i], Some(&rest[i + 2..])),
                    None => (rest, None),
                };
                line.clear();
                let mut space = false;
                for &b in text {
                    if b == b' ' || b == b'\t' {
                        space = true;
                    } else {
                        if space {
                            line.push(b' ');
                        }
                        space = false;
                        line.push(b);
                    }
                }
                if line.is_empty() {
                    // An empty line counts only if a line with text follows it; a last
                    // piece without CRLF that is empty is no line at all.
                    empty_lines += usize::from(next.is_some());
                } else {
                    for _ in 0..empty_lines {
                        out.extend_from_slice(b"\r\n");
                    }
                    empty_lines = 0;
                    out.extend_from_slice(&line);
                    out.extend_from_slice(b"\r\n");
                }
                match next {
                    Some(n) => rest = n,
                    None => break,
                }
            }
            out
        }
    }
}

/// One `tag=value` of a tag-list (RFC 6376 §3.2).
#[derive(Clone, Copy, Debug)]
struct Tag<'a> {
    name: &'a str,
    /// The value without the white space around it; white space inside is kept.
    value: &'a str,
    /// Where the value is in the text, with the white space around it.
    span: (usize, usize),
}

/// A tag-list (RFC 6376 §3.2): `name=value` pairs separated by semicolons, a last
/// semicolon allowed; white space (folding included) around names and values; a name is a
/// letter then letters, digits and `_`; a value is printable ASCII but `;`, with white
/// space inside. A name twice makes the whole list invalid. The error says what is wrong.
fn tag_list(text: &str) -> Result<Vec<Tag<'_>>, String> {
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let folding = match b {
            b'\r' => bytes.get(i + 1) == Some(&b'\n') && matches!(bytes.get(i + 2), Some(b' ' | b'\t')),
            b'\n' => i > 0 && bytes.get(i - 1) == Some(&b'\r'),
            _ => true,
        };
        if !folding {
            return Err("it has a line break that is not followed by a space".to_string());
        }
    }
    let count = text.split(';').count();
    let mut tags: Vec<Tag<'_>> = Vec::new();
    let mut at = 0;
    for (i, piece) in text.split(';').enumerate() {
        let start = at;
        at += piece.len() + 1;
        if trim_fws(piece).is_empty() {
            if i > 0 && i + 1 == count {
                continue;
            }
            return Err(if count == 1 {
                "it is empty"
            } else {
                "it has two semicolons with no tag between them"
            }
            .to_string());
        }
        if tags.len() == MAX_TAGS {
            return Err(format!("it has more than {MAX_TAGS} tags"));
        }
        let Some((name, value)) = piece.split_once('=') else {
            return Err(format!("`{}` has no = sign", quote(trim_fws(piece))));
        };
        let name = trim_fws(name);
        let mut chars = name.chars();
        if !chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(format!("`{}` is not a tag name", quote(name)));
        }
        let trimmed = trim_fws(value);
        if !trimmed.bytes().all(|b| matches!(b, 0x21..=0x3a | 0x3c..=0x7e | b' ' | b'\t' | b'\r' | b'\n')) {
            return Err(format!("the value of {name}= holds a character that a tag value may not hold"));
        }
        if tags.iter().any(|t| t.name == name) {
            return Err(format!("the tag {name}= is there twice"));
        }
        tags.push(Tag { name, value: trimmed, span: (start + name_end(piece), start + piece.len()) });
    }
    Ok(tags)
}

/// Where the value starts in a `name=value` piece: just after the first `=`.
fn name_end(piece: &str) -> usize {
    piece.find('=').map_or(piece.len(), |i| i + 1)
}

fn is_fws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn trim_fws(text: &str) -> &str {
    text.trim_matches(is_fws)
}

fn strip_fws(text: &str) -> String {
    text.chars().filter(|&c| !is_fws(c)).collect()
}

/// Base64 as a tag value may hold it (RFC 6376 §2.4): white space anywhere, padding
/// optional. Not empty.
fn tag_base64(value: &str) -> Option<Vec<u8>> {
    let text = strip_fws(value);
    if text.is_empty() {
        return None;
    }
    if text.contains('=') { base64::decode(&text) } else { base64::decode_lenient(&text) }
}

/// A domain name or selector (RFC 6376 §3.5 `domain-name`, `selector`): at least
/// `min_labels` labels of letters, digits and hyphens, not starting or ending with a hyphen.
fn is_domain(text: &str, min_labels: usize) -> bool {
    text.len() <= MAX_DOMAIN_LEN
        && text.split('.').count() >= min_labels
        && text.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= MAX_LABEL_LEN
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// 1 to `max` digits, as a number (saturating).
fn digits(text: &str, max: usize) -> Option<u64> {
    if text.is_empty() || text.len() > max || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.bytes().fold(0u64, |n, b| n.saturating_mul(10).saturating_add(u64::from(b - b'0'))))
}

/// The first 8 characters of `b=`.
fn prefix8(b: &str) -> String {
    b.chars().take(8).collect()
}

/// Reads one DKIM-Signature field (its raw text, without its CRLF) and checks it as RFC
/// 6376 §6.1.1 asks.
fn parse_signature(raw: &[u8]) -> Result<Signature, DkimOutcome> {
    let unread = |reason: String| DkimOutcome {
        result: DkimResult::PermError,
        domain: None,
        selector: None,
        b_prefix: None,
        reason,
    };
    if raw.len() > MAX_FIELD_LEN {
        return Err(unread(format!(
            "The DKIM-Signature field is {} characters long, more than the {MAX_FIELD_LEN} this check reads.",
            raw.len()
        )));
    }
    let Some(field) = std::str::from_utf8(raw).ok().filter(|t| t.is_ascii()) else {
        return Err(unread(
            "The DKIM-Signature field holds characters that are not plain ASCII, which its tags may not hold."
                .to_string(),
        ));
    };
    let value_at = field.find(':').map_or(field.len(), |i| i + 1);
    let tags = tag_list(&field[value_at..])
        .map_err(|why| unread(format!("The DKIM-Signature field cannot be read as tags: {why}.")))?;
    let get = |name: &str| tags.iter().find(|t| t.name == name);
    let value = |name: &str| get(name).map_or("", |t| t.value);
    let domain = get("d").map(|t| t.value).filter(|d| is_domain(d, 2));
    let selector = get("s").map(|t| t.value).filter(|s| is_domain(s, 1));
    let b_text = get("b").map(|t| strip_fws(t.value));
    let bad = |reason: String| DkimOutcome {
        result: DkimResult::PermError,
        domain: domain.map(str::to_string),
        selector: selector.map(str::to_string),
        b_prefix: b_text.as_deref().map(prefix8),
        reason,
    };

    for required in ["v", "a", "b", "bh", "d", "h", "s"] {
        if get(required).is_none() {
            return Err(bad(format!(
                "The DKIM-Signature field has no {required}= tag, which every signature must have."
            )));
        }
    }
    if value("v") != "1" {
        return Err(bad(format!(
            "The signature says v={}, but the only version of DKIM signatures is 1.",
            quote(value("v"))
        )));
    }
    let algorithm = value("a");
    if !matches!(algorithm, "rsa-sha256" | "ed25519-sha256" | "rsa-sha1") {
        return Err(bad(format!(
            "The signature uses the algorithm a={}, which DKIM does not define (it defines rsa-sha256 and ed25519-sha256).",
            quote(algorithm)
        )));
    }
    let Some(signature) = tag_base64(value("b")) else {
        return Err(bad("The signature's b= is not valid base64.".to_string()));
    };
    let Some(body_hash) = tag_base64(value("bh")) else {
        return Err(bad("The signature's bh= is not valid base64.".to_string()));
    };
    let (header_canonicalization, body_canonicalization) = match get("c").map(|t| t.value) {
        None => (Canonicalization::Simple, Canonicalization::Simple),
        Some(c) => {
            let (h, b) = c.split_once('/').unwrap_or((c, "simple"));
            match (Canonicalization::parse(h), Canonicalization::parse(b)) {
                (Some(h), Some(b)) => (h, b),
                _ => {
                    return Err(bad(format!(
                        "The signature asks for the canonicalization c={}, and DKIM defines only simple and relaxed.",
                        quote(c)
                    )));
                }
            }
        }
    };
    let Some(domain) = domain else {
        return Err(bad(format!("The signing domain d={} is not a domain name.", quote(value("d")))));
    };
    let Some(selector) = selector else {
        return Err(bad(format!(
            "The selector s={} is not valid: it must be letters, digits and hyphens, in labels separated by dots.",
            quote(value("s"))
        )));
    };
    let headers: Vec<String> = value("h").split(':').map(|n| trim_fws(n).to_string()).collect();
    if headers.len() > MAX_SIGNED_FIELDS {
        return Err(bad(format!(
            "The signature names {} header fields in h=, more than the {MAX_SIGNED_FIELDS} this check accepts.",
            headers.len()
        )));
    }
    // A field name is printable ASCII but the colon (RFC 5322 §3.6.8).
    if headers.iter().any(|n| n.is_empty() || !n.bytes().all(|b| matches!(b, 0x21..=0x39 | 0x3b..=0x7e))) {
        return Err(bad(format!("The list of signed header fields h={} is not valid.", quote(value("h")))));
    }
    if !headers.iter().any(|n| n.eq_ignore_ascii_case("from")) {
        return Err(bad(format!(
            "The signature does not cover the From field (h={}), which every DKIM signature must sign.",
            quote(value("h"))
        )));
    }
    let identity = match get("i").map(|t| t.value) {
        None => format!("@{domain}"),
        Some(i) => {
            let within = i.rsplit_once('@').is_some_and(|(_, d)| {
                let (d, signer) = (d.to_ascii_lowercase(), domain.to_ascii_lowercase());
                is_domain(&d, 1) && (d == signer || d.ends_with(&format!(".{signer}")))
            });
            if !within || i.contains(is_fws) {
                return Err(bad(format!(
                    "The identity i={} is not an address in the signing domain {domain} or a subdomain of it.",
                    quote(i)
                )));
            }
            i.to_string()
        }
    };
    let body_length = match get("l").map(|t| t.value) {
        None => None,
        Some(l) => match digits(l, MAX_LENGTH_DIGITS) {
            Some(n) => Some(n),
            None => return Err(bad(format!("The body length l={} is not a number.", quote(l)))),
        },
    };
    if let Some(q) = get("q").map(|t| t.value)
        && !q.split(':').any(|m| trim_fws(m) == "dns/txt")
    {
        return Err(bad(format!(
            "The signature asks for its key by q={}, and DKIM keys are found only in DNS (dns/txt).",
            quote(q)
        )));
    }
    let mut times = [None, None];
    for (slot, tag) in times.iter_mut().zip(["t", "x"]) {
        if let Some(text) = get(tag).map(|t| t.value) {
            match digits(text, MAX_TIME_DIGITS).and_then(|n| i64::try_from(n).ok()) {
                Some(n) => *slot = Some(n),
                None => {
                    return Err(bad(format!(
                        "The time {tag}={} is not a number of seconds (at most 12 digits).",
                        quote(text)
                    )));
                }
            }
        }
    }
    let [timestamp, expiration] = times;
    if let (Some(t), Some(x)) = (timestamp, expiration)
        && x <= t
    {
        return Err(bad(format!(
            "The signature expires (x={x}) no later than it was signed (t={t}), and x= must come after t=."
        )));
    }
    let b_span = get("b").map_or((0, 0), |t| (value_at + t.span.0, value_at + t.span.1));
    Ok(Signature {
        domain: domain.to_string(),
        selector: selector.to_string(),
        algorithm: algorithm.to_string(),
        headers,
        header_canonicalization,
        body_canonicalization,
        body_hash,
        signature,
        body_length,
        timestamp,
        expiration,
        identity,
        field: field.to_string(),
        b_text: b_text.unwrap_or_default(),
        b_span,
    })
}

/// A key record, read (RFC 6376 §3.6.1).
#[derive(Clone, Debug, PartialEq, Eq)]
struct KeyRecord {
    /// `k=`, `rsa` if not given.
    key_type: String,
    /// `p=`, decoded: empty when the key is revoked.
    public: Vec<u8>,
    /// `h=`: the hash algorithms it may be used with, all if not given.
    hashes: Option<Vec<String>>,
    /// `s=`: the services it is for, `*` if not given.
    services: Vec<String>,
    /// `t=`: `y` (testing), `s` (no subdomains in `i=`).
    flags: Vec<String>,
}

/// What one TXT record at a key's name is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum KeyRead {
    Good(KeyRecord),
    /// Not a valid key record: why, in words that follow "cannot be read:".
    Bad(String),
    /// It starts with a `v=` other than `DKIM1`: not a DKIM key, and discarded.
    NotDkim,
}

/// Reads one TXT record as a key record (RFC 6376 §3.6.1).
fn read_key(text: &str) -> KeyRead {
    if text.len() > MAX_KEY_RECORD_LEN {
        return KeyRead::Bad(format!(
            "it is {} characters long, more than the {MAX_KEY_RECORD_LEN} this check reads",
            text.len()
        ));
    }
    let tags = match tag_list(text) {
        Ok(tags) => tags,
        Err(why) => return KeyRead::Bad(why),
    };
    let list = |t: &Tag| -> Vec<String> { t.value.split(':').map(|v| trim_fws(v).to_string()).collect() };
    let mut record = KeyRecord {
        key_type: "rsa".to_string(),
        public: Vec::new(),
        hashes: None,
        services: vec!["*".to_string()],
        flags: Vec::new(),
    };
    let mut has_key = false;
    for (i, tag) in tags.iter().enumerate() {
        match tag.name {
            // "This tag MUST be the first tag in the record. Records beginning with a v=
            // tag with any other value MUST be discarded."
            "v" if i > 0 => return KeyRead::Bad("its v= tag is not the first tag".to_string()),
            "v" if tag.value != "DKIM1" => return KeyRead::NotDkim,
            "k" => record.key_type = tag.value.to_string(),
            "h" => record.hashes = Some(list(tag)),
            "s" => record.services = list(tag),
            "t" => record.flags = list(tag),
            "p" => {
                has_key = true;
                if !strip_fws(tag.value).is_empty() {
                    match tag_base64(tag.value) {
                        Some(key) => record.public = key,
                        None => return KeyRead::Bad("its p= is not valid base64".to_string()),
                    }
                }
            }
            _ => {}
        }
    }
    if !has_key {
        return KeyRead::Bad("it has no p= tag, which holds the key".to_string());
    }
    KeyRead::Good(record)
}

/// `text` for a reason: at most 40 characters, with `…` where it is cut, and control
/// characters (a TXT record may hold them) shown as `�`.
fn quote(text: &str) -> String {
    let mut chars = text.chars().map(|c| if c.is_control() { '\u{fffd}' } else { c });
    let head: String = chars.by_ref().take(40).collect();
    if chars.next().is_some() { format!("{head}…") } else { head }
}

/// `t` (seconds since 1970) as `2026-11-30 09:00:00 UTC` (the proleptic Gregorian
/// calendar, by H. Hinnant's `civil_from_days`).
fn utc(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC", secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::Zone;
    use proptest::prelude::*;

    /// RFC 8463 Appendix A.2: the Ed25519 private key (RFC 8032 §7.1 test 1) and its
    /// public key, published at brisbane._domainkey.football.example.com.
    const RFC8463_SEED: &str = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
    const RFC8463_ED_RECORD: &str = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
    /// RFC 8463 Appendix A.2: the RSA key of the selector `test`.
    const RFC8463_RSA_RECORD: &str = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";
    /// RFC 8463 Appendix A.3: the message before it was signed.
    const RFC8463_UNSIGNED: &str = concat!(
        "From: Joe SixPack <joe@football.example.com>\r\n",
        "To: Suzie Q <suzie@shopping.example.net>\r\n",
        "Subject: Is dinner ready?\r\n",
        "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n",
        "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n",
        "\r\n",
        "Hi.\r\n",
        "\r\n",
        "We lost the game.  Are you hungry yet?\r\n",
        "\r\n",
        "Joe.\r\n",
    );
    /// RFC 8463 Appendix A.3: its two signature fields.
    const RFC8463_SIGNATURES: &str = concat!(
        "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n",
        " d=football.example.com; i=@football.example.com;\r\n",
        " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n",
        " subject : date : message-id : from : subject : date;\r\n",
        " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n",
        " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n",
        " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n",
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n",
        " d=football.example.com; i=@football.example.com;\r\n",
        " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n",
        " date : message-id : from : subject : date;\r\n",
        " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n",
        " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n",
        " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n",
        " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n",
    );
    const RFC8463_BH: &str = "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=";
    const RFC8463_B: &str =
        "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==";

    /// The World's first moment (2026-11-30 09:00:00 UTC).
    const NOW: i64 = crate::time::EPOCH_UNIX;

    const MESSAGE: &str = concat!(
        "From: Alice <alice@example.org>\r\n",
        "To: Bob <bob@example.net>\r\n",
        "Subject: Lunch on Friday\r\n",
        "Date: Mon, 30 Nov 2026 09:00:00 +0000\r\n",
        "Message-ID: <1@example.org>\r\n",
        "X-Mailer: Mailroom\r\n",
        "MIME-Version: 1.0\r\n",
        "Content-Type: text/plain; charset=us-ascii\r\n",
        "\r\n",
        "Hi Bob,\r\n",
        "\r\n",
        "Pizza at noon?\r\n",
        "\r\n",
        "Alice\r\n",
    );

    fn signer() -> Signer {
        Signer::new("example.org", "mail2026")
    }

    /// The answer to `name IN TXT` in a zone of these TXT records.
    fn answer(records: &[(&str, &str)], name: &str) -> Answer {
        let mut zone = Zone::default();
        for (n, text) in records {
            zone.add_txt(n, text);
        }
        zone.query(name, "TXT")
    }

    /// The one signature of `message`, read, or a panic that says why not.
    fn only_signature(message: &[u8]) -> Signature {
        let mut all = signatures(message);
        assert_eq!(all.len(), 1, "{}", String::from_utf8_lossy(message));
        match all.remove(0) {
            Ok(sig) => sig,
            Err(o) => panic!("{}", o.reason),
        }
    }

    /// Verifies the first signature of `message` with the zone's answer for its key.
    fn check(message: &[u8], records: &[(&str, &str)], now: i64) -> DkimOutcome {
        match signatures(message).into_iter().next() {
            Some(Ok(sig)) => verify(&sig, message, Some(&answer(records, &sig.key_name())), now),
            Some(Err(o)) => o,
            None => DkimOutcome::none(),
        }
    }

    /// A spec for [`Signer::sign_with`] from tags written as a signature has them (before
    /// `bh=`), read with the verifier's own tag-list parser.
    fn spec(tags: &str) -> Spec {
        let parsed = tag_list(tags).unwrap_or_else(|e| panic!("{e}"));
        let get = |n: &str| parsed.iter().find(|t| t.name == n).map(|t| t.value);
        let c = get("c").unwrap_or("simple/simple");
        let (h, b) = c.split_once('/').unwrap_or((c, "simple"));
        Spec {
            words: tags.split_whitespace().map(|w| Word { text: w.to_string(), glue: false }).collect(),
            headers: get("h").unwrap_or("").split(':').map(|n| trim_fws(n).to_string()).collect(),
            header_canon: Canonicalization::parse(h).unwrap_or(Canonicalization::Simple),
            body_canon: Canonicalization::parse(b).unwrap_or(Canonicalization::Simple),
            body_length: get("l").and_then(|l| l.parse().ok()),
        }
    }

    #[test]
    fn rfc_8463_key_pair() {
        // The private key of Appendix A.2 gives its public key (RFC 8032 §5.1.5).
        let seed: [u8; 32] = base64::decode(RFC8463_SEED).and_then(|s| s.try_into().ok()).unwrap();
        let s = Signer::from_seed("football.example.com", "brisbane", seed);
        assert_eq!(s.record(), RFC8463_ED_RECORD);
        assert_eq!(s.private_key(), RFC8463_SEED);
        assert_eq!(s.key_name(), "brisbane._domainkey.football.example.com");
    }

    #[test]
    fn rfc_8463_appendix_a_verifies() {
        let message = format!("{RFC8463_SIGNATURES}{RFC8463_UNSIGNED}");
        let zone = [
            ("brisbane._domainkey.football.example.com", RFC8463_ED_RECORD),
            ("test._domainkey.football.example.com", RFC8463_RSA_RECORD),
        ];
        let sigs: Vec<Signature> = signatures(message.as_bytes()).into_iter().map(Result::unwrap).collect();
        assert_eq!(sigs.len(), 2);
        let ed = &sigs[0];
        assert_eq!((ed.domain.as_str(), ed.selector.as_str()), ("football.example.com", "brisbane"));
        assert_eq!(ed.algorithm, "ed25519-sha256");
        assert_eq!(
            ed.headers,
            ["from", "to", "subject", "date", "message-id", "from", "subject", "date"].map(String::from)
        );
        assert_eq!(ed.identity, "@football.example.com");
        assert_eq!(ed.timestamp, Some(1_528_637_909));
        assert_eq!(base64::encode(&ed.body_hash), RFC8463_BH);
        assert_eq!(base64::encode(&ed.signature), RFC8463_B);
        assert_eq!(ed.b_prefix(), "/gCrinpc");
        // The Ed25519 signature checks, with the key of the appendix, the day it was made.
        let outcome = verify(ed, message.as_bytes(), Some(&answer(&zone, &ed.key_name())), 1_528_637_909);
        assert_eq!(outcome.result, DkimResult::Pass, "{}", outcome.reason);
        assert_eq!(outcome.domain.as_deref(), Some("football.example.com"));
        assert_eq!(outcome.b_prefix.as_deref(), Some("/gCrinpc"));
        // The RSA one is read, and honestly not checked.
        let rsa = &sigs[1];
        let outcome = verify(rsa, message.as_bytes(), Some(&answer(&zone, &rsa.key_name())), 1_528_637_909);
        assert_eq!(outcome.result, DkimResult::PermError);
        assert!(outcome.reason.contains("checks Ed25519 signatures only"), "{}", outcome.reason);
        // A changed body fails the Ed25519 signature: the check can fail.
        let changed = message.replace("hungry", "thirsty");
        let outcome = verify(ed, changed.as_bytes(), Some(&answer(&zone, &ed.key_name())), 1_528_637_909);
        assert_eq!(outcome.result, DkimResult::Fail);
    }

    #[test]
    fn rfc_8463_appendix_a_is_what_the_signer_makes() {
        // The same key, fields, h= (oversigned) and t= give the same bh= and b=: the
        // signature of the RFC, byte for byte (Ed25519 is deterministic).
        let seed: [u8; 32] = base64::decode(RFC8463_SEED).and_then(|s| s.try_into().ok()).unwrap();
        let signer = Signer::from_seed("football.example.com", "brisbane", seed);
        let tags = "v=1; a=ed25519-sha256; c=relaxed/relaxed; d=football.example.com; \
                    i=@football.example.com; q=dns/txt; s=brisbane; t=1528637909; \
                    h=from : to : subject : date : message-id : from : subject : date;";
        let signed = signer.sign_with(RFC8463_UNSIGNED.as_bytes(), &spec(tags));
        let sig = only_signature(&signed);
        assert_eq!(base64::encode(&sig.body_hash), RFC8463_BH);
        assert_eq!(base64::encode(&sig.signature), RFC8463_B);
        assert!(signed.ends_with(RFC8463_UNSIGNED.as_bytes()));
        let zone = [("brisbane._domainkey.football.example.com", RFC8463_ED_RECORD)];
        assert_eq!(check(&signed, &zone, 1_528_637_909).result, DkimResult::Pass);
    }

    #[test]
    fn empty_body_hashes() {
        // RFC 6376 §3.4.3, §3.4.4 (RFC 4871 erratum 1376): the SHA-256 of an empty body,
        // canonicalized.
        let cases = [
            (Canonicalization::Simple, "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY="),
            (Canonicalization::Relaxed, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="),
        ];
        for (c, hash) in cases {
            for body in ["", "\r\n", "\r\n\r\n\r\n"] {
                assert_eq!(
                    base64::encode(&Hash::hash(&canonical_body(body.as_bytes(), c))),
                    hash,
                    "{c:?} {body:?}"
                );
            }
        }
    }

    #[test]
    fn body_canonicalization() {
        // (body, simple, relaxed)
        let cases = [
            // The example of §3.4.6.
            (" C \r\nD \t E\r\n\r\n\r\n", " C \r\nD \t E\r\n", " C\r\nD E\r\n"),
            // §3.4.3: an empty body is one CRLF; §3.4.4: it stays empty.
            ("", "\r\n", ""),
            // Trailing empty lines are dropped by both.
            ("a\r\n\r\n\r\n", "a\r\n", "a\r\n"),
            // A last line without CRLF gets one.
            ("a", "a\r\n", "a\r\n"),
            ("a\r\nb", "a\r\nb\r\n", "a\r\nb\r\n"),
            // Relaxed: runs of white space become one space, none at the end of a line.
            ("a  \t b \t\r\n", "a  \t b \t\r\n", "a b\r\n"),
            // Relaxed: a line of white space is empty, and empty at the end is dropped.
            ("a\r\n \t \r\n", "a\r\n \t \r\n", "a\r\n"),
            ("a\r\n  ", "a\r\n  \r\n", "a\r\n"),
            // Empty lines inside the body stay.
            ("a\r\n\r\n \r\nb\r\n", "a\r\n\r\n \r\nb\r\n", "a\r\n\r\n\r\nb\r\n"),
            // Leading white space becomes one space; it is not dropped.
            ("  a\r\n", "  a\r\n", " a\r\n"),
            // A bare LF or CR is not a line end, and is kept.
            ("a\nb\r\n", "a\nb\r\n", "a\nb\r\n"),
            ("a\r", "a\r\r\n", "a\r\r\n"),
        ];
        for (body, simple, relaxed) in cases {
            let got = canonical_body(body.as_bytes(), Canonicalization::Simple);
            assert_eq!(String::from_utf8_lossy(&got), simple, "simple {body:?}");
            let got = canonical_body(body.as_bytes(), Canonicalization::Relaxed);
            assert_eq!(String::from_utf8_lossy(&got), relaxed, "relaxed {body:?}");
        }
    }

    #[test]
    fn header_canonicalization() {
        // (field without its CRLF, relaxed; simple is the field itself) (RFC 6376 §3.4.2)
        let cases = [
            ("Subject: Hello", "subject:Hello"),
            // The example of §3.4.6: unfolded, runs of white space as one space.
            ("A: X", "a:X"),
            ("B : Y\t\r\n\tZ  ", "b:Y Z"),
            ("SUBJECT:\t  two  \t words  ", "subject:two words"),
            // An empty value.
            ("X-Empty:", "x-empty:"),
            ("X-Empty:   \r\n ", "x-empty:"),
        ];
        for (raw, relaxed) in cases {
            let mut out = Vec::new();
            canonical_field(raw.as_bytes(), Canonicalization::Relaxed, &mut out);
            assert_eq!(String::from_utf8_lossy(&out), relaxed, "{raw:?}");
            out.clear();
            canonical_field(raw.as_bytes(), Canonicalization::Simple, &mut out);
            assert_eq!(String::from_utf8_lossy(&out), raw, "{raw:?}");
        }
    }

    #[test]
    fn header_fields_are_picked_from_the_bottom_up() {
        // RFC 6376 §5.4.2: the last instance first, the next one up for a repeat, nothing
        // for a name with no instance left (oversigning); the order of h=, not the header's.
        let head = "Received: 1\r\nFrom: a@x.example\r\nReceived: 2\r\nTo: b@y.example\r\n\r\n";
        let (fields, _) = split(head.as_bytes());
        let cases: [(&[&str], &str); 4] = [
            (&["received"], "received:2\r\n"),
            (&["Received", "RECEIVED"], "received:2\r\nreceived:1\r\n"),
            (&["received", "received", "received"], "received:2\r\nreceived:1\r\n"),
            (&["to", "from", "cc", "from"], "to:b@y.example\r\nfrom:a@x.example\r\n"),
        ];
        for (h, want) in cases {
            let h: Vec<String> = h.iter().map(|n| n.to_string()).collect();
            let data = header_data(&h, Canonicalization::Relaxed, &fields, b"DKIM-Signature: b=");
            assert_eq!(String::from_utf8_lossy(&data), format!("{want}dkim-signature:b="), "{h:?}");
        }
    }

    #[test]
    fn message_split() {
        // (message, field names, body)
        let cases: [(&str, &[&str], &str); 6] = [
            ("A: 1\r\nB: 2\r\n\r\nbody\r\n", &["A", "B"], "body\r\n"),
            // A continuation line belongs to the field before it.
            ("A: 1\r\n 2\r\nB: 3\r\n\r\n", &["A", "B"], ""),
            // No empty line: all header, no body.
            ("A: 1\r\nB: 2", &["A", "B"], ""),
            ("A: 1\r\n", &["A"], ""),
            // A line without a colon is no field; white space before the colon is not the name.
            ("junk\r\nA : 1\r\n\r\n\r\n", &["A"], "\r\n"),
            ("\r\nA: 1\r\n", &[], "A: 1\r\n"),
        ];
        for (message, names, body) in cases {
            let (fields, b) = split(message.as_bytes());
            let got: Vec<String> =
                fields.iter().map(|f| String::from_utf8_lossy(f.name).into_owned()).collect();
            assert_eq!(got, names, "{message:?}");
            assert_eq!(b, body.as_bytes(), "{message:?}");
        }
    }

    #[test]
    fn sign_then_change() {
        let s = signer();
        let (name, record) = (s.key_name(), s.record());
        let zone = [(name.as_str(), record.as_str())];
        let signed = String::from_utf8(s.sign(MESSAGE.as_bytes(), NOW)).unwrap();
        // (what is done to the signed message, result)
        let cases: [(&str, fn(&str) -> String, DkimResult); 17] = [
            ("nothing", |m| m.to_string(), DkimResult::Pass),
            ("a word of the body changed", |m| m.replace("noon", "one"), DkimResult::Fail),
            (
                "a signed header field changed",
                |m| m.replace("Lunch on Friday", "Lunch on Monday"),
                DkimResult::Fail,
            ),
            (
                "a signed header field removed",
                |m| m.replace("Date: Mon, 30 Nov 2026 09:00:00 +0000\r\n", ""),
                DkimResult::Fail,
            ),
            ("a line added inside the body", |m| m.replace("Alice\r\n", "\r\nAlice\r\n"), DkimResult::Fail),
            // Relays add fields on top: unsigned, they change nothing (§5.4).
            (
                "a Received: field added on top",
                |m| format!("Received: from mx.example.org by mx.example.net\r\n{m}"),
                DkimResult::Pass,
            ),
            (
                "an unsigned field changed",
                |m| m.replace("X-Mailer: Mailroom", "X-Mailer: Something else"),
                DkimResult::Pass,
            ),
            // Relaxed canonicalization: white space and the case of names may change (§3.4.2).
            (
                "white space changed in a header",
                |m| m.replace("Subject: Lunch on Friday", "Subject:   Lunch \t on  Friday   "),
                DkimResult::Pass,
            ),
            (
                "a header folded",
                |m| m.replace("Subject: Lunch on Friday", "Subject: Lunch on\r\n\tFriday"),
                DkimResult::Pass,
            ),
            ("a field name in capitals", |m| m.replace("Subject:", "SUBJECT:"), DkimResult::Pass),
            (
                "two signed fields swapped",
                |m| {
                    m.replace(
                        "To: Bob <bob@example.net>\r\nSubject: Lunch on Friday\r\n",
                        "Subject: Lunch on Friday\r\nTo: Bob <bob@example.net>\r\n",
                    )
                },
                DkimResult::Pass,
            ),
            // §3.4.4: white space at the end of a line, runs of it, trailing empty lines.
            (
                "spaces at the ends of body lines",
                |m| m.replace("noon?\r\n", "noon?  \t \r\n"),
                DkimResult::Pass,
            ),
            (
                "white space runs in the body",
                |m| m.replace("Pizza at noon", "Pizza   at \t noon"),
                DkimResult::Pass,
            ),
            ("empty lines added at the end", |m| format!("{m}\r\n\r\n\r\n"), DkimResult::Pass),
            // But white space where there was none is a change.
            ("a space put inside a word", |m| m.replace("Pizza", "Piz za"), DkimResult::Fail),
            // §8.15: a second From on top is not covered when From is signed once; a mail
            // program may show it. Oversigning would catch it (see the next test).
            (
                "a second From: added on top",
                |m| format!("From: Mallory <boss@example.org>\r\n{m}"),
                DkimResult::Pass,
            ),
            ("the signature's b= changed", |m| m.replacen(" b=", " b=AAAA", 1), DkimResult::Fail),
        ];
        for (what, change, want) in cases {
            let message = change(&signed);
            assert_eq!(message == signed, what == "nothing", "{what}: the change was not made");
            let outcome = check(message.as_bytes(), &zone, NOW);
            assert_eq!(outcome.result, want, "{what}: {}", outcome.reason);
            match want {
                DkimResult::Pass => assert!(
                    outcome.reason.contains("matches the key published at mail2026._domainkey.example.org")
                ),
                _ => assert!(
                    outcome.reason.contains("body was changed after it was signed")
                        || outcome.reason.contains("signed header field was changed after signing"),
                    "{what}: {}",
                    outcome.reason
                ),
            }
        }
        // The body's reason is the body's, the header's the header's.
        assert!(
            check(signed.replace("noon", "one").as_bytes(), &zone, NOW)
                .reason
                .starts_with("The body was changed")
        );
        assert!(
            check(signed.replace("Friday", "Monday").as_bytes(), &zone, NOW)
                .reason
                .starts_with("A signed header")
        );
    }

    #[test]
    fn simple_canonicalization_and_oversigning() {
        let s = signer();
        let record = s.record();
        let zone = [("mail2026._domainkey.example.org", record.as_str())];
        // (tags, change, result)
        let cases: [(&str, fn(&str) -> String, DkimResult); 10] = [
            ("c=simple/simple; h=from:subject", |m| m.to_string(), DkimResult::Pass),
            // Simple: any change to a signed field or a body line fails (§3.4.1, §3.4.3) ...
            (
                "c=simple/simple; h=from:subject",
                |m| m.replace("Subject: Lunch", "Subject:  Lunch"),
                DkimResult::Fail,
            ),
            ("c=simple/simple; h=from:subject", |m| m.replace("Subject:", "SUBJECT:"), DkimResult::Fail),
            ("c=simple/simple; h=from:subject", |m| m.replace("noon?", "noon? "), DkimResult::Fail),
            // ... but empty lines at the end are still ignored.
            ("c=simple/simple; h=from:subject", |m| format!("{m}\r\n\r\n"), DkimResult::Pass),
            // c= without a body part means simple for the body (§3.5).
            ("c=relaxed; h=from:subject", |m| m.replace("noon?", "noon? "), DkimResult::Fail),
            (
                "c=relaxed; h=from:subject",
                |m| m.replace("Subject: Lunch", "Subject:  Lunch"),
                DkimResult::Pass,
            ),
            // Oversigning: h= names From once more than there are, so no From may be added.
            ("c=relaxed/relaxed; h=from:from:subject", |m| m.to_string(), DkimResult::Pass),
            (
                "c=relaxed/relaxed; h=from:from:subject",
                |m| format!("From: Mallory <boss@example.org>\r\n{m}"),
                DkimResult::Fail,
            ),
            // h= naming dkim-signature covers the signatures before this one, never this
            // one, which is hashed last by itself (§5.4, §3.7): none here, so it passes.
            ("c=relaxed/relaxed; h=from:subject:dkim-signature", |m| m.to_string(), DkimResult::Pass),
        ];
        for (tags, change, want) in cases {
            let tags = format!("v=1; a=ed25519-sha256; d=example.org; s=mail2026; {tags};");
            let signed = String::from_utf8(s.sign_with(MESSAGE.as_bytes(), &spec(&tags))).unwrap();
            let outcome = check(change(&signed).as_bytes(), &zone, NOW);
            assert_eq!(outcome.result, want, "{tags}: {}", outcome.reason);
        }
    }

    #[test]
    fn body_length_and_expiry() {
        let s = signer();
        let record = s.record();
        let zone = [("mail2026._domainkey.example.org", record.as_str())];
        let body_len =
            canonical_body(b"Hi Bob,\r\n\r\nPizza at noon?\r\n\r\nAlice\r\n", Canonicalization::Relaxed)
                .len();
        // (extra tags, change, time of the check, result, part of the reason)
        let cases: [(String, fn(&str) -> String, i64, DkimResult, &str); 9] = [
            // l= (§3.4.5): the hash covers that many octets; more may be added after them.
            (format!("l={body_len};"), |m| m.to_string(), NOW, DkimResult::Pass, "as they were signed"),
            (
                format!("l={body_len};"),
                |m| format!("{m}P.S. Bring cash.\r\n"),
                NOW,
                DkimResult::Pass,
                "covers only the first 36 octets of the body (l=): the 18 after them could have been added by anyone.",
            ),
            (
                format!("l={body_len};"),
                |m| m.replace("noon", "moon"),
                NOW,
                DkimResult::Fail,
                "body was changed",
            ),
            // Cut below l=: the signed part is no longer all there.
            (
                format!("l={body_len};"),
                |m| m.replace("noon", "one"),
                NOW,
                DkimResult::PermError,
                "has only 35",
            ),
            ("l=0;".to_string(), |m| m.replace("noon", "one"), NOW, DkimResult::Pass, "first 0 octets"),
            // l= larger than the body (§3.5 l=: MUST NOT be).
            ("l=100000;".to_string(), |m| m.to_string(), NOW, DkimResult::PermError, "has only"),
            // x= (§3.5): expired after it, not at it.
            (
                format!("t={NOW}; x={};", NOW + 3600),
                |m| m.to_string(),
                NOW + 3600,
                DkimResult::Pass,
                "matches",
            ),
            (
                format!("t={NOW}; x={};", NOW + 3600),
                |m| m.to_string(),
                NOW + 3601,
                DkimResult::PermError,
                "expired at 2026-11-30 10:00:00 UTC",
            ),
            // An expired signature is expired whether or not the message changed.
            (
                format!("x={};", NOW - 1),
                |m| m.replace("noon", "one"),
                NOW,
                DkimResult::PermError,
                "before it was checked at 2026-11-30 09:00:00 UTC",
            ),
        ];
        for (extra, change, now, want, why) in cases {
            let tags = format!(
                "v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.org; s=mail2026; {extra} h=from:to:subject;"
            );
            let signed = String::from_utf8(s.sign_with(MESSAGE.as_bytes(), &spec(&tags))).unwrap();
            let outcome = check(change(&signed).as_bytes(), &zone, now);
            assert_eq!(outcome.result, want, "{extra}: {}", outcome.reason);
            assert!(outcome.reason.contains(why), "{extra}: {}", outcome.reason);
        }
    }

    #[test]
    fn keys_in_dns() {
        let s = signer();
        let name = s.key_name();
        let signed = s.sign(MESSAGE.as_bytes(), NOW);
        let sig = only_signature(&signed);
        let key = s.record();
        let p = key.trim_start_matches("v=DKIM1; k=ed25519; ");
        let other = Signer::new("example.org", "other").record();
        let short_key = format!("v=DKIM1; k=ed25519; p={}", base64::encode(&[7; 16]));
        let long = format!("v=DKIM1; k=ed25519; n={}; {p}", "x".repeat(MAX_KEY_RECORD_LEN));
        let spaced = format!(" v = DKIM1 ;\tk = ed25519 ; p = {} {} ; ", &p[2..20], &p[20..]);
        let with = |tags: &str| format!("v=DKIM1; {tags} {p}");
        let (rsa, no_k, dsa, dup) = (with("k=rsa;"), with(""), with("k=dsa;"), with("k=ed25519; k=rsa;"));
        let (not_first, dkim2) = (format!("k=ed25519; v=DKIM1; {p}"), format!("v=DKIM2; k=ed25519; {p}"));
        let (hashes, sha1, web, flags) = (
            with("h=sha1:sha256; k=ed25519;"),
            with("h=sha1; k=ed25519;"),
            with("k=ed25519; s=web;"),
            with("k=ed25519; t=y:s;"),
        );
        // (TXT records at the key's name, or None for a lookup without answer; result; part of the reason)
        let cases: [(Option<Vec<&str>>, DkimResult, &str); 27] = [
            (
                Some(vec![&key]),
                DkimResult::Pass,
                "matches the key published at mail2026._domainkey.example.org",
            ),
            // §6.1.2: no answer is temporary; no name or no record is permanent.
            (None, DkimResult::TempError, "got no answer"),
            (
                Some(vec![]),
                DkimResult::PermError,
                "No key is published at mail2026._domainkey.example.org: that name does not exist",
            ),
            // §3.6.1: an empty p= is a revoked key.
            (Some(vec!["v=DKIM1; k=ed25519; p="]), DkimResult::PermError, "has been revoked"),
            (Some(vec!["v=DKIM1; k=ed25519; p= ; t=y"]), DkimResult::PermError, "has been revoked"),
            // §6.1.2: the key type must fit the algorithm; k= is rsa when not given.
            (
                Some(vec![&rsa]),
                DkimResult::PermError,
                "is an RSA key (k=rsa), but the signature says it was made with an Ed25519 key",
            ),
            (Some(vec![&no_k]), DkimResult::PermError, "is an RSA key (k=rsa)"),
            (Some(vec![&dsa]), DkimResult::PermError, "k=dsa, which DKIM does not define"),
            (Some(vec![&short_key]), DkimResult::PermError, "not a usable Ed25519 public key"),
            // Garbage (§8.8).
            (Some(vec!["hello world"]), DkimResult::PermError, "cannot be read: `hello world` has no = sign"),
            (Some(vec![""]), DkimResult::PermError, "cannot be read: it is empty"),
            (Some(vec!["v=DKIM1; k=ed25519"]), DkimResult::PermError, "has no p= tag"),
            (Some(vec!["v=DKIM1; k=ed25519; p=!!!!"]), DkimResult::PermError, "p= is not valid base64"),
            (Some(vec![&dup]), DkimResult::PermError, "the tag k= is there twice"),
            (Some(vec![&not_first]), DkimResult::PermError, "v= tag is not the first"),
            (Some(vec![&dkim2]), DkimResult::PermError, "not a DKIM key"),
            (
                Some(vec!["v=spf1 -all", "v=DMARC1; p=none"]),
                DkimResult::PermError,
                "None of the 2 TXT records",
            ),
            // A control character is not echoed into the reason.
            (Some(vec!["a\u{1}b"]), DkimResult::PermError, "cannot be read: `a\u{fffd}b` has no = sign"),
            (Some(vec!["v=spf1 -all"]), DkimResult::PermError, "not a DKIM key"),
            (Some(vec![&long]), DkimResult::PermError, "more than the 4096"),
            // Several records: the first that is a key (§6.1.2).
            (Some(vec!["hello world", "v=spf1 -all", &key]), DkimResult::Pass, "matches"),
            // White space around tags and inside base64 (§3.2).
            (Some(vec![&spaced]), DkimResult::Pass, "matches"),
            // h= of the key: the hash algorithms it may sign with (§3.6.1).
            (Some(vec![&hashes]), DkimResult::Pass, "matches"),
            (Some(vec![&sha1]), DkimResult::PermError, "h=sha1, and the signature uses sha256"),
            // s= of the key: the services, email or * (§3.6.1).
            (Some(vec![&web]), DkimResult::PermError, "not for email"),
            // t=y: testing, and still checked; t=s: i= is @example.org itself.
            (Some(vec![&flags]), DkimResult::Pass, "only testing DKIM"),
            // Another key: the signature does not match, and the reason says it may be the key.
            (
                Some(vec![&other]),
                DkimResult::Fail,
                "or the key at mail2026._domainkey.example.org is not the one that signed: b= does not match the fields it covers (from, subject, date, to, message-id, mime-version, content-type).",
            ),
        ];
        for (records, want, why) in cases {
            let reply = records.as_ref().map(|texts| {
                if texts.is_empty() {
                    Answer::NxDomain
                } else {
                    answer(&texts.iter().map(|t| (name.as_str(), *t)).collect::<Vec<_>>(), &name)
                }
            });
            let outcome = verify(&sig, &signed, reply.as_ref(), NOW);
            assert_eq!(outcome.result, want, "{records:?}: {}", outcome.reason);
            assert!(outcome.reason.contains(why), "{records:?}: {}", outcome.reason);
            assert_eq!(outcome.domain.as_deref(), Some("example.org"));
            assert_eq!(outcome.selector.as_deref(), Some("mail2026"));
        }
        // The name exists, with no TXT record.
        let mut zone = Zone::default();
        zone.add_a(&name, "192.0.2.1");
        let outcome = verify(&sig, &signed, Some(&zone.query(&name, "TXT")), NOW);
        assert_eq!(outcome.result, DkimResult::PermError);
        assert!(outcome.reason.contains("the name has no TXT record"), "{}", outcome.reason);
    }

    #[test]
    fn t_s_refuses_a_subdomain_identity() {
        // §3.6.1 t=s: i= must be in d= itself.
        let s = signer();
        let tags = "v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.org; i=alice@mail.example.org; s=mail2026; h=from;";
        let signed = s.sign_with(MESSAGE.as_bytes(), &spec(tags));
        let record = s.record();
        let strict = record.replace("k=ed25519;", "k=ed25519; t=s;");
        let name = "mail2026._domainkey.example.org";
        assert_eq!(check(&signed, &[(name, record.as_str())], NOW).result, DkimResult::Pass);
        let outcome = check(&signed, &[(name, strict.as_str())], NOW);
        assert_eq!(outcome.result, DkimResult::PermError);
        assert!(outcome.reason.contains("marked t=s"), "{}", outcome.reason);
    }

    #[test]
    fn signature_fields() {
        let b = "b=AAAA";
        let bh = "bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        // (the field's value, None if it reads, or part of the permerror's reason)
        let cases: Vec<(String, Option<&str>)> = vec![
            (format!("v=1; a=ed25519-sha256; d=example.org; s=sel; h=from; {bh}; {b}"), None),
            // §3.2: white space around tags and values, folding, a last semicolon; an
            // unknown tag is ignored; FWS inside base64.
            (
                format!(
                    " v = 1 ;\r\n\ta=ed25519-sha256 ; d=example.org;s=sel;h=From : To;\r\n {bh};b=AA\r\n AA; z=x;"
                ),
                None,
            ),
            (format!("v=1; a=rsa-sha256; d=example.org; s=sel; h=from; {bh}; {b}; foo=bar baz"), None),
            (
                format!(
                    "v=1; a=ed25519-sha256; d=example.org; s=a.b-c.sel; h=from; {bh}; {b}; i=joe@mail.EXAMPLE.org"
                ),
                None,
            ),
            (
                format!(
                    "v=1; a=ed25519-sha256; d=example.org; s=sel; h=from; {bh}; {b}; q=dns/txt; l=0; t=1; x=2"
                ),
                None,
            ),
            // §6.1.1: the required tags.
            (format!("a=ed25519-sha256; d=example.org; s=sel; h=from; {bh}; {b}"), Some("has no v= tag")),
            (format!("v=1; a=ed25519-sha256; d=example.org; s=sel; h=from; {bh}"), Some("has no b= tag")),
            (format!("v=1; a=ed25519-sha256; s=sel; h=from; {bh}; {b}"), Some("has no d= tag")),
            (format!("v=1; a=ed25519-sha256; d=example.org; s=sel; {bh}; {b}"), Some("has no h= tag")),
            (format!("v=2; a=ed25519-sha256; d=example.org; s=sel; h=from; {bh}; {b}"), Some("says v=2")),
            (
                format!("v=1; a=rsa-md5; d=example.org; s=sel; h=from; {bh}; {b}"),
                Some("a=rsa-md5, which DKIM does not define"),
            ),
            (
                format!("v=1; a=ED25519-SHA256; d=example.org; s=sel; h=from; {bh}; {b}"),
                Some("does not define"),
            ),
            (
                format!("v=1; a=ed25519-sha256; d=example.org; s=sel; h=to:subject; {bh}; {b}"),
                Some("does not cover the From field"),
            ),
            (
                format!("v=1; a=ed25519-sha256; d=example.org; s=sel; h=from::to; {bh}; {b}"),
                Some("h=from::to is not valid"),
            ),
            (
                format!(
                    "v=1; a=ed25519-sha256; d=example.org; s=sel; h={}; {bh}; {b}",
                    ["from"; 65].join(":")
                ),
                Some("more than the 64"),
            ),
            (
                format!("v=1; a=ed25519-sha256; d=example.org; s=sel; h=from; {bh}; {b}; i=@evil.example"),
                Some("not an address in the signing domain example.org"),
            ),
            (
                format!("v=1; a=ed25519-sha256; d=example.org; s=sel; h=from; {bh}; {b}; i=@notexample.org"),
                Some("not an address in the signing domain"),
            ),
            (
                format!("v=1; a=ed25519-sha256; d=example.org; s=sel; h=from; {bh}; {b}; i=joe"),
                Some("not an address"),
            ),
            (
                format!("v=1; a=ed25519-sha256; d=example.org; s=sel; h=from; {bh}; {b}; t=100; x=100"),
                Some("x= must come after t="),
            ),
            (
                format!("v=1; a=ed25519-sha256; d=example.org; s=sel; h=from; {bh}; {b}; t=1234567890123"),
                Some("t=1234567890123 is not a number"),
            ),
            (
                format!("v=1; a=ed25519-sha256; d=example.org; s=sel; h=from; {bh}; {b}; x=-5"),
                Some("x=-5 is not a number"),
            ),
            (
                format!("v=1; a=ed25519-sha256; d=example.org; s=sel; h=from; {bh}; {b}; l=ten"),
                Some("l=ten is not a number"),
            ),
            (
                format!("v=1; a=ed25519-sha256; d=example.org; s=sel; h=from; {bh}; {b}; q=http/well-known"),
                Some("dns/txt"),
            ),
            (
                format!("v=1; a=ed25519-sha256; c=fancy/relaxed; d=example.org; s=sel; h=from; {bh}; {b}"),
                Some("c=fancy/relaxed"),
            ),
            (
                format!("v=1; a=ed25519-sha256; c=relaxed/; d=example.org; s=sel; h=from; {bh}; {b}"),
                Some("c=relaxed/"),
            ),
            (
                format!("v=1; a=ed25519-sha256; d=localhost; s=sel; h=from; {bh}; {b}"),
                Some("d=localhost is not a domain name"),
            ),
            (
                format!("v=1; a=ed25519-sha256; d=ex_ample.org; s=sel; h=from; {bh}; {b}"),
                Some("not a domain name"),
            ),
            (
                format!("v=1; a=ed25519-sha256; d=example.org; s=a..b; h=from; {bh}; {b}"),
                Some("selector s=a..b is not valid"),
            ),
            // Base64 (§2.4).
            (
                format!("v=1; a=ed25519-sha256; d=example.org; s=sel; h=from; {bh}; b=abc!def"),
                Some("b= is not valid base64"),
            ),
            (
                format!("v=1; a=ed25519-sha256; d=example.org; s=sel; h=from; {bh}; b="),
                Some("b= is not valid base64"),
            ),
            (
                "v=1; a=ed25519-sha256; d=example.org; s=sel; h=from; bh=A; b=AAAA".to_string(),
                Some("bh= is not valid base64"),
            ),
            // §3.2: the tag-list itself.
            (
                format!("v=1; v=1; a=ed25519-sha256; d=example.org; s=sel; h=from; {bh}; {b}"),
                Some("the tag v= is there twice"),
            ),
            (
                format!("v=1;; a=ed25519-sha256; d=example.org; s=sel; h=from; {bh}; {b}"),
                Some("two semicolons"),
            ),
            (format!("v=1; 1a=2; d=example.org; s=sel; h=from; {bh}; {b}"), Some("`1a` is not a tag name")),
            (format!("v=1; a; d=example.org; s=sel; h=from; {bh}; {b}"), Some("`a` has no = sign")),
            ("".to_string(), Some("it is empty")),
            (" ; ".to_string(), Some("two semicolons")),
            (
                format!("v=1; a=ed25519-sha256; d=example.org; s=sel; h=from\nto; {bh}; {b}"),
                Some("line break"),
            ),
            (
                format!("v=1; a=ed25519-sha256; d=example.org; s=sel; h=from; {bh}; {b}; n=caf\u{e9}"),
                Some("not plain ASCII"),
            ),
            (
                format!("v=1; a=ed25519-sha256; d=example.org; s=sel; h=from; {bh}; {b}; n=a\x01b"),
                Some("may not hold"),
            ),
            ((0..70).map(|i| format!("x{i}=1;")).collect::<String>(), Some("more than 64 tags")),
            (
                format!(
                    "v=1; a=ed25519-sha256; d=example.org; s=sel; h=from; {bh}; {b}; n={}",
                    "x".repeat(MAX_FIELD_LEN)
                ),
                Some("this check reads"),
            ),
        ];
        for (value, want) in cases {
            let message = format!("DKIM-Signature: {value}\r\nFrom: a@example.org\r\n\r\nHi\r\n");
            let read = signatures(message.as_bytes());
            assert_eq!(read.len(), 1, "{value:?}");
            match (&read[0], want) {
                (Ok(_), None) => {}
                (Err(o), Some(why)) => {
                    assert_eq!(o.result, DkimResult::PermError);
                    assert!(o.reason.contains(why), "{value:?}: {}", o.reason);
                    assert!(o.reason.ends_with('.') && o.reason.len() < 300, "{}", o.reason);
                }
                (got, _) => panic!("{value:?}: {got:?}"),
            }
        }
    }

    #[test]
    fn a_bad_signature_still_names_its_domain() {
        // The outcome of a field that does not read keeps d=, s= and b= when they read, for
        // the Authentication-Results field.
        let message =
            "DKIM-Signature: v=1; a=x; d=example.org; s=sel; h=from; bh=AAAA; b=abcdefghijk\r\n\r\n";
        let Err(o) = &signatures(message.as_bytes())[0] else { panic!() };
        assert_eq!(o.domain.as_deref(), Some("example.org"));
        assert_eq!(o.selector.as_deref(), Some("sel"));
        assert_eq!(o.b_prefix.as_deref(), Some("abcdefgh"));
    }

    #[test]
    fn signed_field() {
        let s = signer();
        let message = concat!(
            "Received: from laptop by smtp.example.org\r\n",
            "From: Alice <alice@example.org>\r\n",
            "Reply-To: alice@example.org\r\n",
            "To: Bob <bob@example.net>\r\n",
            "To: Carol <carol@example.net>\r\n",
            "Cc: Dan <dan@example.net>\r\n",
            "Subject: Lunch\r\n",
            "Date: Mon, 30 Nov 2026 09:00:00 +0000\r\n",
            "Message-ID: <2@example.org>\r\n",
            "In-Reply-To: <1@example.net>\r\n",
            "References: <1@example.net>\r\n",
            "MIME-Version: 1.0\r\n",
            "Content-Type: text/plain; charset=utf-8\r\n",
            "Content-Transfer-Encoding: 8bit\r\n",
            "\r\n",
            "Caf\u{e9}?\r\n",
        );
        let signed = s.sign(message.as_bytes(), NOW);
        let sig = only_signature(&signed);
        // h= names the fields present, once per instance, in the signer's order; not Received.
        assert_eq!(
            sig.headers.join(":"),
            "from:reply-to:subject:date:to:to:cc:message-id:in-reply-to:references:mime-version:content-type:content-transfer-encoding"
        );
        assert_eq!(
            (sig.algorithm.as_str(), sig.timestamp, sig.expiration),
            ("ed25519-sha256", Some(NOW), None)
        );
        assert_eq!(
            (sig.header_canonicalization, sig.body_canonicalization),
            (Canonicalization::Relaxed, Canonicalization::Relaxed)
        );
        assert_eq!(
            (sig.domain.as_str(), sig.selector.as_str(), sig.identity.as_str()),
            ("example.org", "mail2026", "@example.org")
        );
        // Folded: no line of the field is longer than 78 characters.
        let text = String::from_utf8(signed.clone()).unwrap();
        let field_lines: Vec<&str> = text.split("\r\n").take_while(|l| !l.starts_with("Received:")).collect();
        assert!(field_lines.len() > 3, "{field_lines:?}");
        for line in &field_lines {
            assert!(line.len() <= 78, "{line:?}");
        }
        assert!(text.ends_with(message));
        let record = s.record();
        assert_eq!(
            check(&signed, &[("mail2026._domainkey.example.org", record.as_str())], NOW).result,
            DkimResult::Pass
        );
        // The same message signed again is the same bytes (deterministic).
        assert_eq!(s.sign(message.as_bytes(), NOW), signed);
    }

    #[test]
    fn signers_and_keys() {
        let a = Signer::new("Example.ORG.", "Mail2026");
        // Names are lower-cased and the final dot dropped: one key per name.
        assert_eq!(a, signer());
        assert_eq!((a.domain(), a.selector()), ("example.org", "mail2026"));
        assert_eq!(a.key_name(), "mail2026._domainkey.example.org");
        // The seed is SHA-256 of the documented text.
        let seed = Hash::hash(b"mailroom DKIM key: mail2026._domainkey.example.org");
        assert_eq!(a.private_key(), base64::encode(&seed));
        let record = a.record();
        assert!(record.starts_with("v=DKIM1; k=ed25519; p="), "{record}");
        assert_eq!(record.len(), "v=DKIM1; k=ed25519; p=".len() + 44);
        // Another selector or domain has another key.
        assert_ne!(Signer::new("example.org", "other").record(), record);
        assert_ne!(Signer::new("example.net", "mail2026").record(), record);
        // Each record reads as a key.
        assert!(
            matches!(read_key(&record), KeyRead::Good(k) if k.public.len() == 32 && k.key_type == "ed25519")
        );
    }

    #[test]
    fn messages_that_are_not_signed() {
        let s = signer();
        // No From: returned as it is (§5.4).
        for message in ["To: bob@example.net\r\n\r\nHi\r\n", "", "\r\n\r\n", "Fromage: brie\r\n\r\n"] {
            assert_eq!(s.sign(message.as_bytes(), NOW), message.as_bytes(), "{message:?}");
            assert!(signatures(message.as_bytes()).is_empty());
        }
        // A message with no body at all is signed, and checks.
        let signed = s.sign(b"From: a@example.org\r\nSubject: x", NOW);
        let record = s.record();
        assert_eq!(
            check(&signed, &[("mail2026._domainkey.example.org", record.as_str())], NOW).result,
            DkimResult::Pass
        );
        assert_eq!(DkimOutcome::none().result.name(), "none");
    }

    #[test]
    fn at_most_five_signatures() {
        // §6.1: a verifier may limit the signatures it tries.
        let s = signer();
        let mut message = MESSAGE.as_bytes().to_vec();
        for i in 0..7 {
            message = s.sign(&message, NOW + i);
        }
        let read = signatures(&message);
        assert_eq!(read.len(), MAX_SIGNATURES);
        // Top to bottom: the last signature made is read first.
        let times: Vec<Option<i64>> =
            read.iter().map(|r| r.as_ref().ok().and_then(|s| s.timestamp)).collect();
        assert_eq!(times, (2..7).rev().map(|i| Some(NOW + i)).collect::<Vec<_>>());
        // Each of them checks: the fields added on top are not signed.
        let record = s.record();
        for sig in read.into_iter().map(Result::unwrap) {
            let answer = answer(&[("mail2026._domainkey.example.org", record.as_str())], &sig.key_name());
            assert_eq!(verify(&sig, &message, Some(&answer), NOW).result, DkimResult::Pass);
        }
    }

    #[test]
    fn result_names_and_times() {
        // RFC 8601 §2.7.1.
        let names = [
            (DkimResult::None, "none"),
            (DkimResult::Pass, "pass"),
            (DkimResult::Fail, "fail"),
            (DkimResult::Neutral, "neutral"),
            (DkimResult::TempError, "temperror"),
            (DkimResult::PermError, "permerror"),
        ];
        for (r, name) in names {
            assert_eq!(r.name(), name);
        }
        let times = [
            (0, "1970-01-01 00:00:00 UTC"),
            (NOW, "2026-11-30 09:00:00 UTC"),
            (951_782_400, "2000-02-29 00:00:00 UTC"),
            (-1, "1969-12-31 23:59:59 UTC"),
            (999_999_999_999, "33658-09-27 01:46:39 UTC"),
        ];
        for (t, text) in times {
            assert_eq!(utc(t), text);
        }
        // Nothing overflows at the ends.
        let _ = (utc(i64::MIN), utc(i64::MAX));
    }

    #[test]
    fn garbage_signature_fields() {
        // Adversarial fields (§8.9): none panics, each is a permerror or reads; verifying
        // what reads does not panic either.
        let key = signer().record();
        let garbage = [
            "DKIM-Signature:",
            "DKIM-Signature: ;;;;",
            "DKIM-Signature: ====",
            "DKIM-Signature: b=",
            "DKIM-Signature: v=1; a=ed25519-sha256; d=example.org; s=mail2026; h=from; bh=; b=",
            "DKIM-Signature: v=1; a=ed25519-sha256; d=example.org; s=mail2026; h=from; bh=AAAA; b=AAAA",
            "DKIM-Signature: v=1; a=ed25519-sha256; d=example.org; s=mail2026; h=from; bh=AAAA; b=AAAA; l=99999999999999999999999999999",
            "DKIM-Signature: v=1; a=ed25519-sha256; d=example.org; s=mail2026; h=from; bh=AAAA; b=AAAA; x=999999999999",
            "DKIM-Signature: v=1; a=ed25519-sha256; d=example.org; s=mail2026; h=from:from:from:from; bh==; b==",
            "DKIM-Signature: v=1; a=ed25519-sha256; d=example.org; s=mail2026; h=from; bh=AAAA; b=AAAA\r\n \r\n ",
            "DKIM-Signature : v=1; a=ed25519-sha256; d=example.org; s=mail2026; h=dkim-signature:from; bh=AAAA; b=AAAA",
            "dkim-signature:v=1;a=rsa-sha1;d=example.org;s=mail2026;h=from;bh=AAAA;b=AAAA",
            "DKIM-Signature: \u{0}\u{ff}",
            "DKIM-Signature: v=1\r\n\r\n",
        ];
        for field in garbage {
            let message = format!("{field}\r\nFrom: a@example.org\r\n\r\nHi\r\n");
            for read in signatures(message.as_bytes()) {
                match read {
                    Ok(sig) => {
                        let answer = answer(&[("mail2026._domainkey.example.org", &key)], &sig.key_name());
                        let outcome = verify(&sig, message.as_bytes(), Some(&answer), NOW);
                        assert_ne!(outcome.result, DkimResult::Pass, "{field:?}");
                        assert!(outcome.reason.ends_with('.'), "{field:?}: {}", outcome.reason);
                    }
                    Err(o) => assert_eq!(o.result, DkimResult::PermError, "{field:?}"),
                }
            }
        }
    }

    proptest! {
        /// Whatever a DKIM-Signature field or a key record holds, reading and verifying
        /// end without a panic, and nothing but a real signature passes.
        #[test]
        fn never_panics(
            value in "[a-z=;:@. \t/+A-Z0-9-]{0,80}|(v=1; a=ed25519-sha256; d=example.org; s=mail2026; h=[a-z:]{0,12}; bh=[A-Za-z0-9+/=]{0,8}; b=[A-Za-z0-9+/= \t]{0,12}[;]?[a-z]{0,2}=?[0-9]{0,14})",
            record in "[a-z=;:@. \t/+A-Z0-9-]{0,60}",
            body in proptest::collection::vec(any::<u8>(), 0..40),
        ) {
            let mut message = format!("DKIM-Signature: {value}\r\nFrom: a@example.org\r\n\r\n").into_bytes();
            message.extend_from_slice(&body);
            for sig in signatures(&message).into_iter().flatten() {
                for answer in [answer(&[(sig.key_name().as_str(), record.as_str())], &sig.key_name()), Answer::NoData] {
                    let outcome = verify(&sig, &message, Some(&answer), NOW);
                    prop_assert_ne!(outcome.result, DkimResult::Pass);
                }
            }
        }

        /// Whole messages of any bytes: read without a panic; signed and verified when they
        /// have a From field.
        #[test]
        fn any_message(
            head in "([A-Za-z-]{1,8}:[ \t]?[ -~]{0,20}\r\n([ \t][ -~]{0,10}\r\n)?){0,5}",
            body in proptest::collection::vec(any::<u8>(), 0..60),
        ) {
            let s = signer();
            let mut message = format!("From: a@example.org\r\n{head}\r\n").into_bytes();
            message.extend_from_slice(&body);
            let signed = s.sign(&message, NOW);
            let record = s.record();
            let sig = only_signature(&signed);
            let outcome = verify(&sig, &signed, Some(&answer(&[(sig.key_name().as_str(), record.as_str())], &sig.key_name())), NOW);
            prop_assert_eq!(outcome.result, DkimResult::Pass, "{}", outcome.reason);
            let _ = signatures(&body);
        }
    }
}
