//! `TStreamerInfo`: the file's own description of the classes it contains.
//!
//! Every ROOT file carries a list of `TStreamerInfo` records (one per class and
//! class version written into it). This reader does not need them to read
//! NanoAOD trees, but parses them so that `cortado inspect` can show them and
//! so that files from every writer are checked to be well-formed. Each record
//! and element is read through its byte count, so newer versions (ROOT 6.40
//! writes `TStreamerInfo` version 10) with extra fields are read, not refused.

use crate::error::{Error, Result};
use crate::objects::{ObjReader, Referable};

/// One member (or base class) of a class, as described by a `TStreamerElement`.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamerElement {
    /// The element class (`TStreamerBase`, `TStreamerBasicType`, ...).
    pub kind: String,
    /// Member name.
    pub name: String,
    /// Member title (comment).
    pub title: String,
    /// ROOT's type code (`TVirtualStreamerInfo::EReadWrite`).
    pub type_code: i32,
    /// Type name (`Float_t`, `TObjArray*`, ...).
    pub type_name: String,
    /// Fixed array length (0 when not an array).
    pub array_length: i32,
}

/// A class description.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamerInfo {
    /// Class name.
    pub class_name: String,
    /// Class version described.
    pub class_version: i32,
    /// Class checksum.
    pub checksum: u32,
    /// Version of the `TStreamerInfo` record itself (9 up to ROOT 6.38, 10 in 6.40).
    pub record_version: i16,
    /// Members and bases.
    pub elements: Vec<StreamerElement>,
}

#[derive(Clone, Debug)]
enum SObj {
    Info(StreamerInfo),
    Element(StreamerElement),
    Array(Vec<SObj>),
    Other,
}

impl Referable for SObj {
    fn reference(&self) -> Option<Self> {
        None
    }
}

fn dispatch(r: &mut ObjReader<'_, SObj>, class: &str) -> Result<SObj> {
    match class {
        "TStreamerInfo" => read_info(r).map(SObj::Info),
        "TObjArray" => Ok(SObj::Array(
            r.obj_array(dispatch)?.into_iter().flatten().collect(),
        )),
        "TList" => {
            r.list(dispatch)?;
            Ok(SObj::Other)
        }
        c if c.starts_with("TStreamer") => read_element(r, c)
            .map(SObj::Element)
            .map_err(|e| Error::corrupt(format!("{c}: {e}"))),
        // Anything else (TObjString schema-evolution rules, ...) is skipped by
        // its byte count in `read_any`.
        _ => Ok(SObj::Other),
    }
}

fn read_info(r: &mut ObjReader<'_, SObj>) -> Result<StreamerInfo> {
    let h = r.b.version()?;
    let (class_name, _title) = r.b.tnamed()?;
    let checksum = r.b.u32()?;
    let class_version = r.b.i32()?;
    let elements = match r.read_any(dispatch)? {
        Some(SObj::Array(items)) => items
            .into_iter()
            .filter_map(|o| match o {
                SObj::Element(e) => Some(e),
                _ => None,
            })
            .collect(),
        None => Vec::new(),
        Some(_) => {
            return Err(Error::corrupt(format!(
                "TStreamerInfo of {class_name}: fElements is not a TObjArray"
            )))
        }
    };
    if h.end.is_some() {
        r.b.skip_to_end(&h, "TStreamerInfo")?;
    }
    Ok(StreamerInfo {
        class_name,
        class_version,
        checksum,
        record_version: h.version,
        elements,
    })
}

fn read_element(r: &mut ObjReader<'_, SObj>, kind: &str) -> Result<StreamerElement> {
    // Subclass headers wrap the TStreamerElement base: TStreamerSTLstring
    // derives from TStreamerSTL, every other element class directly from it.
    let depth = if kind == "TStreamerSTLstring" { 2 } else { 1 };
    let mut outer = Vec::with_capacity(depth);
    for _ in 0..depth {
        outer.push(r.b.version()?);
    }
    let h = r.b.version()?; // TStreamerElement
    let (name, title) = r.b.tnamed()?;
    let mut type_code = r.b.i32()?;
    let _size = r.b.i32()?;
    let array_length = r.b.i32()?;
    let _array_dim = r.b.i32()?;
    if h.version == 1 {
        let n = r.b.i32()?;
        let n = r.checked_count(n, "fMaxIndex")?;
        r.b.skip(4 * n)?;
    } else {
        r.b.skip(4 * 5)?;
    }
    let type_name = r.b.tstring()?;
    // ROOT stores bool members as kUChar with the type name Bool_t.
    if type_code == 11 && (type_name == "Bool_t" || type_name == "bool") {
        type_code = 18;
    }
    if h.end.is_some() {
        r.b.skip_to_end(&h, "TStreamerElement")?;
    }
    for o in outer.iter().rev() {
        if o.end.is_some() {
            r.b.skip_to_end(o, kind)?;
        }
    }
    Ok(StreamerElement {
        kind: kind.to_string(),
        name,
        title,
        type_code,
        type_name,
        array_length,
    })
}

/// Parses the uncompressed `TList` of `TStreamerInfo` records.
pub fn parse_streamer_list(data: &[u8], key_len: u32) -> Result<Vec<StreamerInfo>> {
    let mut r = ObjReader::<SObj>::new(data, key_len);
    let items = r.list(dispatch)?;
    Ok(items
        .into_iter()
        .filter_map(|o| match o {
            Some(SObj::Info(i)) => Some(i),
            _ => None,
        })
        .collect())
}
