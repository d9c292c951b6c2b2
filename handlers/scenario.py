"""/tier scenario …: what-if evaluation of the tier policy (issue 12). Thin: parse, call, render.

The ack goes out at once ("running over N accounts…"); the work runs in a lazy listener, whose result
is posted with `respond` (ephemeral), so Slack's 3 s never bound how much data a scenario reads. A
sweep's chart is uploaded to the channel with files_upload_v2.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.decisions import service as decisions
from bot.decisions.record import format_short_id
from bot.decisions.results import Attached, Duplicate, RefusalKind
from bot.decisions.results import Refused as DecisionRefused
from bot.decisions.scenarios import Attachment, Target, TargetKind, parse_target
from bot.scenarios.service import (
    Refused,
    Run,
    ScenarioResult,
    SweepResult,
    SweepSpec,
    Variant,
    account_count,
    keep_run,
    load_run,
    parse_sweep,
    parse_variant,
    png_chart,
    run_scenario,
    run_sweep,
)
from bot.services import Services
from bot.text import clean_input, storable
from bot.views import decision_ids
from bot.views import scenario as view
from bot.views import scenario_ids as ids
from bot.views.decision_modal import step_view
from bot.views.decision_record import refusal_text
from handlers._context import services_of
from handlers._decisions import deliver_now, modal_context, tell, today, user_of
from handlers._guard import guarded
from handlers._subcommands import TIER_SCENARIO

log = logging.getLogger(__name__)

# Where the attach submission leaves its result for the lazy listener that updates the posted record.
ATTACHED = "scenario_attached"
_SWEEP = re.compile(r"^sweep(\s|$)", re.IGNORECASE)


def _request(command: dict[str, Any]) -> tuple[bool, str]:
    """(is a sweep, the arguments) from the command text after `scenario`."""
    rest = clean_input(command.get("text") or "", 1000).split(None, 1)
    args = rest[1] if len(rest) > 1 else ""
    if _SWEEP.match(args):
        return True, args[5:].strip()
    return False, args


def _parse(services: Services, command: dict[str, Any]) -> Variant | SweepSpec | Refused:
    sweep, args = _request(command)
    return parse_sweep(services.policy, args) if sweep else parse_variant(services.policy, args)


@guarded
def scenario_ack(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    services = services_of(context)
    parsed = _parse(services, command)
    if isinstance(parsed, Refused):
        ack(**view.refusal_message(parsed))
        return
    with services.db.engine.connect() as conn:
        accounts = account_count(conn)
    ack(**view.running_message(accounts, isinstance(parsed, SweepSpec)))


@guarded
def scenario_run(command: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext) -> None:
    services = services_of(context)
    parsed = _parse(services, command)
    if isinstance(parsed, Refused):
        return  # the ack already said why
    now = services.clock()
    chart: SweepResult | None = None
    with services.db.engine.connect() as conn:
        if isinstance(parsed, Variant):
            result: ScenarioResult | SweepResult | Refused = run_scenario(conn, services.policy, now, parsed)
        else:
            result = run_sweep(conn, services.policy, now, parsed)
    if isinstance(result, Refused):
        respond(replace_original=False, **view.refusal_message(result))
        return
    # Kept so the result's buttons can attach it to a decision (its id is their value).
    evidence = (
        view.sweep_evidence(result) if isinstance(result, SweepResult) else view.scenario_evidence(result)
    )
    with services.db.session() as session:
        run_id = keep_run(session, result, str(command.get("user_id") or ""), evidence, now)
    if isinstance(result, SweepResult):
        message, chart = view.sweep_message(result, run_id), result
    else:
        message = view.scenario_message(result, run_id)
    respond(replace_original=False, **message)
    if chart is not None:
        _upload_chart(client, respond, command, chart)


def _upload_chart(client: WebClient, respond: Respond, command: dict[str, Any], result: SweepResult) -> None:
    try:
        client.files_upload_v2(
            channel=command.get("channel_id") or "",
            file=png_chart(result),  # matplotlib loads with the first chart, not at start
            filename=f"sweep-{result.spec.tier}.png",
            title=view.chart_title(result),
            initial_comment=view.chart_comment(command.get("user_id") or "", result),
        )
    except (SlackApiError, SlackRequestError) as exc:
        # The table already went out; a channel the bot is not in only loses the picture.
        log.warning("sweep chart upload failed: %s", exc)
        respond(replace_original=False, **view.chart_failed_message())


HORIZON_DAYS = 90  # a tier change is judged over a quarter unless the owner says otherwise


def _run(services: Services, action: dict[str, Any]) -> Run | None:
    run_id = str(action.get("value") or "")[:32]
    with services.db.session() as session:
        return load_run(session, run_id)


def _attachment(run: Run) -> Attachment:
    """A kept run as what the decisions capability stores (it never imports bot.scenarios)."""
    kept = run.kept
    return Attachment(
        run_id=run.id,
        kind=kept.kind,
        command=kept.command,
        as_of=kept.as_of,
        inputs=kept.inputs,
        results=kept.results,
        figures=dict(kept.figures),
        lines=kept.lines,
        # Stored free text goes through `storable` (NUL and lone surrogates are refused by the database).
        evidence=storable(str(run.evidence.get("evidence") or "")),
        ranges=storable(str(run.evidence.get("ranges") or "")),
    )


def _expired(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
    tell(body, respond, client, view.expired_text())


@guarded
def log_decision(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    """A new decision whose Compare step opens pre-filled: the scenario as option B, its numbers as
    evidence (and kept as data with the draft), the flip point in "Scenario ranges"; Frame is filled so
    the record can be committed."""
    ack()
    services = services_of(context)
    run = _run(services, action)
    if run is None:
        _expired(body, respond, client)
        return
    user = user_of(body)
    channel = (body.get("channel") or {}).get("id")
    command = storable(run.kept.command)
    now = services.clock()
    opened = decisions.start_new(services.db, user, now, channel=channel)
    target = Target(TargetKind.DRAFT, opened.draft_id, "")
    attached = decisions.attach_scenario(
        services.db, services.settings.admin_user_ids, target, user, _attachment(run), now=now
    )
    if not isinstance(attached, Attached):
        return  # a fresh draft of this user's: only a full evidence box refuses, and it is empty
    options = [o.model_dump() for o in opened.state.input.options]
    for option in options:
        if option["key"] == "B":
            option.update(
                title=f"Scenario: {command}", tradeoffs=storable(str(run.evidence.get("evidence") or ""))
            )
    tiers = [t for t in run.evidence.get("tiers") or [] if isinstance(t, str)]
    changes = {
        "title": f"Change the tier policy? ({command})",
        "owner": user,
        "horizon": today(services) + timedelta(days=HORIZON_DAYS),
        "tiers": tiers,
        "options": options,
    }
    state = decisions.save_step(services.db, opened.draft_id, user, lambda data: data.merged(changes), now)
    if isinstance(state, DecisionRefused):
        return
    ctx = modal_context(services, opened.draft_id, state.verb, state.input.account_ids)
    client.views_open(
        trigger_id=body["trigger_id"], view=step_view(decision_ids.COMPARE, ctx, state.input, user)
    )


@guarded
def add_to_decision(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    """ "Add to a decision…": a small modal listing the user's open decisions."""
    ack()
    services = services_of(context)
    run = _run(services, action)
    if run is None:
        _expired(body, respond, client)
        return
    user = user_of(body)
    targets = decisions.attach_targets(services.db, services.settings.admin_user_ids, user, services.clock())
    client.views_open(trigger_id=body["trigger_id"], view=view.attach_modal(targets, run))


def attach_submitted(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    services = services_of(context)
    view_ = body.get("view") or {}  # (Bolt's `view` argument: the name is the view module's here)
    values = (view_.get("state") or {}).get("values") or {}
    picked = ((values.get(ids.ATTACH_TARGET) or {}).get(ids.ATTACH_INPUT) or {}).get("selected_option") or {}
    target = parse_target(str(picked.get("value") or ""))
    if target is None:
        ack(response_action="errors", errors={ids.ATTACH_TARGET: "Pick a decision."})
        return
    with services.db.session() as session:
        run = load_run(session, str(view_.get("private_metadata") or "")[:32])
    if run is None:
        ack(response_action="update", view=view.attached_modal(view.expired_text()))
        return
    user = user_of(body)
    result = decisions.attach_scenario(
        services.db,
        services.settings.admin_user_ids,
        target,
        user,
        _attachment(run),
        now=services.clock(),
        once=f"scenario-attach:{run.id}:{target.value}",
    )
    where = "your draft" if target.kind is TargetKind.DRAFT else format_short_id(int(target.id))
    if isinstance(result, DecisionRefused):
        text = (
            "That draft is gone (finished or expired)."
            if result.kind is RefusalKind.EXPIRED
            else refusal_text(result)
        )
        ack(response_action="errors", errors={ids.ATTACH_TARGET: text})
        return
    if isinstance(result, Duplicate):
        ack(
            response_action="update",
            view=view.attached_modal(f"The scenario is already attached to {where}."),
        )
        return
    context[ATTACHED] = result
    text = f"Added to {where} as evidence: its inputs and numbers are kept with it" + (
        ", and a review re-runs it on the data of the day." if target.kind is TargetKind.DECISION else "."
    )
    ack(response_action="update", view=view.attached_modal(text))


def refresh_attached(context: BoltContext, client: WebClient) -> None:
    """Lazy, after attaching to a record: bring its posted message up to date (its evidence changed)."""
    attached = context.get(ATTACHED)
    if isinstance(attached, Attached) and attached.deliveries:
        deliver_now(services_of(context), client, attached.deliveries)


def register(app: App) -> None:
    # Before the general /tier listener (see handlers/__init__.py): Bolt runs the first that matches.
    # `/tier scenario …` arrives under its own name (handlers._subcommands; `/tier scenario-corp`, an
    # account name, does not).
    app.command(TIER_SCENARIO)(ack=scenario_ack, lazy=[scenario_run])
    app.action(ids.LOG_DECISION)(log_decision)
    app.action(ids.ADD_TO_DECISION)(add_to_decision)
    app.view(ids.ATTACH_MODAL)(ack=guarded(attach_submitted), lazy=[guarded(refresh_attached)])
