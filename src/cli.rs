//! The command line: `serve` (the default), user and token administration, backup and restore.
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::config::{DataDirArg, Settings, SettingsArgs};

/// The server's settings are taken both bare (`feedhooks --listen X`, which serves) and after
/// `serve`; given bare before a subcommand they are refused ([`misplaced_server_flag`]), so
/// `feedhooks --listen X user add` is an error instead of a flag silently ignored.
#[derive(Debug, Parser)]
#[command(
    name = "feedhooks",
    version,
    about = "A self-hosted webhook server for package feeds"
)]
pub struct Cli {
    #[command(flatten)]
    pub data_dir: DataDirArg,
    #[command(flatten)]
    pub settings: SettingsArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

// Parsed once at start and matched once; boxing the settings would only make every use
// site unwrap them, so the size difference is accepted.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: web UI, JSON API and delivery worker in one process (the default).
    Serve(SettingsArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage personal access tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Write the database and the key that opens its secrets to FILE (mode 0600), also while
    /// the server runs.
    Backup {
        /// Where to write the backup; must not exist yet.
        file: PathBuf,
    },
    /// Fill a new or empty data dir from a backup FILE: the database and its key file.
    Restore {
        /// A file written by `feedhooks backup`.
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
    let matches = Cli::command().get_matches();
    if let Some(flag) = misplaced_server_flag(&matches) {
        Cli::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                format!("--{flag} is a setting of the server: put it after `serve`, or leave out the subcommand"),
            )
            .exit();
    }
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    init_tracing();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("feedhooks: error: {}", error_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// A server flag typed before a subcommand, where that subcommand would not see it. Flags
/// from the environment are fine: a service's environment file serves every command.
fn misplaced_server_flag(matches: &ArgMatches) -> Option<String> {
    matches.subcommand_name()?;
    SettingsArgs::augment_args(clap::Command::new("serve"))
        .get_arguments()
        .map(|a| a.get_id().as_str().to_owned())
        .find(|id| matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine))
        .map(|id| id.replace('_', "-"))
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
    let data_dir = cli.data_dir.data_dir;
    match cli.command.unwrap_or(Command::Serve(cli.settings)) {
        Command::Serve(args) => {
            let settings = Settings::from_args(data_dir, args);
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let app = crate::Application::build(settings).await?;
                app.run_until_stopped().await
            })
        }
        Command::Backup { file } => {
            crate::data_dir::existing(&data_dir)?;
            crate::backup::write_backup(&data_dir, &file)
        }
        Command::Restore { file } => crate::backup::restore(&file, &data_dir),
        Command::User(cmd) => with_store(&data_dir, |db| crate::admin_cli::user(db, cmd)),
        Command::Token(cmd) => with_store(&data_dir, |db| crate::admin_cli::token(db, cmd)),
    }
}

/// Opens the data dir's database (migrating it if needed) for a one-off command; the data dir
/// must exist already.
fn with_store<F, Fut>(data_dir: &std::path::Path, f: F) -> anyhow::Result<()>
where
    F: FnOnce(crate::db::Db) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    crate::data_dir::existing(data_dir)?;
    crate::data_dir::prepare(data_dir)?;
    let db = crate::db::Db::open(&data_dir.join(crate::data_dir::DATABASE_FILE))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(f(db))
}
