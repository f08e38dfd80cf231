//! Entries of the change feed: what happened to which provider, at which change.

/// What the last change of a provider did to it, as a mirror needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Created, and not changed since.
    Created,
    /// Changed since its creation, and active (reactivated ones too).
    Updated,
    /// Inactive: no public answer shows it.
    Deactivated,
    /// Deleted (a revert of the import that created it).
    Deleted,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Updated => "updated",
            ChangeKind::Deactivated => "deactivated",
            ChangeKind::Deleted => "deleted",
        }
    }
}

/// A provider's last change: the feed lists each provider once, at its latest change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub id: i64,
    pub kind: ChangeKind,
}

/// A place in the feed: after provider `id` of change `seq`. Entries are ordered by
/// (change, provider id), so a change of a million rows can be paged through too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FeedPosition {
    pub seq: i64,
    pub id: i64,
}

impl FeedPosition {
    /// Everything after change `seq`.
    pub fn after_change(seq: i64) -> FeedPosition {
        FeedPosition { seq, id: i64::MAX }
    }
}
