//! The default parameters shipped inside cortado (PocketCoffea 0.9.13's, see
//! `NOTICE.md`), and the directory `${default_params_dir:}` points to.

use std::path::PathBuf;
use std::sync::OnceLock;

/// The default parameter files, in the order PocketCoffea merges them.
pub(crate) const YAML_FILES: &[(&str, &str)] = &[
    (
        "nano_version.yaml",
        include_str!("../defaults/nano_version.yaml"),
    ),
    ("pileup.yaml", include_str!("../defaults/pileup.yaml")),
    (
        "event_flags.yaml",
        include_str!("../defaults/event_flags.yaml"),
    ),
    ("lumi.yaml", include_str!("../defaults/lumi.yaml")),
    (
        "jets_calibration.yaml",
        include_str!("../defaults/jets_calibration.yaml"),
    ),
    (
        "jet_scale_factors.yaml",
        include_str!("../defaults/jet_scale_factors.yaml"),
    ),
    (
        "met_calibration.yaml",
        include_str!("../defaults/met_calibration.yaml"),
    ),
    ("btagging.yaml", include_str!("../defaults/btagging.yaml")),
    (
        "lepton_scale_factors.yaml",
        include_str!("../defaults/lepton_scale_factors.yaml"),
    ),
    (
        "photon_scale_factors.yaml",
        include_str!("../defaults/photon_scale_factors.yaml"),
    ),
    ("met_xy.yaml", include_str!("../defaults/met_xy.yaml")),
    (
        "variations.yaml",
        include_str!("../defaults/variations.yaml"),
    ),
    (
        "plotting_style.yaml",
        include_str!("../defaults/plotting_style.yaml"),
    ),
];

/// Data files referenced by `${default_params_dir:}/...` (golden JSON files) and
/// the run-options defaults.
const DATA_FILES: &[(&str, &[u8])] = &[
    (
        "datacert/Cert_271036-284044_13TeV_Legacy2016_Collisions16_JSON.txt",
        include_bytes!(
            "../defaults/datacert/Cert_271036-284044_13TeV_Legacy2016_Collisions16_JSON.txt"
        ),
    ),
    (
        "datacert/Cert_294927-306462_13TeV_UL2017_Collisions17_GoldenJSON.txt",
        include_bytes!(
            "../defaults/datacert/Cert_294927-306462_13TeV_UL2017_Collisions17_GoldenJSON.txt"
        ),
    ),
    (
        "datacert/Cert_314472-325175_13TeV_Legacy2018_Collisions18_JSON.txt",
        include_bytes!(
            "../defaults/datacert/Cert_314472-325175_13TeV_Legacy2018_Collisions18_JSON.txt"
        ),
    ),
    (
        "datacert/Cert_Collisions2022_355100_362760_Golden.json",
        include_bytes!("../defaults/datacert/Cert_Collisions2022_355100_362760_Golden.json"),
    ),
    (
        "datacert/Cert_Collisions2023_366442_370790_Golden.json",
        include_bytes!("../defaults/datacert/Cert_Collisions2023_366442_370790_Golden.json"),
    ),
    (
        "datacert/Cert_Collisions2024_378981_386951_Golden.json",
        include_bytes!("../defaults/datacert/Cert_Collisions2024_378981_386951_Golden.json"),
    ),
    (
        "datacert/Cert_Collisions2025_391658_398903_Golden.json",
        include_bytes!("../defaults/datacert/Cert_Collisions2025_391658_398903_Golden.json"),
    ),
    (
        "executor_options_defaults.yaml",
        include_bytes!("../defaults/executor_options_defaults.yaml"),
    ),
    (
        "nano_version.yaml",
        include_bytes!("../defaults/nano_version.yaml"),
    ),
    ("pileup.yaml", include_bytes!("../defaults/pileup.yaml")),
    (
        "event_flags.yaml",
        include_bytes!("../defaults/event_flags.yaml"),
    ),
    ("lumi.yaml", include_bytes!("../defaults/lumi.yaml")),
    (
        "jets_calibration.yaml",
        include_bytes!("../defaults/jets_calibration.yaml"),
    ),
    (
        "jet_scale_factors.yaml",
        include_bytes!("../defaults/jet_scale_factors.yaml"),
    ),
    (
        "met_calibration.yaml",
        include_bytes!("../defaults/met_calibration.yaml"),
    ),
    ("btagging.yaml", include_bytes!("../defaults/btagging.yaml")),
    (
        "lepton_scale_factors.yaml",
        include_bytes!("../defaults/lepton_scale_factors.yaml"),
    ),
    (
        "photon_scale_factors.yaml",
        include_bytes!("../defaults/photon_scale_factors.yaml"),
    ),
    ("met_xy.yaml", include_bytes!("../defaults/met_xy.yaml")),
    (
        "variations.yaml",
        include_bytes!("../defaults/variations.yaml"),
    ),
    (
        "plotting_style.yaml",
        include_bytes!("../defaults/plotting_style.yaml"),
    ),
];

/// The directory behind `${default_params_dir:}`: `$CORTADO_PARAMS_DIR` when set,
/// else the shipped data files written once (atomically) to
/// `$XDG_CACHE_HOME/cortado/params-<version>` (or `~/.cache/...`, or the temp dir).
pub fn default_params_dir() -> Result<PathBuf, String> {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Some(d) = std::env::var_os("CORTADO_PARAMS_DIR") {
            return Ok(PathBuf::from(d));
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .unwrap_or_else(std::env::temp_dir);
        let dir = base
            .join("cortado")
            .join(format!("params-{}", env!("CARGO_PKG_VERSION")));
        materialize(&dir).or_else(|e| {
            // Fall back to the temp dir if the cache is not writable.
            let alt =
                std::env::temp_dir().join(format!("cortado-params-{}", env!("CARGO_PKG_VERSION")));
            materialize(&alt)
                .map_err(|e2| format!("{}: {e}; {}: {e2}", dir.display(), alt.display()))
        })
    })
    .clone()
}

/// Writes the shipped files into `dir` (each file atomically, only when missing
/// or different).
fn materialize(dir: &std::path::Path) -> Result<PathBuf, String> {
    for (rel, bytes) in DATA_FILES {
        let path = dir.join(rel);
        if std::fs::read(&path).is_ok_and(|b| b == *bytes) {
            continue;
        }
        let parent = path.parent().expect("file in a directory");
        std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        let tmp = parent.join(format!(
            ".{}.{}.tmp",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("f"),
            std::process::id()
        ));
        std::fs::write(&tmp, bytes).map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, &path).map_err(|e| e.to_string())?;
    }
    Ok(dir.to_path_buf())
}
