//! DNS, as much as mail needs: MX, A and TXT records in one zone, and the answers a
//! resolver gives (RFC 1035; mail routing RFC 5321 §5.1; TXT holds the SPF, DKIM and DMARC
//! policies of RFC 7208, 6376 and 7489). Records are shown to students in the
//! zone-file presentation form of RFC 1035 §5.1.

use std::fmt;

/// Record data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RData {
    /// A mail exchanger: lower preference is tried first (RFC 1035 §3.3.9).
    Mx { preference: u16, exchange: String },
    /// An IPv4 address (RFC 1035 §3.4.1).
    A(String),
    /// Text (RFC 1035 §3.3.14), held as the one string its character-strings make when
    /// joined, as SPF, DKIM and DMARC read them (RFC 7208 §3.3, RFC 6376 §3.6.2.2).
    Txt(String),
}

impl RData {
    pub fn qtype(&self) -> &'static str {
        match self {
            RData::Mx { .. } => "MX",
            RData::A(_) => "A",
            RData::Txt(_) => "TXT",
        }
    }
}

/// One resource record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub name: String,
    pub ttl: u32,
    pub data: RData,
}

impl fmt::Display for Record {
    /// `example.net.  3600  IN  MX  10 mx.example.net.`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}. {} IN {} ", self.name, self.ttl, self.data.qtype())?;
        match &self.data {
            // The root itself is written `.` (a null MX, RFC 7505 §3), not `..`.
            RData::Mx { preference, exchange } => {
                write!(f, "{preference} {}.", exchange.trim_end_matches('.'))
            }
            RData::A(addr) => write!(f, "{addr}"),
            // Character-strings of at most 255 octets each, quoted (RFC 1035 §3.3, §5.1).
            RData::Txt(text) => {
                let bytes = text.as_bytes();
                let mut first = true;
                for chunk in bytes.chunks(255) {
                    if !first {
                        f.write_str(" ")?;
                    }
                    first = false;
                    f.write_str("\"")?;
                    for &b in chunk {
                        match b {
                            b'"' | b'\\' => write!(f, "\\{}", b as char)?,
                            0x20..=0x7e => write!(f, "{}", b as char)?,
                            _ => write!(f, "\\{b:03}")?,
                        }
                    }
                    f.write_str("\"")?;
                }
                if bytes.is_empty() {
                    f.write_str("\"\"")?;
                }
                Ok(())
            }
        }
    }
}

/// The answer to one question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Records(Vec<Record>),
    /// The name exists but has no record of that type (NOERROR with no data).
    NoData,
    /// The name does not exist (RCODE 3, RFC 1035 §4.1.1).
    NxDomain,
}

impl Answer {
    /// The first address of an A answer.
    pub fn first_addr(&self) -> Option<&str> {
        match self {
            Answer::Records(rs) => rs.iter().find_map(|r| match &r.data {
                RData::A(a) => Some(a.as_str()),
                _ => None,
            }),
            _ => None,
        }
    }

    /// The exchanges of an MX answer, most preferred first.
    pub fn exchanges(&self) -> Vec<String> {
        match self {
            Answer::Records(rs) => rs
                .iter()
                .filter_map(|r| match &r.data {
                    RData::Mx { exchange, .. } => Some(exchange.clone()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The texts of a TXT answer, in the zone's order.
    pub fn texts(&self) -> Vec<&str> {
        match self {
            Answer::Records(rs) => rs
                .iter()
                .filter_map(|r| match &r.data {
                    RData::Txt(t) => Some(t.as_str()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The addresses of an A answer.
    pub fn addrs(&self) -> Vec<&str> {
        match self {
            Answer::Records(rs) => rs
                .iter()
                .filter_map(|r| match &r.data {
                    RData::A(a) => Some(a.as_str()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The lines shown in the trace.
    pub fn presentation(&self, name: &str, qtype: &str) -> Vec<String> {
        match self {
            Answer::Records(rs) => rs.iter().map(Record::to_string).collect(),
            Answer::NoData => vec![format!(";; {name}. has no {qtype} record (NOERROR, no data)")],
            Answer::NxDomain => vec![format!(";; {name}. does not exist (NXDOMAIN)")],
        }
    }
}

/// All the records of the simulated Internet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Zone {
    pub records: Vec<Record>,
}

impl Zone {
    pub fn add_mx(&mut self, domain: &str, preference: u16, exchange: &str) {
        self.records.push(Record {
            name: domain.to_string(),
            ttl: 3600,
            data: RData::Mx { preference, exchange: exchange.to_string() },
        });
    }

    pub fn add_a(&mut self, name: &str, addr: &str) {
        self.records.push(Record { name: name.to_string(), ttl: 3600, data: RData::A(addr.to_string()) });
    }

    pub fn add_txt(&mut self, name: &str, text: &str) {
        self.records.push(Record { name: name.to_string(), ttl: 3600, data: RData::Txt(text.to_string()) });
    }

    /// `name`'s TXT records become this one: a domain that changes its SPF record or its
    /// DMARC policy (the sandbox). Its other records stay.
    pub fn replace_txt(&mut self, name: &str, text: &str) {
        self.records.retain(|r| !(r.name.eq_ignore_ascii_case(name) && matches!(r.data, RData::Txt(_))));
        self.add_txt(name, text);
    }

    /// Answers `name IN qtype`. MX answers are sorted by preference.
    pub fn query(&self, name: &str, qtype: &str) -> Answer {
        let name = name.trim_end_matches('.');
        let exists = self.records.iter().any(|r| r.name.eq_ignore_ascii_case(name));
        if !exists {
            return Answer::NxDomain;
        }
        let mut found: Vec<Record> = self
            .records
            .iter()
            .filter(|r| r.name.eq_ignore_ascii_case(name) && r.data.qtype() == qtype)
            .cloned()
            .collect();
        if found.is_empty() {
            return Answer::NoData;
        }
        crate::sort::sort_by_key(&mut found, |r| match r.data {
            RData::Mx { preference, .. } => preference,
            RData::A(_) | RData::Txt(_) => 0,
        });
        Answer::Records(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries() {
        let mut z = Zone::default();
        z.add_mx("example.net", 20, "backup.example.net");
        z.add_mx("example.net", 10, "mx.example.net");
        z.add_a("mx.example.net", "198.51.100.25");
        z.add_mx("nomail.example", 0, ".");
        z.add_txt("example.net", "v=spf1 mx -all");
        z.add_txt("quote.example", "say \"hi\" \\ bye");
        z.add_txt("long.example", &"x".repeat(300));
        let cases = [
            ("example.net", "TXT", vec!["example.net. 3600 IN TXT \"v=spf1 mx -all\""]),
            // Quotes and backslashes escaped, long text in strings of 255 (RFC 1035 §5.1, §3.3).
            ("quote.example", "TXT", vec![r#"quote.example. 3600 IN TXT "say \"hi\" \\ bye""#]),
            (
                "long.example",
                "TXT",
                vec![
                    format!("long.example. 3600 IN TXT \"{}\" \"{}\"", "x".repeat(255), "x".repeat(45))
                        .leak(),
                ],
            ),
            // A null MX names the root: written `.` (RFC 7505 §3).
            ("nomail.example", "MX", vec!["nomail.example. 3600 IN MX 0 ."]),
            (
                "example.net",
                "MX",
                vec![
                    "example.net. 3600 IN MX 10 mx.example.net.",
                    "example.net. 3600 IN MX 20 backup.example.net.",
                ],
            ),
            ("MX.example.net.", "A", vec!["mx.example.net. 3600 IN A 198.51.100.25"]),
            ("mx.example.net", "MX", vec![";; mx.example.net. has no MX record (NOERROR, no data)"]),
            ("nowhere.test", "MX", vec![";; nowhere.test. does not exist (NXDOMAIN)"]),
        ];
        for (name, qtype, want) in cases {
            assert_eq!(
                z.query(name, qtype).presentation(name.trim_end_matches('.'), qtype),
                want,
                "{name} {qtype}"
            );
        }
    }
}
