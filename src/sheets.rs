//! The teacher's printable pages (hand-out, worksheet) and their downloads: what is pure
//! about them, tested natively. The pages are `components::handout` and
//! `components::worksheet` (full build, feature `teacher`); the texts themselves come from
//! the engine (`mailroom_core::export`).

/// The colours and fonts the diagram's stylesheet reads (`styles/app.css`'s `:root`), for
/// an SVG file that stands alone.
pub const DIAGRAM_VARS: &str = ":root{--panel:#ffffff;--ink:#18202b;--muted:#4a5565;--accent:#1d4ed8;\
--accent-soft:#e3ebff;--sans:system-ui,-apple-system,\"Segoe UI\",Roboto,\"Noto Sans\",\"Liberation Sans\",\"DejaVu Sans\",sans-serif;\
--mono:ui-monospace,\"SFMono-Regular\",\"Cascadia Mono\",\"Consolas\",\"Liberation Mono\",\"DejaVu Sans Mono\",monospace}\
.fam-command{--fam:#1d4ed8}.fam-reply{--fam:#15803d}.fam-dns{--fam:#7e22ce}.fam-data{--fam:#b45309}\
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
        // Each variable the standalone SVG defines has the value `styles/app.css` gives it.
        let app = include_str!("../styles/app.css");
        let root = &app[app.find(":root {").unwrap()..];
        let root = &root[..root.find('}').unwrap()];
        for var in [
            "--panel",
            "--ink",
            "--muted",
            "--accent",
            "--accent-soft",
            "--fam-command",
            "--fam-reply",
            "--fam-dns",
        ] {
            let line = root.lines().find(|l| l.trim_start().starts_with(&format!("{var}:"))).unwrap();
            let value = line
                .split(':')
                .nth(1)
                .unwrap()
                .trim()
                .trim_end_matches(';')
                .split_whitespace()
                .next()
                .unwrap();
            let value = value.trim_end_matches(';');
            let name = var.strip_prefix("--fam-").map_or(var.to_string(), |f| format!(".fam-{f}{{--fam"));
            assert!(DIAGRAM_VARS.contains(&format!("{name}:{value}")), "{var}: {value}");
        }
    }
}
