//! `cortado cache stats|clear`: the local column cache of `cortado run --cache`.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Result};
use clap::{Args, Subcommand};

/// Arguments of `cortado cache`.
#[derive(Args, Debug)]
pub struct CacheArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: CacheAction,
}

/// `cortado cache` actions.
#[derive(Subcommand, Debug)]
pub enum CacheAction {
    /// What the cache holds: columns, size, input files.
    Stats {
        /// The cache folder (default: $CORTADO_CACHE_DIR, else ~/.cache/cortado/columns).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Removes every cached column.
    Clear {
        /// The cache folder (default: $CORTADO_CACHE_DIR, else ~/.cache/cortado/columns).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

/// The folder given, or the default one.
pub fn dir_or_default(dir: Option<&Path>) -> Result<PathBuf> {
    if let Some(d) = dir {
        return Ok(d.to_path_buf());
    }
    cortado_cache::default_dir().ok_or_else(|| {
        anyhow!("no cache folder: give --cache DIR or set CORTADO_CACHE_DIR (HOME is not set)")
    })
}

/// A size such as `500M`, `20G`, `1.5T` or a number of bytes.
pub fn parse_size(s: &str) -> Result<u64> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: u64 = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                _ => return Err(anyhow!("--cache-size {s}: use a number with K, M, G or T")),
            };
            (&t[..i], m)
        }
        _ => (t, 1),
    };
    let v: f64 = num
        .parse()
        .map_err(|_| anyhow!("--cache-size {s}: use a number with K, M, G or T (e.g. 20G)"))?;
    if !(v.is_finite() && v >= 0.0) {
        return Err(anyhow!("--cache-size {s}: must be a positive size"));
    }
    Ok((v * mult as f64) as u64)
}

/// Runs `cortado cache`.
pub fn run(args: &CacheArgs) -> Result<()> {
    match &args.action {
        CacheAction::Stats { dir } => {
            let dir = dir_or_default(dir.as_deref())?;
            let s = cortado_cache::dir_stats(&dir).map_err(anyhow::Error::msg)?;
            println!(
                "column cache {}: {} columns of {} input files, {:.1} MB",
                dir.display(),
                s.entries,
                s.files,
                s.bytes as f64 / 1e6
            );
        }
        CacheAction::Clear { dir } => {
            let dir = dir_or_default(dir.as_deref())?;
            let n = cortado_cache::clear(&dir).map_err(anyhow::Error::msg)?;
            println!(
                "column cache {}: {:.1} MB removed",
                dir.display(),
                n as f64 / 1e6
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("20G").unwrap(), 20 << 30);
        assert_eq!(parse_size("500m").unwrap(), 500 << 20);
        assert_eq!(parse_size("1.5K").unwrap(), 1536);
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert!(parse_size("20X").is_err());
        assert!(parse_size("-1G").is_err());
        assert!(parse_size("G").is_err());
    }
}
