//! A connection cut by a fault rule (`cut HOST before VERB`): the command never arrived,
//! and once both ends stop waiting ([`CONNECT_TIMEOUT`]) the connection is gone for both.
//! A POP3 session cut this way never reaches UPDATE: nothing is deleted (RFC 1939 §6).

use crate::session::Side;
use crate::trace::{ConnId, HostId};

use super::{CONNECT_TIMEOUT, World, idx};
use crate::world::CutRule;

impl World {
    /// A client's connection to `port` of `host` breaks as it sends `verb` (`times` times,
    /// or always). It replaces an earlier rule for the same port and command.
    pub fn cut_before(&mut self, host: HostId, port: u16, verb: &str, times: Option<u32>) {
        let verb = verb.to_ascii_uppercase();
        self.faults.cuts.retain(|r| !(r.host == host && r.port == port && r.verb == verb));
        self.faults.cuts.push(CutRule { host, port, verb, times });
    }

    /// Both ends lose the connection, then the note says so (its snapshot shows them
    /// without it), then the client's job hears what became of its attempt.
    pub(super) fn cut_arrives(&mut self, conn: ConnId, verb: &str) {
        let c = &mut self.conns[conn.0];
        if !c.open {
            return;
        }
        c.open = false;
        let (client, server) = (c.client, c.server);
        self.shown.retain(|s| *s != conn);
        let now = self.now;
        for side in [Side::Server, Side::Client] {
            let end = &mut self.conns[conn.0].ends[idx(side)];
            end.timer = None;
            if let Some(m) = end.machine.as_mut() {
                m.handle_close(now);
            }
            self.release_maildrop(conn, side);
        }
        let text = format!(
            "The connection to {} broke as {verb} was sent: {verb} never arrived. After {} s without an answer, both ends give up on the connection.",
            self.hosts[server].info.name,
            CONNECT_TIMEOUT.0 / 1_000_000
        );
        self.conn_note(client, conn, text);
        self.report_outcome(conn);
    }
}
