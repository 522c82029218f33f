extern crate mylib;
fn main() {
    println!("{}", mylib::square(7));
    println!("{}", mylib::describe(3));
}
