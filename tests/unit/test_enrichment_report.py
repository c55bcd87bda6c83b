"""Run reports: counts, the one-line summary the admin reads, and the task's data."""

from __future__ import annotations

from core.domain.profiles import ProfileChange
from services.enrichment.models import MAX_LISTED_FAILURES, EnrichmentReport, EnrichmentResult

CHANGE = (ProfileChange("bio", "a", "b"),)


def _report(*results: EnrichmentResult) -> EnrichmentReport:
    report = EnrichmentReport(total=len(results))
    for result in results:
        report.add(result)
    return report


def test_the_summary_counts_changes_and_groups_failures_by_reason() -> None:
    report = _report(
        *[EnrichmentResult(i, True) for i in range(16)],
        *[EnrichmentResult(100 + i, True, CHANGE, alerts=2, photo_stored=True) for i in range(3)],
        EnrichmentResult(200, False, reason="USER_ID_INVALID"),
    )
    assert report.summary() == "Refreshed 20 profiles: 3 changed, 1 failed (USER_ID_INVALID)"
    assert (report.refreshed, report.changed, report.alerts, report.photos_stored) == (19, 3, 6, 3)
    assert report.done == 20


def test_repeated_reasons_are_counted_and_deferred_people_left_for_later() -> None:
    report = _report(
        EnrichmentResult(1, True),
        EnrichmentResult(2, False, reason="timeout"),
        EnrichmentResult(3, False, reason="USER_ID_INVALID"),
        EnrichmentResult(4, False, reason="timeout"),
        EnrichmentResult(5, False, reason="FLOOD_WAIT, 60 s left", deferred=True),
        EnrichmentResult(6, False, reason="FLOOD_WAIT, 60 s left", deferred=True),
    )
    assert report.summary() == (
        "Refreshed 4 profiles: 0 changed, 3 failed (timeout ×2, USER_ID_INVALID); "
        "2 left for later (FLOOD_WAIT, 60 s left)"
    )
    assert report.as_data()["failures"] == {"timeout": 2, "USER_ID_INVALID": 1}
    assert report.as_data()["failed_users"] == [
        [2, "timeout"],
        [3, "USER_ID_INVALID"],
        [4, "timeout"],
    ]


def test_singular_and_empty_runs_read_naturally() -> None:
    assert _report(EnrichmentResult(1, True)).summary() == "Refreshed 1 profile: 0 changed"
    assert EnrichmentReport().summary() == "No profiles to refresh"


def test_only_the_first_failures_are_listed_but_all_are_counted() -> None:
    failures = [
        EnrichmentResult(i, False, reason="timeout") for i in range(MAX_LISTED_FAILURES + 7)
    ]
    report = _report(*failures)
    assert report.failed == MAX_LISTED_FAILURES + 7
    assert len(report.failed_users) == MAX_LISTED_FAILURES
