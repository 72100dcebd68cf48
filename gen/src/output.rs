//! The one way edgertl writes an output file: [`Output`] (one file) and [`OutputSet`] (files
//! that belong together, such as a unit's `.v` and its `.json` manifest).
//!
//! An output is written to a temporary file created exclusively (`O_EXCL`, a random name
//! `.<name>.XXXXXX.tmp`) in the destination's directory, flushed, synced and renamed over the
//! destination, so a reader sees the old file or the whole new one, never a part. Before
//! anything is written, the destination is checked:
//!
//! - a device, a directory, a FIFO or a socket is refused (never replaced by a regular file);
//! - a read-only file is refused;
//! - the same file as one of the command's inputs (same device and inode, whatever the path)
//!   is refused;
//! - a symlink to a regular file is followed: the target is replaced and the link stays;
//! - `-` is standard output where the command allows it ([`Output::create_or_stdout`]).
//!
//! The temporary is removed on every error (when the [`Output`] is dropped uncommitted) and,
//! once [`install_signal_cleanup`] has run, on SIGINT and SIGTERM too: live temporaries are
//! kept in a process-wide registry that the signal handler empties before exiting (130).
//!
//! [`OutputSet`] writes all its temporaries, then renames them in order under an exclusive
//! `flock` on the destination directory: concurrent writers of the same set never leave one
//! writer's `.v` beside another's `.json`. A reader that looks during the renames can see the
//! new first file beside the old last one; put the file that vouches for the others last (the
//! manifest, which carries the Verilog's hash) and check it. Should a rename fail (a full
//! disk cannot make it fail: the data is written and synced before), the members before it
//! are in place and the rest are not written.

use anyhow::{anyhow, bail, Context, Result};
use std::collections::HashSet;
use std::fs::{File, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};
use tempfile::NamedTempFile;

/// Temporaries not yet renamed or removed, for the signal handler.
static LIVE: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

fn live() -> std::sync::MutexGuard<'static, Option<HashSet<PathBuf>>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

fn register(path: &Path) {
    live().get_or_insert_with(HashSet::new).insert(path.to_path_buf());
}

fn unregister(path: &Path) {
    if let Some(set) = live().as_mut() {
        set.remove(path);
    }
}

/// Exit status after SIGINT or SIGTERM (128 + SIGINT, the shell's convention).
pub const INTERRUPTED_EXIT: i32 = 130;

/// Installs a SIGINT/SIGTERM handler that removes every live temporary and exits with
/// [`INTERRUPTED_EXIT`]. Idempotent; the `edgertl` binary calls it first thing.
pub fn install_signal_cleanup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let installed = ctrlc::set_handler(|| {
            remove_live_temporaries();
            eprintln!("error: interrupted; no output file was left half-written");
            std::process::exit(INTERRUPTED_EXIT);
        });
        if let Err(e) = installed {
            eprintln!("warning: cannot catch Ctrl-C ({e}): an interrupted run may leave a temporary file");
        }
    });
}

/// Removes every live temporary (what the signal handler does); returns how many.
pub fn remove_live_temporaries() -> usize {
    let mut guard = live();
    let paths: Vec<PathBuf> = guard.as_mut().map(|s| s.drain().collect()).unwrap_or_default();
    drop(guard);
    paths.iter().filter(|p| std::fs::remove_file(p).is_ok()).count()
}

/// The temporaries currently registered (for tests).
pub fn live_temporaries() -> Vec<PathBuf> {
    live().as_ref().map(|s| s.iter().cloned().collect()).unwrap_or_default()
}

/// One output file being written; see the module doc. Write to it (it is [`Write`]), or hand
/// [`Output::tmp_path`] to a tool that writes the file itself, then [`Output::commit`].
/// Dropping it uncommitted removes the temporary.
pub struct Output {
    /// What the user named, for messages.
    shown: PathBuf,
    /// The file renamed over: `shown`, or the target of the symlink `shown`.
    target: PathBuf,
    tmp: Option<NamedTempFile>,
}

/// Where [`Output::create_or_stdout`] writes.
pub enum Sink {
    File(Output),
    Stdout(io::Stdout),
}

impl Output {
    /// Starts writing `path`, which must not be the same file as any of `inputs`.
    pub fn create(path: impl AsRef<Path>, inputs: &[&Path]) -> Result<Output> {
        let shown = path.as_ref().to_path_buf();
        let (target, mode) = check_destination(&shown, inputs)?;
        let dir = parent_dir(&target);
        let name = target
            .file_name()
            .ok_or_else(|| anyhow!("cannot write {}: not a file name", shown.display()))?;
        let mut prefix = std::ffi::OsString::from(".");
        prefix.push(name);
        prefix.push(".");
        let tmp = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(".tmp")
            .permissions(Permissions::from_mode(mode))
            .tempfile_in(dir)
            .with_context(|| format!("cannot write {}: cannot create a file in {}", shown.display(), dir.display()))?;
        register(tmp.path());
        Ok(Output { shown, target, tmp: Some(tmp) })
    }

    /// Like [`Output::create`], with `-` meaning standard output.
    pub fn create_or_stdout(path: impl AsRef<Path>, inputs: &[&Path]) -> Result<Sink> {
        if path.as_ref() == Path::new("-") {
            Ok(Sink::Stdout(io::stdout()))
        } else {
            Output::create(path, inputs).map(Sink::File)
        }
    }

    /// The path the user gave.
    pub fn path(&self) -> &Path {
        &self.shown
    }

    /// The temporary file, for a tool that writes the output by name (it may truncate it).
    pub fn tmp_path(&self) -> &Path {
        self.tmp.as_ref().expect("an uncommitted output has its temporary").path()
    }

    fn file(&mut self) -> &mut File {
        self.tmp.as_mut().expect("an uncommitted output has its temporary").as_file_mut()
    }

    /// Syncs the temporary and renames it over the destination.
    pub fn commit(mut self) -> Result<PathBuf> {
        self.finish()?;
        self.rename()?;
        sync_dir(parent_dir(&self.target));
        Ok(self.shown.clone())
    }

    /// Flushes and syncs the temporary (reopened by path: a tool may have replaced its inode).
    fn finish(&mut self) -> Result<()> {
        let shown = self.shown.clone();
        let tmp = self.tmp_path().to_path_buf();
        let file = File::options()
            .append(true)
            .open(&tmp)
            .with_context(|| format!("cannot write {}: its temporary {} is gone", shown.display(), tmp.display()))?;
        file.sync_all().with_context(|| format!("cannot write {}", shown.display()))
    }

    fn rename(&mut self) -> Result<()> {
        let tmp = self.tmp.take().expect("an uncommitted output has its temporary");
        let path = tmp.path().to_path_buf();
        match tmp.persist(&self.target) {
            Ok(_) => {
                unregister(&path);
                Ok(())
            }
            Err(e) => {
                let shown = self.shown.display().to_string();
                drop(e.file); // removes the temporary
                unregister(&path);
                Err(anyhow::Error::new(e.error).context(format!("cannot write {shown}: rename failed")))
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file().write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file().flush()
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::File(o) => o.write(buf),
            Sink::Stdout(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::File(o) => o.flush(),
            Sink::Stdout(s) => s.flush(),
        }
    }
}

impl Sink {
    /// Commits the file, or flushes standard output. Returns what to print as written.
    pub fn commit(self) -> Result<String> {
        match self {
            Sink::File(o) => Ok(o.commit()?.display().to_string()),
            Sink::Stdout(mut s) => {
                s.flush().context("cannot write to standard output")?;
                Ok("standard output".to_string())
            }
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            unregister(tmp.path());
            // NamedTempFile removes its file when dropped.
        }
    }
}

/// Writes `bytes` to `path` through an [`Output`] (no inputs to compare with).
pub fn write(path: impl AsRef<Path>, bytes: impl AsRef<[u8]>) -> Result<PathBuf> {
    let mut out = Output::create(path, &[])?;
    let shown = out.path().display().to_string();
    out.write_all(bytes.as_ref()).with_context(|| format!("cannot write {shown}"))?;
    out.commit()
}

/// Files that belong together, committed as a set; see the module doc.
#[derive(Default)]
pub struct OutputSet {
    members: Vec<Output>,
}

impl OutputSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a member with its contents (written to its temporary now); members are renamed in
    /// the order they were added: add the one that vouches for the others last.
    pub fn add(&mut self, path: impl AsRef<Path>, bytes: impl AsRef<[u8]>) -> Result<()> {
        let mut out = Output::create(path, &[])?;
        let shown = out.path().display().to_string();
        out.write_all(bytes.as_ref()).with_context(|| format!("cannot write {shown}"))?;
        self.members.push(out);
        Ok(())
    }

    /// Syncs every member, then renames them in order under an exclusive lock on each
    /// destination directory. Returns the paths written.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        for m in &mut self.members {
            m.finish()?;
        }
        let mut dirs: Vec<PathBuf> = self.members.iter().map(|m| parent_dir(&m.target).to_path_buf()).collect();
        dirs.sort();
        dirs.dedup();
        let mut locks = Vec::new();
        for dir in &dirs {
            let f = File::open(dir).with_context(|| format!("cannot open {}", dir.display()))?;
            f.lock().with_context(|| format!("cannot lock {}", dir.display()))?;
            locks.push(f);
        }
        let mut written = Vec::new();
        for m in &mut self.members {
            m.rename()?;
            written.push(m.shown.clone());
        }
        for dir in &dirs {
            sync_dir(dir);
        }
        drop(locks);
        Ok(written)
    }
}

/// Checks that `dir` exists (creating it) and that a file can be created in it, before a long
/// run that writes there: the probe is an exclusive temporary, removed at once.
pub fn check_writable_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    tempfile::Builder::new()
        .prefix(".edgertl-probe.")
        .tempfile_in(dir)
        .map(drop)
        .with_context(|| format!("cannot write into {}: pick a writable directory", dir.display()))
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn sync_dir(dir: &Path) {
    // Makes the rename durable; a filesystem that cannot sync a directory is not an error.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Resolves and checks the destination; returns the path to rename over and the mode the new
/// file gets (the old file's, or 0o666 less the umask for a new one).
fn check_destination(shown: &Path, inputs: &[&Path]) -> Result<(PathBuf, u32)> {
    let what = || format!("cannot write {}", shown.display());
    if shown.as_os_str().is_empty() {
        bail!("cannot write an output with an empty name");
    }
    if shown.to_string_lossy().ends_with('/') {
        bail!("{}: is a directory name, not a file name", shown.display());
    }
    // What the path leads to, symlinks followed (`/dev/stdout` leads to a pipe or a terminal).
    let followed = std::fs::metadata(shown);
    let is_link = std::fs::symlink_metadata(shown).is_ok_and(|m| m.file_type().is_symlink());
    let mut target = shown.to_path_buf();
    if is_link {
        if followed.is_err() {
            bail!("{}: a symlink to a missing file or directory: refusing to follow it", what());
        }
        if followed.as_ref().is_ok_and(|m| m.is_file()) {
            target = std::fs::canonicalize(shown).with_context(what)?;
        }
    }
    let dir = parent_dir(&target);
    match followed {
        Ok(meta) => {
            if !meta.is_file() {
                bail!(
                    "{}: it is a {}, not a regular file; refusing to replace it (name a regular file, or `-` for standard output where the command takes it)",
                    what(),
                    kind(&meta)
                );
            }
            if meta.permissions().mode() & 0o222 == 0 {
                bail!("{}: the file is read-only; refusing to replace it (remove it or make it writable first)", what());
            }
            for input in inputs {
                if let Ok(im) = std::fs::metadata(input) {
                    if (im.dev(), im.ino()) == (meta.dev(), meta.ino()) {
                        bail!(
                            "{}: it is the same file as the input {}; write to another file",
                            what(),
                            input.display()
                        );
                    }
                }
            }
            Ok((target, meta.permissions().mode() & 0o7777))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if !dir.is_dir() {
                bail!("{}: no directory {}", what(), dir.display());
            }
            Ok((target, 0o666))
        }
        Err(e) => Err(anyhow::Error::new(e).context(what())),
    }
}

fn kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "directory"
    } else if t.is_char_device() {
        "character device"
    } else if t.is_block_device() {
        "block device"
    } else if t.is_fifo() {
        "FIFO"
    } else if t.is_socket() {
        "socket"
    } else {
        "special file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cleanup test empties the process-wide registry: the tests here take turns.
    static SERIAL: Mutex<()> = Mutex::new(());

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    }

    #[test]
    fn writes_replaces_and_keeps_the_mode() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.txt");
        write(&p, "one").unwrap();
        std::fs::set_permissions(&p, Permissions::from_mode(0o640)).unwrap();
        write(&p, "two").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "two");
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o640);
        assert!(leftovers(d.path()).is_empty());
    }

    #[test]
    fn an_uncommitted_output_leaves_nothing() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.txt");
        let mut o = Output::create(&p, &[]).unwrap();
        o.write_all(b"partial").unwrap();
        let tmp = o.tmp_path().to_path_buf();
        assert!(tmp.file_name().unwrap().to_string_lossy().starts_with(".a.txt."));
        assert!(live_temporaries().contains(&tmp));
        drop(o);
        assert!(!tmp.exists() && !p.exists());
        assert!(!live_temporaries().contains(&tmp));
    }

    #[test]
    fn the_signal_cleanup_removes_live_temporaries() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let d = tempfile::tempdir().unwrap();
        let o = Output::create(d.path().join("big.rlc"), &[]).unwrap();
        let tmp = o.tmp_path().to_path_buf();
        assert!(remove_live_temporaries() >= 1);
        assert!(!tmp.exists());
        drop(o);
    }
}
