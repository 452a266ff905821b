//! The teacher's printable pages (hand-out, worksheet) and their downloads: what is pure
//! about them, tested natively. The pages are `components::handout` and
//! `components::worksheet` (full build, feature `teacher`); the texts themselves come from
//! the engine (`mailroom_core::export`).

/// The colours and fonts the diagram's stylesheet reads (`styles/app.css`'s `:root`, the
/// light scheme: a file is printed and projected on white), for an SVG file that stands alone.
pub const DIAGRAM_VARS: &str = ":root{--panel:#ffffff;--ink:#18202b;--ink-2:#334155;--muted:#4a5565;--faint:#9aa3af;\
--edge:#b8c2d0;--soft:#eef2f8;--accent:#1d4ed8;--accent-ink:#1e3a8a;--accent-soft:#e3ebff;--mail-ink:#0b5a53;\
--warn-ink:#7a3a00;--bad:#9f1239;--fam-reply:#137333;\
--sans:system-ui,-apple-system,\"Segoe UI\",Roboto,\"Noto Sans\",\"Liberation Sans\",\"DejaVu Sans\",sans-serif;\
--mono:ui-monospace,\"SFMono-Regular\",\"Cascadia Mono\",\"Consolas\",\"Liberation Mono\",\"DejaVu Sans Mono\",monospace}\
.fam-command{--fam:#1d4ed8}.fam-reply{--fam:#137333}.fam-dns{--fam:#7e22ce}.fam-data{--fam:#a14a07}\
.fam-connection{--fam:#475569}.fam-mail{--fam:#0f766e}.fam-note{--fam:#5b6472}";

/// The name of a download: `a-bounce-transcript.txt`.
pub fn file_name(lesson: &str, what: &str) -> String {
    format!("{lesson}-{what}")
}

/// An SVG element as serialised from the page (`XMLSerializer`), made a file of its own: the
/// XML declaration, and `css` in a `<style>` as the svg's first child (the page's
/// stylesheets do not travel with it).
pub fn svg_file(serialized: &str, css: &str) -> String {
    let Some(open) =
        serialized.find("<svg").and_then(|at| serialized[at..].find('>').map(|end| at + end + 1))
    else {
        return serialized.to_string();
    };
    let (head, rest) = serialized.split_at(open);
    // `]]>` cannot occur in our CSS; split it anyway, so the CDATA section stays whole.
    let css = css.replace("]]>", "]]]]><![CDATA[>");
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{head}<style><![CDATA[{css}]]></style>{rest}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_svg_file_carries_its_style() {
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\"><g class=\"a\"/></svg>";
        assert_eq!(
            svg_file(svg, ".a{fill:red}"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\"><style><![CDATA[.a{fill:red}]]></style><g class=\"a\"/></svg>\n"
        );
        assert_eq!(svg_file("nothing", "x"), "nothing");
        assert_eq!(file_name("a-bounce", "quiz-gift.txt"), "a-bounce-quiz-gift.txt");
    }

    #[test]
    fn the_diagram_colours_are_the_pages() {
        // Each variable the diagram's stylesheet reads is defined in the standalone SVG, with
        // the value `styles/app.css` gives it in the light scheme (its first `:root`); each
        // family's `--fam` is that family's colour.
        let app = include_str!("../styles/app.css");
        let root = &app[app.find(":root {").unwrap()..];
        let root = &root[..root.find('}').unwrap()];
        let value = |var: &str| {
            let line = root
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{var}:")))
                .unwrap_or_else(|| panic!("{var} is not in app.css's :root"));
            let value = line.split_once(':').unwrap().1.split(';').next().unwrap().trim();
            value.replace(", ", ",")
        };
        let defined = |var: &str, value: &str| {
            let def = format!("{var}:{value}");
            DIAGRAM_VARS.contains(&format!("{{{def}")) || DIAGRAM_VARS.contains(&format!(";{def}"))
        };
        let diagram = include_str!("../styles/diagram.css");
        let mut vars: Vec<&str> =
            diagram.split("var(").skip(1).map(|v| v.split([')', ',']).next().unwrap()).collect();
        vars.sort_unstable();
        vars.dedup();
        for var in vars {
            match var {
                // Set on each element by the diagram (src/components/diagram.rs).
                // The token layer's (set on it and on each sprite; not in an exported file).
                "--dur" | "--x" | "--y" | "--w" | "--h" | "--dx" | "--dy" | "--s" | "--vbw" | "--vbh" => {}
                // The stops of a travel along a link that hops over a host.
                v if v.starts_with("--k") && v[3..v.len() - 1].parse::<u8>().is_ok() => {}
                "--fam" => {
                    for fam in ["command", "reply", "dns", "data", "connection", "mail", "note"] {
                        let colour = value(&format!("--fam-{fam}"));
                        assert!(
                            DIAGRAM_VARS.contains(&format!(".fam-{fam}{{--fam:{colour}}}")),
                            "--fam-{fam}: {colour}"
                        );
                    }
                }
                _ => assert!(defined(var, &value(var)), "{var}: {}", value(var)),
            }
        }
    }
}
