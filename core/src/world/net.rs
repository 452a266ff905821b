//! The network as data: links with latency and loss, hosts that are down for a while, and
//! the one place every byte passes through ([`Network::transmit`]).
//!
//! Loss is applied the way TCP lives with it: a lost segment is sent again after the
//! retransmission timeout (1 s at first, doubling each time, RFC 6298 §2.1, §5.5), so
//! loss makes bytes late, not missing. A host that is down answers nothing: a connection
//! to it times out, and a connection that was open breaks.

use crate::rng::Rng;
use crate::time::{SimDuration, SimTime};
use crate::trace::HostId;

/// Latency of a link nobody configured.
pub const DEFAULT_LATENCY: SimDuration = SimDuration::from_millis(30);
/// The first retransmission timeout of TCP (RFC 6298 §2.1: 1 second).
pub const INITIAL_RTO: SimDuration = SimDuration::from_secs(1);
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
}

fn same_pair(l: &Link, a: HostId, b: HostId) -> bool {
    (l.a, l.b) == (a, b) || (l.a, l.b) == (b, a)
}

#[cfg(test)]
mod tests {
    use super::*;

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
