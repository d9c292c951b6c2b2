"""Block and action ids of the alert surface (SLA alert steps, escalations, health drops)."""

ACK = "alert_ack"  # Acknowledge button (value: "<ticket id>|<target>")
SNOOZE = "alert_snooze"  # static_select (option value: "<ticket id>|<target>|<1h|4h|tomorrow>")
OPEN = "alert_open"  # link button to the ticket in the helpdesk (acked, nothing else)
ACTIONS_BLOCK = "alert_actions"  # the actions block: block_id is ACTIONS_BLOCK:<ticket id>:<target>
SNOOZE_CHOICES = ("1h", "4h", "tomorrow")
