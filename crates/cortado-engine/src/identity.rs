//! The identity of an input file: what tells that the file a run read is
//! still the file it planned (and the one a checkpoint or an output came
//! from). Paths alone do not: a file replaced by another with the same
//! entries and cluster layout would otherwise be mixed into a resumed run.

use cortado_root::RootFile;
use serde::{Deserialize, Serialize};

/// Size, modification time and ROOT UUID of an input file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileIdentity {
    /// Size in bytes.
    pub size: u64,
    /// Modification time in nanoseconds since 1970 (local files, XRootD:
    /// seconds only).
    pub modified_ns: Option<u64>,
    /// The UUID ROOT wrote into the file header when it created the file.
    pub uuid: Option<String>,
}

impl FileIdentity {
    /// The identity of an open file (the modification time as its source
    /// knows it).
    pub fn of(file: &RootFile) -> FileIdentity {
        let modified_ns = file.source().modified_ns();
        FileIdentity {
            size: file.source().size(),
            modified_ns,
            uuid: file.header().uuid_string(),
        }
    }

    /// How `now` differs from `self` (`None` when it is the same file).
    pub fn differences(&self, now: &FileIdentity) -> Option<String> {
        let mut d = Vec::new();
        if self.size != now.size {
            d.push(format!("size {} → {} bytes", self.size, now.size));
        }
        if self.uuid != now.uuid {
            d.push(format!(
                "ROOT UUID {} → {}",
                self.uuid.as_deref().unwrap_or("none"),
                now.uuid.as_deref().unwrap_or("none")
            ));
        }
        if self.modified_ns != now.modified_ns {
            d.push("modification time changed".to_string());
        }
        (!d.is_empty()).then(|| d.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_name_what_changed() {
        let a = FileIdentity {
            size: 10,
            modified_ns: Some(5),
            uuid: Some("u1".into()),
        };
        assert_eq!(a.differences(&a.clone()), None);
        let mut b = a.clone();
        b.uuid = Some("u2".into());
        assert_eq!(a.differences(&b).unwrap(), "ROOT UUID u1 → u2");
        b.size = 11;
        b.modified_ns = Some(6);
        let d = a.differences(&b).unwrap();
        assert!(
            d.contains("size 10 → 11") && d.contains("modification time"),
            "{d}"
        );
    }

    #[test]
    fn identity_of_a_real_file() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/zmumu/data/dy_2018_small.root"
        );
        let f = RootFile::open(path).unwrap();
        let id = FileIdentity::of(&f);
        assert_eq!(id.size, std::fs::metadata(path).unwrap().len());
        assert!(id.modified_ns.is_some());
        assert_eq!(
            id.uuid.as_deref(),
            Some("269596fc-0b68-4802-84f8-616b87e1f586")
        );
    }
}
