#[mizan::client]
async fn a_function_name_that_is_far_too_long_to_be_a_reasonable_wire_name_at_all() -> mizan::Result<u8> {
    Ok(1)
}

fn main() {}
