"""The dashboard's chart geometry (properties.admin.charts): pure, so tested without a page."""

import pytest

from properties.admin.charts import (
    COLUMN_PLOT_HEIGHT,
    ROW_LABEL_CHARACTERS,
    ROW_LABEL_WIDTH,
    Datum,
    Series,
    grouped_columns,
    nice_ceiling,
    number_text,
    stacked_rows,
)

ONE = (Series("count", "Properties"),)
TWO = (Series("p50", "Median"), Series("p90", "90th percentile"))


@pytest.mark.parametrize(
    ("value", "ceiling"),
    [(0, 1), (1, 1), (3, 5), (7, 10), (10, 10), (11, 20), (55, 100), (0.4, 0.5), (250, 500)],
)
def test_the_scale_ends_at_a_round_number(value: float, ceiling: float) -> None:
    assert nice_ceiling(value) == pytest.approx(ceiling)


@pytest.mark.parametrize(
    ("value", "text"), [(12, "12"), (30.5, "30.5"), (76.0, "76"), (1234, "1,234"), (None, "—")]
)
def test_numbers_are_written_short(value: float | None, text: str) -> None:
    assert number_text(value) == text


def test_rows_are_as_long_as_their_values_on_a_shared_scale() -> None:
    chart = stacked_rows(
        slug="s",
        title="T",
        series=ONE,
        data=[Datum("A", "Alpha", (5,)), Datum("B", "Beta", (10,)), Datum("C", "Gamma", (0,))],
    )

    widths = [group.bars[0].width for group in chart.groups]
    assert widths[0] * 2 == widths[1]
    assert widths[2] == 0
    assert [group.total for group in chart.groups] == ["5", "10", "0"]
    assert all(group.bars[0].x == ROW_LABEL_WIDTH for group in chart.groups)
    assert chart.description == "Alpha: 5; Beta: 10; Gamma: 0."
    assert chart.legend == []


def test_stacked_segments_follow_each_other_and_show_numbers_that_fit() -> None:
    verdicts = (Series("pass", "Passed"), Series("fail", "Failed"))
    chart = stacked_rows(slug="s", title="T", series=verdicts, data=[Datum("a", "Asha", (99, 1))])

    passed, failed = chart.groups[0].bars
    assert failed.x == pytest.approx(passed.x + passed.width)
    assert (passed.shows_text, failed.shows_text) == (True, False)  # 1 in 100: too narrow
    assert failed.title == "Asha: 1 failed"
    assert chart.groups[0].total == "100"
    assert chart.description == "Asha: Passed 99, Failed 1."
    assert [x for _, x in chart.legend] == [0, 130]


def test_a_long_label_is_shortened_and_kept_whole_in_the_title() -> None:
    name = "Venkata Subramanian Raghavendra Rao"
    chart = stacked_rows(slug="s", title="T", series=ONE, data=[Datum("a", name, (1,))])

    assert chart.groups[0].label == name[: ROW_LABEL_CHARACTERS - 1] + "…"
    assert chart.groups[0].title == f"{name}: 1"


def test_columns_rise_from_one_baseline_and_a_missing_figure_has_no_bar() -> None:
    chart = grouped_columns(
        slug="s",
        title="T",
        series=TWO,
        data=[Datum("w1", "3 Nov", (10.0, 20.0)), Datum("w2", "10 Nov", (None, None))],
    )

    first, second = chart.groups
    assert first.bars[1].height == COLUMN_PLOT_HEIGHT  # 20 is the scale's top
    assert first.bars[0].height == COLUMN_PLOT_HEIGHT / 2
    assert first.bars[0].y + first.bars[0].height == chart.plot_bottom
    assert [bar.height for bar in second.bars] == [0, 0]
    assert [bar.text for bar in second.bars] == ["—", "—"]
    assert [tick.text for tick in chart.ticks] == ["20", "0"]
    assert (
        chart.description
        == "3 Nov: Median 10, 90th percentile 20; 10 Nov: Median —, 90th percentile —."
    )


def test_every_nth_column_is_labelled_and_the_last() -> None:
    data = [Datum(str(day), f"{day} Dec", (day,)) for day in range(1, 12)]
    chart = grouped_columns(slug="s", title="T", series=ONE, data=data, label_every=5)

    assert [group.label for group in chart.groups if group.label] == ["1 Dec", "6 Dec", "11 Dec"]
    assert all(group.title for group in chart.groups)


def test_a_chart_without_data_says_so() -> None:
    assert stacked_rows(slug="s", title="T", series=ONE, data=[]).description == "No data yet."
