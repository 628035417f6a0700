// `#[maaspd::parameters]` on a function.
#[maaspd::parameters]
fn settings() {}

fn main() {
    settings();
}
