"""Chart axes in millions: every tick label is the tick's own number."""

import re
from datetime import date

import pandas as pd

from mptf.allocation.chart import balance_chart
from mptf.charts import Millions, bars


def labels(formatter: Millions, ticks: list[float]) -> list[str]:
    formatter.set_locs(ticks)
    return [formatter(t) for t in ticks]


def test_ticks_get_the_decimals_they_need_and_all_the_same():
    quarter = [0, 25_000_000, 50_000_000, 75_000_000, 100_000_000]  # cents
    assert labels(Millions(), quarter) == ["0.00 M", "0.25 M", "0.50 M", "0.75 M", "1.00 M"]
    assert labels(Millions(), [0, 50_000_000, 100_000_000]) == ["0.0 M", "0.5 M", "1.0 M"]
    assert labels(Millions(), [0, 100_000_000, 200_000_000]) == ["0 M", "1 M", "2 M"]
    assert labels(Millions(per_dollar=1), [0, 2_500_000, 5_000_000]) == [
        "0.0 M", "2.5 M", "5.0 M"]
    assert labels(Millions(), [0, 1_250_000_000]) == ["0.0 M", "12.5 M"]


def tick_texts(svg: str) -> list[str]:
    return re.findall(r">\s*([\d.,]+ M)\s*<", svg)


def test_a_bar_chart_of_2_14_million_reads_its_quarter_ticks_right():
    svg = bars(["Area 4"], {"Requested": [214_000_000], "Allocated": [107_000_000]})
    ticks = tick_texts(svg)
    assert "0.25 M" in ticks and "0.75 M" in ticks
    assert "0.2 M" not in ticks and "0.8 M" not in ticks


def test_the_fund_balance_chart_reads_its_ticks_right():
    series = pd.DataFrame({"day": [date(2026, 1, 1), date(2026, 6, 1)],
                           "net_deposits": [198_000_000, 346_500_000],
                           "allocated": [0, 107_000_000]})
    ticks = tick_texts(balance_chart(series, until=date(2026, 12, 1)))
    assert ticks and all(float(t[:-2].replace(",", "")) * 4 % 1 == 0 for t in ticks)
    assert len({len(t) for t in ticks}) == 1  # the same decimals on every tick


def line_vertices(svg: str, colour: str) -> int:
    """How many points the first line drawn in ``colour`` has (the legend's come later)."""
    path = re.search(rf'<path d="([^"]+)"[^>]*stroke="{colour}"', svg).group(1)
    return len(re.findall(r"[ML] ", path))


def test_a_fund_whose_every_event_fell_on_one_day_still_shows_its_steps():
    """Deposited and allocated on the same day, shown that day: the lines rise from zero over
    the last 30 days (they were a single point each, an empty chart over four years)."""
    day = date(2026, 12, 1)
    series = pd.DataFrame({"day": [day], "net_deposits": [346_500_000],
                           "allocated": [107_000_000]})
    svg = balance_chart(series, until=day)
    assert line_vertices(svg, "#005a9c") >= 3 and line_vertices(svg, "#9a6700") >= 3
    years = re.findall(r">\s*(20\d\d)\s*<", svg)
    assert set(years) <= {"2026"}


def test_charts_leave_the_process_wide_settings_alone_and_never_use_pyplot():
    """Every chart is drawn on its own figure (mptf.charts): matplotlib's rcParams are what
    they were, whatever is drawn, and pyplot's global figures are never involved."""
    import subprocess
    import sys

    code = (
        "import sys, matplotlib\n"
        "from datetime import date\n"
        "import pandas as pd\n"
        # (reading the 'backend' setting would itself import pyplot to resolve it)
        "def settings():\n"
        "    return {k: matplotlib.rcParams[k] for k in matplotlib.rcParams if k != 'backend'}\n"
        "before = settings()\n"
        "from mptf.charts import bars\n"
        "from mptf.allocation.chart import balance_chart\n"
        "bars(['Donor $x^2$'], {'Gross': [5_000_000]}, title='$a$')\n"
        "balance_chart(pd.DataFrame({'day': [date(2026, 1, 1)], 'net_deposits': [100],"
        " 'allocated': [0]}))\n"
        "changed = {k for k, v in settings().items() if before[k] != v}\n"
        "assert not changed, changed\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr


def test_charts_drawn_at_the_same_moment_in_threads_are_the_same_bytes():
    from concurrent.futures import ThreadPoolExecutor

    def draw(i: int) -> str:
        return bars([f"Area {n}" for n in range(6)],
                    {"Requested": [n * 10_000_000 for n in range(6)],
                     "Allocated": [n * 5_000_000 for n in range(6)]}, title="By area")

    with ThreadPoolExecutor(max_workers=4) as pool:
        drawn = list(pool.map(draw, range(8)))
    assert len(set(drawn)) == 1
    assert ">Area 5<" in drawn[0] and 'font-family="DejaVu Sans"' not in drawn[0]
    assert "font-family: 'DejaVu Sans'" in drawn[0]  # text kept as text, in the fund's font
