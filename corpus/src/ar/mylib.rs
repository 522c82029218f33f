//! mylib - Rust rlib fixture (case 27)
#[inline(never)]
pub fn square(x: u64) -> u64 {
    x * x
}

pub fn describe(x: u64) -> String {
    format!("square({}) = {}", x, square(x))
}
