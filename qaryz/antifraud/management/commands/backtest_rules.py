"""``manage.py backtest_rules VERSION --from DATE --to DATE``: replay the stored events of the
period against a rule-set version and report hits per rule and against the known outcomes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from qaryz.antifraud import backtest
from qaryz.antifraud.models import RuleSet


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = "Replay stored antifraud events of a period against a rule-set version (set-based)."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("version", type=int, help="rule-set version number")
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last day (inclusive), YYYY-MM-DD")

    def handle(self, *args: object, **options: object) -> None:
        ruleset = RuleSet.objects.filter(version=options["version"]).first()
        if ruleset is None:
            raise CommandError(f"no rule-set version {options['version']}")
        first, last = _day(str(options["start"])), _day(str(options["end"]))
        if last < first:
            raise CommandError("--to is before --from")
        zone = ZoneInfo(settings.TIME_ZONE)
        start = dt.datetime.combine(first, dt.time.min, zone)
        end = dt.datetime.combine(last, dt.time.max, zone)
        report = backtest.run(ruleset, start, end)
        out = self.stdout
        out.write(
            f"rule set v{report.version} ({ruleset.get_status_display()}), events {first}..{last}: "
            f"{report.events} in {report.seconds:.2f} s"
        )
        out.write(f"{'rule':<24} {'kind':<24} {'outcome':<8} {'hits':>8} {'fraud':>6} {'false+':>6}")
        for r in report.rules:
            out.write(
                f"{r.code:<24} {r.kind:<24} {r.outcome:<8} {r.hits:>8} {r.confirmed:>6} {r.false_positive:>6}"
            )
        out.write("decisions: " + ", ".join(f"{k} {v}" for k, v in sorted(report.decisions.items())))
        out.write(
            f"known outcomes: confirmed fraud {report.confirmed_caught}/{report.confirmed_total} caught "
            f"(review or stricter); false positives {report.false_positive_flagged}/"
            f"{report.false_positive_total} flagged again"
        )
