#![no_main]
//! `cargo fuzz run request`: see `testing::fuzz::request`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| testing::fuzz::request(data));
