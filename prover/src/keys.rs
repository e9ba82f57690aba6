//! The SRS and key cache behind `clearproof setup`.
//!
//! Layout under the cache directory:
//!
//! ```text
//! srs-k16-insecure-dev.bin          the SRS, halo2 raw format, exactly 2^k
//! d24-s14-k16-insecure-dev/         one key directory per (circuit, SRS)
//!   manifest.json  vk.bin  pk.bin   see clearproof_verifier::key
//! ```
//!
//! A key directory is reused when its manifest names the same circuit and SRS
//! (label and digest), `vk.bin` and the proving key's vk hash to the manifest's
//! digest, and today's circuit code still yields that verifying key (so keys of
//! an older circuit are never used). Anything else — missing, truncated, stale —
//! is regenerated. Each file is written to a temporary file of its own and
//! renamed, the manifest last, so a crash never leaves a half-written key that
//! looks valid.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clearproof_circuits::circuit::hash::HashedCircuit;
use clearproof_circuits::circuit::proof::{
    insecure_dev_srs, keygen, verifying_key, ChunkKeys, CircuitParams, Srs,
};
use clearproof_verifier::key::{
    read_srs, srs_digest, vk_digest, KeyManifest, VerifierKey, INSECURE_DEV_SRS,
};
use halo2_base::halo2_proofs::halo2curves::bn256::G1Affine;
use halo2_base::halo2_proofs::plonk::ProvingKey;
use halo2_base::halo2_proofs::poly::commitment::Params;
use halo2_base::halo2_proofs::SerdeFormat;
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
    pub keys: ChunkKeys,
    /// Whether this call generated the keys (false: loaded from the cache).
    pub generated: bool,
    /// Seconds spent loading or generating.
    pub seconds: f64,
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
        SrsSource::InsecureDev => insecure_dev_srs(k),
        SrsSource::File(file) => {
            let mut srs = read_srs(file, true)?;
            if srs.k() < k {
                return Err(SetupError::SrsTooSmall { have: srs.k(), need: k });
            }
            srs.downsize(k);
            srs
        }
    };
    write_atomically(&path, |out| srs.write_custom(out, SerdeFormat::RawBytesUnchecked))?;
    Ok((srs, name))
}

/// Loads the keys for `params` from `cache`, or makes and caches them.
pub fn setup(
    cache: &Path,
    params: CircuitParams,
    source: &SrsSource,
) -> Result<ProverKeys, SetupError> {
    let start = Instant::now();
    std::fs::create_dir_all(cache).map_err(io(cache))?;
    let label = srs_label(source)?;
    let (srs, srs_name) = srs(cache, source, &label, params.k)?;
    let dir = cache.join(format!("{}-{label}", params.id()));
    if let Some(keys) = load(&dir, params, &label, &srs)? {
        return Ok(ProverKeys { seconds: start.elapsed().as_secs_f64(), ..keys });
    }
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let keys = keygen(&srs, &params).map_err(|e| SetupError::Keygen(e.to_string()))?;
    let manifest = KeyManifest {
        circuit: params,
        config: keys.config.clone(),
        break_points: keys.break_points.clone(),
        vk_digest: vk_digest(keys.vk()),
        srs_digest: srs_digest(&srs),
        srs: label,
        srs_file: format!("../{srs_name}"),
    };
    write_atomically(&dir.join("pk.bin"), |out| {
        keys.pk.write(out, SerdeFormat::RawBytesUnchecked)
    })?;
    write_atomically(&dir.join("vk.bin"), |out| keys.vk().write(out, SerdeFormat::RawBytes))?;
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

/// The cached keys in `dir`, if they are complete, intact, made with this SRS,
/// and still the keys of today's circuit code; anything else is a cache miss
/// (the caller regenerates), never an error.
fn load(
    dir: &Path,
    params: CircuitParams,
    label: &str,
    srs: &Srs,
) -> Result<Option<ProverKeys>, SetupError> {
    let Ok(manifest) = KeyManifest::load(dir) else { return Ok(None) };
    if manifest.circuit != params || manifest.srs != label || manifest.srs_digest != srs_digest(srs)
    {
        return Ok(None);
    }
    let Ok(vk_bytes) = std::fs::read(dir.join("vk.bin")) else { return Ok(None) };
    if hex::encode(Sha256::digest(&vk_bytes)) != manifest.vk_digest {
        return Ok(None);
    }
    let Ok(file) = File::open(dir.join("pk.bin")) else { return Ok(None) };
    let Ok(pk) = ProvingKey::<G1Affine>::read::<_, HashedCircuit>(
        &mut BufReader::new(file),
        SerdeFormat::RawBytesUnchecked,
        manifest.config.clone(),
    ) else {
        return Ok(None);
    };
    if vk_digest(pk.get_vk()) != manifest.vk_digest {
        return Ok(None);
    }
    // Keys made by older circuit code describe another circuit: the verifying key
    // of today's code must be the cached one.
    let current = verifying_key(srs, &params).map_err(|e| SetupError::Keygen(e.to_string()))?;
    if vk_digest(&current) != manifest.vk_digest {
        tracing::warn!(dir = %dir.display(), "cached keys are for older circuit code; regenerating");
        return Ok(None);
    }
    let keys = ChunkKeys {
        pk,
        config: manifest.config.clone(),
        break_points: manifest.break_points.clone(),
    };
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

    const TINY: CircuitParams = CircuitParams { depth: 4, slots: 1, k: 12 };

    #[test]
    fn a_ceremony_file_is_downsized_cached_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ceremony.srs");
        let mut out = BufWriter::new(File::create(&file).unwrap());
        // A "ceremony" SRS unlike the development one (another secret), bigger
        // than the circuit needs.
        use rand::SeedableRng;
        let ceremony = Srs::setup(TINY.k + 2, rand::rngs::StdRng::seed_from_u64(7));
        ceremony.write_custom(&mut out, SerdeFormat::RawBytes).unwrap();
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
        insecure_dev_srs(TINY.k - 2).write_custom(&mut out, SerdeFormat::RawBytes).unwrap();
        drop(out);
        let err = setup(&dir.path().join("cache"), TINY, &SrsSource::File(file)).err().unwrap();
        assert!(
            matches!(err, SetupError::SrsTooSmall { have, need } if have == TINY.k - 2 && need == TINY.k),
            "{err}"
        );
    }

    #[test]
    fn a_tampered_cached_key_is_regenerated() {
        let dir = tempfile::tempdir().unwrap();
        let first = setup(dir.path(), TINY, &SrsSource::InsecureDev).unwrap();
        let mut manifest = first.manifest.clone();
        manifest.vk_digest = "00".repeat(32);
        std::fs::write(first.dir.join("manifest.json"), serde_json::to_vec(&manifest).unwrap())
            .unwrap();
        let again = setup(dir.path(), TINY, &SrsSource::InsecureDev).unwrap();
        assert!(again.generated, "a key whose digest does not match is not used");
        assert_eq!(again.manifest.vk_digest, first.manifest.vk_digest);
    }
}
