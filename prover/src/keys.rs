//! The SRS and key cache behind `clearproof setup`.
//!
//! Layout under the cache directory:
//!
//! ```text
//! srs-k16-insecure-dev.bin          the SRS, halo2 raw format, exactly 2^k
//! d24-s9-k16-insecure-dev/         one key directory per (circuit, SRS)
//!   manifest.json  vk.bin  pk.bin   see clearproof_verifier::key
//! ```
//!
//! A directory without a manifest is a cache miss: the keys are generated. A
//! directory with one is used only when its manifest names the same circuit and
//! SRS (label and digest), `vk.bin` and the proving key's vk hash to the
//! manifest's digest, and today's circuit code still yields that verifying key.
//! Anything else — keys of older circuit code, a tampered or truncated file — is
//! refused with [`SetupError::StaleKeys`], never silently replaced: keys change
//! only on purpose (`clearproof setup --regenerate`, [`Regenerate::Stale`]). The
//! production circuit's keys with the development SRS must moreover have the
//! verifying-key digest pinned in code ([`clearproof_circuits::circuit::PINNED`]).
//! Each file is written to a temporary file of its own and renamed, the manifest
//! last, so a crash never leaves a half-written key that looks valid.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clearproof_circuits::circuit::{CircuitParams, ProvingKey, Srs, VerifyingKey, PINNED};
use clearproof_verifier::key::{read_srs, KeyManifest, VerifierKey, INSECURE_DEV_SRS};
use sha2::{Digest, Sha256};

/// Where the SRS comes from.
#[derive(Debug, Clone)]
pub enum SrsSource {
    /// Generated locally from a fixed seed: INSECURE, anyone can forge proofs.
    InsecureDev,
    /// A ceremony SRS in halo2's raw format, with at least `2^k` points.
    File(PathBuf),
}

/// Why setup failed.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A file could not be read or written.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// The SRS file is too small for the circuit.
    #[error("the SRS has 2^{have} points, the circuit needs 2^{need}")]
    SrsTooSmall {
        /// The file's `k`.
        have: u32,
        /// The circuit's `k`.
        need: u32,
    },
    /// A cached file is unreadable or inconsistent.
    #[error(transparent)]
    Key(#[from] clearproof_verifier::key::KeyError),
    /// halo2 keygen failed.
    #[error("keygen failed: {0}")]
    Keygen(String),
    /// Cached keys that are not today's circuit's, or not intact.
    #[error(
        "the keys in {dir} are not usable: {reason}; keys change only on purpose: \
         run `clearproof setup --regenerate` (same --cache and --srs) to replace them"
    )]
    StaleKeys {
        /// The key directory.
        dir: PathBuf,
        /// What differs.
        reason: String,
    },
    /// The production circuit's verifying key is not the pinned one.
    #[error(
        "the production circuit's verifying key (development SRS) is {got}, but clearproof \
         pins {pinned}: the circuit changed without re-pinning (circuits/src/circuit/proof.rs, \
         PINNED)"
    )]
    Unpinned {
        /// The digest today's code yields.
        got: String,
        /// The pinned digest.
        pinned: String,
    },
}

/// What [`setup_with`] does with cached keys that are not usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regenerate {
    /// Refuse them ([`SetupError::StaleKeys`]): the default.
    Never,
    /// Replace them (`clearproof setup --regenerate`, and test fixtures whose
    /// caches outlive a circuit change).
    Stale,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SetupError + '_ {
    move |e| SetupError::Io(path.to_path_buf(), e)
}

/// Writes `path` through a temporary file and a rename.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<tempfile::NamedTempFile>) -> std::io::Result<()>,
) -> Result<(), SetupError> {
    // A temporary file of its own in the same directory: concurrent setups of one
    // cache never write into each other's file, and the rename is atomic.
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
    let mut out = BufWriter::new(tmp);
    write(&mut out).map_err(io(path))?;
    let tmp = out.into_inner().map_err(|e| SetupError::Io(path.to_path_buf(), e.into_error()))?;
    tmp.as_file().sync_all().map_err(io(path))?;
    tmp.persist(path).map_err(|e| SetupError::Io(path.to_path_buf(), e.error))?;
    Ok(())
}

/// Proving keys, loaded or made.
pub struct ProverKeys {
    /// The key directory.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: KeyManifest,
    /// The SRS.
    pub srs: Srs,
    /// The proving key and layout.
    pub keys: ProvingKey,
    /// Whether this call generated the keys (false: loaded from the cache).
    pub generated: bool,
    /// Seconds spent loading or generating.
    pub seconds: f64,
}

impl std::fmt::Debug for ProverKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProverKeys").finish_non_exhaustive()
    }
}

impl ProverKeys {
    /// The verifier's view of the same keys.
    pub fn verifier_key(&self) -> VerifierKey {
        VerifierKey {
            manifest: self.manifest.clone(),
            vk: self.keys.vk().clone(),
            srs: self.srs.clone(),
        }
    }
}

fn srs_label(source: &SrsSource) -> Result<String, SetupError> {
    match source {
        SrsSource::InsecureDev => Ok(INSECURE_DEV_SRS.to_string()),
        SrsSource::File(path) => {
            let mut hasher = Sha256::new();
            let mut file = BufReader::new(File::open(path).map_err(io(path))?);
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = file.read(&mut buf).map_err(io(path))?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
            }
            Ok(format!("file-{}", &hex::encode(hasher.finalize())[..16]))
        }
    }
}

/// Loads or creates the SRS of `2^k` points in `cache`; returns it and its file name.
fn srs(cache: &Path, source: &SrsSource, label: &str, k: u32) -> Result<(Srs, String), SetupError> {
    let name = format!("srs-k{k}-{label}.bin");
    let path = cache.join(&name);
    if path.exists() {
        return Ok((read_srs(&path, false)?, name));
    }
    let srs = match source {
        SrsSource::InsecureDev => Srs::insecure_dev(k),
        SrsSource::File(file) => {
            let mut srs = read_srs(file, true)?;
            if srs.k() < k {
                return Err(SetupError::SrsTooSmall { have: srs.k(), need: k });
            }
            srs.downsize(k);
            srs
        }
    };
    write_atomically(&path, |out| srs.write(out))?;
    Ok((srs, name))
}

/// Loads the keys for `params` from `cache`, or makes and caches them; refuses
/// cached keys that are not usable.
pub fn setup(
    cache: &Path,
    params: CircuitParams,
    source: &SrsSource,
) -> Result<ProverKeys, SetupError> {
    setup_with(cache, params, source, Regenerate::Never)
}

/// [`setup`], choosing what happens to unusable cached keys.
pub fn setup_with(
    cache: &Path,
    params: CircuitParams,
    source: &SrsSource,
    regenerate: Regenerate,
) -> Result<ProverKeys, SetupError> {
    let start = Instant::now();
    std::fs::create_dir_all(cache).map_err(io(cache))?;
    let label = srs_label(source)?;
    let (srs, srs_name) = srs(cache, source, &label, params.k)?;
    let dir = cache.join(format!("{}-{label}", params.id()));
    let keys = match (load(&dir, params, &label, &srs), regenerate) {
        (Ok(Some(keys)), _) => Some(keys),
        (Ok(None), _) => None,
        (Err(SetupError::StaleKeys { reason, .. }), Regenerate::Stale) => {
            tracing::warn!(dir = %dir.display(), %reason, "replacing unusable cached keys");
            None
        }
        (Err(e), _) => return Err(e),
    };
    let keys = match keys {
        Some(keys) => ProverKeys { seconds: start.elapsed().as_secs_f64(), ..keys },
        None => generate(&dir, params, label, &srs_name, srs, start)?,
    };
    let pinned = PINNED.params == params && keys.manifest.insecure();
    if pinned && keys.manifest.vk_digest != PINNED.vk_digest_insecure_dev {
        return Err(SetupError::Unpinned {
            got: keys.manifest.vk_digest,
            pinned: PINNED.vk_digest_insecure_dev.to_string(),
        });
    }
    Ok(keys)
}

fn generate(
    dir: &Path,
    params: CircuitParams,
    label: String,
    srs_name: &str,
    srs: Srs,
    start: Instant,
) -> Result<ProverKeys, SetupError> {
    let dir = dir.to_path_buf();
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let keys =
        ProvingKey::generate(&srs, &params).map_err(|e| SetupError::Keygen(e.to_string()))?;
    let manifest = KeyManifest {
        circuit: params,
        layout: keys.layout().clone(),
        vk_digest: keys.vk().digest(),
        srs_digest: srs.digest(),
        proof_bytes: keys.vk().proof_len(),
        srs: label,
        srs_file: format!("../{srs_name}"),
    };
    write_atomically(&dir.join("pk.bin"), |out| keys.write(out))?;
    write_atomically(&dir.join("vk.bin"), |out| out.write_all(&keys.vk().to_bytes()))?;
    // The manifest last: a directory without one is not a cache hit.
    write_atomically(&dir.join("manifest.json"), |out| {
        out.write_all(serde_json::to_string_pretty(&manifest).expect("serializable").as_bytes())
    })?;
    Ok(ProverKeys {
        dir,
        manifest,
        srs,
        keys,
        generated: true,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The cached keys in `dir`: `None` if it holds no manifest (never made, or a
/// crash before the manifest was written); the keys if they are intact, made
/// with this SRS and still today's circuit's; [`SetupError::StaleKeys`] otherwise.
fn load(
    dir: &Path,
    params: CircuitParams,
    label: &str,
    srs: &Srs,
) -> Result<Option<ProverKeys>, SetupError> {
    if !dir.join("manifest.json").exists() {
        return Ok(None);
    }
    let stale =
        |reason: &str| SetupError::StaleKeys { dir: dir.to_path_buf(), reason: reason.into() };
    let manifest = KeyManifest::load(dir).map_err(|e| stale(&e.to_string()))?;
    if manifest.circuit != params || manifest.srs != label {
        return Err(stale("the manifest names another circuit or SRS"));
    }
    if manifest.srs_digest != srs.digest() {
        return Err(stale("the SRS file differs from the one the keys were made with"));
    }
    let vk_bytes = std::fs::read(dir.join("vk.bin")).map_err(|e| stale(&e.to_string()))?;
    if hex::encode(Sha256::digest(&vk_bytes)) != manifest.vk_digest {
        return Err(stale("vk.bin does not match the manifest's digest"));
    }
    let file = File::open(dir.join("pk.bin")).map_err(|e| stale(&e.to_string()))?;
    let keys = ProvingKey::read(&mut BufReader::new(file), manifest.layout.clone())
        .map_err(|e| stale(&format!("pk.bin: {e}")))?;
    if keys.vk().digest() != manifest.vk_digest {
        return Err(stale("pk.bin holds another verifying key than the manifest's"));
    }
    // Keys made by other circuit code describe another circuit: the verifying key
    // of today's code must be the cached one.
    let current =
        VerifyingKey::generate(srs, &params).map_err(|e| SetupError::Keygen(e.to_string()))?;
    if current.digest() != manifest.vk_digest {
        return Err(stale(&format!(
            "they were made by other circuit code (cached vk {}, today's circuit {})",
            &manifest.vk_digest[..16],
            &current.digest()[..16]
        )));
    }
    Ok(Some(ProverKeys {
        dir: dir.to_path_buf(),
        manifest,
        srs: srs.clone(),
        keys,
        generated: false,
        seconds: 0.0,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: CircuitParams = CircuitParams { depth: 4, slots: 1, k: 13 };

    #[test]
    fn a_ceremony_file_is_downsized_cached_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ceremony.srs");
        let mut out = BufWriter::new(File::create(&file).unwrap());
        // A "ceremony" SRS unlike the development one (another secret), bigger
        // than the circuit needs.
        let ceremony = Srs::from_seed(TINY.k + 2, 7);
        ceremony.write(&mut out).unwrap();
        drop(out);
        let cache = dir.path().join("cache");
        let first = setup(&cache, TINY, &SrsSource::File(file.clone())).unwrap();
        assert!(first.generated);
        assert!(first.manifest.srs.starts_with("file-"), "{}", first.manifest.srs);
        assert!(!first.manifest.insecure());
        assert_eq!(first.srs.k(), TINY.k, "downsized to the circuit");
        let again = setup(&cache, TINY, &SrsSource::File(file)).unwrap();
        assert!(!again.generated, "re-running reuses the cache");
        assert_eq!(again.manifest.vk_digest, first.manifest.vk_digest);
        // The verifier loads the same key from the directory.
        let vk = VerifierKey::load(&again.dir).unwrap();
        assert_eq!(vk.digest(), first.manifest.vk_digest);
        // Another SRS gives other keys, in their own directory.
        let dev = setup(&cache, TINY, &SrsSource::InsecureDev).unwrap();
        assert!(dev.generated && dev.manifest.insecure());
        assert_ne!(dev.manifest.vk_digest, first.manifest.vk_digest);
        assert_ne!(dev.dir, first.dir);
    }

    #[test]
    fn an_srs_smaller_than_the_circuit_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("small.srs");
        let mut out = BufWriter::new(File::create(&file).unwrap());
        Srs::insecure_dev(TINY.k - 2).write(&mut out).unwrap();
        drop(out);
        let err = setup(&dir.path().join("cache"), TINY, &SrsSource::File(file)).err().unwrap();
        assert!(
            matches!(err, SetupError::SrsTooSmall { have, need } if have == TINY.k - 2 && need == TINY.k),
            "{err}"
        );
    }

    #[test]
    fn a_cached_key_whose_digest_differs_is_refused_until_regenerated_on_purpose() {
        let dir = tempfile::tempdir().unwrap();
        let first = setup(dir.path(), TINY, &SrsSource::InsecureDev).unwrap();
        let mut manifest = first.manifest.clone();
        manifest.vk_digest = "00".repeat(32);
        std::fs::write(first.dir.join("manifest.json"), serde_json::to_vec(&manifest).unwrap())
            .unwrap();
        let err = setup(dir.path(), TINY, &SrsSource::InsecureDev).err().unwrap();
        assert!(matches!(err, SetupError::StaleKeys { .. }), "{err}");
        assert!(err.to_string().contains("--regenerate"), "{err}");
        // A cached key made by other circuit code (a consistent directory whose vk
        // today's code does not yield) is refused too.
        let other = CircuitParams { k: TINY.k + 1, ..TINY };
        let made = setup(dir.path(), other, &SrsSource::InsecureDev).unwrap();
        let moved = dir.path().join(format!("{}-insecure-dev", TINY.id()));
        std::fs::remove_dir_all(&moved).unwrap();
        std::fs::rename(&made.dir, &moved).unwrap();
        let mut manifest = made.manifest.clone();
        manifest.circuit = TINY;
        manifest.srs_digest = first.manifest.srs_digest.clone();
        manifest.srs_file = first.manifest.srs_file.clone();
        std::fs::write(moved.join("manifest.json"), serde_json::to_vec(&manifest).unwrap())
            .unwrap();
        let err = setup(dir.path(), TINY, &SrsSource::InsecureDev).err().unwrap();
        assert!(err.to_string().contains("other circuit code"), "{err}");
        // On purpose, they are replaced by today's.
        let again =
            setup_with(dir.path(), TINY, &SrsSource::InsecureDev, Regenerate::Stale).unwrap();
        assert!(again.generated);
        assert_eq!(again.manifest.vk_digest, first.manifest.vk_digest);
        assert!(!setup(dir.path(), TINY, &SrsSource::InsecureDev).unwrap().generated);
    }
}
