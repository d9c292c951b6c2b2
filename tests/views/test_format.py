"""bot.views.format's owner and source names, shared by the /tier card and the link unfurls."""

from __future__ import annotations

from bot.views import tier_card, unfurl
from bot.views.format import SOURCE_NAMES, owner_text, source_name


def test_owner_text_mentions_slack_users_and_names_crm_owner_ids() -> None:
    assert owner_text("U024BE7LH") == "<@U024BE7LH>"
    assert owner_text("W0123ABC", "hubspot") == "<@W0123ABC>"
    assert owner_text("ann<b>@example.com") == "ann&lt;b&gt;@example.com"
    # A CRM's numeric owner id is no person Slack knows: say whose id it is rather than show a number.
    assert owner_text("31234567", "hubspot") == "HubSpot owner 31234567"
    assert owner_text("42", "salesforce") == "Salesforce owner 42"
    assert owner_text("42") == "CRM owner 42"
    assert owner_text("٤٢") == "٤٢"  # digits, but not ASCII ones: shown as written
    assert owner_text(None) == "—" and owner_text("") == "—"
    assert owner_text(None, none="_none named_") == "_none named_"


def test_one_list_of_source_names() -> None:
    assert SOURCE_NAMES == {"zendesk": "Zendesk", "hubspot": "HubSpot", "salesforce": "Salesforce"}
    assert source_name("zendesk") == "Zendesk" and source_name("<x>") == "&lt;x&gt;"
    assert not hasattr(unfurl, "SOURCE_NAMES") and not hasattr(tier_card, "SOURCE_NAMES")
