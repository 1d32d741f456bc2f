"""The daily chart's geometry (drawn as inline SVG by the revenue desk)."""

from datetime import date, timedelta

from paywall.desk.charts import HEIGHT, compact, line_chart, nice_ceiling


def test_round_tops_and_compact_labels():
    assert [nice_ceiling(v) for v in (0, 1, 3, 11, 240, 251, 999, 1001)] == [1, 1, 5, 20, 250, 500, 1000, 2000]
    assert [compact(v) for v in (12, 1200, 340_000, 1_250_000, 2_000_000)] == ["12", "1.2k", "340k", "1.2M", "2M"]


def test_a_line_chart_maps_days_left_to_right_and_values_bottom_up():
    days = [date(2026, 11, 1) + timedelta(days=i) for i in range(31)]
    chart = line_chart(title="t", days=days, series=[("Paid", "s-paid", [i % 6 for i in range(31)])])
    points = [tuple(map(float, p.split(","))) for p in chart.series[0].points.split()]
    assert len(points) == 31 and points[0][0] == chart.plot_left and points[-1][0] == chart.plot_right
    assert points[0][1] == chart.plot_bottom  # 0 at the bottom
    assert points[5][1] == chart.plot_top  # 5, the largest value, is the top of the scale
    assert points[1][1] == chart.plot_bottom - chart.plot_height / 5
    assert chart.series[0].total == sum(i % 6 for i in range(31))
    assert chart.x_ticks[0].label == "Nov 1" and chart.x_ticks[-1].label == "Dec 1"
    assert len(chart.x_ticks) <= 7 and len(chart.columns) == 31
    assert chart.columns[2].title == "Tue Nov 3, 2026: Paid 2"
    assert [t.label for t in chart.y_ticks] == ["0", "1.25", "2.5", "3.75", "5"]
    assert chart.y_ticks[0].at == chart.plot_bottom and chart.y_ticks[-1].at == chart.plot_top < HEIGHT


def test_a_single_day_is_drawn_in_the_middle():
    chart = line_chart(title="t", days=[date(2026, 11, 1)], series=[("Readers", "s-readers", [0])])
    x, y = map(float, chart.series[0].points.split(","))
    assert x == (chart.plot_left + chart.plot_right) / 2 and y == chart.plot_bottom
