//! What a receiving host checks of one message before its server answers the end of data,
//! in the order a real filter asks: SPF first (it needs only the envelope, RFC 7208 §2.5),
//! then each DKIM signature's key (RFC 6376 §6.1.2), then the DMARC policy of the `From:`
//! domain (RFC 7489 §6.6.3), which needs the other two results. Sans-IO, like its parts: the
//! host asks the DNS question of [`Check::query`] and hands the answer to [`Check::answer`]
//! until the check has its [`Verdict`].

use crate::dns::Answer;
use crate::session::{Verdict, Verify};
use crate::smtp::reply::Reply;

use super::dkim::{self, DkimOutcome, DkimResult, Signature};
use super::dmarc::{self, DmarcOutcome, DmarcResult, Found, Policy, PolicyLookup};
use super::spf::{SpfCheck, SpfOutcome, SpfResult};

/// Which checks a receiving host makes, and what it does with their results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checks {
    /// SPF, enforced: a `fail` is refused with `550 5.7.23` (RFC 7208 §8.4, RFC 7372 §3.2),
    /// as Postfix's SPF policy server does by default.
    pub spf: bool,
    /// DKIM: every signature verified and its result recorded. A failed signature is not a
    /// reason to refuse: the message is then as if unsigned (RFC 6376 §6.3).
    pub dkim: bool,
    /// DMARC: SPF and DKIM evaluated, aligned with `From:`, and the domain's policy applied
    /// (RFC 7489 §6.6): `reject` is refused with `550 5.7.26` (RFC 7372 §3.4),
    /// `quarantine` goes to the Junk folder, `none` is delivered.
    pub dmarc: bool,
}

impl Checks {
    pub fn any(self) -> bool {
        self.spf || self.dkim || self.dmarc
    }

    /// The words of a world description's `check` line (`spf dkim dmarc`).
    pub fn words(self) -> Vec<&'static str> {
        [(self.spf, "spf"), (self.dkim, "dkim"), (self.dmarc, "dmarc")]
            .into_iter()
            .filter_map(|(on, w)| on.then_some(w))
            .collect()
    }
}

/// A sentence as it reads after a colon: "The key ..." becomes "the key ...", while a name
/// or an address at its start stays as it is.
fn after_colon(sentence: &str) -> String {
    let mut chars = sentence.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_ascii_uppercase() && !b.is_ascii_uppercase() => {
            format!("{}{}", a.to_ascii_lowercase(), &sentence[1..])
        }
        _ => sentence.to_string(),
    }
}

/// The check of one message.
pub struct Check {
    checks: Checks,
    /// The checking host's name: the `authserv-id` of its `Authentication-Results:`
    /// (RFC 8601 §2.5).
    host: String,
    verify: Verify,
    unix_time: i64,
    /// A number 0..=99 from the World's seeded generator, for DMARC's `pct` (RFC 7489 §6.6.4).
    sample: u8,
    stage: Stage,
    spf: Option<SpfOutcome>,
    signatures: Vec<Result<Signature, DkimOutcome>>,
    dkim: Vec<DkimOutcome>,
    from: Result<String, String>,
    dmarc: Option<DmarcOutcome>,
    verdict: Option<Verdict>,
}

enum Stage {
    Spf(Box<SpfCheck>),
    /// The key of signature `n`.
    Dkim(usize),
    Dmarc(Box<PolicyLookup>),
    Done,
}

impl Check {
    pub fn new(checks: Checks, host: &str, verify: Verify, unix_time: i64, sample: u8) -> Check {
        let evaluate_dkim = checks.dkim || checks.dmarc;
        let signatures = if evaluate_dkim { dkim::signatures(&verify.message) } else { Vec::new() };
        let from = dmarc::from_domain(&verify.message);
        let stage = if checks.spf || checks.dmarc {
            // %{r} of an explanation is the checking host, %{t} the time (RFC 7208 §7.2).
            let spf = SpfCheck::new(&verify.client_addr, &verify.mail_from, &verify.helo)
                .with_receiver(host)
                .with_timestamp(u64::try_from(unix_time).unwrap_or(0));
            Stage::Spf(Box::new(spf))
        } else {
            Stage::Dkim(0)
        };
        let mut c = Check {
            checks,
            host: host.to_string(),
            verify,
            unix_time,
            sample,
            stage,
            spf: None,
            signatures,
            dkim: Vec::new(),
            from,
            dmarc: None,
            verdict: None,
        };
        c.advance();
        c
    }

    /// The DNS question to ask now, `(name, qtype)`; `None` once the verdict is in.
    pub fn query(&self) -> Option<(String, &'static str)> {
        match &self.stage {
            Stage::Spf(c) => c.query(),
            Stage::Dkim(n) => match self.signatures.get(*n) {
                Some(Ok(sig)) => Some((sig.key_name(), "TXT")),
                _ => None,
            },
            Stage::Dmarc(l) => l.query(),
            Stage::Done => None,
        }
    }

    /// The answer to [`Check::query`]'s question; `None` when the lookup failed (it timed
    /// out): each check makes that its `temperror`.
    pub fn answer(&mut self, answer: Option<&Answer>) {
        match &mut self.stage {
            Stage::Spf(c) => c.answer(answer),
            Stage::Dkim(n) => {
                if let Some(Ok(sig)) = self.signatures.get(*n) {
                    self.dkim.push(dkim::verify(sig, &self.verify.message, answer, self.unix_time));
                }
                *n += 1;
            }
            Stage::Dmarc(l) => l.answer(answer),
            Stage::Done => {}
        }
        self.advance();
    }

    /// The decision, once every question is answered.
    pub fn verdict(&self) -> Option<&Verdict> {
        self.verdict.as_ref()
    }

    /// What the host has found so far, a line per check (SPF; each DKIM signature, or none;
    /// DMARC), for the trace: in plain words, with the result each gave and why. Lines are
    /// only ever added at the end, as the checks finish, so a driver can show each new line
    /// at the moment its check is done.
    pub fn findings(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(spf) = &self.spf {
            // The SPF reason ends with its result already (": pass").
            let result = spf.result.name();
            let reason = spf.reason.strip_suffix(&format!(": {result}")).unwrap_or(&spf.reason);
            lines.push(format!("SPF {result}: {}.", reason.trim_end_matches('.')));
        }
        if self.checks.dkim || self.checks.dmarc {
            let dkim_done = matches!(self.stage, Stage::Dmarc(_) | Stage::Done);
            if self.signatures.is_empty() && dkim_done && self.verdict_is_not_spf() {
                lines.push("DKIM none: the message has no DKIM-Signature header field.".to_string());
            }
            for d in &self.dkim {
                lines.push(format!("DKIM {}: {}", d.result.name(), after_colon(&d.reason)));
            }
        }
        if self.checks.dmarc {
            match (&self.dmarc, &self.from) {
                (Some(d), _) => {
                    // Its reason may begin by naming the result ("DMARC passed: ...").
                    let reason = d.reason.split_once(": ").filter(|(head, _)| head.starts_with("DMARC "));
                    let reason = reason.map_or(d.reason.as_str(), |(_, rest)| rest);
                    lines.push(format!("DMARC {}: {}", d.result.name(), after_colon(reason)))
                }
                // Known from the start, but said when the checks are done, after the others.
                (None, Err(why)) if matches!(self.stage, Stage::Done) && self.verdict_is_not_spf() => {
                    lines.push(format!("DMARC permerror: {why}"))
                }
                (None, Err(_)) => {}
                (None, Ok(_)) => {}
            }
        }
        lines
    }

    /// False when SPF's fail ended the check before DKIM and DMARC were looked at.
    fn verdict_is_not_spf(&self) -> bool {
        !matches!(&self.verdict, Some(Verdict::Refuse(r)) if r.enhanced.as_deref() == Some("5.7.23"))
    }

    /// Moves on to the next question, or to the verdict when none is left.
    fn advance(&mut self) {
        loop {
            match &self.stage {
                Stage::Spf(c) => {
                    if c.query().is_some() {
                        return;
                    }
                    self.spf = c.outcome().cloned();
                    let failed = self.spf.as_ref().is_some_and(|o| o.result == SpfResult::Fail);
                    if self.checks.spf && failed {
                        // Refused at once, as an SPF policy server does: the rest is not asked.
                        return self.finish(Some(self.spf_refusal()));
                    }
                    self.stage = Stage::Dkim(0);
                }
                Stage::Dkim(n) => {
                    let n = *n;
                    match self.signatures.get(n) {
                        Some(Ok(_)) => return,
                        Some(Err(outcome)) => {
                            self.dkim.push(outcome.clone());
                            self.stage = Stage::Dkim(n + 1);
                        }
                        None if self.checks.dmarc => {
                            self.stage = match &self.from {
                                Ok(domain) => Stage::Dmarc(Box::new(PolicyLookup::new(domain))),
                                Err(_) => return self.finish(None),
                            }
                        }
                        None => return self.finish(None),
                    }
                }
                Stage::Dmarc(l) => {
                    if l.query().is_some() {
                        return;
                    }
                    let found = l.found().cloned().unwrap_or(Found::TempError);
                    self.dmarc = Some(self.evaluate_dmarc(&found));
                    let refusal = self.dmarc.as_ref().and_then(|d| self.dmarc_refusal(d));
                    return self.finish(refusal);
                }
                Stage::Done => return,
            }
        }
    }

    fn evaluate_dmarc(&self, found: &Found) -> DmarcOutcome {
        let from = self.from.as_deref().unwrap_or_default();
        let spf = self.spf.as_ref().filter(|o| o.result == SpfResult::Pass).map(|o| o.domain.as_str());
        let dkim: Vec<&str> = self
            .dkim
            .iter()
            .filter(|d| d.result == DkimResult::Pass)
            .filter_map(|d| d.domain.as_deref())
            .collect();
        dmarc::evaluate(from, found, spf, &dkim, self.sample)
    }

    /// `550 5.7.23`: SPF validation failed (RFC 7208 §8.4; RFC 7372 §3.2), with the domain's
    /// own explanation when it gives one (§6.2).
    fn spf_refusal(&self) -> Reply {
        let spf = self.spf.as_ref();
        let domain = spf.map_or("", |o| o.domain.as_str());
        let mut lines = vec![format!(
            "SPF validation failed: {} is not allowed to send mail for {domain}",
            self.verify.client_addr
        )];
        if let Some(exp) = spf.and_then(|o| o.explanation.as_ref()) {
            lines.push(exp.chars().filter(|c| (' '..='~').contains(c)).take(200).collect());
        }
        Reply::custom(550, Some("5.7.23"), lines)
    }

    /// `550 5.7.26` for a domain whose DMARC policy is `reject` (RFC 7489 §6.3 and §6.7 say to
    /// refuse in SMTP; RFC 7372 §3.4's code for a message that failed several checks).
    fn dmarc_refusal(&self, d: &DmarcOutcome) -> Option<Reply> {
        (d.result == DmarcResult::Fail && d.disposition == Some(Policy::Reject)).then(|| {
            let text = format!(
                "Unauthenticated email from {} is not accepted due to its domain's DMARC policy (p=reject)",
                d.from_domain
            );
            Reply::custom(550, Some("5.7.26"), vec![text])
        })
    }

    fn finish(&mut self, refusal: Option<Reply>) {
        self.stage = Stage::Done;
        self.verdict = Some(match refusal {
            Some(reply) => Verdict::Refuse(reply),
            None => {
                let junk = self.dmarc.as_ref().is_some_and(|d| {
                    d.result == DmarcResult::Fail && d.disposition == Some(Policy::Quarantine)
                });
                Verdict::Accept { header: self.results_header(), junk }
            }
        });
    }

    /// `Authentication-Results:` (RFC 8601 §2.2): this host's name, then one `method=result`
    /// with its properties per check made.
    fn results_header(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(spf) = &self.spf {
            // A bounce has no MAIL FROM: SPF checked the HELO name (RFC 8601 §2.7.2).
            let identity = match self.verify.mail_from.is_empty() {
                true => format!("smtp.helo={}", self.verify.helo),
                false => format!("smtp.mailfrom={}", spf.sender),
            };
            parts.push(format!("spf={} {identity}", spf.result.name()));
        }
        if self.checks.dkim || self.checks.dmarc {
            if self.signatures.is_empty() {
                parts.push("dkim=none".to_string());
            }
            for d in &self.dkim {
                let mut p = format!("dkim={}", d.result.name());
                if let Some(domain) = &d.domain {
                    p.push_str(&format!(" header.d={domain}"));
                }
                if let Some(s) = &d.selector {
                    p.push_str(&format!(" header.s={s}"));
                }
                // Base64 has `/` and `=`, which a value may hold only quoted (RFC 8601 §2.2,
                // RFC 2045 §5.1); anything else a stranger wrote is left out.
                if let Some(b) = d.b_prefix.as_ref().filter(|b| {
                    !b.is_empty() && b.bytes().all(|c| c.is_ascii_alphanumeric() || b"+/=".contains(&c))
                }) {
                    p.push_str(&format!(" header.b=\"{b}\""));
                }
                parts.push(p);
            }
        }
        if self.checks.dmarc {
            match (&self.dmarc, &self.from) {
                (Some(d), _) => {
                    // What the domain's policy asked for this message, in a comment
                    // (RFC 8601 §2.2 allows them anywhere; no property names it).
                    let policy =
                        d.disposition.map(|p| format!(" (policy: {})", p.name())).unwrap_or_default();
                    parts.push(format!("dmarc={}{policy} header.from={}", d.result.name(), d.from_domain));
                }
                (None, _) => parts.push("dmarc=permerror".to_string()),
            }
        }
        let mut header = format!("Authentication-Results: {}", self.host);
        if parts.is_empty() {
            header.push_str("; none");
        }
        for p in parts {
            header.push_str(";\r\n\t");
            header.push_str(&p);
        }
        header.push_str("\r\n");
        header
    }
}
