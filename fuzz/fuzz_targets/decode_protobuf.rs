#![no_main]
//! `cargo fuzz run decode_protobuf`: see `testing::fuzz::protobuf_body`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| testing::fuzz::protobuf_body(data));
