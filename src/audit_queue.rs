//! Audit rows written off the request path. A reveal of confidential data must be recorded, but a
//! reader must never wait for the database's write lock (an import may hold it for minutes), so
//! rows go through a queue to one writer thread that retries until each row is stored.

use crate::db::Db;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

enum Message {
    Row {
        actor: String,
        action: String,
        detail: String,
        records: i64,
    },
    /// Answered once every row queued before it is stored.
    Flush(Sender<()>),
}

/// Cheap to clone; the writer thread ends when the last handle is dropped.
#[derive(Clone)]
pub struct AuditQueue {
    tx: Sender<Message>,
}

impl AuditQueue {
    pub fn start(db: Db) -> AuditQueue {
        let (tx, rx) = channel();
        std::thread::Builder::new()
            .name("bellmap-audit".into())
            .spawn(move || write_loop(&db, &rx))
            .expect("the audit thread starts");
        AuditQueue { tx }
    }

    /// Queues one audit row; returns at once.
    pub fn record(&self, actor: &str, action: &str, detail: String, records: i64) {
        let row = Message::Row { actor: actor.into(), action: action.into(), detail, records };
        if self.tx.send(row).is_err() {
            tracing::error!("the audit writer has stopped; an audit row was lost");
        }
    }

    /// Blocks until every row queued so far is stored (tests, shutdown).
    pub fn flush(&self) {
        let (done, wait) = channel();
        if self.tx.send(Message::Flush(done)).is_ok() {
            let _ = wait.recv();
        }
    }
}

fn write_loop(db: &Db, rx: &Receiver<Message>) {
    for message in rx {
        match message {
            Message::Row { actor, action, detail, records } => {
                let mut wait = Duration::from_millis(50);
                // The database is busy while an import holds the write lock: keep trying.
                while let Err(e) = db.audit(&actor, &action, &detail, records) {
                    tracing::warn!(error = %e, "audit row not stored yet; retrying");
                    std::thread::sleep(wait);
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
            }
            Message::Flush(done) => {
                let _ = done.send(());
            }
        }
    }
}
