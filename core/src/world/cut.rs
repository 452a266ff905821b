//! A connection cut by a fault rule (`cut HOST before VERB`): the command never arrives,
//! and nothing crosses the connection any more. Neither end is told. Each finds out by its
//! own timer: the client when no answer comes (a mail program's or an SMTP client's reply
//! timeout; a person's telnet only when TCP gives up, [`TCP_GIVE_UP`]), the server when its
//! inactivity timer runs out, holding until then what its session holds (a POP3 maildrop's
//! lock). A POP3 session cut this way never reaches UPDATE: nothing is deleted (RFC 1939 §6).

use crate::session::Side;
use crate::time::SimDuration;
use crate::trace::{ConnId, EventKind, HostId};

use super::{Action, World};
use crate::world::CutRule;

/// How long TCP sends a segment again while nothing acknowledges it, before it gives up on
/// the connection: at least 100 s (RFC 1122 §4.2.3.5); Linux's default, 15 retries
/// (`tcp_retries2`), comes to about 15 minutes. Only then does a program without a timer of
/// its own, such as telnet, hear that the connection is gone.
pub const TCP_GIVE_UP: SimDuration = SimDuration::from_secs(15 * 60);

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
        self.conns[conn.0].dead = Some((verb.clone(), self.now));
        self.schedule(self.now.plus(TCP_GIVE_UP), Action::Cut { conn });
        true
    }

    /// The client of dead connection `conn` gives up on it: its machine's timer ran out with
    /// no answer (its job hears of it from the machine), or, `by_tcp`, TCP gave up
    /// ([`TCP_GIVE_UP`]). A note says so. The server heard nothing: its session stays, with
    /// what it holds (a POP3 maildrop's lock and marks), until its own inactivity timer ends
    /// it ([`World::dead_end_closes`]).
    pub(super) fn client_gives_up(&mut self, conn: ConnId, by_tcp: bool) {
        let c = &mut self.conns[conn.0];
        let Some((verb, at)) = c.dead.clone() else { return };
        // Closed some other way meanwhile (the server's close arrived before the cut command
        // left), or given up already: nothing more to say.
        if !c.open || c.client_gone {
            return;
        }
        let (client, server) = (c.client, c.server);
        self.end_lets_go(conn, Side::Client);
        let waited = crate::time::span(SimDuration(self.now.0.saturating_sub(at.0)));
        let (server, client) = (&self.hosts[server].info.name, &self.hosts[client].info.label);
        // Telnet has no timer of its own: the operating system's TCP is what gives up.
        let who = if by_tcp { "TCP on " } else { "" };
        let text = format!(
            "The connection to {server} broke as {verb} was sent: {verb} never arrived. After {waited} without an answer, {who}{client} gives up; {server} is told nothing."
        );
        self.conn_note(self.conns[conn.0].client, conn, text);
        self.report_outcome(conn);
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
    fn end_lets_go(&mut self, conn: ConnId, side: Side) {
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
        self.end_lets_go(conn, Side::Server);
        let text = format!(
            "Nothing more came from {}: {}'s inactivity timer runs out, and it ends the session.",
            self.hosts[client].info.name, self.hosts[server].info.name
        );
        self.conn_note(server, conn, text);
    }
}
