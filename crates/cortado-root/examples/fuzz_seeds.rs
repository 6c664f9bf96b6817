//! Writes seed inputs for the fuzz targets in `fuzz/` from real ROOT files:
//! basket records, uncompressed TTree and TStreamerInfo objects (prefixed with
//! their key length), compressed payloads, and small whole files.
//!
//! `cargo run --example fuzz_seeds -- OUT_DIR FILE.root...`

use std::path::Path;

use cortado_root::RootFile;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((out, files)) = args.split_first() else {
        return Err("usage: fuzz_seeds OUT_DIR FILE.root...".into());
    };
    let out = Path::new(out);
    for t in ["root_file", "basket", "tree_meta", "decompress"] {
        std::fs::create_dir_all(out.join(t))?;
    }
    for (fi, path) in files.iter().enumerate() {
        let bytes = std::fs::read(path)?;
        if bytes.len() < 400_000 {
            std::fs::write(out.join("root_file").join(format!("f{fi}")), &bytes)?;
        }
        let file = RootFile::open(path)?;
        for name in file.tree_names() {
            let key = file.key(&name)?;
            let obj = file.read_object_bytes(&key)?;
            let mut seed = (key.key_len).to_le_bytes().to_vec();
            seed.extend(&obj);
            std::fs::write(out.join("tree_meta").join(format!("f{fi}_{name}")), seed)?;
            let tree = file.tree(&name)?;
            for (bi, b) in tree.branches().iter().enumerate().take(40) {
                if let Some(loc) = b.baskets.first() {
                    if loc.bytes < 20_000 {
                        let raw = file.source().read_at(loc.seek, loc.bytes as usize)?;
                        std::fs::write(
                            out.join("basket").join(format!("f{fi}_{name}_{bi}")),
                            &raw,
                        )?;
                        let key =
                            cortado_root::Key::parse(&mut cortado_root::rbuf::RBuf::new(&raw))?;
                        if !key.is_uncompressed() && key.obj_len < 65536 {
                            let mut seed = (key.obj_len as u16).to_le_bytes().to_vec();
                            seed.extend(&raw[key.key_len as usize..key.nbytes as usize]);
                            std::fs::write(
                                out.join("decompress").join(format!("f{fi}_{name}_{bi}")),
                                seed,
                            )?;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}
