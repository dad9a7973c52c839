//! Charts as SVG, drawn on the server: bar and line charts with a zero-based y axis, "nice" tick
//! values, labelled axes and a text alternative. Geometry is computed in exact decimals, so a
//! chart of money never passes through a float.

use std::fmt::Write;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

const WIDTH: i64 = 640;
const HEIGHT: i64 = 260;
const LEFT: i64 = 64;
const RIGHT: i64 = 16;
const TOP: i64 = 28;
const BOTTOM: i64 = 48;
const TICKS: i64 = 4;

/// One labelled value on the x axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    pub label: String,
    pub value: Decimal,
}

impl Point {
    pub fn new(label: impl Into<String>, value: Decimal) -> Self {
        Self { label: label.into(), value }
    }
}

/// How to draw the points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bars,
    Line,
}

/// A chart to draw: a title (also its accessible name), the y axis' unit prefix (`$`) and points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    pub title: String,
    pub unit: String,
    pub kind: Kind,
    pub points: Vec<Point>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The smallest 1, 2 or 5 × 10ⁿ step that covers `max` in [`TICKS`] steps (at least 1).
pub fn nice_step(max: Decimal) -> Decimal {
    let raw = if max <= Decimal::ZERO { Decimal::ONE } else { max / Decimal::from(TICKS) };
    let mut power = Decimal::ONE;
    while power * Decimal::TEN <= raw {
        power *= Decimal::TEN;
    }
    while power > raw && power > Decimal::new(1, 2) {
        power /= Decimal::TEN;
    }
    [1, 2, 5, 10]
        .into_iter()
        .map(|factor| power * Decimal::from(factor))
        .find(|step| *step >= raw)
        .unwrap_or(power * Decimal::TEN)
}

/// A value as the axis shows it: thousands as `k`, no more than two decimals.
pub fn axis_label(unit: &str, value: Decimal) -> String {
    if value.abs() >= Decimal::from(10_000) {
        format!("{unit}{}k", (value / Decimal::from(1_000)).round_dp(1).normalize())
    } else {
        format!("{unit}{}", value.round_dp(2).normalize())
    }
}

/// A pixel coordinate with one decimal.
fn px(value: Decimal) -> String {
    value.round_dp(1).normalize().to_string()
}

/// Renders `chart` as an inline `<svg>` element.
pub fn render(chart: &Chart) -> String {
    let plot_width = Decimal::from(WIDTH - LEFT - RIGHT);
    let plot_height = Decimal::from(HEIGHT - TOP - BOTTOM);
    let max = chart.points.iter().map(|p| p.value).max().unwrap_or(Decimal::ZERO).max(Decimal::ZERO);
    let step = nice_step(max);
    let top_value = step * Decimal::from(TICKS);
    let y_of = |value: Decimal| {
        let clamped = value.max(Decimal::ZERO);
        Decimal::from(TOP) + plot_height - plot_height * clamped / top_value
    };
    let title = escape(&chart.title);
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-labelledby=\"chart-title\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title>{title}</title>\
         <text class=\"chart-title\" x=\"{LEFT}\" y=\"18\">{title}</text>"
    );
    for tick in 0..=TICKS {
        let value = step * Decimal::from(tick);
        let y = px(y_of(value));
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\"/>\
             <text class=\"tick\" x=\"{}\" y=\"{y}\" text-anchor=\"end\" dominant-baseline=\"middle\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 6,
            escape(&axis_label(&chart.unit, value))
        );
    }
    let _ = write!(
        svg,
        "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"{TOP}\" y2=\"{}\"/>\
         <line class=\"axis\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>",
        HEIGHT - BOTTOM,
        WIDTH - RIGHT,
        HEIGHT - BOTTOM,
        HEIGHT - BOTTOM
    );
    if chart.points.is_empty() {
        let _ = write!(
            svg,
            "<text class=\"empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">No data for this period</text>",
            LEFT + (WIDTH - LEFT - RIGHT) / 2,
            TOP + (HEIGHT - TOP - BOTTOM) / 2
        );
        svg.push_str("</svg>");
        return svg;
    }
    let count = Decimal::from(chart.points.len());
    let slot = plot_width / count;
    // Label at most about eight points so the axis stays readable at phone width.
    let label_every = (chart.points.len().div_ceil(8)).max(1);
    let mut line = Vec::with_capacity(chart.points.len());
    for (index, point) in chart.points.iter().enumerate() {
        let centre = Decimal::from(LEFT) + slot * Decimal::from(index) + slot / Decimal::TWO;
        let y = y_of(point.value);
        let value_text = escape(&format!("{}: {}{}", point.label, chart.unit, point.value.round_dp(2)));
        match chart.kind {
            Kind::Bars => {
                let bar = (slot * Decimal::new(7, 1)).max(Decimal::ONE);
                let _ = write!(
                    svg,
                    "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{value_text}</title></rect>",
                    px(centre - bar / Decimal::TWO),
                    px(y),
                    px(bar),
                    px(Decimal::from(HEIGHT - BOTTOM) - y)
                );
            }
            Kind::Line => {
                line.push(format!("{},{}", px(centre), px(y)));
                let _ = write!(
                    svg,
                    "<circle class=\"dot\" cx=\"{}\" cy=\"{}\" r=\"3\"><title>{value_text}</title></circle>",
                    px(centre),
                    px(y)
                );
            }
        }
        if index % label_every == 0 {
            let _ = write!(
                svg,
                "<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                px(centre),
                HEIGHT - BOTTOM + 18,
                escape(&point.label)
            );
        }
    }
    if chart.kind == Kind::Line {
        let _ = write!(svg, "<polyline class=\"line\" fill=\"none\" points=\"{}\"/>", line.join(" "));
    }
    svg.push_str("</svg>");
    svg
}

/// The height in pixels of a bar for `value` (for tests and callers sizing legends).
pub fn bar_height(chart: &Chart, value: Decimal) -> f64 {
    let max = chart.points.iter().map(|p| p.value).max().unwrap_or(Decimal::ZERO).max(Decimal::ZERO);
    let top_value = nice_step(max) * Decimal::from(TICKS);
    (Decimal::from(HEIGHT - TOP - BOTTOM) * value.max(Decimal::ZERO) / top_value).round_dp(1).to_f64().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().expect("decimal")
    }

    #[test]
    fn steps_are_nice_and_cover_the_maximum() {
        assert_eq!(nice_step(dec("0")), dec("1"));
        assert_eq!(nice_step(dec("4")), dec("1"));
        assert_eq!(nice_step(dec("5")), dec("2"));
        assert_eq!(nice_step(dec("1999")), dec("500"));
        assert_eq!(nice_step(dec("2001")), dec("1000"));
        assert_eq!(nice_step(dec("12345.67")), dec("5000"));
        assert_eq!(nice_step(dec("0.3")), dec("0.1"));
        for max in ["1", "7.5", "99", "1234", "98765.43"] {
            let max = dec(max);
            assert!(nice_step(max) * Decimal::from(TICKS) >= max, "{max}");
        }
        assert_eq!(axis_label("$", dec("12500")), "$12.5k");
        assert_eq!(axis_label("$", dec("500.00")), "$500");
    }

    #[test]
    fn bars_scale_to_the_axis_and_carry_labels_and_values() {
        let chart = Chart {
            title: "Weekly sales <net>".into(),
            unit: "$".into(),
            kind: Kind::Bars,
            points: vec![Point::new("W1", dec("1000")), Point::new("W2", dec("2000")), Point::new("W3", dec("0"))],
        };
        let svg = render(&chart);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title>Weekly sales &lt;net&gt;</title>"), "escaped title: {svg}");
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 3);
        // Max 2000 → step 500, axis to 2000: the 2000 bar fills the plot (184 px), 1000 half.
        assert_eq!(bar_height(&chart, dec("2000")), 184.0);
        assert_eq!(bar_height(&chart, dec("1000")), 92.0);
        assert!(svg.contains("height=\"184\""), "{svg}");
        assert!(svg.contains("height=\"92\""), "{svg}");
        assert!(svg.contains(">W2</text>") && svg.contains("W2: $2000"));
        for tick in ["$0", "$500", "$1000", "$1500", "$2000"] {
            assert!(svg.contains(&format!(">{tick}</text>")), "tick {tick}: {svg}");
        }
    }

    #[test]
    fn lines_join_every_point_and_empty_charts_say_so() {
        let chart = Chart {
            title: "Daily".into(),
            unit: String::new(),
            kind: Kind::Line,
            points: (1..=20).map(|day| Point::new(format!("D{day}"), Decimal::from(day))).collect(),
        };
        let svg = render(&chart);
        assert_eq!(svg.matches("<circle").count(), 20);
        let polyline = svg.split("points=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("polyline");
        assert_eq!(polyline.split(' ').count(), 20);
        assert!(svg.matches("class=\"label\"").count() <= 10, "labels thinned for narrow screens");
        let empty = render(&Chart { points: vec![], ..chart });
        assert!(empty.contains("No data for this period"));
    }
}
