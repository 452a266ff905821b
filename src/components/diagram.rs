use crate::shared::Shared;

use mailroom_core::session::Side;
use mailroom_core::trace::{EventKind, Family, HostInfo, HostRole, HostSnapshot, Trace, TraceEvent};
use mailroom_core::world::LessonRun;
use yew::prelude::*;

use crate::class;
use crate::diagram_text::{Block, TextStyle, columns, spread};
use crate::hooks::{on_resize, stop_watching};
use crate::num::fixed;
use crate::present;

/// Width of the SVG's coordinate system; the height follows the hosts' layout and the
/// longest labels. Shown about 0.55× at 1024×768: the smallest text (24 units) is 13 px.
const W: f64 = 1000.0;
/// Room at the sides for the outer hosts' icons and part of their labels (the labels are
/// wrapped to their column and kept inside the drawing, see [`diagram_text`]).
const MARGIN_X: f64 = 150.0;
const TOP: f64 = 56.0;
/// Vertical distance between the highest and the lowest host.
const SPAN_Y: f64 = 150.0;
/// Labels under a host start this far below its centre: clear of its halo (52) and of
/// the pulse of a local event (58, growing to 61.5).
const LABEL_DROP: f64 = 96.0;
/// Keeps labels this far from the drawing's edges and from each other's columns.
const PAD: f64 = 8.0;
/// Hosts side by side on the lowest row are at least this far apart, so that each label's
/// column holds its longest word ("provider", "example.net", "198.51.100.25"); a crowded
/// row may then reach this much further out than [`MARGIN_X`].
const MIN_GAP: f64 = 196.0;
const ROW_STRETCH: f64 = 50.0;
/// The radius of the halo around a host's icon: a label beside another host stops there.
const HALO: f64 = 52.0;
/// Tokens leave and arrive this far from a host's centre (plus their own half size).
const NODE_RADIUS: f64 = 56.0;

const LABEL: TextStyle = TextStyle::new(32.0, 34.0, 0.64);
const NAME: TextStyle = TextStyle::mono(24.0, 30.0);
const ADDR: TextStyle = TextStyle::mono(24.0, 28.0);
// The states and counts are lower-case words heavy in e, s, a, n and g, wider than the
// alphabet's average: measured in the page (bold DejaVu Sans), up to 6% wider than 0.64
// gives ("message", "handshake"); at 0.64 two neighbours' states, each as wide as its
// column by the estimate, touched ("sends the message" "reads the message up").
const STATE: TextStyle = TextStyle::new(26.0, 36.0, 0.68);
const CLIENT_STATE: TextStyle = TextStyle::new(25.0, 31.0, 0.68);
const COUNT: TextStyle = TextStyle::new(25.0, 31.0, 0.68);

#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    pub run: Shared<LessonRun>,
    pub cursor: usize,
    /// How long a token takes to travel, in milliseconds.
    pub travel_ms: u32,
    /// The student is predicting the next step: the hosts' states, which name what each
    /// does next, show as "?" (on screen and to screen readers).
    #[prop_or_default]
    pub asking: bool,
    /// The World's clock when it has run on past the last event (the sandbox after a
    /// wait): a host whose `down` window has ended by then is no longer shown down.
    #[prop_or_default]
    pub now: Option<mailroom_core::time::SimTime>,
}

/// Where each host sits in the SVG, the room of its label, and the SVG's size.
struct Layout {
    pos: Vec<(f64, f64)>,
    /// [`W`], or more when the lowest row is so crowded that an address would not fit its
    /// column: an address is never cut in two (`198.51.100.` / `25` reads as two numbers).
    width: f64,
    height: f64,
    /// The label block of each host: under it, or beside it for hosts above the main row.
    blocks: Vec<Block>,
}

/// A host's state, or "?" while the student predicts the next step (a state names what the
/// host does next: "replies 354; then reads the message" would give the answer away).
fn states(role: HostRole, snap: &HostSnapshot, asking: bool) -> (String, String) {
    let (state, client_state) = present::host_states(role, snap);
    match asking {
        true if !state.is_empty() => ("?".to_string(), String::new()),
        _ => (state, client_state),
    }
}

/// A server with several clients at once (the POP3 lock's laptop and phone): its state
/// shown is its newest session's, and this says so.
fn clients(snap: &HostSnapshot) -> Option<String> {
    let n = snap.sessions.iter().filter(|s| s.side == Side::Server).count();
    (n > 1).then(|| format!("{n} clients; the newest:"))
}

/// The lines of a host's label, in words: who, where, and its state at this moment.
fn label_lines(info: &HostInfo, snap: &HostSnapshot, asking: bool) -> Vec<(&'static str, String, TextStyle)> {
    let mut lines = vec![
        ("host-label", info.label.clone(), LABEL),
        ("host-name", info.name.clone(), NAME),
        ("host-addr", info.addr.clone(), ADDR),
    ];
    lines.extend(state_lines(info.role, snap, asking));
    lines
}

/// The lines of a host's label under its name and address: what changes with its state.
fn state_lines(role: HostRole, snap: &HostSnapshot, asking: bool) -> Vec<(&'static str, String, TextStyle)> {
    let mut lines = Vec::new();
    let (state, client_state) = states(role, snap, asking);
    if let Some(clients) = clients(snap) {
        lines.push(("host-count", clients, COUNT));
    }
    if !state.is_empty() {
        lines.push(("host-state", state, STATE));
    }
    if !client_state.is_empty() {
        // A server relaying a message is also an SMTP client (RFC 5321 §2.3.3).
        lines.push(("host-state host-client-state", format!("as a client: {client_state}"), CLIENT_STATE));
    }
    for (addr, n) in &snap.mailboxes {
        let who = addr.split('@').next().unwrap_or(addr);
        if let Some(count) = count_text(who, *n, present::junk_count(snap, addr)) {
            lines.push(("host-count", count, COUNT));
        }
    }
    if snap.queued > 0 {
        lines.push(("host-count host-queue", present::queue_text(snap), COUNT));
    }
    lines
}

/// The diagram panel's width over its height before the page has measured it: a school
/// laptop's 1366×768 (the panel is 723×323 there).
const DEFAULT_RATIO: Ratio = Ratio(18);

/// A panel's width over its height, in eighths (a resize lays the drawing out again only
/// when it crosses an eighth), from 1.25 to 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Ratio(u8);

impl Ratio {
    fn of(width: f64, height: f64) -> Ratio {
        // Rounded to the nearest eighth (`as` saturates, and makes 0 of NaN).
        Ratio(((width / height * 8.0 + 0.5) as u8).clamp(10, 24))
    }

    fn get(self) -> f64 {
        f64::from(self.0) / 8.0
    }
}

/// The height of the drawing with no hosts (the player's loading state): 19:8, the shape
/// of the panel with a lesson on a 1366×768 or 1024×768 screen. The panel's height follows
/// its drawing, so the panel measured while the lesson loads is the shape the lesson's
/// drawing is then laid out for, once; with the 8:3 of a height of 300 it was laid out for
/// that shape first and again for its own (at 10,000 events 6.5 ms natively, the first of
/// the two). The page moves less as the lesson comes in, too.
const LOADING_HEIGHT: f64 = W * 8.0 / 19.0;

/// The drawing for a trace at the default ratio (the tests').
#[cfg(test)]
fn layout(trace: &Trace) -> Layout {
    layout_for(trace, &distinct_labels(trace), DEFAULT_RATIO)
}

/// The drawing as large as a panel of `ratio` shows it: the drawing is scaled to fit the
/// panel whole, so a drawing taller than the panel's shape leaves room at the sides. A
/// wider drawing spreads the hosts of the lowest row, whose labels then wrap to fewer
/// lines, and the drawing gets lower: of the widths from [`W`] to twice that, the one shown
/// largest (the narrowest of equals). The hosts' states are placed once per width, each
/// different label once ([`distinct_labels`]).
fn layout_for(trace: &Trace, labels: &[Label], ratio: Ratio) -> Layout {
    let scale = |l: &Layout| (ratio.get() / l.width).min(1.0 / l.height);
    // A drawing as wide as the panel's shape or wider is shown at the panel's width: any
    // wider one would be shown smaller, so the search ends there.
    let fills = |l: &Layout| ratio.get() / l.width <= 1.0 / l.height;
    let mut best = layout_at(trace, labels, W);
    let mut done = fills(&best);
    for k in 1..=10 {
        if done {
            break;
        }
        let next = layout_at(trace, labels, W + 100.0 * f64::from(k));
        done = fills(&next);
        if scale(&next) > scale(&best) * 1.0001 {
            best = next;
        }
    }
    best
}

/// The drawing at least `start` wide (wider where an address needs it).
fn layout_at(trace: &Trace, labels: &[Label], start: f64) -> Layout {
    let hosts = &trace.hosts;
    if hosts.is_empty() {
        return Layout { pos: Vec::new(), width: W, height: LOADING_HEIGHT, blocks: Vec::new() };
    }
    let xs = hosts.iter().map(|h| f64::from(h.position.0));
    let ys = hosts.iter().map(|h| f64::from(h.position.1));
    let (xmin, xmax) = xs.fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
    let (ymin, ymax) = ys.fold((f64::MAX, f64::MIN), |(a, b), y| (a.min(y), b.max(y)));
    let sy = if ymax > ymin { SPAN_Y / (ymax - ymin) } else { 0.0 };
    // Hosts on the lowest row share it out in columns, moved apart where they crowd; the
    // others put their labels beside them, off the links, up to the right edge.
    let side: Vec<bool> = hosts.iter().map(|h| f64::from(h.position.1) < ymax - 5.0).collect();
    let row: Vec<usize> = (0..hosts.len()).filter(|&i| !side[i]).collect();
    // The hosts' places in a drawing `width` wide, and the columns of the lowest row.
    let place = |width: f64| {
        let sx = if xmax > xmin { (width - 2.0 * MARGIN_X) / (xmax - xmin) } else { 0.0 };
        let mut pos: Vec<(f64, f64)> = hosts
            .iter()
            .map(|h| {
                let x = if sx > 0.0 { MARGIN_X + (f64::from(h.position.0) - xmin) * sx } else { width / 2.0 };
                (x, TOP + (f64::from(h.position.1) - ymin) * sy)
            })
            .collect();
        let row_xs: Vec<f64> = row.iter().map(|&i| pos[i].0).collect();
        let row_xs = spread(&row_xs, MIN_GAP, MARGIN_X - ROW_STRETCH, width - MARGIN_X + ROW_STRETCH);
        for (&i, &x) in row.iter().zip(&row_xs) {
            pos[i].0 = x;
        }
        (pos, columns(&row_xs, width, PAD))
    };
    let fits =
        |cols: &[(f64, f64)]| row.iter().zip(cols).all(|(&i, (l, r))| ADDR.width(&hosts[i].addr) <= r - l);
    let mut width = start;
    let (mut pos, mut row_cols) = place(width);
    while !fits(&row_cols) && width < 2.0 * W {
        width += 10.0;
        (pos, row_cols) = place(width);
    }
    // A host above the row has its label beside it, to its right: up to the next host at
    // about its height, else to the drawing's edge, which moves out for it when its name or
    // address would not fit (a host at the right edge had 80 units: a label cut letter by
    // letter).
    let next_right = |i: usize| {
        let (x, y) = pos[i];
        pos.iter()
            .filter(|&&(xj, yj)| xj > x && (yj - y).abs() < 100.0)
            .map(|&(xj, _)| xj - HALO)
            .reduce(f64::min)
    };
    for i in (0..hosts.len()).filter(|&i| side[i] && next_right(i).is_none()) {
        let widest = ADDR.width(&hosts[i].addr).max(NAME.width(&hosts[i].name));
        width = width.max((pos[i].0 + 62.0 + widest + PAD).ceil());
    }
    let mut row_i = 0;
    let mut blocks: Vec<Block> = pos
        .iter()
        .zip(&side)
        .enumerate()
        .map(|(i, (&(x, y), &side))| {
            if side {
                let right = next_right(i).map_or(width - PAD, |r| r.min(width - PAD));
                Block { x: x + 62.0, y: y - 10.0, centred: false, left: x + 62.0, right }
            } else {
                let (left, right) = row_cols[row_i];
                row_i += 1;
                Block { x, y: y + LABEL_DROP, centred: true, left, right }
            }
        })
        .collect();
    // As tall as the tallest label ever gets in this trace, so the drawing keeps its size
    // while the states change: each different label placed once (placing every host's
    // state after every event took 180 ms of the page's start at 10,000 events).
    let mut lowest = lowest_points(labels, hosts.len(), &blocks);
    // A label beside a host above the row may run down past the top of the row's labels
    // (a backup server's "as a client: waits for …" over its neighbour's state): the row
    // label under it then keeps to the left of it.
    let mut narrowed = false;
    for r in (0..hosts.len()).filter(|&r| !side[r]) {
        let top = blocks[r].y - STATE.size;
        for s in 0..hosts.len() {
            // Never narrower than its address, which is never cut in two.
            let wall = (blocks[s].left - PAD).max(blocks[r].left + ADDR.width(&hosts[r].addr));
            if side[s] && lowest[s] > top && blocks[s].left > pos[r].0 && wall < blocks[r].right {
                blocks[r].right = wall;
                narrowed = true;
            }
        }
    }
    if narrowed {
        lowest = lowest_points(labels, hosts.len(), &blocks);
    }
    let bottom = lowest.into_iter().fold(TOP + SPAN_Y + LABEL_DROP + 100.0, f64::max);
    Layout { pos, width, height: (bottom + PAD).ceil(), blocks }
}

/// One of a host's labels: its id and the label's lines.
type Label = (usize, Vec<(&'static str, String, TextStyle)>);

/// Every different label each host shows over the trace, once (by a digest: labels that
/// differ in their digits only are placed alike). A host's state is the same as after the
/// event before for most events (only the two ends of one change), and a long trace shows
/// the same few labels again and again (10,000 events: 40,000 host states, a few hundred
/// labels).
fn distinct_labels(trace: &Trace) -> Vec<Label> {
    let hosts = &trace.hosts;
    let snaps =
        std::iter::once(trace.initial.as_slice()).chain(trace.events.iter().map(|e| e.hosts.as_slice()));
    let empty = HostSnapshot::default();
    let mut before: Vec<Option<&HostSnapshot>> = vec![None; hosts.len()];
    // The labels kept, by a 64-bit digest of the host and its lines (sorted).
    let mut seen: Vec<u64> = Vec::new();
    let mut labels = Vec::new();
    for snap in snaps {
        for (id, info) in hosts.iter().enumerate() {
            let host = snap.get(id).unwrap_or(&empty);
            if before[id] == Some(host) {
                continue;
            }
            before[id] = Some(host);
            // The label's first lines (name and address) are the host's own, always.
            let lines = state_lines(info.role, host, false);
            let digest = label_digest(id, &lines);
            if let Err(at) = seen.binary_search(&digest) {
                seen.insert(at, digest);
                labels.push((id, label_lines(info, host, false)));
            }
        }
    }
    labels
}

/// The lowest point each of `hosts` hosts' labels reaches, placed in `blocks`.
fn lowest_points(labels: &[Label], hosts: usize, blocks: &[Block]) -> Vec<f64> {
    let mut lowest = vec![f64::MIN; hosts];
    for (id, lines) in labels {
        lowest[*id] = lowest[*id].max(blocks[*id].place(lines).1);
    }
    lowest
}

/// FNV-1a (64 bits) of host `id`'s label: the classes and texts of the lines under its
/// name and address (which are the host's own), each ended by a zero byte (which neither
/// contains). Every digit counts as `0`: the text estimate gives all digits one width and
/// never breaks a line at one, so labels that differ only in their digits ("57 messages",
/// "58 messages") are placed alike, and placed once.
fn label_digest(id: usize, lines: &[(&'static str, String, TextStyle)]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in (id as u64).to_le_bytes() {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut add = |bytes: &[u8]| {
        for &b in bytes {
            let b = if b.is_ascii_digit() { b'0' } else { b };
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    for (class, text, _) in lines {
        add(class.as_bytes());
        add(b"\0");
        add(text.as_bytes());
        add(b"\0");
    }
    hash
}

/// The icon of a host, centred on (0, 0).
fn host_icon(role: HostRole) -> Html {
    match role {
        HostRole::Client => html! {
            <g class="icon-shape">
                <rect x="-34" y="-30" width="68" height="44" rx="4" />
                <rect class="icon-screen" x="-27" y="-23" width="54" height="30" rx="2" />
                <path d="M-44 18 H44 L50 28 H-50 Z" />
            </g>
        },
        HostRole::MailServer => html! {
            <g class="icon-shape">
                <rect x="-30" y="-36" width="60" height="72" rx="5" />
                <line class="icon-detail" x1="-20" y1="-18" x2="12" y2="-18" />
                <line class="icon-detail" x1="-20" y1="0" x2="12" y2="0" />
                <line class="icon-detail" x1="-20" y1="18" x2="12" y2="18" />
                <circle class="icon-led" cx="20" cy="-18" r="3" />
                <circle class="icon-led" cx="20" cy="0" r="3" />
                <circle class="icon-led" cx="20" cy="18" r="3" />
            </g>
        },
        HostRole::Dns => html! {
            <g class="icon-shape">
                <rect x="-32" y="-32" width="64" height="64" rx="10" />
                <text class="icon-text" x="0" y="7" text-anchor="middle">{ "DNS" }</text>
            </g>
        },
    }
}

fn role_name(role: HostRole) -> &'static str {
    match role {
        HostRole::Client => "mail client",
        HostRole::MailServer => "mail server",
        HostRole::Dns => "DNS resolver",
    }
}

fn token_width(ev: &TraceEvent) -> f64 {
    (ev.kind.label().chars().count() as f64 * 13.5 + 28.0).max(56.0)
}

/// Half the width and height of a token.
fn token_extent(ev: &TraceEvent) -> (f64, f64) {
    match ev.kind.family() {
        Family::Command | Family::Reply => (token_width(ev) / 2.0, 19.0),
        Family::Dns => (token_width(ev) / 2.0 + 10.0, 21.0),
        Family::Data | Family::Mail => (30.0, 20.0),
        Family::Connection | Family::Note => (17.0, 17.0),
    }
}

/// The token's shape, centred on (0, 0), by family, so it reads without colour.
fn token_shape(ev: &TraceEvent) -> Html {
    let label = ev.kind.label();
    let width = token_width(ev);
    let half = width / 2.0;
    match ev.kind.family() {
        Family::Command => html! {
            <>
                <rect class="token-body" x={fixed(-half, 1)} y="-19" width={fixed(width, 1)} height="38" rx="3" />
                <text class="token-text" y="8">{ label }</text>
            </>
        },
        Family::Reply => html! {
            <>
                <rect class="token-body" x={fixed(-half, 1)} y="-19" width={fixed(width, 1)} height="38" rx="19" />
                <text class="token-text" y="8">{ label }</text>
            </>
        },
        Family::Dns => {
            let w = half + 10.0;
            let points = format!(
                "{} 0 {} -21 {} -21 {} 0 {} 21 {} 21",
                fixed(-w, 1),
                fixed(-half, 1),
                fixed(half, 1),
                fixed(w, 1),
                fixed(half, 1),
                fixed(-half, 1)
            );
            html! {
                <>
                    <polygon class="token-body" {points} />
                    <text class="token-text" y="8">{ label }</text>
                </>
            }
        }
        Family::Data | Family::Mail => html! {
            <>
                <rect class="token-body" x="-30" y="-20" width="60" height="40" rx="3" />
                <path class="token-detail" d="M-30 -20 L0 4 L30 -20" />
                <text class="token-caption" y="-32">{ label }</text>
            </>
        },
        Family::Connection | Family::Note => html! {
            <>
                <circle class="token-body" r="17" />
                if matches!(ev.kind, EventKind::Close) {
                    <path class="token-detail" d="M-7 -7 L7 7 M7 -7 L-7 7" />
                }
                <text class="token-caption" y="-32">{ label }</text>
            </>
        },
    }
}

/// What `who`'s mailbox holds, under its host: nothing when empty. A message filed in Junk
/// is counted apart, so that the count still grows when the server takes one.
fn count_text(who: &str, inbox: usize, junk: usize) -> Option<String> {
    let messages = |n: usize| if n == 1 { "message" } else { "messages" };
    match (inbox, junk) {
        (0, 0) => None,
        (n, 0) => Some(format!("{who} has {n} {}", messages(n))),
        (0, j) => Some(format!("{who} has {j} {} in Junk", messages(j))),
        (n, j) => Some(format!("{who} has {n} in the inbox, {j} in Junk")),
    }
}

/// The host's state in words: what its server waits for, what its client (when it
/// relays) waits for, its mailboxes and its queue.
fn host_status(role: HostRole, snap: &HostSnapshot, asking: bool) -> Vec<String> {
    let mut out = Vec::new();
    let (state, client_state) = states(role, snap, asking);
    if !state.is_empty() {
        out.push(clients(snap).map_or_else(|| state.clone(), |c| format!("{c} {state}")));
    }
    if !client_state.is_empty() {
        out.push(format!("as a client: {client_state}"));
    }
    for (addr, n) in &snap.mailboxes {
        out.push(match present::junk_count(snap, addr) {
            0 => format!("mailbox {addr}: {n} {}", if *n == 1 { "message" } else { "messages" }),
            j => format!("mailbox {addr}: {n} in the inbox, {j} in Junk"),
        });
    }
    if snap.queued > 0 {
        out.push(present::queue_text(snap));
    }
    out
}

/// "smtp.example.org, Alice's provider, 192.0.2.25: expects MAIL; …": the host as a
/// tooltip and for the diagram's description.
fn host_sentence(info: &HostInfo, snap: &HostSnapshot, asking: bool) -> String {
    let status = host_status(info.role, snap, asking);
    let who = format!("{}, {}, {}", info.name, info.label, info.addr);
    if status.is_empty() { who } else { format!("{who}: {}", status.join("; ")) }
}

fn host_node(
    id: usize,
    info: &HostInfo,
    at: (f64, f64),
    block: &Block,
    label: &[(&'static str, String, TextStyle)],
    sentence: String,
    class: Option<String>,
) -> Html {
    let (x, y) = at;
    let (lines, _) = block.place(label);
    html! {
        <g key={id} class={class!("host", format!("role-{}", role_name(info.role).replace(' ', "-")), class)}>
            <title>{ sentence }</title>
            <circle class="host-halo" cx={fixed(x, 1)} cy={fixed(y, 1)} r={fixed(HALO, 0)} />
            <g transform={format!("translate({} {})", fixed(x, 1), fixed(y, 1))}>{ host_icon(info.role) }</g>
            // The label's lines in a group of their own: yew matches unkeyed children from
            // the end, so a line more or less would otherwise remake the title, halo and
            // icon before them (here it only moves the lines' texts along).
            <g class="host-text">{ for lines.into_iter().map(|l| html! {
                <text class={l.class} x={fixed(l.x, 1)} y={fixed(l.y, 1)} text-anchor={l.anchor}>{ l.text }</text>
            }) }</g>
        </g>
    }
}

/// The token of the current event: travels from sender to receiver, or pulses on the
/// host for a local event. Two parts: what stands still, drawn in the diagram's SVG (a
/// local event's badge above its host), and what moves, drawn on the token layer over the
/// diagram (`.token-layer`): an `<svg>` element of its own whose CSS `transform` and
/// `opacity` animate. The compositor moves such an element without the page being
/// repainted at each frame; an element inside the diagram's SVG is repainted at every frame
/// of its animation (in Chromium), with the whole page's layer around it. Keyed by the
/// cursor, so every step restarts the animation.
/// How far a link that hops over a host passes from its halo: room for a token.
const CLEARANCE: f64 = 34.0;
/// Each half of a hop's arc is 2^ARC_DEPTH chords: the line drawn, and the token's travel.
const ARC_DEPTH: u32 = 3;

fn unit((x, y): (f64, f64)) -> (f64, f64) {
    let l = (x * x + y * y).sqrt().max(1e-9);
    (x / l, y / l)
}

/// The points of the arc of `r` around `c` from the direction `a` to the direction `b`
/// (unit vectors, less than half a turn apart), `b`'s included: halving the angle
/// `ARC_DEPTH` times, with no trigonometry (its functions would weigh on the wasm).
fn arc_points(c: (f64, f64), r: f64, a: (f64, f64), b: (f64, f64), depth: u32, out: &mut Vec<(f64, f64)>) {
    if depth == 0 {
        out.push((c.0 + r * b.0, c.1 + r * b.1));
        return;
    }
    let m = unit((a.0 + b.0, a.1 + b.1));
    arc_points(c, r, a, m, depth - 1, out);
    arc_points(c, r, m, b, depth - 1, out);
}

/// Where a line from `p` touches the circle of `r` around `c` on the side `n` (a unit
/// vector) points to, as a direction from `c`: the line leaves `p` already clear of the
/// circle, so it never runs along the straight one. A `p` inside the circle: towards it.
fn tangent(p: (f64, f64), c: (f64, f64), r: f64, n: (f64, f64)) -> (f64, f64) {
    let (dx, dy) = (p.0 - c.0, p.1 - c.1);
    let d2 = dx * dx + dy * dy;
    if d2 <= r * r {
        return unit((dx, dy));
    }
    let d = d2.sqrt();
    let (ux, uy) = (dx / d, dy / d);
    let (cos, sin) = (r / d, (d2 - r * r).sqrt() / d);
    // The two touching points, either side of the line from `c` to `p`.
    let (a, b) = ((cos * ux - sin * uy, cos * uy + sin * ux), (cos * ux + sin * uy, cos * uy - sin * ux));
    if a.0 * n.0 + a.1 * n.1 >= b.0 * n.0 + b.1 * n.1 { a } else { b }
}

/// A link that would pass over another host (Alice's laptop talking to Bob's provider
/// straight across Alice's provider: it would look as if the provider were on the way)
/// hops over it, on the side above the line (labels hang below the hosts of a row): from
/// its end straight to where it touches a circle clear of the host's halo by
/// [`CLEARANCE`], round the circle, and on to the next such circle or the other end. It
/// leaves each end at an angle, so it never shares the line with a link to the host it
/// hops over. `None`: the straight line is clear. The same route both ways.
fn hops(pos: &[(f64, f64)], a: usize, b: usize) -> Option<Vec<(f64, f64)>> {
    let (p, q) = (*pos.get(a)?, *pos.get(b)?);
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    let len = (dx * dx + dy * dy).sqrt();
    if len < 1.0 {
        return None;
    }
    let (ux, uy) = (dx / len, dy / len);
    // The normal on the upper side (on screen, y grows downwards).
    let (nx, ny) = if -ux > 0.0 || (ux == 0.0 && uy < 0.0) { (uy, -ux) } else { (-uy, ux) };
    let (nx, ny) = if ny > 0.0 { (-nx, -ny) } else { (nx, ny) };
    let r = HALO + CLEARANCE;
    // The hosts in the way (along the line, and how far off it), in order.
    let mut blockers: Vec<(f64, (f64, f64))> = pos
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != a && i != b)
        .map(|(_, &c)| ((c.0 - p.0) * ux + (c.1 - p.1) * uy, (c.0 - p.0) * nx + (c.1 - p.1) * ny, c))
        .filter(|&(along, off, _)| along > 0.0 && along < len && off.abs() < r)
        .map(|(along, _, c)| (along, c))
        .collect();
    if blockers.is_empty() {
        return None;
    }
    mailroom_core::sort::sort_by(&mut blockers, |x, y| x.0 < y.0);
    let on = |c: (f64, f64), dir: (f64, f64)| (c.0 + r * dir.0, c.1 + r * dir.1);
    let mut points = vec![p];
    let n = (nx, ny);
    // Where a line touching two circles of one size, on the upper side, touches them (as a
    // direction from either centre): square to the line between the centres.
    let across = |a: (f64, f64), b: (f64, f64)| {
        let (sx, sy) = unit((b.0 - a.0, b.1 - a.1));
        if -sy * nx + sx * ny >= 0.0 { (-sy, sx) } else { (sy, -sx) }
    };
    for (k, &(_, c)) in blockers.iter().enumerate() {
        // In from the end or from the circle before; out to the next or the other end.
        let from = k.checked_sub(1).map_or_else(|| tangent(p, c, r, n), |j| across(blockers[j].1, c));
        let to = blockers.get(k + 1).map_or_else(|| tangent(q, c, r, n), |&(_, next)| across(c, next));
        points.push(on(c, from));
        // Over the top: the two points lie less than half a turn apart, both on the
        // upper side, and the arc's middle is between them.
        let mid = (from.0 + to.0, from.1 + to.1);
        let mid = if mid.0 * mid.0 + mid.1 * mid.1 < 1e-12 { n } else { unit(mid) };
        arc_points(c, r, from, mid, ARC_DEPTH, &mut points);
        arc_points(c, r, mid, to, ARC_DEPTH, &mut points);
    }
    points.push(q);
    Some(points)
}

/// The point at the fraction `s` of the length of a route's points.
fn route_at(points: &[(f64, f64)], s: f64) -> (f64, f64) {
    let dist = |p: (f64, f64), q: (f64, f64)| ((q.0 - p.0).powi(2) + (q.1 - p.1).powi(2)).sqrt();
    let total: f64 = points.windows(2).map(|w| dist(w[0], w[1])).sum();
    let mut left = s.clamp(0.0, 1.0) * total;
    for w in points.windows(2) {
        let l = dist(w[0], w[1]);
        if left <= l && l > 0.0 {
            let t = left / l;
            return (w[0].0 + (w[1].0 - w[0].0) * t, w[0].1 + (w[1].1 - w[0].1) * t);
        }
        left -= l;
    }
    points.last().copied().unwrap_or_default()
}

/// The stops of a token's travel along a link that hops (its keyframes: `travel-arc` in
/// styles/diagram.css), eased at both ends as the straight travel is.
const ARC_STOPS: usize = 8;

fn token(trace: &Trace, index: usize, layout: &Layout, travel_ms: u32) -> (Html, Html) {
    let Some(ev) = trace.events.get(index) else { return Default::default() };
    let (Some(&from), Some(&to)) = (layout.pos.get(ev.from), layout.pos.get(ev.to)) else {
        return Default::default();
    };
    let family = ev.kind.family().css_class();
    // Where the sprite sits (its centre, in the diagram's units) and its size: the token
    // layer's stylesheet maps them to the diagram as drawn (`--s`, styles/diagram.css).
    let place = |x: f64, y: f64, w: f64, h: f64| {
        format!("--x: {}; --y: {}; --w: {}; --h: {}", fixed(x, 1), fixed(y, 1), fixed(w, 1), fixed(h, 1))
    };
    let view = |w: f64, h: f64| {
        format!("{} {} {} {}", fixed(-w / 2.0, 1), fixed(-h / 2.0, 1), fixed(w, 1), fixed(h, 1))
    };
    if !ev.travels() {
        let (x, y) = from;
        let badge = (ev.kind.label().chars().count() as f64 * 12.0 + 32.0).max(100.0);
        let still = html! {
            <g key={index} class={class!("token-local", format!("fam-{family}"))}>
                <g transform={format!("translate({} {})", fixed(x, 1), fixed(y - 84.0, 1))}>
                    <rect class="badge" x={fixed(-badge / 2.0, 1)} y="-18" width={fixed(badge, 1)} height="34" rx="17" />
                    <text class="badge-text" y="7">{ ev.kind.label() }</text>
                </g>
            </g>
        };
        // The ring at its largest (scale 1.06) with its stroke, clear of the badge above
        // (whose lower edge, stroke included, is 66.75 above the host's centre).
        const RING: f64 = 132.0;
        let style = format!("{}; --dur: {}ms", place(x, y, RING, RING), travel_ms.max(400));
        let moving = html! {
            <svg key={index} class={class!("token-sprite", "pulse", format!("fam-{family}"))} viewBox={view(RING, RING)} {style}>
                <circle class="pulse-ring" r="58" />
            </svg>
        };
        return (still, moving);
    }
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let len = (dx * dx + dy * dy).sqrt().max(1.0);
    // Stop outside the host's halo, whatever the token's size and the direction.
    let (hw, hh) = token_extent(ev);
    let inset = (NODE_RADIUS + (dx / len).abs() * hw + (dy / len).abs() * hh).min(len / 2.5);
    let (ux, uy) = (dx / len * inset, dy / len * inset);
    let (mut x0, mut y0, mut x1, mut y1) = (from.0 + ux, from.1 + uy, to.0 - ux, to.1 - uy);
    // Room for the shape, and for a caption above it (y = -32) as wide as its label.
    let caption = (ev.kind.label().chars().count() as f64 * 13.0 + 8.0) / 2.0;
    let (w, h) = (2.0 * hw.max(caption) + 8.0, 2.0 * hh.max(56.0) + 8.0);
    // Along a bent link: the stops of the curve, from just outside one halo to the other.
    let arc = hops(&layout.pos, ev.from, ev.to).map(|route| {
        let total: f64 =
            route.windows(2).map(|w| ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt()).sum();
        let t0 = (inset / total).min(0.4);
        let at = |u: f64| route_at(&route, t0 + (1.0 - 2.0 * t0) * u * u * (3.0 - 2.0 * u));
        ((x0, y0), (x1, y1)) = (at(0.0), at(1.0));
        (1..ARC_STOPS)
            .map(|k| {
                let (x, y) = at(k as f64 / ARC_STOPS as f64);
                format!("; --k{k}x: {}; --k{k}y: {}", fixed(x - x1, 1), fixed(y - y1, 1))
            })
            .collect::<String>()
    });
    let style = format!(
        "{}; --dx: {}; --dy: {}; --dur: {travel_ms}ms{}",
        place(x1, y1, w, h),
        fixed(x0 - x1, 1),
        fixed(y0 - y1, 1),
        arc.as_deref().unwrap_or_default()
    );
    let moving = html! {
        <svg key={index} class={class!("token-sprite", "token", arc.is_some().then_some("arc"), format!("fam-{family}"))} viewBox={view(w, h)} {style}>
            { token_shape(ev) }
        </svg>
    };
    (Html::default(), moving)
}

/// The little key to the token shapes: two columns in the top left corner, which the
/// standard world leaves empty (the hosts' rows are below it, the resolver to its right).
fn legend() -> Html {
    let items: [(&str, Html); 5] = [
        ("command", html! { <rect class="token-body" x="-14" y="-9" width="28" height="18" rx="2" /> }),
        ("reply", html! { <rect class="token-body" x="-14" y="-9" width="28" height="18" rx="9" /> }),
        ("DNS", html! { <polygon class="token-body" points="-16 0 -9 -9 9 -9 16 0 9 9 -9 9" /> }),
        (
            "message",
            html! {
                <>
                    <rect class="token-body" x="-13" y="-9" width="26" height="18" rx="2" />
                    <path class="token-detail" d="M-13 -9 L0 2 L13 -9" />
                </>
            },
        ),
        ("connection", html! { <circle class="token-body" r="9" /> }),
    ];
    let families = ["command", "reply", "dns", "data", "connection"];
    html! {
        <g class="legend" aria-hidden="true">
            { for items.into_iter().zip(families).enumerate().map(|(i, ((name, shape), fam))| {
                let (x, y) = (6.0 + (i % 2) as f64 * 170.0, 22.0 + (i / 2) as f64 * 32.0);
                html! {
                    <g class={format!("fam-{fam}")} transform={format!("translate({} {})", fixed(x, 1), fixed(y, 1))}>
                        <g transform="translate(16 0)">{ shape }</g>
                        <text class="legend-text" x="38" y="7">{ name }</text>
                    </g>
                }
            }) }
        </g>
    }
}

/// The network: hosts, links, and the current event travelling between them.
#[component]
pub fn Diagram(props: &DiagramProps) -> Html {
    let trace = &props.run.trace;
    // The panel's shape, as the browser last laid it out (a resize, presenter mode): the
    // drawing is laid out to fill it.
    let ratio = use_state_eq(|| DEFAULT_RATIO);
    let box_ref = use_node_ref();
    {
        let (box_ref, ratio) = (box_ref.clone(), ratio.clone());
        use_effect_with((), move |_| {
            let watching = box_ref.cast::<web_sys::HtmlElement>().and_then(|el| {
                on_resize(&el, move |el| {
                    let (w, h) = (el.client_width(), el.client_height());
                    if w > 0 && h > 0 {
                        ratio.set(Ratio::of(f64::from(w), f64::from(h)));
                    }
                })
            });
            move || stop_watching(watching)
        });
    }
    // Laid out again when the panel's shape changes: a resize, presenter mode, and once as
    // the page settles (the panel is measured before the lesson's text has arrived, then
    // with it). The labels are the trace's, read from it once (at 10,000 events, the most
    // of the drawing's cost).
    let labels = use_memo(props.run.clone(), |run| distinct_labels(&run.trace));
    let layout = use_memo((props.run.clone(), *ratio), |(_, ratio)| layout_for(trace, &labels, *ratio));
    let links = use_memo(props.run.clone(), |run| present::links(&run.trace));
    let cursor = props.cursor.min(trace.len());
    let current = cursor.checked_sub(1).and_then(|i| trace.events.get(i));
    let snaps = present::snapshots(trace, cursor);
    let open: Vec<(usize, usize)> = present::open_conns(trace, cursor)
        .into_iter()
        .filter_map(|c| trace.conn(c))
        .map(|c| (c.client.min(c.server), c.client.max(c.server)))
        .collect();
    let active_link = current.filter(|e| e.travels()).map(|e| (e.from.min(e.to), e.from.max(e.to)));
    let encrypted = present::encrypted_links(trace, cursor);

    let link_lines = links.iter().map(|&(a, b)| {
        let (Some(p), Some(q)) = (layout.pos.get(a), layout.pos.get(b)) else { return Html::default() };
        let class = class!(
            "link",
            open.contains(&(a, b)).then_some("open"),
            (active_link == Some((a, b))).then_some("active"),
            encrypted.contains(&(a, b)).then_some("tls"),
        );
        match hops(&layout.pos, a, b) {
            // Drawn through its points: the arcs' chords are short enough to look round.
            Some(route) => {
                let d: Vec<String> =
                    route.iter().map(|&(x, y)| format!("{} {}", fixed(x, 1), fixed(y, 1))).collect();
                html! { <path key={format!("{a}-{b}")} {class} d={format!("M{}", d.join(" L"))} /> }
            }
            None => html! {
                <line key={format!("{a}-{b}")} {class}
                    x1={fixed(p.0, 1)} y1={fixed(p.1, 1)}
                    x2={fixed(q.0, 1)} y2={fixed(q.1, 1)} />
            },
        }
    });

    let empty = HostSnapshot::default();
    // Snapshots are taken at events: a window that ended since is over.
    let ended: Vec<HostSnapshot> = match (props.now, snaps) {
        (Some(now), Some(snaps)) if snaps.iter().any(|s| s.down_until.is_some_and(|u| u <= now)) => snaps
            .iter()
            .map(|s| HostSnapshot { down_until: s.down_until.filter(|u| *u > now), ..s.clone() })
            .collect(),
        _ => Vec::new(),
    };
    let snaps = if ended.is_empty() { snaps } else { Some(&ended[..]) };
    let snap = |id: usize| snaps.and_then(|s| s.get(id)).unwrap_or(&empty);
    // Each host in one sentence: its tooltip, and the diagram's description.
    let sentences: Vec<String> =
        trace.hosts.iter().enumerate().map(|(id, h)| host_sentence(h, snap(id), props.asking)).collect();
    let hosts_text = sentences.join(". ");
    let hosts = trace.hosts.iter().zip(sentences).enumerate().map(|(id, (info, sentence))| {
        let class = class!(
            current.is_some_and(|e| e.from == id).then_some("sender"),
            current.is_some_and(|e| e.to == id).then_some("receiver"),
            snap(id).down_until.is_some().then_some("down"),
        );
        let label = label_lines(info, snap(id), props.asking);
        host_node(id, info, layout.pos[id], &layout.blocks[id], &label, sentence, class)
    });

    let description = match cursor.checked_sub(1) {
        Some(i) => present::summary(trace, i),
        None => "Nothing has happened yet.".to_string(),
    };
    let height = layout.height;
    let (still, moving) = match cursor.checked_sub(1) {
        Some(i) => token(trace, i, &layout, props.travel_ms),
        None => Default::default(),
    };
    html! {
        <section class="panel diagram-panel" aria-label="Network diagram">
          <div class="diagram-box" ref={box_ref}>
            <svg
                class="diagram"
                data-testid="diagram"
                viewBox={format!("0 0 {} {}", fixed(layout.width, 0), fixed(height, 0))}
                preserveAspectRatio="xMidYMid meet"
                role="img"
                aria-labelledby="diagram-title diagram-desc"
            >
                <title id="diagram-title">{ "Network diagram" }</title>
                <desc id="diagram-desc">
                    { format!("Now: {}. Hosts: {hosts_text}.", description.trim_end_matches('.')) }
                </desc>
                <g class="links">{ for link_lines }</g>
                <g class="hosts">{ for hosts }</g>
                <g class="tokens">{ still }</g>
                { legend() }
            </svg>
            // Over the diagram, its size: the moving part of the token (see `token`).
            <div class="token-layer" data-testid="token-layer" aria-hidden="true"
                style={format!("--vbw: {}; --vbh: {}", fixed(layout.width, 0), fixed(height, 0))}>
                { moving }
            </div>
          </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailroom_core::lessons::BUILTIN;

    #[test]
    fn a_mailbox_counts_its_junk_apart() {
        for (inbox, junk, said) in [
            (0, 0, None),
            (1, 0, Some("bob has 1 message")),
            (2, 0, Some("bob has 2 messages")),
            (0, 1, Some("bob has 1 message in Junk")),
            (0, 3, Some("bob has 3 messages in Junk")),
            (1, 1, Some("bob has 1 in the inbox, 1 in Junk")),
            (4, 2, Some("bob has 4 in the inbox, 2 in Junk")),
        ] {
            assert_eq!(count_text("bob", inbox, junk).as_deref(), said, "{inbox} + {junk}");
        }
    }

    /// The diagram's height as every host state of the trace gives it, each placed.
    fn height_placing_every_state(trace: &Trace) -> f64 {
        let blocks = layout(trace).blocks;
        let mut bottom = TOP + SPAN_Y + LABEL_DROP + 100.0;
        let empty = HostSnapshot::default();
        let snaps = std::iter::once(&trace.initial).chain(trace.events.iter().map(|e| &e.hosts));
        for snap in snaps {
            for (id, info) in trace.hosts.iter().enumerate() {
                bottom =
                    bottom.max(blocks[id].place(&label_lines(info, snap.get(id).unwrap_or(&empty), false)).1);
            }
        }
        (bottom + PAD).ceil()
    }

    #[test]
    fn an_address_is_never_cut_in_two() {
        for (id, text) in BUILTIN {
            let Ok((_, run)) = crate::state::build_lesson(id, text, 1) else { continue };
            let trace = &run.trace;
            let labels = distinct_labels(trace);
            // Presenter mode's panel (5:3), a 1366×768 laptop's, a 1920×1080 screen's.
            for ratio in [Ratio(13), DEFAULT_RATIO, Ratio(21)] {
                let layout = layout_for(trace, &labels, ratio);
                for (info, block) in trace.hosts.iter().zip(&layout.blocks) {
                    let (lines, _) = block.place(&[("host-addr", info.addr.clone(), ADDR)]);
                    assert_eq!(lines.len(), 1, "{id}: {} in {}..{}", info.addr, block.left, block.right);
                    // A host above the row (its label beside it): its name whole too.
                    if !block.centred {
                        let (lines, _) = block.place(&[("host-name", info.name.clone(), NAME)]);
                        assert_eq!(lines.len(), 1, "{id}: {} in {}..{}", info.name, block.left, block.right);
                    }
                }
                // Never shown smaller than at the narrowest width; never wider than twice
                // that (and what an address needs).
                let scale = |l: &Layout| (ratio.get() / l.width).min(1.0 / l.height);
                let narrowest = layout_at(trace, &labels, W);
                assert!(scale(&layout) >= scale(&narrowest), "{id} at {ratio:?}");
                // The search that ends at the first drawing as wide as the panel finds the
                // largest of every width tried.
                let largest = (0..=10)
                    .map(|k| scale(&layout_at(trace, &labels, W + 100.0 * f64::from(k))))
                    .reduce(f64::max)
                    .unwrap();
                assert!(scale(&layout) * 1.0001 >= largest, "{id} at {ratio:?}");
                assert!(layout.width <= narrowest.width.max(2.0 * W), "{id}: {}", layout.width);
                // A panel of the drawing's own shape (presenter mode's) keeps the standard
                // world's width; a wider one has it spread out, its labels on fewer lines.
                if trace.hosts.len() <= 4 && trace.hosts.iter().all(|h| h.position.1 != 30) {
                    match ratio.0 {
                        13 => assert_eq!(layout.width, W, "{id}"),
                        _ => {
                            assert!(layout.width > W && layout.height < narrowest.height, "{id} at {ratio:?}")
                        }
                    }
                }
            }
        }
        // The ratio as measured, in eighths, within reach of every panel.
        assert_eq!(Ratio::of(723.0, 323.0), DEFAULT_RATIO);
        assert_eq!((Ratio::of(696.0, 419.0).0, Ratio::of(1198.0, 454.0).0), (13, 21));
        assert_eq!(
            (Ratio::of(5000.0, 10.0).0, Ratio::of(10.0, 500.0).0, Ratio::of(0.0, 0.0).0),
            (24, 10, 10)
        );
    }

    #[test]
    fn a_link_never_passes_over_another_host() {
        let mut bent = 0;
        let lessons =
            BUILTIN.iter().map(|(id, text)| (id.to_string(), crate::state::build_lesson(id, text, 1)));
        for (id, built) in lessons {
            let Ok((_, run)) = built else { continue };
            let trace = &run.trace;
            let pos = layout(trace).pos;
            for (a, b) in present::links(trace) {
                let route = hops(&pos, a, b).unwrap_or_else(|| vec![pos[a], pos[b]]);
                bent += usize::from(route.len() > 2);
                assert_eq!(route.first(), Some(&pos[a]), "{id}");
                for k in 0..=400 {
                    let (x, y) = route_at(&route, k as f64 / 400.0);
                    for (i, &(hx, hy)) in pos.iter().enumerate().filter(|&(i, _)| i != a && i != b) {
                        let d = ((x - hx).powi(2) + (y - hy).powi(2)).sqrt();
                        assert!(
                            d >= HALO + CLEARANCE - 1.0,
                            "{id}: the link {a}-{b} passes {d:.0} from host {i}"
                        );
                    }
                }
            }
        }
        // Alice's laptop straight to Bob's provider ("Email myths"): around Alice's provider.
        assert!(bent >= 1, "a lesson with a bent link");
        let pos = [(0.0, 300.0), (200.0, 300.0), (500.0, 300.0)];
        assert_eq!(hops(&pos, 0, 1), None, "neighbours");
        // The points where the route meets the circle and leaves it, to 0.1.
        let ends = |route: &[(f64, f64)]| {
            let r = |(x, y): (f64, f64)| ((x * 10.0).round() / 10.0, (y * 10.0).round() / 10.0);
            (r(route[1]), r(route[route.len() - 2]))
        };
        let route = hops(&pos, 0, 2).unwrap();
        // Straight from the laptop to where it touches the circle, round, straight down.
        assert_eq!(ends(&route), ((163.0, 222.4), (224.7, 217.6)));
        assert_eq!((route[0], route[route.len() - 1]), (pos[0], pos[2]));
        // It leaves each end at an angle: never along the line to the host it hops over.
        assert!(route[1].1 < 300.0 - HALO && route[route.len() - 2].1 < 300.0 - HALO);
        for &(x, y) in &route[1..route.len() - 1] {
            let d = ((x - 200.0).powi(2) + (y - 300.0).powi(2)).sqrt();
            assert!((d - HALO - CLEARANCE).abs() < 1e-9, "on the circle: {x} {y}");
        }
        let top = (0..=1000)
            .map(|k| route_at(&route, f64::from(k) / 1000.0))
            .min_by(|p, q| p.1.total_cmp(&q.1))
            .unwrap();
        assert!(
            (top.0 - 200.0).abs() < 4.0 && (top.1 - (300.0 - HALO - CLEARANCE)).abs() < 0.5,
            "over the top: {top:?}"
        );
        // A column: round the left side both ways.
        let column = [(100.0, 0.0), (100.0, 200.0), (100.0, 400.0)];
        let down = hops(&column, 0, 2).unwrap();
        assert_eq!(ends(&down), ((22.4, 163.0), (22.4, 237.0)));
        let up = hops(&column, 2, 0).unwrap();
        assert_eq!(ends(&up), ((22.4, 237.0), (22.4, 163.0)));
        let left = down.iter().map(|p| p.0).reduce(f64::min).unwrap();
        assert!((left - 14.0).abs() < 1e-9, "{left}");
        // A host above the line but within reach: over it all the same.
        let above = hops(&[(0.0, 300.0), (200.0, 260.0), (500.0, 300.0)], 0, 2).unwrap();
        assert_eq!(ends(&above), ((149.1, 190.6), (235.1, 181.5)));
        let highest = above.iter().map(|p| p.1).reduce(f64::min).unwrap();
        assert!((highest - (260.0 - HALO - CLEARANCE)).abs() < 0.5, "{highest}");
        // Two hosts in the way: from one circle to the next along the line touching both.
        let row = [(0.0, 300.0), (200.0, 300.0), (400.0, 300.0), (600.0, 300.0)];
        let two = hops(&row, 0, 3).unwrap();
        assert_eq!(ends(&two), ((163.0, 222.4), (437.0, 222.4)));
        let straight = two.windows(2).position(|w| w[0] == (200.0, 214.0) && w[1] == (400.0, 214.0));
        assert!(straight.is_some(), "{two:?}");
        let back = hops(&pos, 2, 0).unwrap();
        assert_eq!(ends(&back), ((224.7, 217.6), (163.0, 222.4)));
        let back_top = (0..=1000).map(|k| route_at(&back, f64::from(k) / 1000.0).1).reduce(f64::min).unwrap();
        assert!((back_top - top.1).abs() < 0.1, "over the top both ways: {back_top}");
    }

    /// The boxes of host `id`'s label lines at one state: (left, top, right, bottom).
    fn label_boxes(block: &Block, lines: &[(&'static str, String, TextStyle)]) -> Vec<(f64, f64, f64, f64)> {
        let room = (block.right - block.left).max(1.0);
        let styles = lines.iter().flat_map(|(_, text, style)| {
            crate::diagram_text::wrap(text, room, style).into_iter().map(move |_| *style)
        });
        let (placed, _) = block.place(lines);
        placed
            .iter()
            .zip(styles)
            .map(|(p, style)| {
                let w = style.width(&p.text).min(room);
                let left = if p.anchor == "middle" { p.x - w / 2.0 } else { p.x };
                (left, p.y - style.size * 0.8, left + w, p.y + style.size * 0.3)
            })
            .collect()
    }

    #[test]
    fn no_two_hosts_labels_overlap_at_any_step() {
        let empty = HostSnapshot::default();
        let mut crossed: Vec<(String, String)> = Vec::new();
        for (id, text) in BUILTIN {
            // Every lesson of this build runs (BUILTIN holds only those).
            let Ok((_, run)) = crate::state::build_lesson(id, text, 1) else { panic!("{id} runs") };
            let trace = &run.trace;
            let blocks = layout(trace).blocks;
            let snaps = std::iter::once(&trace.initial).chain(trace.events.iter().map(|e| &e.hosts));
            for (step, snap) in snaps.enumerate() {
                let boxes: Vec<Vec<(f64, f64, f64, f64)>> = (0..trace.hosts.len())
                    .map(|h| {
                        let lines = label_lines(&trace.hosts[h], snap.get(h).unwrap_or(&empty), false);
                        label_boxes(&blocks[h], &lines)
                    })
                    .collect();
                for a in 0..boxes.len() {
                    for b in a + 1..boxes.len() {
                        for p in &boxes[a] {
                            for q in &boxes[b] {
                                let overlap = p.0 < q.2 && q.0 < p.2 && p.1 < q.3 && q.1 < p.3;
                                let pair =
                                    format!("{id}: {} and {}", trace.hosts[a].name, trace.hosts[b].name);
                                if overlap && !crossed.iter().any(|(c, _)| *c == pair) {
                                    crossed.push((pair, format!("from step {step}: {p:?} {q:?}")));
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(crossed.is_empty(), "labels over each other: {crossed:#?}");
    }

    /// A side host right above a row host in a crowded row: the row label would be narrowed
    /// for the side host's label to less than its address, which it never is (without that
    /// guard the address wraps here).
    #[test]
    fn a_label_narrowed_for_a_side_label_keeps_its_address_whole() {
        let text = BUILTIN.iter().find(|(id, _)| *id == "relaying").expect("relaying").1;
        let Ok((_, run)) = crate::state::build_lesson("relaying", text, 1) else { panic!("relaying runs") };
        let mx = run.trace.hosts.iter().find(|h| h.name == "mx.example.net").expect("mx");
        // A crowded row: a PC left of mx, and the backup server right above mx.
        let (x, y) = mx.position;
        let above = text.replace("at 90,30", &format!("at {x},30")).replace(
            "```world\n",
            &format!(
                "```world\nhost pc.example.net 203.0.113.20 client \"A PC\" at {},{y}\n",
                x.saturating_sub(10)
            ),
        );
        assert_ne!(above, text);
        let Ok((_, run)) = crate::state::build_lesson("relaying", &above, 1) else { panic!("still runs") };
        let trace = &run.trace;
        let layout = layout(trace);
        let i = trace.hosts.iter().position(|h| h.name == "mx.example.net").expect("mx");
        let block = &layout.blocks[i];
        let (lines, _) = block.place(&[("host-addr", trace.hosts[i].addr.clone(), ADDR)]);
        assert_eq!(lines.len(), 1, "{} in {}..{}", trace.hosts[i].addr, block.left, block.right);
    }

    #[test]
    fn placing_each_label_once_gives_the_height_of_placing_every_state() {
        for (id, text) in BUILTIN {
            // The email sent again repeats the states, and twelve times brings counts of
            // two digits (a lesson whose anchors do not allow it is only run once).
            for messages in [1, 3, 12] {
                let Ok((_, run)) = crate::state::build_lesson(id, text, messages) else {
                    assert!(messages > 1, "{id} runs");
                    continue;
                };
                let trace = &run.trace;
                assert_eq!(layout(trace).height, height_placing_every_state(trace), "{id} ×{messages}");
            }
        }
    }
}
