//! Where the diagram's labels go: every line is wrapped to the room its host has and kept
//! inside the drawing, so no text is cut at the edges whatever a state says. Pure
//! geometry on estimated text widths (no browser measuring), tested natively.

/// How a kind of label is drawn: font size and line height in SVG units, and the average
/// width of a lower-case character as a share of the size (0.64 for the alphabet in bold
/// DejaVu Sans; the diagram's states take 0.68: their words are wider than the average,
/// measured in the page by tests/e2e/diagram.test.mjs). In a proportional font capitals
/// and digits are wider, spaces narrower.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TextStyle {
    pub size: f64,
    pub line_height: f64,
    pub char_width: f64,
    pub mono: bool,
}

impl TextStyle {
    pub const fn new(size: f64, line_height: f64, char_width: f64) -> TextStyle {
        TextStyle { size, line_height, char_width, mono: false }
    }

    pub const fn mono(size: f64, line_height: f64) -> TextStyle {
        TextStyle { size, line_height, char_width: 0.62, mono: true }
    }

    fn char(&self, c: char) -> f64 {
        // Shares measured on DejaVu Sans Bold (lower case 0.64 of the size on average,
        // capitals 0.75, digits 0.70, a space 0.35), the widest of the usual UI fonts.
        let share = match c {
            _ if self.mono => 1.0,
            ' ' | '.' | ',' | ':' | '\'' | '·' => 0.55,
            'm' | 'w' | 'M' | 'W' => 1.4,
            c if c.is_ascii_uppercase() => 1.2,
            c if c.is_ascii_digit() => 1.1,
            _ => 1.0,
        };
        share * self.size * self.char_width
    }

    /// Estimated width of `text` in this style.
    pub fn width(&self, text: &str) -> f64 {
        text.chars().map(|c| self.char(c)).sum()
    }
}

/// Splits `text` into lines no wider than `max` (by estimate), at spaces; a word longer
/// than a line is cut into pieces, after a dot or a hyphen when one fits (a host name
/// breaks as `bob-laptop.` / `example.net`).
pub fn wrap(text: &str, max: f64, style: &TextStyle) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_string();
        // A word wider than a whole line: cut it where it fills one.
        while style.width(&word) > max {
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            let total = style.width(&word);
            let mut cut = 0;
            let mut after_dot = 0;
            // Of the dots and hyphens that leave the rest one line, the one whose two lines
            // are the most even: `laptop.` / `example.org`, not `laptop.example.` / `org`.
            let mut even = (0, f64::MAX);
            let mut w = 0.0;
            for (i, c) in word.char_indices() {
                w += style.char(c);
                if w > max {
                    break;
                }
                cut = i + c.len_utf8();
                if c == '.' || c == '-' {
                    after_dot = cut;
                    let longer = w.max(total - w);
                    if total - w <= max && longer < even.1 {
                        even = (cut, longer);
                    }
                }
            }
            let cut = if even.0 > 0 {
                even.0
            } else if after_dot > 0 {
                after_dot
            } else {
                cut
            };
            let cut = cut.max(word.chars().next().map_or(1, char::len_utf8));
            lines.push(word[..cut].to_string());
            word = word[cut..].to_string();
        }
        if word.is_empty() {
            continue;
        }
        let joined = if current.is_empty() { word.clone() } else { format!("{current} {word}") };
        if !current.is_empty() && style.width(&joined) > max {
            lines.push(std::mem::replace(&mut current, word));
        } else {
            current = joined;
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// One line of a label, placed.
#[derive(Clone, Debug, PartialEq)]
pub struct Placed {
    pub class: &'static str,
    pub text: String,
    /// The x of the text's anchor point.
    pub x: f64,
    /// Baseline.
    pub y: f64,
    pub anchor: &'static str,
}

/// A label block: lines of text drawn from `(x, y)` down (the first baseline at `y`),
/// centred on `x` or starting at it, inside the column `left..right`.
pub struct Block {
    pub x: f64,
    pub y: f64,
    pub centred: bool,
    pub left: f64,
    pub right: f64,
}

impl Block {
    /// Places `lines` (class, text, style), wrapping each to the column. Returns the placed
    /// lines and the lowest point they reach (last baseline plus a descent).
    pub fn place(&self, lines: &[(&'static str, String, TextStyle)]) -> (Vec<Placed>, f64) {
        let room = (self.right - self.left).max(1.0);
        let mut out = Vec::new();
        let mut y = self.y;
        let mut bottom = self.y;
        let mut first = true;
        for (class, text, style) in lines {
            for piece in wrap(text, room, style) {
                if !first {
                    y += style.line_height;
                }
                first = false;
                let w = style.width(&piece).min(room);
                // `max`/`min`, not `clamp`: clamp's panic message formats floats, which
                // costs the wasm kilobytes of float-printing code.
                let x = if self.centred {
                    self.x.min(self.right - w / 2.0).max(self.left + w / 2.0)
                } else {
                    self.x.min(self.right - w).max(self.left)
                };
                bottom = y + style.size * 0.3;
                out.push(Placed {
                    class,
                    text: piece,
                    x,
                    y,
                    anchor: if self.centred { "middle" } else { "start" },
                });
            }
        }
        (out, bottom)
    }
}

/// Moves the hosts of one row apart so that neighbours are at least `gap` apart, within
/// `left..=right`, moving each as little as it can: a row that is roomy enough is left as
/// it is. `xs` in any order; the result is in the same order. When the row cannot hold
/// them all at `gap`, they share it evenly.
pub fn spread(xs: &[f64], gap: f64, left: f64, right: f64) -> Vec<f64> {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    mailroom_core::sort::sort_by(&mut order, |&a, &b| xs[a].total_cmp(&xs[b]).then(a.cmp(&b)).is_lt());
    let n = order.len();
    let mut out = xs.to_vec();
    if n < 2 {
        return out;
    }
    let gap = gap.min((right - left) / (n - 1) as f64);
    // Push right where too close, then pull back from the right edge.
    for k in 1..n {
        out[order[k]] = out[order[k]].max(out[order[k - 1]] + gap);
    }
    out[order[n - 1]] = out[order[n - 1]].min(right);
    for k in (0..n - 1).rev() {
        out[order[k]] = out[order[k]].min(out[order[k + 1]] - gap);
    }
    out
}

/// The columns of hosts on one row: each host may use the space up to halfway to its
/// neighbours, and the drawing's edges (less `pad`). `xs` in any order; the result is in
/// the same order.
pub fn columns(xs: &[f64], width: f64, pad: f64) -> Vec<(f64, f64)> {
    xs.iter()
        .map(|&x| {
            let left = xs.iter().filter(|&&o| o < x).fold(pad, |acc, &o| acc.max((o + x) / 2.0 + pad / 2.0));
            let right =
                xs.iter().filter(|&&o| o > x).fold(width - pad, |acc, &o| acc.min((o + x) / 2.0 - pad / 2.0));
            (left, right)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOLD: TextStyle = TextStyle::new(26.0, 32.0, 0.64);

    #[test]
    fn long_states_wrap_within_their_column() {
        let text = "waiting for the reply to the end of data";
        let lines = wrap(text, 288.0, &BOLD);
        assert!(lines.len() >= 2, "{lines:?}");
        assert!(lines.iter().all(|l| BOLD.width(l) <= 288.0), "{lines:?}");
        assert_eq!(lines.join(" "), text);
        assert_eq!(wrap("short", 288.0, &BOLD), ["short"]);
        let long = wrap("averyveryveryverylongwordthatcannotfit", 100.0, &BOLD);
        assert!(long.iter().all(|l| BOLD.width(l) <= 100.0), "{long:?}");
        assert_eq!(long.concat(), "averyveryveryverylongwordthatcannotfit");
        assert!(BOLD.width("DATA") > BOLD.width("data"), "capitals are wider");
        let mono = TextStyle::mono(24.0, 28.0);
        assert_eq!(mono.width("DATA"), mono.width("data"));
    }

    #[test]
    fn crowded_rows_are_spread_and_roomy_ones_kept() {
        let round = |v: Vec<f64>| v.into_iter().map(|x| x.round()).collect::<Vec<_>>();
        // The standard world's row: already roomy, unchanged.
        assert_eq!(round(spread(&[150.0, 438.0, 850.0], 175.0, 150.0, 850.0)), [150.0, 438.0, 850.0]);
        // Two devices right of Bob's provider: everybody makes room.
        assert_eq!(
            round(spread(&[850.0, 150.0, 368.0, 679.0, 765.0], 175.0, 150.0, 850.0)),
            [850.0, 150.0, 325.0, 500.0, 675.0]
        );
        // More than fit: evenly shared.
        assert_eq!(round(spread(&[500.0, 500.0, 500.0], 600.0, 0.0, 1000.0)), [0.0, 500.0, 1000.0]);
        assert_eq!(spread(&[3.0], 10.0, 0.0, 1.0), [3.0]);
    }

    #[test]
    fn host_names_break_after_a_dot() {
        let style = TextStyle::mono(24.0, 30.0);
        let max = style.width("bob-laptop.exam");
        assert_eq!(wrap("bob-laptop.example.net", max, &style), ["bob-laptop.", "example.net"]);
        // Of two dots that both leave the rest one line, the more even break.
        let wide = style.width("laptop.example.");
        assert_eq!(wrap("laptop.example.org", wide, &style), ["laptop.", "example.org"]);
        assert_eq!(
            wrap("alice.mail.example.org", style.width("alice.mail.example."), &style),
            ["alice.mail.", "example.org"]
        );
        // The rest too long for one line: as far as a dot in reach, then again.
        let narrow = style.width("bob-lapt");
        assert_eq!(wrap("bob-laptop.example.net", narrow, &style), ["bob-", "laptop.", "example.", "net"]);
        // No dot or hyphen in reach: cut where the line is full.
        assert_eq!(wrap("abcdefghijklmnopq", style.width("abcdefgh"), &style), ["abcdefgh", "ijklmnop", "q"]);
    }

    #[test]
    fn placed_lines_stay_inside_the_column() {
        let block = Block { x: 150.0, y: 300.0, centred: true, left: 6.0, right: 294.0 };
        let (lines, bottom) = block.place(&[
            ("host-label", "Alice's laptop".into(), TextStyle::new(32.0, 34.0, 0.6)),
            ("host-state", "expects DATA end reply".into(), BOLD),
            ("host-state", "waiting for the reply to the end of data".into(), BOLD),
        ]);
        for l in &lines {
            let w = BOLD.width(&l.text).min(288.0);
            assert!(l.x - w / 2.0 >= 6.0 - 1e-9 && l.x + w / 2.0 <= 294.0 + 1e-9, "{l:?}");
        }
        assert!(lines.windows(2).all(|w| w[1].y > w[0].y), "each line below the last");
        assert!(bottom > lines.last().map_or(0.0, |l| l.y));
    }

    #[test]
    fn columns_split_halfway() {
        let cols = columns(&[150.0, 438.0, 850.0], 1000.0, 6.0);
        assert_eq!(cols[0], (6.0, 291.0));
        assert_eq!(cols[1], (297.0, 641.0));
        assert_eq!(cols[2], (647.0, 994.0));
    }
}
