//! Reading MNIST from a folder on disk (native builds only; the browser fetches and decompresses
//! the same files in the worker).
//!
//! The folder holds the four standard files ([`FILES`]), gzip-compressed as distributed; an
//! uncompressed copy without the `.gz` is read too.

use std::path::Path;

use crate::data::mnist::{Dataset, FILES};
use crate::error::{Error, Result};

/// Reads one IDX file, decompressing it when its name ends in `.gz`.
fn read_idx(dir: &Path, name: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let gz = dir.join(name);
    let plain = dir.join(name.trim_end_matches(".gz"));
    let (path, compressed) = if gz.exists() {
        (gz, true)
    } else if plain.exists() {
        (plain, false)
    } else {
        return Err(Error::new(format!(
            "{}: not found; the folder must hold the four MNIST files {}",
            gz.display(),
            FILES.join(", ")
        )));
    };
    let bytes = std::fs::read(&path).map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
    if !compressed {
        return Ok(bytes);
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_end(&mut out)
        .map_err(|e| Error::new(format!("{}: not a valid gzip file ({e})", path.display())))?;
    Ok(out)
}

/// The training and test sets from a folder of the four standard MNIST files.
pub fn load_dir(dir: &Path) -> Result<(Dataset, Dataset)> {
    if !dir.is_dir() {
        return Err(Error::new(format!(
            "{}: not a folder (expected a folder with the four MNIST files)",
            dir.display()
        )));
    }
    let [tri, trl, tei, tel] = FILES.map(|f| read_idx(dir, f));
    let train = Dataset::from_idx(&tri?, &trl?)
        .map_err(|e| e.context(format!("{}: training set", dir.display())))?;
    let test = Dataset::from_idx(&tei?, &tel?)
        .map_err(|e| e.context(format!("{}: test set", dir.display())))?;
    Ok((train, test))
}
