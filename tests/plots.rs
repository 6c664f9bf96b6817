//! `cortado make-plots` and `plot-cutflow` end to end on the Z→μμ example:
//! every expected file, the numbers of two figures against PocketCoffea's
//! (computed by tools/plots/reference_numbers.py, which equals PocketCoffea
//! 0.9.13's plot_utils bit for bit), and the rendered images against the
//! committed ones within a small pixel tolerance.

mod common;

use std::path::{Path, PathBuf};

use common::{ok, root, run_ok, tmpdir};
use cortado_plot::figure::{main_ylim, FigOpts};
use cortado_plot::run::{numbers, PlotOptions};
use cortado_plot::style::Style;
use serde_json::Value;

fn example_output(name: &str) -> PathBuf {
    let dir = tmpdir("plots", name);
    let out = dir.join("out");
    run_ok("examples/zmumu/analysis.yaml", out.to_str().unwrap(), &[]);
    out
}

fn arr(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| match x {
            Value::Null => f64::NAN,
            Value::String(s) if s == "inf" => f64::INFINITY,
            Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
            x => x.as_f64().unwrap(),
        })
        .collect()
}

fn same(what: &str, a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let ok = (x.is_nan() && y.is_nan())
            || x == y
            || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()) + 1e-12;
        assert!(ok, "{what}[{i}]: cortado {x} vs PocketCoffea {y}");
    }
}

fn check_figure(out: &Path, reference: &str) {
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(reference)).unwrap()).unwrap();
    let log_y = r["log_y"].as_bool().unwrap();
    let mut o = PlotOptions::new(out);
    o.log_y = log_y;
    let (h, y, c) = (
        r["histogram"].as_str().unwrap(),
        r["year"].as_str().unwrap(),
        r["category"].as_str().unwrap(),
    );
    let d = numbers(&o, h, y, c).unwrap();
    same("edges", &d.binning.edges, &arr(&r["edges"]));
    assert_eq!(d.binning.label, r["xlabel"].as_str().unwrap());
    let order: Vec<&str> = d.stack.iter().map(|s| s.name.as_str()).collect();
    let ref_order: Vec<&str> = r["stack_order_bottom_to_top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(order, ref_order, "stack order");
    for s in &d.stack {
        assert_eq!(
            s.color.hex(),
            r["colors"][&s.name].as_str().unwrap(),
            "colour of {}",
            s.name
        );
        same(
            &format!("{} nominal", s.name),
            &s.nominal.sumw,
            &arr(&r["mc"][&s.name]["nominal"]),
        );
        same(
            &format!("{} variance", s.name),
            &s.nominal.sumw2,
            &arr(&r["mc"][&s.name]["variance"]),
        );
    }
    // the stack as drawn: cumulative sums bottom to top
    let mut below = vec![0.0; d.mc_total.len()];
    for (k, s) in d.stack.iter().enumerate() {
        below
            .iter_mut()
            .zip(&s.nominal.sumw)
            .for_each(|(a, b)| *a += b);
        same("stack top", &below, &arr(&r["stack_tops_bottom_to_top"][k]));
    }
    same("MC total", &d.mc_total, &arr(&r["mc_total"]));
    let data = d.data.as_ref().unwrap();
    same("data", &data.sumw, &arr(&r["data"]["values"]));
    let sqrt: Vec<f64> = data.sumw.iter().map(|v| v.sqrt()).collect();
    same("data errors", &sqrt, &arr(&r["data"]["err"]));
    let mut systs: Vec<&str> = r["systematics"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    systs.sort();
    let mut mine: Vec<&str> = d.systematics.iter().map(String::as_str).collect();
    mine.sort();
    assert_eq!(mine, systs, "systematics");
    let b = d.band.as_ref().unwrap();
    same("band up", &b.up, &arr(&r["band"]["up"]));
    same("band down", &b.down, &arr(&r["band"]["down"]));
    same("ratio band up", &b.ratio_up, &arr(&r["ratio_band"]["up"]));
    same(
        "ratio band down",
        &b.ratio_down,
        &arr(&r["ratio_band"]["down"]),
    );
    let (rv, lo, hi) = d.ratio.as_ref().unwrap();
    same("ratio", rv, &arr(&r["ratio"]["drawn_values"]));
    same("ratio error down", lo, &arr(&r["ratio"]["drawn_err_lo"]));
    same("ratio error up", hi, &arr(&r["ratio"]["drawn_err_hi"]));
    let params = cortado_yaml::load_file(&out.join("parameters_dump.yaml")).unwrap();
    let style = Style::from_params(&params).unwrap();
    let (lo, hi) = main_ylim(
        &d,
        &style,
        FigOpts {
            ratio: true,
            log_x: false,
            log_y,
            density: false,
        },
    );
    same("ylim", &[lo, hi], &arr(&r["ylim"]));
}

fn png_size(p: &Path) -> (u32, u32) {
    let (w, h, _) = cortado_plot::raster::decode_png(&std::fs::read(p).unwrap()).unwrap();
    (w, h)
}

/// Fraction of pixels differing by more than 64 levels in a channel, over
/// the common part of two images whose sizes differ by at most `slack` pixels.
fn pixel_difference_within(a: &Path, b: &Path, slack: u32) -> f64 {
    let (wa, ha, pa) = cortado_plot::raster::decode_png(&std::fs::read(a).unwrap()).unwrap();
    let (wb, hb, pb) = cortado_plot::raster::decode_png(&std::fs::read(b).unwrap()).unwrap();
    assert!(
        wa.abs_diff(wb) <= slack && ha.abs_diff(hb) <= slack,
        "{} ({wa}×{ha}) and {} ({wb}×{hb}) differ in size",
        a.display(),
        b.display()
    );
    let (w, h) = (wa.min(wb) as usize, ha.min(hb) as usize);
    let px = |p: &[u8], width: u32, x: usize, y: usize| {
        let i = (y * width as usize + x) * 3;
        [p[i], p[i + 1], p[i + 2]]
    };
    let mut bad = 0;
    for y in 0..h {
        for x in 0..w {
            let (p, q) = (px(&pa, wa, x, y), px(&pb, wb, x, y));
            bad += usize::from(p.iter().zip(q.iter()).any(|(p, q)| p.abs_diff(*q) > 64));
        }
    }
    bad as f64 / (w as f64 * h as f64)
}

/// Fraction of pixels differing by more than 64 levels in a channel.
fn pixel_difference(a: &Path, b: &Path) -> f64 {
    pixel_difference_within(a, b, 0)
}

#[test]
fn make_plots_numbers_files_and_pixels() {
    let out = example_output("zmumu");
    // the numbers of two figures equal PocketCoffea's
    check_figure(&out, "tools/plots/examples/mll_2018_baseline.json");
    check_figure(
        &out,
        "tools/plots/examples/logy_JetGood_pt_1_2018_baseline.json",
    );

    // every histogram of the example gives one PNG, named as PocketCoffea names it
    let plots = out.join("plots");
    let printed = ok(&["make-plots", "-i", out.to_str().unwrap(), "--workers", "2"]);
    assert!(printed.contains("19 plots of 19 histograms"), "{printed}");
    let dump = ok(&["dump", out.to_str().unwrap()]);
    let names: Vec<&str> = dump
        .lines()
        .filter_map(|l| l.strip_prefix("  ")?.split(':').next())
        .filter(|n| !n.contains(' '))
        .collect();
    let mut expected: Vec<String> = names
        .iter()
        .map(|n| format!("baseline/{n}_2018_baseline.png"))
        .collect();
    expected.sort();
    let mut found: Vec<String> = walk(&plots)
        .iter()
        .map(|p| p.strip_prefix(&plots).unwrap().display().to_string())
        .collect();
    found.sort();
    assert_eq!(found, expected);
    for f in &found {
        let (w, h) = png_size(&plots.join(f));
        assert!(
            (1500..1700).contains(&w) && (1500..1700).contains(&h),
            "{f}: {w}×{h}"
        );
    }
    // a folder with files is refused without --overwrite
    let again = common::cortado(&["make-plots", "-i", out.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--overwrite"));

    // the rendered images equal the committed ones (docs/plots/cortado) within 0.5% of pixels
    let log = out.join("plots_log");
    ok(&[
        "make-plots",
        "-i",
        out.to_str().unwrap(),
        "-o",
        log.to_str().unwrap(),
        "--log-y",
        "--only-hist",
        "^JetGood_pt_1$",
        "--format",
        "png,svg,pdf",
    ]);
    for (mine, golden) in [
        (
            plots.join("baseline/mll_2018_baseline.png"),
            "docs/plots/cortado/mll_2018_baseline.png",
        ),
        (
            log.join("baseline/logy_JetGood_pt_1_2018_baseline.png"),
            "docs/plots/cortado/logy_JetGood_pt_1_2018_baseline.png",
        ),
    ] {
        let d = pixel_difference(&mine, &root().join(golden));
        assert!(
            d < 0.005,
            "{} differs from {golden} in {:.2}% of pixels",
            mine.display(),
            d * 100.0
        );
    }
    let svg =
        std::fs::read_to_string(log.join("baseline/logy_JetGood_pt_1_2018_baseline.svg")).unwrap();
    assert!(
        svg.starts_with("<?xml") && svg.trim_end().ends_with("</svg>") && svg.contains("<path")
    );

    // systematic shifts: one figure per systematic of the band
    let shifts = out.join("plots_shifts");
    ok(&[
        "make-plots",
        "-i",
        out.to_str().unwrap(),
        "-o",
        shifts.to_str().unwrap(),
        "--only-hist",
        "^mll$",
        "--systematics-shifts",
    ]);
    let mut got: Vec<String> = walk(&shifts)
        .iter()
        .map(|p| p.strip_prefix(&shifts).unwrap().display().to_string())
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "baseline/mll_2018_baseline.png",
            "baseline/pileup/mll_2018_baseline_pileup.png",
            "baseline/sf_mu_id/mll_2018_baseline_sf_mu_id.png",
            "baseline/sf_mu_iso/mll_2018_baseline_sf_mu_iso.png",
        ]
    );

    // --compare: one figure per histogram and category, named compare_*
    let cmp = out.join("plots_compare");
    let printed = ok(&[
        "make-plots",
        "-i",
        out.to_str().unwrap(),
        "-o",
        cmp.to_str().unwrap(),
        "--compare",
        out.to_str().unwrap(),
    ]);
    assert!(printed.contains("19 plots of 19 histograms"), "{printed}");
    let got = walk(&cmp);
    assert_eq!(got.len(), 19);
    assert!(got.iter().all(|p| p
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("compare_")));

    // cutflow plots: per sample, with and without the ratio, and Σw for simulation
    let cf = out.join("cutflow");
    ok(&[
        "plot-cutflow",
        "-i",
        out.to_str().unwrap(),
        "-o",
        cf.to_str().unwrap(),
    ]);
    let mut got: Vec<String> = walk(&cf)
        .iter()
        .map(|p| p.strip_prefix(&cf).unwrap().display().to_string())
        .collect();
    got.sort();
    assert_eq!(got.len(), 8, "{got:?}");
    assert!(got.contains(&"cutflow_with_ratio_DATA_SingleMuon_2018.png".to_string()));
    assert!(got.contains(&"sum_of_weights_TTTo2L2Nu_2018.png".to_string()));
    assert!(!got.iter().any(|g| g.starts_with("sum_of_weights_DATA")));
}

/// A category axis is drawn with its categories' names as x ticks.
#[test]
fn a_category_axis_has_named_ticks() {
    let dir = tmpdir("plots", "category");
    let ex = dir.join("zmumu");
    common::copy_dir(&root().join("examples/zmumu"), &ex);
    let cfg = ex.join("analysis.yaml");
    let mut yaml = std::fs::read_to_string(&cfg).unwrap();
    yaml = yaml.replace(
        "histograms:\n",
        "histograms:\n  nJetCat:\n    axes: [{coll: events, field: nJetGood, type: intcat, growth: true, \
         label: \"$N_{jets}$\"}]\n",
    );
    std::fs::write(&cfg, yaml).unwrap();
    let out = dir.join("out");
    run_ok(cfg.to_str().unwrap(), out.to_str().unwrap(), &[]);
    // the categories are sorted whichever chunk sees them first: small
    // chunks on two threads give the same histogram
    let small = dir.join("small_chunks");
    run_ok(
        cfg.to_str().unwrap(),
        small.to_str().unwrap(),
        &["-c", "37", "-j", "2"],
    );
    let hist = |o: &Path| {
        let j: Value = serde_json::from_str(&ok(&["dump", o.to_str().unwrap(), "--json"])).unwrap();
        j["histograms"]["nJetCat"].clone()
    };
    assert_eq!(hist(&out), hist(&small));
    let o = PlotOptions::new(&out);
    let d = numbers(&o, "nJetCat", "2018", "baseline").unwrap();
    let names: Vec<&str> = d.binning.names.iter().map(|n| n.1.as_str()).collect();
    assert!(
        !names.is_empty() && names.iter().all(|n| n.parse::<u32>().is_ok()),
        "{names:?}"
    );
    assert_eq!(d.binning.edges.len(), names.len() + 1);
    assert_eq!(d.binning.names[0].0, 0.5);
    ok(&[
        "make-plots",
        "-i",
        out.to_str().unwrap(),
        "--only-hist",
        "^nJetCat$",
    ]);
    assert!(out
        .join("plots/baseline/nJetCat_2018_baseline.png")
        .is_file());
}

/// The PDF draws what the PNG draws: rendered by MuPDF (PyPI `pymupdf`, an
/// independent renderer) at 150 dpi, it equals cortado's PNG within 0.5% of
/// pixels (the page may round to one pixel more).
#[test]
#[ignore = "needs Python with pymupdf (CORTADO_TEST_PYTHON)"]
fn pdf_draws_what_the_png_draws() {
    let python = std::env::var("CORTADO_TEST_PYTHON")
        .expect("CORTADO_TEST_PYTHON is not set: it must name a Python with pymupdf");
    let out = example_output("pdf");
    let plots = out.join("plots_pdf");
    ok(&[
        "make-plots",
        "-i",
        out.to_str().unwrap(),
        "-o",
        plots.to_str().unwrap(),
        "--only-hist",
        "^(mll|JetGood_pt_1)$",
        "--log-y",
        "--format",
        "png,pdf",
    ]);
    for name in ["logy_mll_2018_baseline", "logy_JetGood_pt_1_2018_baseline"] {
        let pdf = plots.join(format!("baseline/{name}.pdf"));
        let bytes = std::fs::read(&pdf).unwrap();
        assert!(bytes.starts_with(b"%PDF-") && bytes.ends_with(b"%%EOF"));
        let from_pdf = plots.join(format!("{name}.mupdf.png"));
        let script = "import sys, pymupdf\n\
                      pymupdf.open(sys.argv[1])[0].get_pixmap(dpi=150, alpha=False).save(sys.argv[2])";
        let r = std::process::Command::new(&python)
            .args(["-c", script])
            .arg(&pdf)
            .arg(&from_pdf)
            .output()
            .unwrap();
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        let png = plots.join(format!("baseline/{name}.png"));
        let d = pixel_difference_within(&from_pdf, &png, 1);
        assert!(
            d < 0.005,
            "{name}: the PDF differs in {:.2}% of pixels",
            d * 100.0
        );
    }
}

#[test]
fn bad_inputs_are_named() {
    let dir = tmpdir("plots", "bad");
    let e = common::cortado(&["make-plots", "-i", dir.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&e.stderr).contains("no output_*.cortado"),
        "{}",
        String::from_utf8_lossy(&e.stderr)
    );
    let out = example_output("bad");
    let style = dir.join("style.yaml");
    std::fs::write(
        &style,
        "plotting_style:\n  colors_mc:\n    DYJetsToLL: not-a-colour\n",
    )
    .unwrap();
    let e = common::cortado(&[
        "make-plots",
        "-i",
        out.to_str().unwrap(),
        "-op",
        style.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&e.stderr);
    assert!(
        err.contains("style.yaml:3:") && err.contains("'not-a-colour' is not a colour"),
        "{err}"
    );
    let e = common::cortado(&[
        "make-plots",
        "-i",
        out.to_str().unwrap(),
        "--only-year",
        "2017",
    ]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("the output has the years 2018"));
    let e = common::cortado(&["make-plots", "-i", out.to_str().unwrap(), "--format", "gif"]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("unknown plot format 'gif'"));
    // a damaged output is refused before anything is drawn
    let file = out.join("output_all.cortado");
    let mut bytes = std::fs::read(&file).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0x40;
    std::fs::write(&file, &bytes).unwrap();
    let e = common::cortado(&[
        "make-plots",
        "-i",
        out.to_str().unwrap(),
        "-o",
        dir.join("p").to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("damaged output file"));
    assert!(!dir.join("p").exists());
}

fn walk(d: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(d).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            v.extend(walk(&p));
        } else {
            v.push(p);
        }
    }
    v
}
