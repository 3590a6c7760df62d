#![no_main]
//! `cargo fuzz run generated_write`: see `testing::fuzz::generated_write`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| testing::fuzz::generated_write(data));
