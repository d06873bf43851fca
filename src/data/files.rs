//! Reading MNIST from a folder on disk (native builds only; the browser fetches and decompresses
//! the same files in the worker).
//!
//! The folder holds the four standard files ([`FILES`]), gzip-compressed as distributed; an
//! uncompressed copy without the `.gz` is read too. Any other pair of IDX files, raw or .gz, loads
//! with [`load_pair`].

use std::path::Path;

use crate::data::mnist::{Dataset, FILES};
use crate::error::{Error, Result};

/// Reads one IDX file of the folder, decompressing it when its name ends in `.gz`.
fn read_idx(dir: &Path, name: &str) -> Result<Vec<u8>> {
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
    gunzip(&bytes, &path)
}

fn gunzip(bytes: &[u8], path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|e| Error::new(format!("{}: not a valid gzip file ({e})", path.display())))?;
    Ok(out)
}

/// Reads one IDX file by its path, raw or gzip-compressed (told apart by gzip's magic bytes
/// 1f 8b, whatever the name).
pub fn read_idx_file(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        gunzip(&bytes, path)
    } else {
        Ok(bytes)
    }
}

/// A data set from a pair of IDX files, such as the digits a user exported from the page.
pub fn load_pair(images: &Path, labels: &Path) -> Result<Dataset> {
    let i = read_idx_file(images)?;
    let l = read_idx_file(labels)?;
    let images_set =
        crate::data::mnist::parse_images(&i).map_err(|e| e.context(images.display()))?;
    let labels_set =
        crate::data::mnist::parse_labels(&l).map_err(|e| e.context(labels.display()))?;
    Dataset::new(images_set, labels_set)
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
