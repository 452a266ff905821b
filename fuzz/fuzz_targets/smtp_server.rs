//! The SMTP server's input, including the AUTH and STARTTLS states: the harness and its
//! invariants are `mailroom_core::fuzzing::smtp_server`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mailroom_core::fuzzing::smtp_server(data));
