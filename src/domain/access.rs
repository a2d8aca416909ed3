//! Who may do what to a feed. Anyone without a role gets `NotFound`, never a hint that the
//! feed exists.
use crate::db::feeds::FeedRow;
use crate::db::users::UserRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Owner,
    CoOwner,
    /// An administrator who is neither owner nor co-owner.
    Admin,
}

/// A feed opened by a caller who may see it, with the role that let them in.
#[derive(Debug, Clone)]
pub struct FeedAccess {
    pub feed: FeedRow,
    pub role: Role,
}

impl FeedAccess {
    /// Deleting the feed and changing co-owners is for the owner and administrators.
    pub fn may_administer(&self) -> bool {
        matches!(self.role, Role::Owner | Role::Admin)
    }
}

/// Who is calling: a signed-in user (session or personal access token) or a feed key.
#[derive(Debug, Clone)]
pub enum Caller {
    User(UserRow),
    FeedKey {
        feed_id: i64,
        key_id: i64,
        name: String,
    },
}

impl Caller {
    pub fn user(&self) -> Option<&UserRow> {
        match self {
            Caller::User(u) => Some(u),
            Caller::FeedKey { .. } => None,
        }
    }

    /// The name recorded as an event's `Username` when the sender leaves it out.
    pub fn display_name(&self) -> &str {
        match self {
            Caller::User(u) => &u.username,
            Caller::FeedKey { name, .. } => name,
        }
    }
}
