//! The POP3 server's input, over a real mail store: the harness and its invariants are
//! `mailroom_core::fuzzing::pop3_server`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mailroom_core::fuzzing::pop3_server(data));
