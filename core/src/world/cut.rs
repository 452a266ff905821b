//! A connection cut by a fault rule (`cut HOST before VERB`): the command never arrives,
//! and nothing crosses the connection any more. Neither end is told: the client gives up
//! when no answer comes ([`CONNECT_TIMEOUT`]), the server only when its own inactivity timer
//! runs out, holding until then what its session holds (a POP3 maildrop's lock). A POP3
//! session cut this way never reaches UPDATE: nothing is deleted (RFC 1939 §6).

use crate::session::Side;
use crate::trace::{ConnId, HostId};

use super::{CONNECT_TIMEOUT, World};
use crate::world::CutRule;

impl World {
    /// A client's connection to `port` of `host` breaks as it sends `verb` (`times` times,
    /// or always). It replaces an earlier rule for the same port and command.
    pub fn cut_before(&mut self, host: HostId, port: u16, verb: &str, times: Option<u32>) {
        let verb = verb.to_ascii_uppercase();
        self.faults.cuts.retain(|r| !(r.host == host && r.port == port && r.verb == verb));
        self.faults.cuts.push(CutRule { host, port, verb, times });
    }

    /// The client, with no answer for [`CONNECT_TIMEOUT`], gives up on the connection (its
    /// job hears of it), and a note says so. The server heard nothing: its session stays,
    /// with what it holds (a POP3 maildrop's lock and marks), until its own inactivity
    /// timer ends it ([`World::dead_end_closes`]).
    pub(super) fn cut_arrives(&mut self, conn: ConnId, verb: &str) {
        let c = &mut self.conns[conn.0];
        if !c.open || c.client_gone {
            return;
        }
        c.client_gone = true;
        let (client, server) = (c.client, c.server);
        self.end_gone(conn, Side::Client);
        let text = format!(
            "The connection to {server} broke as {verb} was sent: {verb} never arrived. After {} s without an answer, {client} gives up; {server} is told nothing.",
            CONNECT_TIMEOUT.0 / 1_000_000,
            server = self.hosts[server].info.name,
            client = self.hosts[client].info.label,
        );
        self.conn_note(client, conn, text);
        self.report_outcome(conn);
    }

    /// The server's end of a dead connection closes (its inactivity timer ran out, RFC 1939
    /// §3, RFC 5321 §4.5.3.2.7, RFC 9051 §5.4): the connection is gone, and a note on the
    /// server says so. A POP3 session that ends this way deletes nothing (RFC 1939 §6).
    pub(super) fn dead_end_closes(&mut self, conn: ConnId, side: Side) {
        let c = &mut self.conns[conn.0];
        if !c.open {
            return;
        }
        c.open = false;
        let (client, server) = (c.client, c.server);
        self.shown.retain(|s| *s != conn);
        self.end_closed(conn, side);
        let text = format!(
            "Nothing more came from {}: {}'s inactivity timer runs out, and it ends the session.",
            self.hosts[client].info.name, self.hosts[server].info.name
        );
        self.conn_note(server, conn, text);
    }
}
