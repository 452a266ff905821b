//! The IMAP server's input, literals included, two sessions over one real mail store: the
//! harness and its invariants are `mailroom_core::fuzzing::imap_server`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mailroom_core::fuzzing::imap_server(data));
