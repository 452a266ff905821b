//! Numbers for SVG attributes and styles, written without Rust's float formatting: that
//! machinery costs about 11 KB of wasm, and the diagram needs only fixed decimals.

/// `x` with `decimals` digits after the point (0 to 3), rounded half away from zero.
pub fn fixed(x: f64, decimals: u32) -> String {
    let scale = 10i64.pow(decimals.min(3));
    let t = (x * scale as f64).round() as i64;
    let sign = if t < 0 { "-" } else { "" };
    let a = t.unsigned_abs();
    let scale = scale as u64;
    match decimals.min(3) {
        0 => format!("{sign}{a}"),
        d => format!("{sign}{}.{:0width$}", a / scale, a % scale, width = d as usize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_decimals_match_rusts_formatting() {
        for x in [0.0, 1.25, -1.25, 12.34567, -0.04, 999.95, 1e6 + 0.123, -3.0, 0.0005] {
            for d in 0..=3 {
                let want = format!("{x:.*}", d as usize);
                let got = fixed(x, d);
                // Rust rounds half to even on exact ties; neither occurs in the diagram.
                let close = (want.parse::<f64>().unwrap() - got.parse::<f64>().unwrap()).abs()
                    <= 1.01 * 10f64.powi(-(d as i32));
                assert!(close, "{x} with {d}: {got} vs {want}");
            }
        }
        assert_eq!(fixed(12.34567, 1), "12.3");
        assert_eq!(fixed(-0.04, 1), "0.0");
        assert_eq!(fixed(-1.25, 3), "-1.250");
        assert_eq!(fixed(37.5, 0), "38");
    }
}
