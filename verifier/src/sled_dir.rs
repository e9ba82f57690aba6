//! A workaround for sled 0.34 directories left by a killed process.
//!
//! sled writes each snapshot (at every open, among other times) to
//! `snap.{lsn}.generating` and renames it to `snap.{lsn}` when complete. A
//! process killed while writing one leaves the partial file behind, and sled
//! counts `.generating` files among its snapshots: at the next open it takes
//! the leftover as the newest snapshot, its checksum fails, and sled refuses
//! to open the directory ("corrupt snapshot file found") for good. A ledger
//! directory that a sequencer opens every few milliseconds to read the deposit
//! queue is exposed to this at every kill; the sequencer's 100-kill soak found
//! it.
//!
//! [`remove_stale_snapshots`] deletes such leftovers before sled opens the
//! directory, and only while holding the lock sled itself takes (an exclusive
//! lock on the `db` file), so a snapshot another process is writing right now
//! is never touched.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Removes `snap.*.generating` files from the sled directory `dir` if no
/// process has it open. Does nothing for a directory that does not exist yet
/// or that another process holds.
pub fn remove_stale_snapshots(dir: &Path) -> io::Result<()> {
    let db: File = match OpenOptions::new().read(true).write(true).open(dir.join("db")) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if db.try_lock().is_err() {
        // Open elsewhere: its snapshot files are live.
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            std::fs::remove_file(dir.join(&*name))?;
            tracing::warn!(file = %name, "removed a snapshot left by a killed process");
        }
    }
    db.unlock()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_go_only_when_nobody_holds_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        remove_stale_snapshots(dir.path()).unwrap();
        std::fs::write(dir.path().join("db"), b"").unwrap();
        let leftover = dir.path().join("snap.00000000000000AB.generating");
        std::fs::write(&leftover, b"partial").unwrap();
        std::fs::write(dir.path().join("snap.00000000000000AA"), b"complete").unwrap();
        // Held by another opener: untouched.
        let holder = File::open(dir.path().join("db")).unwrap();
        holder.lock().unwrap();
        remove_stale_snapshots(dir.path()).unwrap();
        assert!(leftover.exists());
        holder.unlock().unwrap();
        // Free: removed, the complete snapshot kept.
        remove_stale_snapshots(dir.path()).unwrap();
        assert!(!leftover.exists());
        assert!(dir.path().join("snap.00000000000000AA").exists());
    }
}
