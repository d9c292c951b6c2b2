"""/tier scenario …: what-if evaluation of the tier policy (issue 12). Thin: parse, call, render.

The ack goes out at once ("running over N accounts…"); the work runs in a lazy listener, whose result
is posted with `respond` (ephemeral), so Slack's 3 s never bound how much data a scenario reads. A
sweep's chart is uploaded to the channel with files_upload_v2.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.decisions import service as decisions
from bot.decisions.results import Refused as DecisionRefused
from bot.scenarios.service import SweepResult, account_count, run_scenario, run_sweep
from bot.scenarios.variant import Refused, SweepSpec, Variant, parse_sweep, parse_variant
from bot.services import Services
from bot.text import clean_input, storable
from bot.views import decision_ids
from bot.views import scenario as view
from bot.views import scenario_ids as ids
from bot.views.decision_modal import step_view
from handlers._context import services_of
from handlers._decisions import modal_context, today
from handlers._guard import guarded
from handlers._subcommands import TIER_SCENARIO

log = logging.getLogger(__name__)

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
            result = run_scenario(conn, services.policy, now, parsed)
            message = result if isinstance(result, Refused) else view.scenario_message(result)
        else:
            swept = run_sweep(conn, services.policy, now, parsed)
            if isinstance(swept, Refused):
                message = swept
            else:
                message, chart = view.sweep_message(swept), swept
    if isinstance(message, Refused):
        respond(replace_original=False, **view.refusal_message(message))
        return
    respond(replace_original=False, **message)
    if chart is not None:
        _upload_chart(client, respond, command, chart)


def _upload_chart(client: WebClient, respond: Respond, command: dict[str, Any], result: SweepResult) -> None:
    from bot.scenarios.chart import png_chart  # matplotlib loads with the first chart, not at start

    try:
        client.files_upload_v2(
            channel=command.get("channel_id") or "",
            file=png_chart(result),
            filename=f"sweep-{result.spec.tier}.png",
            title=view.chart_title(result),
            initial_comment=view.chart_comment(command.get("user_id") or "", result),
        )
    except (SlackApiError, SlackRequestError) as exc:
        # The table already went out; a channel the bot is not in only loses the picture.
        log.warning("sweep chart upload failed: %s", exc)
        respond(replace_original=False, **view.chart_failed_message())


HORIZON_DAYS = 90  # a tier change is judged over a quarter unless the owner says otherwise


@guarded
def log_decision(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """A new decision whose Compare step opens pre-filled: the scenario as option B, its numbers as
    evidence, the flip point in "Scenario ranges"; Frame is filled so the record can be committed."""
    ack()
    services = services_of(context)
    user = str((body.get("user") or {}).get("id") or "")
    channel = (body.get("channel") or {}).get("id")
    try:
        loaded = json.loads(action.get("value") or "{}")
    except ValueError:
        return  # not a value this view wrote: nothing to pre-fill
    if not isinstance(loaded, dict):
        return
    # Stored free text goes through `storable` (NUL and lone surrogates are refused by the database).
    evidence = {k: storable(v) if isinstance(v, str) else v for k, v in loaded.items()}
    evidence["tiers"] = [t for t in evidence.get("tiers") or [] if isinstance(t, str)]
    now = services.clock()
    opened = decisions.start_new(services.db, user, now, channel=channel)
    defaults = {o.key: o for o in opened.state.input.options}
    options = [o.model_dump() for o in defaults.values()]
    for option in options:
        if option["key"] == "B":
            option.update(
                title=f"Scenario: {evidence.get('command', '')}", tradeoffs=evidence.get("evidence", "")
            )
    changes = {
        "title": f"Change the tier policy? ({evidence.get('command', '')})",
        "owner": user,
        "horizon": today(services) + timedelta(days=HORIZON_DAYS),
        "tiers": evidence.get("tiers") or [],
        "options": options,
        "evidence": evidence.get("evidence", ""),
        "scenario_ranges": evidence.get("ranges", ""),
    }
    state = decisions.save_step(services.db, opened.draft_id, user, lambda data: data.merged(changes), now)
    if isinstance(state, DecisionRefused):
        return
    ctx = modal_context(services, opened.draft_id, state.verb, state.input.account_ids)
    client.views_open(
        trigger_id=body["trigger_id"], view=step_view(decision_ids.COMPARE, ctx, state.input, user)
    )


def register(app: App) -> None:
    # Before the general /tier listener (see handlers/__init__.py): Bolt runs the first that matches.
    # `/tier scenario …` arrives under its own name (handlers._subcommands; `/tier scenario-corp`, an
    # account name, does not).
    app.command(TIER_SCENARIO)(ack=scenario_ack, lazy=[scenario_run])
    app.action(ids.LOG_DECISION)(log_decision)
