"""The credit decision: transparent rules plus a score. Pure: no Django import.

Every rule gives an outcome – ``pass``, ``review`` or ``decline`` (with the permitted reason shown
to the client) – and a detail; the decision is the strictest outcome, and when every rule passes
the score decides (approve at or above ``approve_score``, manual review at or above
``review_score``, otherwise decline on credit policy). Inputs, each rule's outcome and the score are
stored with the decision (qaryz.lending.models.Decision).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal

ENGINE_VERSION = "2026.11-1"
PASS, REVIEW, DECLINE = "pass", "review", "decline"


@dataclass(frozen=True)
class DecisionConfig:
    """Settings of the MFO's credit policy (LENDING_DECISION_CONFIG; docs/lending.md)."""

    max_applications_last_hour: int = 3
    max_active_loans: int = 5
    max_current_overdue_days: int = 0
    approve_score: int = 600
    review_score: int = 450
    review_amount_over: Decimal = Decimal("5000000")


@dataclass(frozen=True)
class DecisionInputs:
    amount: Decimal
    new_monthly_payment: Decimal  # the largest instalment of the chosen schedule
    monthly_income: Decimal
    existing_monthly_payments: Decimal
    active_loans: int
    current_overdue_days: int
    max_overdue_days_12m: int
    voluntary_refusal: bool
    applications_last_hour: int
    aml_result: str  # clear | review | refuse
    aml_review_status: str  # "", pending, confirmed, false_positive
    debt_burden_limit: Decimal
    debt_burden_limit_overdue: Decimal
    # List kinds (R-AML-1): a PEP match is enhanced review, never refusal by itself; a confirmed
    # match refuses only when it is on a terrorism / extremism / sanctions (refusal) list.
    aml_pep: bool = False
    aml_refusal_list: bool = True


@dataclass
class RuleOutcome:
    rule: str
    outcome: str
    detail: str
    reason: str = ""  # permitted decline reason code (Application.DeclineReason)


@dataclass
class DecisionResult:
    outcome: str  # approve | review | decline
    score: int
    reason: str
    rules: list[RuleOutcome] = field(default_factory=list)
    debt_burden: Decimal | None = None

    def rules_json(self) -> list[dict]:
        return [asdict(r) for r in self.rules]


def debt_burden(inputs: DecisionInputs) -> Decimal | None:
    if inputs.monthly_income <= 0:
        return None
    return ((inputs.existing_monthly_payments + inputs.new_monthly_payment) / inputs.monthly_income).quantize(
        Decimal("0.0001")
    )


def score(inputs: DecisionInputs, burden: Decimal | None) -> int:
    """A points score (0-1000): simple, monotone, explainable."""
    points = 700
    if burden is not None:
        points -= int(min(burden, Decimal("1")) * 300)
    points -= 60 * min(inputs.active_loans, 5)
    points -= 2 * min(inputs.max_overdue_days_12m, 120)
    points -= 40 * min(inputs.applications_last_hour, 5)
    if inputs.monthly_income >= inputs.amount:
        points += 100
    return max(0, min(1000, points))


def decide(inputs: DecisionInputs, config: DecisionConfig = DecisionConfig()) -> DecisionResult:
    rules: list[RuleOutcome] = []
    add = rules.append

    if inputs.aml_result == "refuse" or (inputs.aml_review_status == "confirmed" and inputs.aml_refusal_list):
        add(RuleOutcome("aml", DECLINE, "listed person (exact identifier or confirmed match)", "aml"))
    elif inputs.aml_pep and inputs.aml_review_status != "false_positive":
        add(RuleOutcome("aml_pep", REVIEW, "politically exposed person: enhanced review"))
    elif inputs.aml_result == "review" and inputs.aml_review_status != "false_positive":
        add(RuleOutcome("aml", REVIEW, "possible list match: AML officer review"))
    else:
        add(RuleOutcome("aml", PASS, "no list match"))

    if inputs.voluntary_refusal:
        add(
            RuleOutcome(
                "voluntary_refusal",
                DECLINE,
                "voluntary refusal of loans registered (§10)",
                "voluntary_refusal",
            )
        )
    else:
        add(RuleOutcome("voluntary_refusal", PASS, "none registered"))

    if inputs.current_overdue_days > config.max_current_overdue_days:
        add(RuleOutcome("overdue", DECLINE, f"{inputs.current_overdue_days} days overdue now", "overdue"))
    else:
        add(RuleOutcome("overdue", PASS, "no current overdue"))

    burden = debt_burden(inputs)
    limit = inputs.debt_burden_limit_overdue if inputs.max_overdue_days_12m > 90 else inputs.debt_burden_limit
    if burden is None:
        add(RuleOutcome("debt_burden", REVIEW, "income unknown: debt burden cannot be computed"))
    elif burden > limit:
        add(RuleOutcome("debt_burden", DECLINE, f"debt burden {burden} over limit {limit}", "debt_burden"))
    else:
        add(RuleOutcome("debt_burden", PASS, f"debt burden {burden} within limit {limit}"))

    if inputs.applications_last_hour > config.max_applications_last_hour:
        add(
            RuleOutcome(
                "applications_last_hour",
                REVIEW,
                f"{inputs.applications_last_hour} applications in the last hour",
            )
        )
    else:
        add(RuleOutcome("applications_last_hour", PASS, f"{inputs.applications_last_hour} in the last hour"))

    if inputs.active_loans > config.max_active_loans:
        add(RuleOutcome("active_loans", DECLINE, f"{inputs.active_loans} active loans", "credit_policy"))
    else:
        add(RuleOutcome("active_loans", PASS, f"{inputs.active_loans} active loans"))

    if inputs.amount > config.review_amount_over:
        add(RuleOutcome("large_amount", REVIEW, "amount above the automatic approval limit"))

    points = score(inputs, burden)
    declines = [r for r in rules if r.outcome == DECLINE]
    if declines:
        return DecisionResult("decline", points, declines[0].reason, rules, burden)
    if any(r.outcome == REVIEW for r in rules):
        return DecisionResult("review", points, "", rules, burden)
    if points >= config.approve_score:
        rules.append(RuleOutcome("score", PASS, f"score {points} >= {config.approve_score}"))
        return DecisionResult("approve", points, "", rules, burden)
    if points >= config.review_score:
        rules.append(
            RuleOutcome(
                "score", REVIEW, f"score {points} between {config.review_score} and {config.approve_score}"
            )
        )
        return DecisionResult("review", points, "", rules, burden)
    rules.append(RuleOutcome("score", DECLINE, f"score {points} < {config.review_score}", "credit_policy"))
    return DecisionResult("decline", points, "credit_policy", rules, burden)
