//! `--plot FILE.svg`: one picture of a run.
//!
//! At the top, the usage pattern learned by the end of the run as a 7 x 24
//! heat map (darker is busier, the number in each cell is its activity
//! score in per mille). Below, one timetable per policy: a row per day,
//! the hours of the day across, grey where the machine was in use, and
//! every installation drawn over it, green while the machine was idle and
//! red where it disturbed someone.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use update_sched::civil::Weekday;
use update_sched::workload::in_use;

use crate::report::thousands;
use crate::sim::{Outcome, Scenario};

const WIDTH: u32 = 1_600;
const HEAT_MAP_HEIGHT: u32 = 330;
const FONT: &str = "sans-serif";

const IN_USE: RGBColor = RGBColor(205, 205, 205);
const HARMLESS: RGBColor = RGBColor(40, 150, 70);
const DISRUPTIVE: RGBColor = RGBColor(220, 40, 40);
const UNKNOWN: RGBColor = RGBColor(235, 235, 235);

/// Turns a plotting error into the simulator's error text.
fn failed<E: std::fmt::Display>(error: E) -> String {
    error.to_string()
}

/// Draws `scenario` and its `outcomes` into an SVG file at `path`.
pub fn draw(path: &Path, scenario: &Scenario, outcomes: &[Outcome]) -> Result<(), String> {
    let days = scenario.minutes().div_ceil(1_440);
    // Rows shrink for long runs so that the picture stays on a screen.
    let row = (700 / days.max(1)).clamp(3, 14);
    let height = 60 + HEAT_MAP_HEIGHT + 90 + days * row;
    let root = SVGBackend::new(path, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE).map_err(failed)?;
    let title = format!(
        "{}: seed {}, {} days, profile {}, {} updates",
        scenario.name,
        scenario.seed,
        days,
        scenario.profile,
        scenario.arrivals.len()
    );
    let root = root.titled(&title, (FONT, 24)).map_err(failed)?;
    let (top, bottom) = root.split_vertically(HEAT_MAP_HEIGHT);
    let (heat, legend) = top.split_horizontally(1_000);
    if let Some(adaptive) = outcomes
        .iter()
        .find(|outcome| outcome.policy == crate::sim::Policy::Adaptive)
    {
        heat_map(&heat, adaptive, days)?;
    }
    legend_and_summary(&legend, outcomes)?;
    let panels = bottom.split_evenly((1, outcomes.len().max(1)));
    for (panel, outcome) in panels.iter().zip(outcomes) {
        timetable(panel, scenario, outcome, days)?;
    }
    root.present().map_err(failed)
}

/// White for an idle hour to dark blue for a busy one (700 per mille and
/// up, about one person working flat out).
fn heat(score: u16) -> RGBColor {
    let level = u32::from(score.min(700));
    let mix = |idle: u32, busy: u32| ((idle * (700 - level) + busy * level) / 700) as u8;
    RGBColor(mix(255, 20), mix(255, 60), mix(255, 150))
}

fn heat_map(
    area: &DrawingArea<SVGBackend, Shift>,
    outcome: &Outcome,
    days: u32,
) -> Result<(), String> {
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("learned activity by hour of the week after {days} days (per mille)"),
            (FONT, 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(45)
        .build_cartesian_2d(
            (0u32..24u32).with_key_points((0..=24).step_by(3).collect()),
            // A segmented range holds both ends: seven rows, 0..=6.
            (0u32..6u32).into_segmented(),
        )
        .map_err(failed)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("local hour")
        .x_label_formatter(&|hour| format!("{hour:02}:00"))
        .y_labels(7)
        .y_label_formatter(&|row| match row {
            SegmentValue::CenterOf(row) => Weekday::from_index(6u32.saturating_sub(*row) as u8)
                .map_or(String::new(), |day| day.short_name().to_owned()),
            _ => String::new(),
        })
        .draw()
        .map_err(failed)?;
    let (width, height) = chart.plotting_area().dim_in_pixel();
    let (half_width, half_height) = ((width / 48) as i32, (height / 14) as i32);
    let cells = outcome
        .final_scores
        .iter()
        .enumerate()
        .map(|(hour, score)| {
            let (day, hour) = (hour as u32 / 24, hour as u32 % 24);
            let color = score.map_or(UNKNOWN, heat);
            Rectangle::new(
                [
                    (hour, SegmentValue::Exact(6 - day)),
                    (hour + 1, SegmentValue::Exact(7 - day)),
                ],
                color.filled(),
            )
        });
    chart.draw_series(cells).map_err(failed)?;
    let centered = Pos::new(HPos::Center, VPos::Center);
    let labels = outcome
        .final_scores
        .iter()
        .enumerate()
        .filter_map(|(hour, score)| {
            let score = (*score)?;
            let (day, hour) = (hour as u32 / 24, hour as u32 % 24);
            let color = if score > 350 { WHITE } else { BLACK };
            let style = (FONT, 11).into_font().color(&color).pos(centered);
            Some(
                EmptyElement::at((hour, SegmentValue::Exact(7 - day)))
                    + Text::new(score.to_string(), (half_width, half_height), style),
            )
        });
    chart.draw_series(labels).map_err(failed)?;
    Ok(())
}

fn legend_and_summary(
    area: &DrawingArea<SVGBackend, Shift>,
    outcomes: &[Outcome],
) -> Result<(), String> {
    let font = (FONT, 15).into_font();
    let table_font = ("monospace", 14).into_font();
    let mut y = 40;
    let keys = [
        (
            IN_USE,
            "machine in use (sessions > 0 or CPU > 300 per mille)",
        ),
        (HARMLESS, "update installing, machine idle"),
        (DISRUPTIVE, "update installing while in use: disrupted"),
    ];
    for (color, text) in keys {
        area.draw(&Rectangle::new([(10, y), (40, y + 14)], color.filled()))
            .map_err(failed)?;
        area.draw(&Text::new(text, (50, y), font.clone()))
            .map_err(failed)?;
        y += 26;
    }
    y += 14;
    area.draw(&Text::new(
        "disrupted minutes, reboots in use, missed crit/sec/imp:",
        (10, y),
        font.clone(),
    ))
    .map_err(failed)?;
    for outcome in outcomes {
        y += 24;
        let line = format!(
            "{:<13} {:>6} min  {:>2} reboots  missed {}/{}/{}",
            outcome.policy.name(),
            thousands(u64::from(outcome.disrupted_minutes)),
            outcome.disrupted_reboots,
            outcome.missed[0],
            outcome.missed[1],
            outcome.missed[2]
        );
        area.draw(&Text::new(line, (20, y), table_font.clone()))
            .map_err(failed)?;
    }
    Ok(())
}

/// One policy's installations over the run: a row per day.
fn timetable(
    area: &DrawingArea<SVGBackend, Shift>,
    scenario: &Scenario,
    outcome: &Outcome,
    days: u32,
) -> Result<(), String> {
    let caption = format!(
        "{}: {} min disrupted",
        outcome.policy.name(),
        thousands(u64::from(outcome.disrupted_minutes))
    );
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 16))
        .margin(8)
        .x_label_area_size(24)
        .y_label_area_size(58)
        .build_cartesian_2d(
            (0u32..1_440u32).with_key_points((0..=1_440).step_by(360).collect()),
            (0u32..days - 1).into_segmented(),
        )
        .map_err(failed)?;
    let start = scenario.start;
    let offset = scenario.offset;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_label_formatter(&|minute| format!("{:02}", minute / 60))
        .y_labels(days as usize)
        .y_label_formatter(&|row| {
            let SegmentValue::CenterOf(row) = row else {
                return String::new();
            };
            let day = days - 1 - (*row).min(days - 1);
            let wall = start.saturating_add(update_sched::Duration::from_days(u64::from(day)));
            let local = wall.to_local(offset);
            format!("{} {:02}", local.weekday().short_name(), local.day())
        })
        .y_label_style((FONT, 12))
        .draw()
        .map_err(failed)?;

    let busy: Vec<bool> = scenario.metrics.iter().map(in_use).collect();
    let minutes = scenario.minutes();
    chart
        .draw_series(use_cells(&busy, days, minutes))
        .map_err(failed)?;
    chart
        .draw_series(installation_cells(outcome, &busy, days, minutes))
        .map_err(failed)?;
    Ok(())
}

/// A bar for each run of minutes the machine was in use (`busy`), within
/// each of `days` days of a run `minutes` long.
fn use_cells(busy: &[bool], days: u32, minutes: u32) -> Vec<Rectangle<(u32, SegmentValue<u32>)>> {
    let mut use_runs = Vec::new();
    for day in 0..days {
        let from = day * 1_440;
        let to = (from + 1_440).min(minutes);
        let mut minute = from;
        while minute < to {
            if !busy[minute as usize] {
                minute += 1;
                continue;
            }
            let run_start = minute;
            while minute < to && busy[minute as usize] {
                minute += 1;
            }
            use_runs.push(cell(day, days, run_start - from, minute - from, IN_USE));
        }
    }
    use_runs
}

/// A bar for each piece of `outcome`'s installations, split at midnight
/// and wherever the machine's use (`busy`) changes, so that the disruptive
/// part shows red.
fn installation_cells(
    outcome: &Outcome,
    busy: &[bool],
    days: u32,
    minutes: u32,
) -> Vec<Rectangle<(u32, SegmentValue<u32>)>> {
    let mut pieces = Vec::new();
    for attempt in &outcome.attempts {
        let end = attempt.end.min(minutes);
        let mut minute = attempt.start;
        while minute < end {
            let disruptive = busy[minute as usize];
            let day = minute / 1_440;
            let day_end = ((day + 1) * 1_440).min(end);
            let piece_start = minute;
            while minute < day_end && busy[minute as usize] == disruptive {
                minute += 1;
            }
            let color = if disruptive { DISRUPTIVE } else { HARMLESS };
            pieces.push(cell(
                day,
                days,
                piece_start - day * 1_440,
                minute - day * 1_440,
                color,
            ));
        }
    }
    pieces
}

/// A bar on `day`'s row from minute `from` to `to` of that day.
fn cell(
    day: u32,
    days: u32,
    from: u32,
    to: u32,
    color: RGBColor,
) -> Rectangle<(u32, SegmentValue<u32>)> {
    let row = days - 1 - day;
    Rectangle::new(
        [
            (from, SegmentValue::Exact(row)),
            (to, SegmentValue::Exact(row + 1)),
        ],
        color.filled(),
    )
}
