fn main() {
    std::process::exit(mimeo::cli::main());
}
