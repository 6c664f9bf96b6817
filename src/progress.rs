//! Progress of `cortado run`: bars per dataset and in total (events, events/s,
//! ETA) on a terminal; plain log lines every few seconds otherwise.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cortado_engine::local::Progress;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// Bars when standard error is a terminal (and `no_progress` is false), log
/// lines through `log` otherwise.
pub fn bars_or_log<'a>(
    no_progress: bool,
    log: &'a (dyn Fn(&str) + Sync),
) -> Box<dyn Progress + 'a> {
    if !no_progress && std::io::stderr().is_terminal() {
        let width = console::Term::stderr().size().1;
        Box::new(Bars::new(ProgressDrawTarget::stderr_with_hz(4), width))
    } else {
        Box::new(Lines {
            log,
            state: Mutex::new(LineState {
                start: Instant::now(),
                last: Instant::now(),
                done: 0,
                total: 0,
                resumed: 0,
            }),
        })
    }
}

/// indicatif bars, laid out for a terminal `width` columns wide.
struct Bars {
    multi: MultiProgress,
    width: u16,
    per_dataset: Mutex<HashMap<String, ProgressBar>>,
    total: Mutex<Option<ProgressBar>>,
}

impl Bars {
    fn new(target: ProgressDrawTarget, width: u16) -> Bars {
        Bars {
            multi: MultiProgress::with_draw_target(target),
            width,
            per_dataset: Mutex::new(HashMap::new()),
            total: Mutex::new(None),
        }
    }
}

/// An event rate for a person: an integer below 1000, then one decimal with
/// `k`, `M` or `G` (`850 ev/s`, `249.4k ev/s`, `1.2M ev/s`); `- ev/s` when
/// there is no meaningful rate (not finite or negative).
pub(crate) fn format_rate(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec < 0.0 {
        return "- ev/s".to_string();
    }
    if per_sec.round() < 1000.0 {
        return format!("{:.0} ev/s", per_sec);
    }
    let mut value = per_sec;
    for suffix in ["k", "M", "G", "T"] {
        value /= 1000.0;
        // Choose the unit after rounding, so 999,960/s reads 1.0M, not 1000.0k.
        if (value * 10.0).round() < 10_000.0 || suffix == "T" {
            return format!("{value:.1}{suffix} ev/s");
        }
    }
    unreachable!("the loop returns at its last unit")
}

/// A remaining time in at most three columns (`45s`, `12m`, `3h`, `14w`);
/// `-` beyond 99 weeks (the estimate is meaningless there).
fn format_eta(eta: Duration) -> String {
    if eta > Duration::from_secs(99 * 7 * 86_400) {
        return "-".to_string();
    }
    format!("{:#}", indicatif::HumanDuration(eta))
}

/// Width of the widest rate [`format_rate`] gives below 1000 T/s.
const RATE_WIDTH: usize = 11;
/// Width of [`format_eta`].
const ETA_WIDTH: usize = 3;
/// The narrowest bar worth drawing.
const MIN_BAR: usize = 10;

/// The template of one line: with counts when the terminal is wide enough for
/// them and a bar of at least [`MIN_BAR`] columns, with a percentage instead
/// of counts when narrower, without a bar when narrower still. The bar takes
/// whatever the rest leaves (`wide_bar`), so every line fits `width`.
/// `name_width` is the longest dataset name, `count_width` the widest count.
fn template(width: usize, name_width: usize, count_width: usize) -> String {
    let name = name_width.min(width / 3).max(5);
    let tail = format!("{{rate:>{RATE_WIDTH}}} ETA {{eta:<{ETA_WIDTH}}}");
    let tail_width = RATE_WIDTH + 5 + ETA_WIDTH;
    // name, " [", bar, "] ", counts, " ", tail
    let with_counts = name + 4 + 2 * count_width + 1 + 1 + tail_width;
    if width >= with_counts + MIN_BAR {
        return format!(
            "{{prefix:<{name}!}} [{{wide_bar}}] {{human_pos:>{count_width}}}/{{human_len:<{count_width}}} {tail}"
        );
    }
    // name, " [", bar, "] ", "100%", " ", tail
    let with_percent = name + 4 + 4 + 1 + tail_width;
    if width >= with_percent + MIN_BAR {
        return format!("{{prefix:<{name}!}} [{{wide_bar}}] {{percent:>3}}% {tail}");
    }
    // name, " ", "100%", " ", rate
    let name = width.saturating_sub(6 + RATE_WIDTH).clamp(1, name);
    if width >= name + 6 + RATE_WIDTH {
        return format!("{{prefix:<{name}!}} {{percent:>3}}% {{rate:>{RATE_WIDTH}}}");
    }
    "{percent:>3}%".to_string()
}

fn style(width: u16, name_width: usize, count_width: usize) -> ProgressStyle {
    ProgressStyle::with_template(&template(usize::from(width), name_width, count_width))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&format_rate(s.per_sec()));
        })
        .with_key("eta", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&format_eta(s.eta()));
        })
        .progress_chars("=> ")
}

impl Progress for Bars {
    fn start(&self, datasets: &[(String, u64, u64)]) {
        let name_width = datasets.iter().map(|d| d.0.len()).max().unwrap_or(5);
        let all: u64 = datasets.iter().map(|d| d.1).sum();
        let done: u64 = datasets.iter().map(|d| d.2).sum();
        let count_width = indicatif::HumanCount(all).to_string().len();
        let style = style(self.width, name_width, count_width);
        let mut map = match self.per_dataset.lock() {
            Ok(m) => m,
            Err(_) => return,
        };
        for (name, total, done) in datasets {
            let b = self.multi.add(ProgressBar::new(*total));
            b.set_style(style.clone());
            b.set_prefix(name.clone());
            b.set_position(*done);
            b.reset_eta();
            map.insert(name.clone(), b);
        }
        let t = self.multi.add(ProgressBar::new(all));
        t.set_style(style);
        t.set_prefix("Total");
        t.set_position(done);
        t.reset_eta();
        if let Ok(mut slot) = self.total.lock() {
            *slot = Some(t);
        }
    }

    fn advance(&self, dataset: &str, events: u64) {
        if let Ok(map) = self.per_dataset.lock() {
            if let Some(b) = map.get(dataset) {
                b.inc(events);
            }
        }
        if let Ok(t) = self.total.lock() {
            if let Some(t) = t.as_ref() {
                t.inc(events);
            }
        }
    }

    fn finish(&self) {
        if let Ok(map) = self.per_dataset.lock() {
            map.values().for_each(ProgressBar::finish);
        }
        if let Ok(t) = self.total.lock() {
            if let Some(t) = t.as_ref() {
                t.finish();
            }
        }
    }
}

struct LineState {
    start: Instant,
    last: Instant,
    done: u64,
    total: u64,
    resumed: u64,
}

/// Log lines every 5 s.
struct Lines<'a> {
    log: &'a (dyn Fn(&str) + Sync),
    state: Mutex<LineState>,
}

impl Progress for Lines<'_> {
    fn start(&self, datasets: &[(String, u64, u64)]) {
        if let Ok(mut s) = self.state.lock() {
            s.total = datasets.iter().map(|d| d.1).sum();
            s.resumed = datasets.iter().map(|d| d.2).sum();
            s.done = s.resumed;
            s.start = Instant::now();
            s.last = Instant::now();
        }
    }

    fn advance(&self, _dataset: &str, events: u64) {
        let line = match self.state.lock() {
            Ok(mut s) => {
                s.done += events;
                if s.last.elapsed() < Duration::from_secs(5) && s.done < s.total {
                    return;
                }
                s.last = Instant::now();
                let secs = s.start.elapsed().as_secs_f64().max(1e-9);
                let rate = (s.done - s.resumed) as f64 / secs;
                let eta = if rate > 0.0 {
                    (s.total - s.done) as f64 / rate
                } else {
                    0.0
                };
                format!(
                    "  processed {}/{} events ({:.0}%), {:.0} events/s, ETA {:.0} s",
                    s.done,
                    s.total,
                    100.0 * s.done as f64 / s.total.max(1) as f64,
                    rate,
                    eta
                )
            }
            Err(_) => return,
        };
        (self.log)(&line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn rates_are_short_integers_or_suffixed() {
        assert_eq!(format_rate(0.0), "0 ev/s");
        assert_eq!(format_rate(0.4), "0 ev/s");
        assert_eq!(format_rate(850.3), "850 ev/s");
        assert_eq!(format_rate(999.4), "999 ev/s");
        assert_eq!(format_rate(999.6), "1.0k ev/s");
        assert_eq!(format_rate(249_417.358_561_619_4), "249.4k ev/s");
        assert_eq!(format_rate(999_960.0), "1.0M ev/s");
        assert_eq!(format_rate(12_345_678.9), "12.3M ev/s");
        assert_eq!(format_rate(2.5e9), "2.5G ev/s");
        assert_eq!(format_rate(3e15), "3000.0T ev/s");
        assert_eq!(format_rate(f64::NAN), "- ev/s");
        assert_eq!(format_rate(f64::INFINITY), "- ev/s");
        assert_eq!(format_rate(-1.0), "- ev/s");
        for r in [
            0.0, 1.0, 999.0, 999.9, 1e3, 99_999.0, 999_999.0, 5e8, 9.99e11,
        ] {
            assert!(
                format_rate(r).len() <= RATE_WIDTH,
                "{r}: {}",
                format_rate(r)
            );
        }
    }

    #[test]
    fn etas_fit_three_columns() {
        for secs in [
            0,
            1,
            59,
            89,
            3600,
            86_400 * 6,
            86_400 * 7 * 99,
            u64::MAX / 2,
        ] {
            let eta = format_eta(Duration::from_secs(secs));
            assert!(eta.len() <= ETA_WIDTH, "{secs} s: {eta}");
        }
        assert_eq!(format_eta(Duration::from_secs(45)), "45s");
        assert_eq!(format_eta(Duration::from_secs(u64::MAX / 2)), "-");
    }

    /// A terminal of a given width that records what is drawn.
    #[derive(Debug, Clone)]
    struct Screen {
        width: u16,
        lines: Arc<Mutex<Vec<String>>>,
    }

    impl indicatif::TermLike for Screen {
        fn width(&self) -> u16 {
            self.width
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(s)
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            if let Ok(mut lines) = self.lines.lock() {
                lines.extend(s.split('\n').map(str::to_string));
            }
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Draws bars for a run on a terminal `width` wide; the lines drawn.
    fn draw(width: u16, names: &[&str]) -> Vec<String> {
        let screen = Screen {
            width,
            lines: Arc::default(),
        };
        let bars = Bars::new(
            ProgressDrawTarget::term_like(Box::new(screen.clone())),
            width,
        );
        let datasets: Vec<(String, u64, u64)> = names
            .iter()
            .map(|n| (n.to_string(), 123_456_789, 0))
            .collect();
        bars.start(&datasets);
        for n in names {
            bars.advance(n, 61_728_394);
        }
        bars.finish();
        let lines = screen.lines.lock().map(|l| l.clone()).unwrap_or_default();
        lines.into_iter().filter(|l| !l.trim().is_empty()).collect()
    }

    #[test]
    fn bars_fit_the_terminal() {
        let long = "DYJetsToLL_M-50_TuneCP5_13TeV-amcatnloFXFX-pythia8_2018";
        for width in [10u16, 20, 30, 40, 60, 80, 100, 120, 200] {
            let lines = draw(width, &["DATA_SingleMuon", long]);
            assert!(lines.len() >= 3, "width {width}: {lines:?}");
            for line in &lines {
                let cols = console::measure_text_width(line);
                assert!(
                    cols <= usize::from(width),
                    "width {width}: {cols} columns: {line:?}"
                );
                assert!(!line.contains("ev/s") || !line.contains(".00"), "{line:?}");
            }
        }
        // Wide terminals show the counts and a bar that fills the line.
        let wide = draw(200, &["DATA_SingleMuon"]);
        let total = wide.iter().rev().find(|l| l.starts_with("Total")).cloned();
        let total = total.unwrap_or_default();
        assert!(total.contains("123,456,789/123,456,789"), "{total}");
        assert!(total.contains('[') && total.contains("ev/s"), "{total}");
        assert_eq!(console::measure_text_width(&total), 200, "{total}");
        // Narrow ones keep the percentage and the rate.
        let narrow = draw(40, &["DATA_SingleMuon"]);
        assert!(
            narrow
                .iter()
                .any(|l| l.contains("100%") && l.contains("ev/s")),
            "{narrow:?}"
        );
    }
}
