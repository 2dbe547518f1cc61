//! Exit codes (docs/behaviour.md, "Exit codes") and the two error types a caller branches on to
//! choose one.

use std::fmt;

pub const RUNTIME_FAILURE: i32 = 1;
pub const BAD_USAGE: i32 = 2;
pub const LOCK_BUSY: i32 = 3;

/// Bad usage or configuration: exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Another dispatching run held the lock for longer than we were willing to wait: exit code 3.
#[derive(Debug)]
pub struct LockBusy(pub String);

impl fmt::Display for LockBusy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LockBusy {}

/// The exit code for an error that ended a command.
pub fn code_for(err: &anyhow::Error) -> i32 {
    if err.chain().any(|e| e.is::<UsageError>()) {
        BAD_USAGE
    } else if err.chain().any(|e| e.is::<LockBusy>()) {
        LOCK_BUSY
    } else {
        RUNTIME_FAILURE
    }
}

/// Whether an error is only that stdout's reader went away (`| head`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || e.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
            || e.downcast_ref::<csv::Error>().is_some_and(|c| {
                matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe)
            })
    })
}

pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(msg.into()))
}
