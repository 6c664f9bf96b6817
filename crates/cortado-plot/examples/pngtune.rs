//! Size and time of PNG encodings of one image (how `raster::encode_png`'s
//! settings were chosen): `cargo run --release -p cortado-plot --example pngtune -- plot.png`.
fn main() {
    let path = std::env::args().nth(1).expect("a PNG file");
    let bytes = std::fs::read(&path).expect("readable");
    let (w, h, rgb) = cortado_plot::raster::decode_png(&bytes).expect("a PNG");
    use png::DeflateCompression as D;
    for (name, c, f) in [
        ("ultrafast/up", D::FdeflateUltraFast, png::Filter::Up),
        ("level1/up", D::Level(1), png::Filter::Up),
        ("level2/up", D::Level(2), png::Filter::Up),
        ("level3/up", D::Level(3), png::Filter::Up),
        ("level4/up", D::Level(4), png::Filter::Up),
        ("level6/up", D::Level(6), png::Filter::Up),
        ("level6/adaptive", D::Level(6), png::Filter::Adaptive),
        ("level1/sub", D::Level(1), png::Filter::Sub),
    ] {
        let t = std::time::Instant::now();
        let mut out = Vec::new();
        for _ in 0..5 {
            out.clear();
            let mut enc = png::Encoder::new(&mut out, w, h);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            enc.set_deflate_compression(c);
            enc.set_filter(f);
            let mut wr = enc.write_header().expect("header");
            wr.write_image_data(&rgb).expect("data");
            wr.finish().expect("end");
        }
        let ms = t.elapsed().as_secs_f64() * 200.0;
        println!("{name:20} {:8} bytes {ms:6.1} ms", out.len());
    }
}
