//! A stable insertion sort for the short lists the simulation orders (MX records, a
//! description's errors, a host's connections, the rows of a panel).
//!
//! The standard library's sorts are fast on any input, but each element type they are
//! used with brings its own copy of a few kilobytes of code into the wasm, and the page
//! must load fast on a school laptop (the first-load budget, README "Sizes"). Lists that
//! can grow long (a maildrop's messages, a set of UIDs) keep `sort_unstable`. Insertion
//! sort is linear on lists that are already (nearly) in order, as a description's errors
//! are.

/// Sorts `v` so that `less` holds between neighbours; equal elements keep their order.
pub fn sort_by<T>(v: &mut [T], mut less: impl FnMut(&T, &T) -> bool) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && less(&v[j], &v[j - 1]) {
            v.swap(j, j - 1);
            j -= 1;
        }
    }
}

/// Sorts `v` by `key`, stable.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a) < key(b));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_and_keeps_equal_elements_in_order() {
        let cases: [&[(u8, char)]; 5] = [
            &[],
            &[(1, 'a')],
            &[(2, 'a'), (1, 'b'), (2, 'c'), (0, 'd'), (1, 'e')],
            &[(3, 'a'), (2, 'b'), (1, 'c')],
            &[(1, 'a'), (1, 'b'), (1, 'c')],
        ];
        for case in cases {
            let mut got = case.to_vec();
            sort_by_key(&mut got, |p| p.0);
            let mut want = case.to_vec();
            want.sort_by_key(|p| p.0);
            assert_eq!(got, want, "{case:?}");
        }
        let mut many: Vec<u32> = (0..500).map(|i| (i * 7919) % 501).collect();
        let mut want = many.clone();
        want.sort();
        sort_by(&mut many, |a, b| a < b);
        assert_eq!(many, want);
    }
}
