//! The administrative subcommands: `user add`, `user passwd`, `token create`.
use std::io::BufRead;

use anyhow::{Context, anyhow, bail};
use secrecy::SecretString;

use crate::cli::{TokenCommand, UserCommand};
use crate::db::Db;
use crate::db::users;
use crate::domain::DomainError;
use crate::domain::accounts::{self, NewUser};

/// The first line of standard input, without its line ending; never echoed or logged.
fn read_password() -> anyhow::Result<SecretString> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let pw = line.trim_end_matches(['\n', '\r']).to_owned();
    if pw.is_empty() {
        bail!("no password on standard input");
    }
    Ok(SecretString::from(pw))
}

fn explain(e: DomainError) -> anyhow::Error {
    match e {
        DomainError::Invalid(errs) => anyhow!(
            errs.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ),
        DomainError::NotFound => anyhow!("no such user"),
        other => anyhow!(other.to_string()),
    }
}

pub async fn user(db: Db, cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add {
            name, admin, email, ..
        } => {
            let password = read_password()?;
            let user = accounts::create_user(
                &db,
                NewUser {
                    username: name,
                    email,
                    password,
                    is_admin: admin,
                },
            )
            .await
            .map_err(explain)?;
            eprintln!(
                "user {} created{}",
                user.username,
                if admin { " (administrator)" } else { "" }
            );
        }
        UserCommand::Passwd { name, .. } => {
            let password = read_password()?;
            accounts::reset_password(&db, &name, password)
                .await
                .map_err(explain)?;
            eprintln!(
                "password of {} set; their sessions are ended",
                name.trim().to_ascii_lowercase()
            );
        }
    }
    Ok(())
}

pub async fn token(db: Db, cmd: TokenCommand) -> anyhow::Result<()> {
    let TokenCommand::Create { user, name } = cmd;
    let username = user.trim().to_ascii_lowercase();
    let found = db
        .run(move |c| users::find_user_by_name(c, &username))
        .await?;
    let user = found.ok_or_else(|| anyhow!("no user named {user}"))?;
    let (_, token) = accounts::create_api_token(&db, user.id, &name)
        .await
        .map_err(explain)?;
    println!("{token}");
    Ok(())
}
