//! The metadata of a `TTree`: branches, leaves, basket tables and clusters,
//! decoded from the streamed `TTree`, `TBranch` and `TLeaf` objects.
//!
//! Layouts follow the class versions ROOT has written since 5.x: `TTree` 16-20,
//! `TBranch` 10-13, `TLeaf` 2. Every object is read through its byte count, so
//! trailing members that are not needed (aliases, indices, friends, ...) and
//! members added by future versions are skipped rather than misread.

use cortado_columns::DType;

use crate::error::{Error, Result};
use crate::objects::{ObjReader, Referable};

/// A leaf: the type and shape of the values of a branch.
#[derive(Clone, Debug, PartialEq)]
pub struct Leaf {
    /// Leaf class (`TLeafF`, `TLeafI`, `TLeafElement`, ...).
    pub class_name: String,
    /// Leaf name.
    pub name: String,
    /// Leaf title (`Muon_pt[nMuon]`).
    pub title: String,
    /// Number of values per entry (or per counted item) from fixed dimensions.
    pub len: usize,
    /// Whether the integer type is unsigned.
    pub is_unsigned: bool,
    /// Name of the counter leaf for variable-length arrays (`nMuon`).
    pub count_leaf: Option<String>,
}

impl Leaf {
    /// The element type, or `None` for leaves that are not plain numbers
    /// (strings, `Float16_t`/`Double32_t`, objects).
    pub fn dtype(&self) -> Option<DType> {
        let u = self.is_unsigned;
        Some(match self.class_name.as_str() {
            "TLeafO" => DType::Bool,
            "TLeafB" => {
                if u {
                    DType::U8
                } else {
                    DType::I8
                }
            }
            "TLeafS" => {
                if u {
                    DType::U16
                } else {
                    DType::I16
                }
            }
            "TLeafI" => {
                if u {
                    DType::U32
                } else {
                    DType::I32
                }
            }
            "TLeafL" | "TLeafG" => {
                if u {
                    DType::U64
                } else {
                    DType::I64
                }
            }
            "TLeafF" => DType::F32,
            "TLeafD" => DType::F64,
            _ => return None,
        })
    }

    /// ROOT's leaf-list type code (`F`, `i`, `O`, ...), or `?`.
    pub fn type_code(&self) -> char {
        match self.dtype() {
            Some(DType::Bool) => 'O',
            Some(DType::I8) => 'B',
            Some(DType::U8) => 'b',
            Some(DType::I16) => 'S',
            Some(DType::U16) => 's',
            Some(DType::I32) => 'I',
            Some(DType::U32) => 'i',
            Some(DType::I64) => 'L',
            Some(DType::U64) => 'l',
            Some(DType::F32) => 'F',
            Some(DType::F64) => 'D',
            None => match self.class_name.as_str() {
                "TLeafC" => 'C',
                "TLeafF16" => 'f',
                "TLeafD32" => 'd',
                _ => '?',
            },
        }
    }
}

/// Where a basket lives in the file and which entries it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BasketLoc {
    /// Basket number within the branch.
    pub index: usize,
    /// File offset of the basket's key.
    pub seek: u64,
    /// Size of the record in the file (key + compressed data).
    pub bytes: u32,
    /// First entry.
    pub entry_start: u64,
    /// One past the last entry.
    pub entry_stop: u64,
}

/// A basket stored inside the `TBranch` object rather than as its own record
/// (ROOT does this for the last, unflushed basket of small files).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmbeddedBasket {
    /// Basket number within the branch.
    pub index: usize,
    /// Number of entries in the basket.
    pub entries: u32,
    /// Key length the offsets are relative to.
    pub key_len: u32,
    /// Entry start offsets (including the key length), when stored.
    pub entry_offsets: Option<Vec<i32>>,
    /// The data content (without key and offsets).
    pub data: Vec<u8>,
    /// First entry (filled in from the branch's basket table).
    pub entry_start: u64,
}

/// A branch of a tree.
#[derive(Clone, Debug, PartialEq)]
pub struct Branch {
    /// Branch class (`TBranch`, `TBranchElement`, ...).
    pub class_name: String,
    /// Branch name.
    pub name: String,
    /// Branch title (the leaf list: `Muon_pt[nMuon]/F`).
    pub title: String,
    /// Compression setting (`algorithm * 100 + level`, -1 = inherit).
    pub compress: i32,
    /// Non-zero when baskets store per-entry offsets.
    pub entry_offset_len: i32,
    /// Number of entries.
    pub entries: u64,
    /// Bytes before compression (including keys).
    pub tot_bytes: i64,
    /// Bytes after compression (including keys).
    pub zip_bytes: i64,
    /// The leaves (one for NanoAOD branches).
    pub leaves: Vec<Leaf>,
    /// Baskets stored as records in the file.
    pub baskets: Vec<BasketLoc>,
    /// Baskets stored in the branch object.
    pub embedded: Vec<EmbeddedBasket>,
    /// Sub-branches (split objects).
    pub children: Vec<Branch>,
}

/// The decoded metadata of a tree.
#[derive(Clone, Debug, PartialEq)]
pub struct TreeMeta {
    /// Tree name.
    pub name: String,
    /// Tree title.
    pub title: String,
    /// `TTree` class version.
    pub class_version: i16,
    /// Number of entries.
    pub entries: u64,
    /// Bytes before compression.
    pub tot_bytes: i64,
    /// Bytes after compression.
    pub zip_bytes: i64,
    /// Entries per cluster (negative: bytes), 0 if unknown.
    pub auto_flush: i64,
    /// Last entry (inclusive) of each cluster range with its own cluster size.
    pub cluster_range_end: Vec<i64>,
    /// Cluster size of each range.
    pub cluster_size: Vec<i64>,
    /// Top-level branches.
    pub branches: Vec<Branch>,
}

#[derive(Clone, Debug)]
enum TObj {
    Branch(Box<Branch>),
    Leaf(Leaf),
    Basket(EmbeddedBasket),
    Other,
}

impl Referable for TObj {
    fn reference(&self) -> Option<Self> {
        match self {
            TObj::Leaf(l) => Some(TObj::Leaf(l.clone())),
            _ => None,
        }
    }
}

fn dispatch(r: &mut ObjReader<'_, TObj>, class: &str) -> Result<TObj> {
    match class {
        "TBranch" => Ok(TObj::Branch(Box::new(read_branch(r, class)?))),
        "TBranchElement" | "TBranchObject" | "TBranchSTL" | "TBranchClones" | "TBranchRef" => {
            let outer = r.b.version()?;
            let mut b = read_branch(r, class)?;
            b.class_name = class.to_string();
            if outer.end.is_some() {
                r.b.skip_to_end(&outer, class)?;
            }
            Ok(TObj::Branch(Box::new(b)))
        }
        "TBasket" => Ok(TObj::Basket(read_embedded_basket(r)?)),
        c if c.starts_with("TLeaf") => Ok(TObj::Leaf(read_leaf(r, c)?)),
        _ => Ok(TObj::Other),
    }
}

/// Parses a streamed `TTree` (the uncompressed object of its key).
pub fn parse_tree(data: &[u8], key_len: u32) -> Result<TreeMeta> {
    let mut r = ObjReader::<TObj>::new(data, key_len);
    let h = r.b.version()?;
    if !(16..=30).contains(&h.version) {
        return Err(Error::unsupported(format!(
            "TTree class version {} (this reader knows versions 16 to 20, ROOT 5.26 and later)",
            h.version
        )));
    }
    let (name, title) = r.b.tnamed()?;
    r.b.skip_object("TAttLine")?;
    r.b.skip_object("TAttFill")?;
    r.b.skip_object("TAttMarker")?;
    let v = h.version;
    let entries = r.b.i64()?;
    let tot_bytes = r.b.i64()?;
    let zip_bytes = r.b.i64()?;
    let _saved_bytes = r.b.i64()?;
    if v >= 18 {
        let _flushed_bytes = r.b.i64()?;
    }
    let _weight = r.b.f64()?;
    let _timer_interval = r.b.i32()?;
    let _scan_field = r.b.i32()?;
    let _update = r.b.i32()?;
    if v >= 17 {
        let _default_entry_offset_len = r.b.i32()?;
    }
    let n_cluster_range = if v >= 19 { r.b.i32()? } else { 0 };
    let _max_entries = r.b.i64()?;
    let _max_entry_loop = r.b.i64()?;
    let _max_virtual_size = r.b.i64()?;
    let _auto_save = r.b.i64()?;
    let auto_flush = if v >= 18 { r.b.i64()? } else { 0 };
    let _estimate = r.b.i64()?;
    let (mut cluster_range_end, mut cluster_size) = (Vec::new(), Vec::new());
    if v >= 19 {
        let n = r.checked_count(n_cluster_range, "fNClusterRange")?;
        if r.b.u8()? != 0 {
            cluster_range_end = r.b.i64_array(n)?;
        }
        if r.b.u8()? != 0 {
            cluster_size = r.b.i64_array(n)?;
        }
    }
    if v >= 20 {
        r.b.skip_object("ROOT::TIOFeatures")?;
    }
    let branches = r
        .obj_array(dispatch)?
        .into_iter()
        .filter_map(|o| match o {
            Some(TObj::Branch(b)) => Some(*b),
            _ => None,
        })
        .collect();
    // fLeaves, fAliases, fIndexValues, ... are not needed.
    r.b.skip_to_end(&h, "TTree")?;
    let entries = u64::try_from(entries)
        .map_err(|_| Error::corrupt(format!("negative entry count {entries}")))?;
    Ok(TreeMeta {
        name,
        title,
        class_version: v,
        entries,
        tot_bytes,
        zip_bytes,
        auto_flush,
        cluster_range_end,
        cluster_size,
        branches,
    })
}

fn read_branch(r: &mut ObjReader<'_, TObj>, class: &str) -> Result<Branch> {
    let h = r.b.version()?;
    if !(10..=20).contains(&h.version) {
        return Err(Error::unsupported(format!(
            "{class} class version {} (this reader knows versions 10 to 13, ROOT 5.x and later)",
            h.version
        )));
    }
    let (name, title) = r.b.tnamed()?;
    let res = read_branch_body(r, &h, class, name.clone(), title);
    res.map_err(|e| e.in_branch(&name))
}

fn read_branch_body(
    r: &mut ObjReader<'_, TObj>,
    h: &crate::rbuf::ObjHeader,
    class: &str,
    name: String,
    title: String,
) -> Result<Branch> {
    let v = h.version;
    r.b.skip_object("TAttFill")?;
    let compress = r.b.i32()?;
    let _basket_size = r.b.i32()?;
    let entry_offset_len = r.b.i32()?;
    let write_basket = r.b.i32()?;
    let _entry_number = r.b.i64()?;
    if v >= 13 {
        r.b.skip_object("ROOT::TIOFeatures")?;
    }
    let _offset = r.b.i32()?;
    let max_baskets = r.b.i32()?;
    let _split_level = r.b.i32()?;
    let entries = r.b.i64()?;
    if v >= 11 {
        let _first_entry = r.b.i64()?;
    }
    let tot_bytes = r.b.i64()?;
    let zip_bytes = r.b.i64()?;
    let children: Vec<Branch> = r
        .obj_array(dispatch)?
        .into_iter()
        .filter_map(|o| match o {
            Some(TObj::Branch(b)) => Some(*b),
            _ => None,
        })
        .collect();
    let leaves: Vec<Leaf> = r
        .obj_array(dispatch)?
        .into_iter()
        .filter_map(|o| match o {
            Some(TObj::Leaf(l)) => Some(l),
            _ => None,
        })
        .collect();
    let embedded_slots = r.obj_array(dispatch)?;
    let n = r.checked_count(max_baskets, "fMaxBaskets")?;
    let basket_bytes = if r.b.u8()? != 0 {
        r.b.i32_array(n)?
    } else {
        vec![0; n]
    };
    let basket_entry = if r.b.u8()? != 0 {
        r.b.i64_array(n)?
    } else {
        vec![0; n]
    };
    let basket_seek = if r.b.u8()? != 0 {
        r.b.i64_array(n)?
    } else {
        vec![0; n]
    };
    let _file_name = r.b.tstring()?;
    r.b.skip_to_end(h, class)?;

    let entries = u64::try_from(entries)
        .map_err(|_| Error::corrupt(format!("negative entry count {entries}")))?;
    let nwritten = usize::try_from(write_basket)
        .ok()
        .filter(|&w| w <= n)
        .ok_or_else(|| Error::corrupt(format!("fWriteBasket {write_basket} outside 0..={n}")))?;
    let entry_at = |i: usize| -> Result<u64> {
        match basket_entry.get(i) {
            Some(&e) if e >= 0 => Ok(e as u64),
            Some(&e) => Err(Error::corrupt(format!(
                "basket {i} starts at negative entry {e}"
            ))),
            None => Ok(entries),
        }
    };
    let mut baskets = Vec::with_capacity(nwritten);
    for i in 0..nwritten {
        let (seek, bytes) = (basket_seek[i], basket_bytes[i]);
        if seek <= 0 || bytes <= 0 {
            continue;
        }
        let start = entry_at(i)?;
        let stop = entry_at(i + 1)?;
        baskets.push(BasketLoc {
            index: i,
            seek: seek as u64,
            bytes: bytes as u32,
            entry_start: start,
            entry_stop: stop,
        });
    }
    let mut embedded = Vec::new();
    for (i, slot) in embedded_slots.into_iter().enumerate() {
        if let Some(TObj::Basket(mut b)) = slot {
            b.index = i;
            b.entry_start = entry_at(i)?;
            if b.entries > 0 {
                embedded.push(b);
            }
        }
    }
    let branch = Branch {
        class_name: class.to_string(),
        name,
        title,
        compress,
        entry_offset_len,
        entries,
        tot_bytes,
        zip_bytes,
        leaves,
        baskets,
        embedded,
        children,
    };
    check_basket_coverage(&branch)?;
    Ok(branch)
}

/// Checks that the baskets of a branch cover its entries once, in order.
fn check_basket_coverage(b: &Branch) -> Result<()> {
    if b.class_name != "TBranch" || b.leaves.is_empty() {
        return Ok(());
    }
    let mut ranges: Vec<(u64, u64)> = b
        .baskets
        .iter()
        .map(|k| (k.entry_start, k.entry_stop))
        .chain(
            b.embedded
                .iter()
                .map(|e| (e.entry_start, e.entry_start + e.entries as u64)),
        )
        .collect();
    ranges.sort();
    let mut next = 0u64;
    for (s, e) in ranges {
        if s != next || e < s {
            return Err(Error::corrupt(format!(
                "basket table is inconsistent: a basket covers entries {s}..{e} where entry {next} was expected"
            )));
        }
        next = e;
    }
    if next != b.entries {
        return Err(Error::corrupt(format!(
            "baskets cover {next} entries but the branch has {}",
            b.entries
        )));
    }
    Ok(())
}

fn read_leaf(r: &mut ObjReader<'_, TObj>, class: &str) -> Result<Leaf> {
    let outer = r.b.version()?;
    let h = r.b.version()?; // TLeaf
    let (name, title) = r.b.tnamed()?;
    let len = r.b.i32()?;
    let _len_type = r.b.i32()?;
    let _offset = r.b.i32()?;
    let _is_range = r.b.u8()?;
    let is_unsigned = r.b.u8()? != 0;
    let count_leaf = match r.read_any(dispatch)? {
        Some(TObj::Leaf(l)) => Some(l.name),
        _ => None,
    };
    if h.end.is_some() {
        r.b.skip_to_end(&h, "TLeaf")?;
    }
    if outer.end.is_some() {
        r.b.skip_to_end(&outer, class)?;
    }
    let len = usize::try_from(len)
        .ok()
        .filter(|&l| l >= 1 || count_leaf.is_some())
        .ok_or_else(|| Error::corrupt(format!("leaf {name} has length {len}")))?;
    Ok(Leaf {
        class_name: class.to_string(),
        name,
        title,
        len: len.max(1),
        is_unsigned,
        count_leaf,
    })
}

/// Reads a `TBasket` streamed inside its branch.
fn read_embedded_basket(r: &mut ObjReader<'_, TObj>) -> Result<EmbeddedBasket> {
    let start = r.b.pos();
    let _nbytes = r.b.i32()?;
    let _key_version = r.b.i16()?;
    let _obj_len = r.b.i32()?;
    let _datime = r.b.u32()?;
    let key_len = r.b.i16()?;
    let _cycle = r.b.i16()?;
    let key_len = usize::try_from(key_len)
        .ok()
        .filter(|&k| k >= 19 + 18)
        .ok_or_else(|| Error::corrupt(format!("embedded basket with key length {key_len}")))?;
    r.b.seek(start + key_len - 19)?;
    let _version = r.b.u16()?;
    let _buffer_size = r.b.i32()?;
    let _nev_buf_size = r.b.i32()?;
    let nev_buf = r.b.i32()?;
    let last = r.b.i32()?;
    let mut flag = r.b.u8()?;
    let entries = u32::try_from(nev_buf)
        .map_err(|_| Error::corrupt(format!("basket with {nev_buf} entries")))?;
    let last = usize::try_from(last)
        .ok()
        .filter(|&l| l >= key_len)
        .ok_or_else(|| {
            Error::corrupt(format!(
                "basket fLast {last} shorter than its key ({key_len})"
            ))
        })?;
    let must_generate_offsets = flag >= 80;
    if must_generate_offsets {
        flag -= 80;
    }
    let mut entry_offsets = None;
    if !must_generate_offsets && flag != 0 && flag % 10 != 2 && entries > 0 {
        let n = r.b.i32()?;
        let n = r.checked_count(n, "basket entry offsets")?;
        let mut offs = r.b.i32_array(n)?;
        if 20 < flag && flag < 40 {
            for o in &mut offs {
                *o &= !0xFF00_0000u32 as i32;
            }
        }
        if flag > 40 {
            let nd = r.b.i32()?;
            let nd = r.checked_count(nd, "basket displacements")?;
            r.b.skip(4 * nd)?;
        }
        entry_offsets = Some(offs);
    }
    let data = if flag == 1 || flag > 10 {
        let buf = r.b.bytes(last)?;
        buf[key_len..].to_vec()
    } else {
        Vec::new()
    };
    Ok(EmbeddedBasket {
        index: 0,
        entries,
        key_len: key_len as u32,
        entry_offsets,
        data,
        entry_start: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(class: &str, unsigned: bool) -> Leaf {
        Leaf {
            class_name: class.into(),
            name: "x".into(),
            title: "x".into(),
            len: 1,
            is_unsigned: unsigned,
            count_leaf: None,
        }
    }

    #[test]
    fn leaf_types() {
        assert_eq!(leaf("TLeafI", true).dtype(), Some(DType::U32));
        assert_eq!(leaf("TLeafI", false).dtype(), Some(DType::I32));
        assert_eq!(leaf("TLeafB", true).type_code(), 'b');
        assert_eq!(leaf("TLeafO", false).type_code(), 'O');
        assert_eq!(leaf("TLeafL", true).dtype(), Some(DType::U64));
        assert_eq!(leaf("TLeafC", false).dtype(), None);
        assert_eq!(leaf("TLeafC", false).type_code(), 'C');
    }

    #[test]
    fn coverage_check_finds_gaps() {
        let loc = |i, s, e| BasketLoc {
            index: i,
            seek: 100,
            bytes: 10,
            entry_start: s,
            entry_stop: e,
        };
        let mut b = Branch {
            class_name: "TBranch".into(),
            name: "x".into(),
            title: "x/F".into(),
            compress: 101,
            entry_offset_len: 0,
            entries: 20,
            tot_bytes: 0,
            zip_bytes: 0,
            leaves: vec![leaf("TLeafF", false)],
            baskets: vec![loc(0, 0, 10), loc(1, 10, 20)],
            embedded: vec![],
            children: vec![],
        };
        assert!(check_basket_coverage(&b).is_ok());
        b.baskets[1].entry_start = 11;
        assert!(check_basket_coverage(&b).is_err());
        b.baskets[1].entry_start = 10;
        b.entries = 21;
        assert!(check_basket_coverage(&b)
            .unwrap_err()
            .to_string()
            .contains("cover 20"));
    }
}
