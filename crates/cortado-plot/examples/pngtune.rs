fn main() {
    let path = std::env::args().nth(1).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let (w, h, rgb) = cortado_plot::raster::decode_png(&bytes).unwrap();
    for (name, c, f) in [
        ("fast/up", png::Compression::Fast, png::Filter::Up),
        ("fast/sub", png::Compression::Fast, png::Filter::Sub),
        (
            "fast/adaptive",
            png::Compression::Fast,
            png::Filter::Adaptive,
        ),
        ("balanced/up", png::Compression::Balanced, png::Filter::Up),
        (
            "balanced/adaptive",
            png::Compression::Balanced,
            png::Filter::Adaptive,
        ),
        ("fast/none", png::Compression::Fast, png::Filter::NoFilter),
    ] {
        let t = std::time::Instant::now();
        let mut out = Vec::new();
        for _ in 0..5 {
            out.clear();
            let mut enc = png::Encoder::new(&mut out, w, h);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            enc.set_compression(c);
            enc.set_filter(f);
            let mut wr = enc.write_header().unwrap();
            wr.write_image_data(&rgb).unwrap();
            wr.finish().unwrap();
        }
        println!(
            "{name:20} {:8} bytes {:6.1} ms",
            out.len(),
            t.elapsed().as_secs_f64() * 200.0
        );
    }
}
