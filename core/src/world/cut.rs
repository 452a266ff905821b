//! A connection whose network fails: cut by a fault rule (`cut HOST before VERB`: the
//! command never arrives), or with a host down in the middle of it.
//!
//! While a host is down nothing it is sent is acknowledged, so TCP sends each segment
//! again, waiting twice as long each time ([`Network::resent`](super::net::Network::resent)):
//! when the host is back in time, the next copy gets through and the conversation goes on,
//! later; the programs at both ends keep their own timers meanwhile. When the outage lasts
//! longer than TCP sends again ([`TCP_GIVE_UP`]), or a rule cuts the connection, nothing
//! crosses it any more, and neither end is told. Each finds out by its own timer: the client
//! when no answer comes (a mail program's or an SMTP client's reply timeout; a person's
//! telnet only when TCP gives up), the server when its inactivity timer runs out, holding
//! until then what its session holds (a POP3 maildrop's lock). A POP3 session that ends
//! this way never reaches UPDATE: nothing is deleted (RFC 1939 §6).

use crate::session::Side;
use crate::time::{SimDuration, SimTime};
use crate::trace::{ConnId, EventKind, HostId};

use super::{Action, World};
use crate::world::CutRule;

/// How long TCP sends a segment again while nothing acknowledges it, before it gives up on
/// the connection: at least 100 s (RFC 1122 §4.2.3.5); Linux's default, 15 retries
/// (`tcp_retries2`), comes to about 15 minutes. Only then does a program without a timer of
/// its own, such as telnet, hear that the connection is gone.
pub const TCP_GIVE_UP: SimDuration = SimDuration::from_secs(15 * 60);

/// Why nothing crosses a connection any more.
#[derive(Clone, Debug)]
pub(super) enum Broke {
    /// A `cut` rule took this command.
    Cut(String),
    /// This host went down for longer than TCP sends again.
    Down(HostId),
}

impl World {
    /// A client's connection to `port` of `host` breaks as it sends `verb` (`times` times,
    /// or always). It replaces an earlier rule for the same port and command.
    pub fn cut_before(&mut self, host: HostId, port: u16, verb: &str, times: Option<u32>) {
        let verb = verb.to_ascii_uppercase();
        self.faults.cuts.retain(|r| !(r.host == host && r.port == port && r.verb == verb));
        self.faults.cuts.push(CutRule { host, port, verb, times });
    }

    /// True when the bytes `side` of `conn` sends to `server` now are a command that a rule
    /// cuts: the command leaves and never arrives (still "sent" for the client), and nothing
    /// crosses the connection any more. The client gives up when no answer comes: by its own
    /// timer, or at the latest when TCP does.
    pub(super) fn cut_as_sent(
        &mut self,
        conn: ConnId,
        side: Side,
        server: HostId,
        bytes: &[u8],
        kind: Option<&EventKind>,
    ) -> bool {
        if side == Side::Server {
            return false;
        }
        let c = &self.conns[conn.0];
        // What the bytes are to the server: said by a program, or (typed by a person) as the
        // server reads them now.
        let typed = match kind {
            None => c.ends[super::idx(Side::Server)].machine.as_ref().map(|m| m.classify(bytes)),
            Some(_) => None,
        };
        let Some(EventKind::Command { verb }) = kind.or(typed.as_ref()) else { return false };
        if !self.faults.take_cut(server, c.port, verb) {
            return false;
        }
        let verb = verb.clone();
        // Said where it happens, as it is sent: the command left, and nothing else shows it.
        let client = c.client;
        let text = format!(
            "The connection to {} breaks as {verb} is sent (a laptop closed, a Wi-Fi lost): {verb} never arrives, and neither end is told.",
            self.hosts[server].info.name
        );
        self.conn_note(client, conn, text);
        self.conns[conn.0].dead = Some((Broke::Cut(verb), self.now));
        self.schedule(self.now.plus(TCP_GIVE_UP), Action::GiveUp { conn, side });
        true
    }

    /// What `side` of `conn` sends now, bytes or (`None`) its close, is not acknowledged:
    /// one of the hosts is down. The first time in an outage a note on the sender says so,
    /// and TCP sends it again ([`Network::resent`](super::net::Network::resent)). It
    /// arrives, late, once the host is back (`resent`, when); or never, when every copy TCP
    /// sends falls into the outage: then the connection is dead, and the sender's TCP gives
    /// up on it (a close lets go of its end at once).
    pub(super) fn unacknowledged(
        &mut self,
        conn: ConnId,
        side: Side,
        segment: Option<(Vec<u8>, Option<EventKind>)>,
        resent: Option<SimTime>,
    ) {
        let (me, peer) = self.ends_of(conn, side);
        let down = if self.net.is_down(me, self.now) { me } else { peer };
        self.note_unacknowledged(conn, side, down);
        self.conns[conn.0].outage = Some(down);
        let Some(at) = resent else {
            let c = &mut self.conns[conn.0];
            c.resending[super::idx(side)] = SimTime(u64::MAX);
            c.dead.get_or_insert((Broke::Down(down), self.now));
            return match segment {
                Some(_) => self.schedule(self.now.plus(TCP_GIVE_UP), Action::GiveUp { conn, side }),
                None => self.end_lets_go(conn, side),
            };
        };
        let at = self.in_order(conn, side, at);
        self.conns[conn.0].resending[super::idx(side)] = at;
        let sent = self.now;
        match segment {
            Some((bytes, kind)) => self.schedule(at, Action::Bytes { conn, from: side, bytes, kind, sent }),
            None => {
                self.schedule(at, Action::CloseArrives { conn, from: side, sent });
                // A person's telnet is closed at once: the FIN is TCP's to send.
                if side == Side::Client && matches!(self.conns[conn.0].job, super::ConnJob::Typed) {
                    self.end_lets_go(conn, side);
                }
            }
        }
    }

    /// A note on the host of `side` that what it sends on `conn` is not acknowledged, as
    /// `down` is down, once an outage: not while what it sent before is still sent again.
    fn note_unacknowledged(&mut self, conn: ConnId, side: Side, down: HostId) {
        if self.now < self.conns[conn.0].resending[super::idx(side)] {
            return;
        }
        let (me, _) = self.ends_of(conn, side);
        let (me_name, down_name) = (&self.hosts[me].info.name, &self.hosts[down].info.name);
        let text = if down == me {
            format!(
                "No acknowledgement: {me_name} is down, cut off from the network, so what it sends does not get out. Its TCP sends it again 1 s later, then after 2, 4, 8 s … (twice as long each time, at most 2 minutes), until it is back, for 15 minutes at most."
            )
        } else {
            format!(
                "No acknowledgement: {down_name} is down. TCP on {me_name} sends it again 1 s later, then after 2, 4, 8 s … (twice as long each time, at most 2 minutes), until {down_name} is back, for 15 minutes at most."
            )
        };
        self.conn_note(me, conn, text);
    }

    /// The client of dead connection `conn` gives up on it: its machine's timer ran out with
    /// no answer (its job hears of it from the machine), or, `by_tcp`, TCP gave up
    /// ([`TCP_GIVE_UP`]). A note says so. The server heard nothing: its session stays, with
    /// what it holds (a POP3 maildrop's lock and marks), until its own inactivity timer ends
    /// it ([`World::dead_end_closes`]).
    pub(super) fn client_gives_up(&mut self, conn: ConnId, by_tcp: bool) {
        let c = &mut self.conns[conn.0];
        let Some((broke, at)) = c.dead.clone() else { return };
        // Closed some other way meanwhile (the server's close arrived before the cut command
        // left), or given up already: nothing more to say.
        if !c.open || c.client_gone {
            return;
        }
        let (client, server) = (c.client, c.server);
        self.end_lets_go(conn, Side::Client);
        let text = match broke {
            Broke::Cut(verb) => {
                let waited = crate::time::span(SimDuration(self.now.0.saturating_sub(at.0)));
                let (server, client) = (&self.hosts[server].info.name, &self.hosts[client].info.label);
                // Telnet has no timer of its own: the operating system's TCP is what gives up.
                let who = if by_tcp { "TCP on " } else { "" };
                format!(
                    "The connection to {server} broke as {verb} was sent: {verb} never arrived. After {waited} without an answer, {who}{client} gives up; {server} is told nothing."
                )
            }
            // Told apart from the client's own timeout only by TCP giving up: by its own
            // timer the client cannot tell an outage that will end from one that will not.
            Broke::Down(down) if by_tcp => {
                let (server, client, down) = (
                    &self.hosts[server].info.name,
                    &self.hosts[client].info.name,
                    &self.hosts[down].info.name,
                );
                format!(
                    "The connection to {server} broke: {down} went down, and nothing has crossed it since. After sending for 15 minutes without an acknowledgement, TCP on {client} gives up."
                )
            }
            Broke::Down(down) => self.timed_out_text(conn, down),
        };
        self.conn_note(client, conn, text);
        self.report_outcome(conn);
    }

    /// The client of `conn` closes by its own timer: when an outage had held up what it sent
    /// or what it waits for, a note says so, in the same words whether or not the outage is
    /// over by then (the client cannot tell).
    pub(super) fn client_timed_out(&mut self, conn: ConnId) {
        let c = &self.conns[conn.0];
        if let (Some(down), true) = (c.outage, c.ends[0].machine.is_some()) {
            let (client, text) = (c.client, self.timed_out_text(conn, down));
            self.conn_note(client, conn, text);
        }
    }

    /// "The connection broke": the client of `conn` gives up by its own timer, `down` having
    /// gone down, with how long since it last sent.
    fn timed_out_text(&self, conn: ConnId, down: HostId) -> String {
        let c = &self.conns[conn.0];
        let since = c.last_sent[super::idx(Side::Client)];
        let waited = crate::time::span(SimDuration(self.now.0.saturating_sub(since.0)));
        let (server, client, down) =
            (&self.hosts[c.server].info.name, &self.hosts[c.client].info.name, &self.hosts[down].info.name);
        format!(
            "The connection to {server} broke: {down} went down, and no answer came for {waited}. {client} gives up."
        )
    }

    /// `side` sends on dead connection `conn`. After an outage, when the other end has let
    /// go of it meanwhile (its own timer, its TCP), that host answers with a reset (RST,
    /// RFC 9293 §3.5.2): the connection is gone at this end too. Otherwise nothing
    /// crosses: TCP sends it again in vain, and gives up.
    pub(super) fn sent_on_dead(&mut self, conn: ConnId, side: Side) {
        let c = &self.conns[conn.0];
        // A person typing on after a cut: each line leaves, and is said to be lost.
        if let (Side::Client, super::ConnJob::Typed, Some((Broke::Cut(_), _))) = (side, &c.job, &c.dead) {
            let text = format!(
                "The connection to {} is broken: this line is lost too, as everything sent since the cut. TCP sends it again in vain, then gives up.",
                self.hosts[c.server].info.name
            );
            self.conn_note(c.client, conn, text);
        }
        let c = &self.conns[conn.0];
        let peer_gone = c.gone(super::other(side));
        if matches!(c.dead, Some((Broke::Down(_), _))) {
            let (me, peer) = self.ends_of(conn, side);
            // Sent into the outage: said as anything sent into one is.
            if let Some(down) = [me, peer].into_iter().find(|&h| self.net.is_down(h, self.now)) {
                self.note_unacknowledged(conn, side, down);
                self.conns[conn.0].resending[super::idx(side)] = SimTime(u64::MAX);
            }
            // Whether the other end is there is known when this leaves: a reset is decided
            // then (an end that lets go while this is on its way is not seen).
            if let (true, Some((at, _))) = (peer_gone, self.net.resent(me, peer, self.now, TCP_GIVE_UP)) {
                let back = self.net.transmit(peer, me, at).at;
                return self.schedule(back, Action::Reset { conn, side });
            }
        }
        self.schedule(self.now.plus(TCP_GIVE_UP), Action::GiveUp { conn, side });
    }

    /// A reset from the other end of dead connection `conn` reaches `side`: that end had
    /// let go of the connection while a host was down, and this one lets go now. A note
    /// says so.
    pub(super) fn reset_arrives(&mut self, conn: ConnId, side: Side) {
        let c = &self.conns[conn.0];
        let gone = c.gone(side);
        if !c.open || gone {
            return;
        }
        // A program that had closed its end already (its own timer) has said so: it just lets go.
        if c.ends[super::idx(side)].machine.as_ref().is_some_and(|m| m.is_closed()) {
            return self.end_lets_go(conn, side);
        }
        let why = match &c.dead {
            Some((Broke::Down(down), _)) => {
                format!("gave the connection up while {} was down", self.hosts[*down].info.name)
            }
            _ => "had closed the connection".to_string(),
        };
        let (me, peer) = self.ends_of(conn, side);
        self.end_lets_go(conn, side);
        let (me_name, peer_name) = (&self.hosts[me].info.name, &self.hosts[peer].info.name);
        let text = format!(
            "The connection to {peer_name} broke: {peer_name} answers with a reset (RST), as it {why}. {me_name} closes it too."
        );
        self.conn_note(me, conn, text);
        if side == Side::Client {
            self.report_outcome(conn);
        }
    }

    /// Bytes from `from` arrive on `conn` after that end let go, or, on a connection an
    /// outage held up, after the program at the other end closed it (its timer ran out, and
    /// its close is still being sent again): nothing reads them. A host whose program has
    /// closed answers with a reset (RST, RFC 1122 §4.2.2.13, RFC 9293 §3.5.2) and lets go; a
    /// note there says what arrived. True when so (the bytes go no further).
    pub(super) fn arrives_after_close(&mut self, conn: ConnId, from: Side, bytes: &[u8]) -> bool {
        let to = super::other(from);
        let c = &self.conns[conn.0];
        if c.gone(to) {
            return true;
        }
        // Only while the closed end's own goodbye is still being sent again (or the
        // connection is dead): elsewhere what crosses a close (a reply in flight as its client
        // closes) is shown as it arrives, as the lessons tell it.
        let closed = c.ends[super::idx(to)].machine.as_ref().is_some_and(|m| m.is_closed());
        let held_up = self.now < c.resending[super::idx(to)] || matches!(c.dead, Some((Broke::Down(_), _)));
        if !closed || !held_up {
            return false;
        }
        let (host, peer) = self.ends_of(conn, to);
        self.end_lets_go(conn, to);
        let line = String::from_utf8_lossy(bytes.split(|&b| b == b'\n').next().unwrap_or_default());
        let line: String = line.trim_end().chars().take(60).collect();
        let line = if line.is_empty() { "TLS data".to_string() } else { format!("“{line}”") };
        let (host_name, peer_name) = (&self.hosts[host].info.name, &self.hosts[peer].info.name);
        let text = format!(
            "Arrived after {host_name} had closed the connection: {line}, from {peer_name}. Nothing reads it: TCP on {host_name} answers with a reset (RST)."
        );
        self.conn_note(host, conn, text);
        let back = self.net.transmit(host, peer, self.now).at;
        self.schedule(back, Action::Reset { conn, side: from });
        true
    }

    /// TCP on the server of dead connection `conn` gives up: what the server sent went
    /// unacknowledged for [`TCP_GIVE_UP`], before its own inactivity timer ended the
    /// session. A note on the server says so, and its end is gone.
    pub(super) fn server_tcp_gives_up(&mut self, conn: ConnId) {
        let c = &self.conns[conn.0];
        let Some((broke, _)) = c.dead.clone() else { return };
        if !c.open || c.server_gone {
            return;
        }
        let (client, server) = (c.client, c.server);
        self.end_lets_go(conn, Side::Server);
        let (c_name, s_name) = (&self.hosts[client].info.name, &self.hosts[server].info.name);
        let why = match broke {
            Broke::Down(down) => format!("{} went down, and ", self.hosts[down].info.name),
            Broke::Cut(_) => String::new(),
        };
        let text = format!(
            "The connection to {c_name} broke: {why}what {s_name} sent was not acknowledged for 15 minutes. TCP on {s_name} gives up, and the session ends."
        );
        self.conn_note(server, conn, text);
    }

    /// A person closes dead connection `conn` (telnet's `close`): their end lets go at
    /// once, and its FIN is lost like everything else, so the server is told nothing.
    pub(super) fn dead_closed_by_person(&mut self, conn: ConnId) {
        let c = &self.conns[conn.0];
        if !c.open || c.client_gone {
            return;
        }
        let (client, server) = (c.client, c.server);
        self.end_lets_go(conn, Side::Client);
        let server = &self.hosts[server].info.name;
        let text = format!(
            "Closed at this end. Nothing crosses this connection any more: {server} is told nothing."
        );
        self.conn_note(client, conn, text);
    }

    /// `side`'s end of dead connection `conn` is gone; once both are, so is the connection.
    pub(super) fn end_lets_go(&mut self, conn: ConnId, side: Side) {
        let c = &mut self.conns[conn.0];
        match side {
            Side::Client => c.client_gone = true,
            Side::Server => c.server_gone = true,
        }
        if c.client_gone && c.server_gone {
            c.open = false;
            self.shown.retain(|s| *s != conn);
        }
        self.end_gone(conn, side);
    }

    /// The server's end of a dead connection closes (its inactivity timer ran out, RFC 1939
    /// §3, RFC 5321 §4.5.3.2.7, RFC 9051 §5.4), and a note on the server says so. A POP3
    /// session that ends this way deletes nothing (RFC 1939 §6). The client, told nothing,
    /// waits on until its own timer ends its side.
    pub(super) fn dead_end_closes(&mut self, conn: ConnId) {
        let c = &self.conns[conn.0];
        if !c.open || c.server_gone {
            return;
        }
        let (client, server) = (c.client, c.server);
        // What the client sent that never arrived, said, so that "nothing more came" is not
        // read as "nothing more was sent".
        let lost = match &c.dead {
            Some((Broke::Cut(verb), _)) => format!(" (its {verb} was lost on the way)"),
            Some((Broke::Down(_), at)) if c.last_sent[super::idx(Side::Client)] >= *at => {
                " (what it sent was lost on the way)".to_string()
            }
            _ => String::new(),
        };
        self.end_lets_go(conn, Side::Server);
        let text = format!(
            "Nothing more came from {}{lost}: {}'s inactivity timer runs out, and it ends the session.",
            self.hosts[client].info.name, self.hosts[server].info.name
        );
        self.conn_note(server, conn, text);
    }
}
