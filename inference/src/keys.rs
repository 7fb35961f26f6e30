//! The worker's ed25519 receipt key: a file holding the 32-byte secret seed in hex
//! (mode 0600), generated on first use.

use ed25519_dalek::SigningKey;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}: not a hex ed25519 seed of 32 bytes")]
    Format(String),
}

/// Reads the key at `path`.
pub fn load(path: &Path) -> Result<SigningKey, KeyError> {
    let io = |source| KeyError::Io {
        path: path.display().to_string(),
        source,
    };
    let text = std::fs::read_to_string(path).map_err(io)?;
    let bytes =
        hex::decode(text.trim()).map_err(|_| KeyError::Format(path.display().to_string()))?;
    let seed: [u8; 32] = bytes
        .try_into()
        .map_err(|_| KeyError::Format(path.display().to_string()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Reads the key at `path`, or generates one there (creating parent folders) when there is
/// none. The flag tells whether it was created.
pub fn load_or_create(path: &Path) -> Result<(SigningKey, bool), KeyError> {
    if path.exists() {
        return Ok((load(path)?, false));
    }
    let io = |source| KeyError::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    use std::io::Write;
    let mut f = opts.open(path).map_err(io)?;
    writeln!(f, "{}", hex::encode(key.to_bytes())).map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok((key, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_then_load_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/worker.key");
        let (k1, created) = load_or_create(&p).unwrap();
        assert!(created);
        let (k2, created) = load_or_create(&p).unwrap();
        assert!(!created);
        assert_eq!(k1.to_bytes(), k2.to_bytes());
        std::fs::write(&p, "zz").unwrap();
        assert!(matches!(load(&p), Err(KeyError::Format(_))));
    }
}
