//! The hook page's chart: deliveries per hour of the last week as stacked bars, drawn on the
//! server as SVG so it shows with JavaScript off. Colours come from classes in style.css (the
//! CSP allows no inline style); each non-empty hour has a `<title>`, a tooltip without script.
use std::fmt::Write;

use crate::domain::stats::HourlyChart;
use crate::primitives::DeliveryStatus;

const BAR: i64 = 5; // px per hour over a week
const BAR_DAY: i64 = 30; // px per hour over a day
const LEFT: i64 = 44; // room for the y-axis labels
const TOP: i64 = 8;
const PLOT_H: i64 = 120;
const BOTTOM: i64 = 22; // room for the day labels
/// The style class of each of [`DeliveryStatus::LISTED`].
const CLASSES: [&str; 3] = ["ok", "bad", "wait"];

/// "3 succeeded, 1 failed, 2 pending": counts in [`DeliveryStatus::LISTED`] order, in words.
pub fn counts_text(counts: &[i64; 3]) -> String {
    let parts: Vec<String> = DeliveryStatus::LISTED
        .iter()
        .zip(counts)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    parts.join(", ")
}

/// A round number at or above `n` for the top of the y axis (1, 2, 5, 10, 20, 50, ...).
fn nice_max(n: i64) -> i64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if step * m >= n {
                return step * m;
            }
        }
        step *= 10;
    }
}

/// The last day alone when nothing happened before it (a new hook, a quiet week): a week's
/// chart would squeeze all of it into a sliver at the right edge.
pub fn window(chart: HourlyChart) -> HourlyChart {
    let day = 24.min(chart.hours.len());
    let before = chart.hours.len() - day;
    if chart.hours[..before]
        .iter()
        .any(|h| h.iter().any(|n| *n > 0))
    {
        return chart;
    }
    HourlyChart {
        start: chart.start + before as i64 * 3_600_000,
        hours: chart.hours[before..].to_vec(),
    }
}

/// "Last 24 hours" or "Last 7 days", as the window the chart shows.
pub fn title(chart: &HourlyChart) -> &'static str {
    if chart.hours.len() <= 24 {
        "Last 24 hours"
    } else {
        "Last 7 days"
    }
}

/// Totals per outcome over the whole chart.
pub fn totals(chart: &HourlyChart) -> [i64; 3] {
    chart.hours.iter().fold([0; 3], |mut t, h| {
        for i in 0..3 {
            t[i] += h[i];
        }
        t
    })
}

/// `04-12 13:00`: day and hour in UTC.
fn hour_label(ms: i64) -> String {
    let s = crate::domain::time::rfc3339(ms);
    format!("{} {}:00", &s[5..10], &s[11..13])
}

pub fn svg(chart: &HourlyChart) -> String {
    let n = chart.hours.len() as i64;
    let day = n <= 24;
    let bar = if day { BAR_DAY } else { BAR };
    let width = LEFT + n * bar + 4;
    let height = TOP + PLOT_H + BOTTOM;
    let peak = chart.hours.iter().map(|h| h.iter().sum::<i64>()).max();
    let top = nice_max(peak.unwrap_or(0).max(1));
    let t = totals(chart);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {width} {height}" role="img" xmlns="http://www.w3.org/2000/svg" aria-label="Deliveries per hour over the {}: {}">"#,
        title(chart).trim_start_matches("Last ").to_lowercase(),
        counts_text(&t)
    );
    // Grid lines and y labels at 0, half and the top.
    for (value, y) in [(0, TOP + PLOT_H), (top / 2, TOP + PLOT_H / 2), (top, TOP)] {
        if value == 0 && y != TOP + PLOT_H {
            continue;
        }
        let _ = write!(
            s,
            r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{y}" y2="{y}"/><text class="axis" x="{}" y="{}" text-anchor="end">{value}</text>"#,
            width - 4,
            LEFT - 4,
            y + 4
        );
    }
    for (i, hour) in chart.hours.iter().enumerate() {
        let x = LEFT + i as i64 * bar;
        let at = chart.start + i as i64 * 3_600_000;
        // Days over a week, every sixth hour over a day; a label needs ~60 px at the larger
        // font a phone gets, so one starting near the right edge goes without.
        let stamp = crate::domain::time::rfc3339(at);
        let label = if day {
            (at % (6 * 3_600_000) == 0).then(|| format!("{}:00", &stamp[11..13]))
        } else {
            (at % 86_400_000 == 0).then(|| stamp[5..10].to_owned())
        };
        if let Some(label) = label.filter(|_| x + 60 < width) {
            let _ = write!(
                s,
                r#"<line class="day" x1="{x}" x2="{x}" y1="{TOP}" y2="{}"/><text class="axis" x="{}" y="{}">{label}</text>"#,
                TOP + PLOT_H,
                x + 2,
                height - 6,
            );
        }
        let total: i64 = hour.iter().sum();
        if total == 0 {
            continue;
        }
        let _ = write!(
            s,
            "<g><title>{}: {}</title>",
            hour_label(at),
            counts_text(hour)
        );
        let mut y = TOP + PLOT_H;
        for k in 0..3 {
            if hour[k] == 0 {
                continue;
            }
            // At least one pixel, so a single failure in a busy week still shows.
            let h = ((hour[k] * PLOT_H + top - 1) / top).max(1);
            y -= h;
            let _ = write!(
                s,
                r#"<rect class="{}" x="{x}" y="{y}" width="{}" height="{h}"><title>{} {}</title></rect>"#,
                CLASSES[k],
                bar - 1,
                hour[k],
                DeliveryStatus::LISTED[k]
            );
        }
        s.push_str("</g>");
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(nice_max(1), 1);
        assert_eq!(nice_max(3), 5);
        assert_eq!(nice_max(7), 10);
        assert_eq!(nice_max(11), 20);
        assert_eq!(nice_max(420), 500);
    }

    #[test]
    fn draws_one_group_per_busy_hour() {
        let mut hours = vec![[0; 3]; 168];
        hours[5] = [3, 1, 0];
        hours[167] = [0, 0, 2];
        let chart = HourlyChart {
            start: 1_796_000_400_000, // a whole hour
            hours,
        };
        let s = svg(&chart);
        assert_eq!(s.matches("<g>").count(), 2);
        assert_eq!(s.matches("<rect").count(), 3);
        assert!(s.contains("3 succeeded, 1 failed, 2 pending"));
        assert!(!s.contains("style="), "CSP forbids inline style");
    }

    #[test]
    fn a_week_with_only_todays_activity_is_drawn_as_a_day() {
        let start = 1_796_000_400_000 - 1_796_000_400_000 % 86_400_000;
        let mut hours = vec![[0; 3]; 168];
        hours[160] = [4, 0, 0];
        let day = window(HourlyChart {
            start,
            hours: hours.clone(),
        });
        assert_eq!(day.hours.len(), 24);
        assert_eq!(day.hours[16], [4, 0, 0]);
        assert_eq!(day.start, start + 144 * 3_600_000);
        assert_eq!(title(&day), "Last 24 hours");
        assert!(svg(&day).contains(">06:00</text>"), "hours label a day");
        hours[3] = [1, 0, 0];
        let week = window(HourlyChart { start, hours });
        assert_eq!((week.hours.len(), title(&week)), (168, "Last 7 days"));
    }
}
