#![no_main]
//! `cargo fuzz run patch`: see `testing::fuzz::patch`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| testing::fuzz::patch(data));
