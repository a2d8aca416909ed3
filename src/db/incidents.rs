//! Hooks in trouble (alerts): what is wrong now, and the incident rows that remember what the
//! owners were told (see migrations/0011_alerts.sql).
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::DbError;
use super::codes::HELD_SQL;

/// Why a hook is in trouble, as the `cause` column spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// Disabled by the server (410 Gone, or the failure run), not by its owner.
    Disabled,
    /// Enabled, but its oldest pending delivery has waited longer than `--alert-after`.
    Backlog,
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Disabled => "disabled",
            Cause::Backlog => "backlog",
        }
    }

    fn parse(s: &str) -> Cause {
        if s == "disabled" {
            Cause::Disabled
        } else {
            Cause::Backlog
        }
    }
}

/// A hook in trouble now.
#[derive(Debug, Clone)]
pub struct Trouble {
    pub hook_id: i64,
    pub cause: Cause,
    /// The disabled reason; `None` for a backlog.
    pub disabled_reason: Option<String>,
    /// A backlog's oldest pending delivery (creation time) and how many are pending.
    pub oldest_pending: Option<(i64, i64)>,
    pub alert_hook: Option<i64>,
}

/// Every hook in trouble: disabled by the server, or enabled with a pending delivery made
/// before `cutoff`. A hook its owner disabled is not in trouble: its deliveries wait on purpose.
pub fn troubles(c: &Connection, cutoff: i64) -> Result<Vec<Trouble>, DbError> {
    // Deliveries held for a digest wait by design (quiet hours last the night); their digest
    // delivery is pending like any other and tells a backlog.
    let mut st = c.prepare_cached(&format!(
        "SELECT id, 'disabled', disabled_reason, NULL, NULL, alert_hook FROM hooks
          WHERE enabled = 0 AND disabled_reason IS NOT NULL
         UNION ALL
         SELECT h.id, 'backlog', NULL, p.oldest, p.n, h.alert_hook
           FROM hooks h
           JOIN (SELECT hook_id, min(created_at) AS oldest, count(*) AS n FROM deliveries
                  WHERE status = 'pending' AND due_at IS NOT {HELD_SQL} GROUP BY hook_id) p ON p.hook_id = h.id
          WHERE h.enabled = 1 AND p.oldest < ?1"
    ))?;
    let rows = st.query_map([cutoff], |r| {
        let oldest: Option<i64> = r.get(3)?;
        let n: Option<i64> = r.get(4)?;
        Ok(Trouble {
            hook_id: r.get(0)?,
            cause: Cause::parse(&r.get::<_, String>(1)?),
            disabled_reason: r.get(2)?,
            oldest_pending: oldest.zip(n),
            alert_hook: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The outcome of the hook's latest attempt that did not succeed, if any.
pub fn last_error(c: &Connection, hook_id: i64) -> Result<Option<String>, DbError> {
    Ok(c.query_row(
        "SELECT last_outcome FROM deliveries
          WHERE hook_id = ?1 AND attempts > 0 AND status != 'succeeded' AND last_outcome IS NOT NULL
          ORDER BY id DESC LIMIT 1",
        [hook_id],
        |r| r.get(0),
    )
    .optional()?)
}

/// The e-mail addresses of a feed's owner and co-owners that have one.
pub fn owner_addresses(c: &Connection, feed_id: i64) -> Result<Vec<String>, DbError> {
    let mut st = c.prepare_cached(
        "SELECT u.email FROM feeds f JOIN users u ON u.id = f.owner_id
          WHERE f.id = ?1 AND u.email IS NOT NULL AND u.email != ''
         UNION
         SELECT u.email FROM feed_co_owners o JOIN users u ON u.id = o.user_id
          WHERE o.feed_id = ?1 AND u.email IS NOT NULL AND u.email != ''
         ORDER BY 1",
    )?;
    let rows = st.query_map([feed_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[derive(Debug, Clone)]
pub struct IncidentRow {
    pub hook_id: i64,
    pub cause: Cause,
    pub reason: String,
    pub last_error: Option<String>,
    pub opened_at: i64,
    pub recovered_at: Option<i64>,
    pub mail_owed: bool,
    pub hook_owed: bool,
    pub tries: i64,
    pub next_try_at: i64,
    pub last_try_error: Option<String>,
}

const COLUMNS: &str = "hook_id, cause, reason, last_error, opened_at, recovered_at, mail_owed, \
                       hook_owed, tries, next_try_at, last_try_error";

fn incident_row(r: &Row<'_>) -> rusqlite::Result<IncidentRow> {
    Ok(IncidentRow {
        hook_id: r.get(0)?,
        cause: Cause::parse(&r.get::<_, String>(1)?),
        reason: r.get(2)?,
        last_error: r.get(3)?,
        opened_at: r.get(4)?,
        recovered_at: r.get(5)?,
        mail_owed: r.get(6)?,
        hook_owed: r.get(7)?,
        tries: r.get(8)?,
        next_try_at: r.get(9)?,
        last_try_error: r.get(10)?,
    })
}

pub fn incidents(c: &Connection) -> Result<Vec<IncidentRow>, DbError> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM hook_incidents ORDER BY hook_id"
    ))?;
    let rows = st.query_map([], incident_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn incident(c: &Connection, hook_id: i64) -> Result<Option<IncidentRow>, DbError> {
    Ok(c.query_row(
        &format!("SELECT {COLUMNS} FROM hook_incidents WHERE hook_id = ?1"),
        [hook_id],
        incident_row,
    )
    .optional()?)
}

/// What a new incident records.
pub struct NewIncident<'a> {
    pub hook_id: i64,
    pub cause: Cause,
    pub reason: &'a str,
    pub last_error: Option<&'a str>,
    pub mail: bool,
    pub hook: bool,
}

/// Opens an incident unless the hook has a row already (one incident at a time per hook).
pub fn open(c: &Connection, i: &NewIncident<'_>, now: i64) -> Result<bool, DbError> {
    Ok(c.execute(
        "INSERT INTO hook_incidents (hook_id, cause, reason, last_error, opened_at, mail_owed, hook_owed, next_try_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?5) ON CONFLICT (hook_id) DO NOTHING",
        params![i.hook_id, i.cause.as_str(), i.reason, i.last_error, now, i.mail, i.hook],
    )? == 1)
}

/// The trouble is over. A channel that was told "stopped" now owes "recovered"; one that was
/// never told (still owing "stopped") owes nothing: flipping each flag says exactly that.
pub fn recover(c: &Connection, hook_id: i64, now: i64) -> Result<(), DbError> {
    c.execute(
        "UPDATE hook_incidents SET recovered_at = ?2, mail_owed = 1 - mail_owed, hook_owed = 1 - hook_owed,
                tries = 0, next_try_at = ?2, last_try_error = NULL
          WHERE hook_id = ?1 AND recovered_at IS NULL",
        params![hook_id, now],
    )?;
    forget_if_done(c, hook_id)
}

fn forget_if_done(c: &Connection, hook_id: i64) -> Result<(), DbError> {
    c.execute(
        "DELETE FROM hook_incidents WHERE hook_id = ?1 AND recovered_at IS NOT NULL AND mail_owed = 0 AND hook_owed = 0",
        [hook_id],
    )?;
    Ok(())
}

/// Records what was sent (or given up on) for the incident's current state, and when to try
/// the rest; a recovered incident with nothing more to tell goes.
pub fn told(
    c: &Connection,
    hook_id: i64,
    mail_done: bool,
    hook_done: bool,
    retry: Option<(i64, &str)>,
) -> Result<(), DbError> {
    let (next, error) = retry.unzip();
    c.execute(
        "UPDATE hook_incidents SET mail_owed = mail_owed AND NOT ?2, hook_owed = hook_owed AND NOT ?3,
                tries = CASE WHEN ?4 IS NULL THEN 0 ELSE tries + 1 END,
                next_try_at = coalesce(?4, next_try_at), last_try_error = ?5
          WHERE hook_id = ?1",
        params![hook_id, mail_done, hook_done, next, error],
    )?;
    forget_if_done(c, hook_id)
}
