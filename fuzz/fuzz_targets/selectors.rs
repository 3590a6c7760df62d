#![no_main]
//! `cargo fuzz run selectors`: see `testing::fuzz::selectors`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| testing::fuzz::selectors(data));
