//! Compile-time behaviour of `#[mizan::client]` and `mizan::context!`: every error a user
//! can hit has a message that points at their tokens (`tests/client/fail/*.stderr`).
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test -p mizan --test compile`.

#[test]
fn client_macro() {
    let t = trybuild::TestCases::new();
    t.pass("tests/client/pass/*.rs");
    t.compile_fail("tests/client/fail/*.rs");
}
