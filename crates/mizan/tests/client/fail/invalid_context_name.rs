mizan::context!(TODOS = "todo list");

fn main() {}
