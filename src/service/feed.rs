//! The change feed: which providers changed after a point, for mirrors and search indexes.

use super::{Service, ServiceError};
use crate::db::Feed;
use crate::model::{Change, FeedPosition};

/// One page of the feed.
#[derive(Debug)]
pub struct FeedPage {
    pub changes: Vec<Change>,
    /// Where the next page starts; `None` when this page is the last one.
    pub next: Option<FeedPosition>,
    /// The change the feed is complete up to: the published snapshot's, so everything listed
    /// is already in the public answers. After the last page, a mirror asks again from here.
    pub until: i64,
}

impl Service {
    /// At most `limit` providers whose latest change comes after `from`.
    pub fn changes(&self, from: FeedPosition, limit: usize) -> Result<FeedPage, ServiceError> {
        let until = self.index.load().version as i64;
        // Read where snapshots come from, which has every change up to `until`.
        let db = self.replica.as_ref().map_or(&self.db, |r| r.db());
        match db.feed(from, until, limit)? {
            Feed::Page { changes, more } => {
                let next = changes.last().filter(|_| more).map(|c| FeedPosition { seq: c.seq, id: c.id });
                Ok(FeedPage { changes, next, until: until.max(from.seq) })
            }
            Feed::Expired { feed_from } => Err(ServiceError::Gone(format!(
                "since: the change feed starts at change {feed_from}; this position is older, so deletions \
                 before it cannot be listed: copy every provider again (GET /v1/providers.ndjson) and \
                 follow the feed from since=0"
            ))),
        }
    }
}
