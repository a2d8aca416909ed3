//! The command line: `serve` (the default), user and token administration, and backups.
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Settings, SettingsArgs};

#[derive(Debug, Parser)]
#[command(
    name = "feedhooks",
    version,
    about = "A self-hosted webhook server for package feeds"
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: SettingsArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: web UI, JSON API and delivery worker in one process (the default).
    Serve,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage personal access tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Write a consistent copy of the database to FILE, also while the server runs.
    Backup {
        /// Where to write the copy; must not exist yet.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input.
    Add {
        name: String,
        /// Make the user an administrator (sees and manages every feed and user).
        #[arg(long)]
        admin: bool,
        #[arg(long)]
        email: Option<String>,
        /// Read the password from standard input (required: passwords never go in arguments).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Set a user's password, read from standard input; ends the user's sessions.
    Passwd {
        name: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a new personal access token for a user, and nothing else, on standard output.
    Create {
        #[arg(long)]
        user: String,
        /// A label to recognise the token by.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

/// Runs the command line and turns every failure into one line on stderr and a non-zero exit.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("feedhooks: error: {}", error_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, skipping causes already quoted by their parent.
fn error_line(e: &anyhow::Error) -> String {
    let mut line = e.to_string();
    for cause in e.chain().skip(1) {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
    }
    line
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .init();
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::from(cli.settings);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let app = crate::Application::build(settings).await?;
                app.run_until_stopped().await
            })
        }
        Command::Backup { file } => crate::backup::write_backup(&settings.data_dir, &file),
        Command::User(cmd) => with_store(&settings, |db| crate::admin_cli::user(db, cmd)),
        Command::Token(cmd) => with_store(&settings, |db| crate::admin_cli::token(db, cmd)),
    }
}

/// Opens the data dir's database (creating and migrating it if needed) for a one-off command.
fn with_store<F, Fut>(settings: &Settings, f: F) -> anyhow::Result<()>
where
    F: FnOnce(crate::db::Db) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    crate::data_dir::prepare(&settings.data_dir)?;
    let db = crate::db::Db::open(&settings.data_dir.join(crate::data_dir::DATABASE_FILE))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(f(db))
}
