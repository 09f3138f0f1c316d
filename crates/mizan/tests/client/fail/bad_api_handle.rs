mizan::api!(pub ADMIN = "admin api");

fn main() {}
