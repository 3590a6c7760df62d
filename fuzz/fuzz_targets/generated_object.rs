#![no_main]
//! `cargo fuzz run generated_object`: see `testing::fuzz::generated_object`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| testing::fuzz::generated_object(data));
