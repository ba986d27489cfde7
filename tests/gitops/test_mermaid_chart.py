"""The pull request's state-of-charge chart, drawn by the real mermaid (mermaid-cli in Chromium) as
GitHub draws it, in the light and the dark theme: readable time labels, a line that stands out
from the background, and the SoC bounds as lines of their own.
"""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.harness import run
from tests.support.node_tools import CHROMIUM_ARGS, CHROMIUM_LAUNCH_TIMEOUT_MS

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"
THEMES = ("default", "dark")  # GitHub's light and dark modes
Render = Callable[[str, str], list[ET.Element]]
IN_OUT = ["-i", "plan.md", "-o", "drawn.md", "-e", "svg"]  # every mermaid block of the markdown


@pytest.fixture
def render(node_bin: Path, chromium_path: str, tmp_path: Path) -> Render:
    """Every mermaid block of a markdown text as the SVG mermaid draws in ``theme``."""
    config = tmp_path / "puppeteer.json"
    config.write_text(
        json.dumps(
            {"executablePath": chromium_path, "args": CHROMIUM_ARGS, "timeout": CHROMIUM_LAUNCH_TIMEOUT_MS}
        ),
        encoding="utf-8",
    )

    def draw(markdown: str, theme: str) -> list[ET.Element]:
        folder = tmp_path / theme
        folder.mkdir()
        (folder / "plan.md").write_text(markdown, encoding="utf-8")
        done = subprocess.run(
            [str(node_bin / "mmdc"), "-p", str(config), "-t", theme, "-q", *IN_OUT],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        drawn = sorted(folder.glob("drawn-*.svg"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        return [ET.fromstring(p.read_text(encoding="utf-8")) for p in drawn]

    return draw


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def hex_colour(value: str) -> str:
    named = {"white": "#ffffff", "black": "#000000"}
    value = named.get(value, value)
    if re.fullmatch(r"#[0-9a-fA-F]{3}", value):
        value = "#" + "".join(c * 2 for c in value[1:])
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", value), value
    return value.lower()


def group(svg: ET.Element, name: str) -> ET.Element:
    [found] = [g for g in svg.iter(f"{SVG}g") if g.get("class") == name]
    return found


def texts(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}text")]


def path_points(plot: ET.Element) -> list[tuple[float, float]]:
    [path] = plot.iter(f"{SVG}path")
    return [(float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", path.get("d", ""))]


def test_the_plan_chart_reads_at_a_glance_in_light_and_dark_themes(
    render: Render, capsys: pytest.CaptureFixture[str]
) -> None:
    planned = run(capsys, "plan", str(ROOT / "examples"), "--format", "markdown")
    assert planned.exit_code == 0, planned.err
    assets = re.findall(r'title "([\w.-]+): projected state of charge"', planned.out)
    assert assets == ["berlin-2", "hamburg-3", "leipzig-daily", "munich-1"]

    for theme in THEMES:
        charts = render(planned.out, theme)
        assert len(charts) == len(assets)
        for asset, svg in zip(assets, charts, strict=True):
            where = f"{asset} ({theme})"
            assert texts(group(svg, "chart-title")) == [f"{asset}: projected state of charge"]

            axis = group(svg, "bottom-axis")
            labels = texts(group(axis, "label"))
            assert 4 <= len(labels) <= 13, (where, labels)  # a dozen at most: none overlap
            hours = [float(label) for label in labels]
            assert hours == sorted(hours) and len(set(hours)) == len(hours), (where, labels)
            [axis_title] = texts(group(axis, "title"))
            assert re.fullmatch(r"hours from 2026-11-2[34] 00:00 CET", axis_title), (where, axis_title)
            assert sorted(texts(group(group(svg, "left-axis"), "label")), key=float)[::5] == [
                "0",
                "50",
                "100",
            ]

            background = hex_colour(next(svg.iter(f"{SVG}rect")).get("fill", ""))
            soc, lower, upper = (group(svg, f"line-plot-{i}") for i in range(3))
            for plot in (soc, lower, upper):
                [path] = plot.iter(f"{SVG}path")
                stroke = hex_colour(path.get("stroke", ""))
                assert min(int(stroke[i : i + 2], 16) for i in (1, 3, 5)) < 0xE0, (
                    where,
                    stroke,
                )  # not near-white
                assert contrast(stroke, background) >= 3, (where, stroke, background)  # WCAG for graphics

            # the bounds (5 % and 95 % in the example fixture) are horizontal lines across the chart;
            # the projected SoC stays between them (y grows downwards in SVG)
            (x0, low_y), (x1, low_y_end) = path_points(lower)
            (_, high_y), (_, high_y_end) = path_points(upper)
            assert (low_y, high_y) == (low_y_end, high_y_end) and high_y < low_y
            curve = path_points(soc)
            assert (curve[0][0], curve[-1][0]) == (x0, x1)
            assert all(high_y < y < low_y for _, y in curve), where
