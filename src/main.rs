//! The `feedhooks` binary: everything lives in the library, so tests exercise the same code.
fn main() -> std::process::ExitCode {
    feedhooks::cli::main()
}
