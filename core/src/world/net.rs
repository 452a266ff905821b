//! The network as data: links with latency and loss, hosts that are down for a while, and
//! the one place every byte passes through ([`Network::transmit`]).
//!
//! Loss is applied the way TCP lives with it: a lost segment is sent again after the
//! retransmission timeout (1 s at first, doubling each time, RFC 6298 §2.1, §5.5), so
//! loss makes bytes late, not missing. A host that is down answers nothing: a connection
//! to it times out, and what is sent on a connection that was open is sent again until the
//! host is back ([`Network::resent`]), or given up on.

use crate::rng::Rng;
use crate::time::{SimDuration, SimTime};
use crate::trace::HostId;

/// Latency of a link nobody configured.
pub const DEFAULT_LATENCY: SimDuration = SimDuration::from_millis(30);
/// The first retransmission timeout of TCP (RFC 6298 §2.1: 1 second).
pub const INITIAL_RTO: SimDuration = SimDuration::from_secs(1);
/// The most time between two copies of a segment sent again: RFC 6298 §2.5 lets TCP cap
/// its timeout at no less than 60 s; Linux's cap (`TCP_RTO_MAX`) is 120 s.
#[cfg(feature = "pop3")]
pub const MAX_RTO: SimDuration = SimDuration::from_secs(120);
/// After this many losses in a row the segment gets through anyway: the simulation stays
/// finite, and a link with 100 % loss is better described as `down`.
pub const MAX_RETRANSMISSIONS: u32 = 5;

/// A link between two hosts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub a: HostId,
    pub b: HostId,
    pub latency: SimDuration,
    /// Percent of segments lost on the way (0..=100).
    pub loss: u8,
}

/// A window in which a host is unreachable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Down {
    pub host: HostId,
    pub from: SimTime,
    pub until: SimTime,
}

/// How one transmission goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// When the bytes arrive.
    pub at: SimTime,
    /// How many times they were lost and sent again on the way.
    pub retransmissions: u32,
}

/// Links, outages, and for each link its own seeded generator that decides its losses:
/// traffic on one link never changes the losses of another.
#[derive(Clone, Debug)]
pub struct Network {
    links: Vec<(Link, Rng)>,
    downs: Vec<Down>,
    seed: u64,
}

impl Network {
    pub fn new(seed: u64) -> Network {
        Network { links: Vec::new(), downs: Vec::new(), seed }
    }

    /// Adds a link, or replaces the one between the same two hosts.
    pub fn link(&mut self, link: Link) {
        self.links.retain(|(l, _)| !same_pair(l, link.a, link.b));
        let rng = Rng::derive(self.seed, &format!("link {} {}", link.a.min(link.b), link.a.max(link.b)));
        self.links.push((link, rng));
    }

    pub fn down(&mut self, down: Down) {
        self.downs.push(down);
    }

    pub fn link_between(&self, a: HostId, b: HostId) -> Option<&Link> {
        self.links.iter().map(|(l, _)| l).find(|l| same_pair(l, a, b))
    }

    pub fn latency(&self, a: HostId, b: HostId) -> SimDuration {
        self.link_between(a, b).map_or(DEFAULT_LATENCY, |l| l.latency)
    }

    /// True when `host` is down at `t`.
    pub fn is_down(&self, host: HostId, t: SimTime) -> bool {
        self.down_until(host, t).is_some()
    }

    /// When `host`, down at `t`, comes back (the end of the window it is in).
    pub fn down_until(&self, host: HostId, t: SimTime) -> Option<SimTime> {
        self.downs.iter().filter(|d| d.host == host && d.from <= t && t < d.until).map(|d| d.until).max()
    }

    /// Bytes leave `from` for `to` at `now`: when do they arrive? Every byte of the World
    /// goes through here, so latency and loss apply to all of them alike.
    pub fn transmit(&mut self, from: HostId, to: HostId, now: SimTime) -> Transmit {
        let Some((link, rng)) = self.links.iter_mut().find(|(l, _)| same_pair(l, from, to)) else {
            return Transmit { at: now.plus(DEFAULT_LATENCY), retransmissions: 0 };
        };
        let (latency, loss) = (link.latency, link.loss);
        let mut at = now;
        let mut rto = INITIAL_RTO;
        let mut retransmissions = 0;
        // No draw at all on a lossless link.
        while loss > 0 && retransmissions < MAX_RETRANSMISSIONS && rng.chance(loss) {
            at = at.plus(rto);
            rto = SimDuration(rto.0 * 2);
            retransmissions += 1;
        }
        Transmit { at: at.plus(latency), retransmissions }
    }

    /// A segment that `from` sends to `to` at `now`, [`transmit`](Network::transmit)ted,
    /// except that while one of them is down it is not acknowledged, so TCP sends it again:
    /// after [`INITIAL_RTO`], then twice as long each time (RFC 6298 §5.5), at most
    /// [`MAX_RTO`] apart, until a copy leaves and arrives while both hosts are up. When that
    /// copy arrives and how many copies went before it (0: the first got through), or
    /// `None` when TCP gives up first (`give_up` after `now`: every copy sent by then fell
    /// into an outage).
    #[cfg(feature = "pop3")]
    pub fn resent(
        &mut self,
        from: HostId,
        to: HostId,
        now: SimTime,
        give_up: SimDuration,
    ) -> Option<(SimTime, u32)> {
        let (mut at, mut rto, mut copies) = (now, INITIAL_RTO, 0);
        while at.0 - now.0 < give_up.0 {
            if !self.is_down(from, at) {
                let t = self.transmit(from, to, at);
                if !self.is_down(to, t.at) {
                    return Some((t.at, copies));
                }
            }
            at = at.plus(rto);
            rto = SimDuration((rto.0 * 2).min(MAX_RTO.0));
            copies += 1;
        }
        None
    }
}

fn same_pair(l: &Link, a: HostId, b: HostId) -> bool {
    (l.a, l.b) == (a, b) || (l.a, l.b) == (b, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(feature = "pop3")]
    fn a_segment_into_an_outage_is_sent_again_until_the_host_is_back() {
        let give_up = SimDuration::from_secs(15 * 60);
        let ms = SimTime::from_millis;
        // (outages of the receiver in ms, sent at in s, arrives): copies at 0, 1, 3, 7, 15,
        // 31, 63, 127, 247, 367 … 847 s after it was sent (a timeout doubling to at most
        // 120 s), the link's 30 ms after the first copy that finds both hosts up.
        let cases: &[(&[(u64, u64)], u64, Option<(SimTime, u32)>)] = &[
            (&[], 10, Some((ms(10_030), 0))),
            (&[(0, 10_000)], 0, Some((ms(15_030), 4))),
            (&[(0, 10_000)], 5, Some((ms(12_030), 3))),
            (&[(0, 60_000)], 0, Some((ms(63_030), 6))),
            (&[(0, 600_000)], 0, Some((ms(607_030), 11))),
            // The last copy, at 847 s, falls into the outage too: TCP gives up at 900 s.
            (&[(0, 850_000)], 0, None),
            (&[(0, 3_600_000)], 100, None),
            // Up at 7 s, but the copy sent then arrives at 7.030 s, when it is down again.
            (&[(0, 7_000), (7_010, 20_000)], 0, Some((ms(31_030), 5))),
        ];
        for &(downs, sent, want) in cases {
            for down in [1, 0] {
                let mut n = Network::new(1);
                for &(from, until) in downs {
                    n.down(Down { host: down, from: ms(from), until: ms(until) });
                }
                let got = n.resent(0, 1, SimTime::from_secs(sent), give_up);
                // With the sender down, what matters is when a copy leaves.
                let want = match (down, downs) {
                    (0, [.., (7_010, _)]) => Some((ms(7_030), 3)),
                    _ => want,
                };
                assert_eq!(got, want, "host {down} down over {downs:?}, sent at {sent} s");
            }
        }
    }

    #[test]
    fn latency_loss_and_outages() {
        let mut n = Network::new(1);
        n.link(Link { a: 0, b: 1, latency: SimDuration::from_millis(20), loss: 0 });
        n.link(Link { a: 1, b: 0, latency: SimDuration::from_millis(40), loss: 0 });
        assert_eq!(n.latency(0, 1), SimDuration::from_millis(40), "the second link replaced the first");
        assert_eq!(n.latency(0, 2), DEFAULT_LATENCY);
        let t = n.transmit(0, 1, SimTime::from_secs(1));
        assert_eq!((t.at, t.retransmissions), (SimTime::from_millis(1040), 0));

        n.link(Link { a: 0, b: 2, latency: SimDuration::from_millis(10), loss: 100 });
        let t = n.transmit(0, 2, SimTime::ZERO);
        // 1 + 2 + 4 + 8 + 16 s of retransmission timeouts, then the latency.
        assert_eq!((t.at, t.retransmissions), (SimTime::from_millis(31_010), MAX_RETRANSMISSIONS));

        n.down(Down { host: 1, from: SimTime::from_secs(10), until: SimTime::from_secs(20) });
        assert!(!n.is_down(1, SimTime::from_secs(9)));
        assert!(n.is_down(1, SimTime::from_secs(10)));
        assert!(!n.is_down(1, SimTime::from_secs(20)));
    }

    #[test]
    fn loss_is_seeded() {
        let run = |seed| {
            let mut n = Network::new(seed);
            n.link(Link { a: 0, b: 1, latency: SimDuration::from_millis(5), loss: 30 });
            (0..50).map(|i| n.transmit(0, 1, SimTime::from_secs(i)).retransmissions).collect::<Vec<_>>()
        };
        assert_eq!(run(9), run(9));
        assert!(run(9).iter().any(|&r| r > 0) && run(9).contains(&0));
    }
}
