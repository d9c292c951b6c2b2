"""Block, action and callback ids of the digest surface (scheduled digests, breach re-posts)."""

ACK = "digest_ack"  # Acknowledge button on a top-tier breach (value: ticket id)
SNOOZE = "digest_snooze"  # static_select on a top-tier breach (option value: "<ticket id>|<1h|4h|tomorrow>")
BREACH_BLOCK = "digest_breach"  # actions block per breach: block_id is BREACH_BLOCK:<ticket id>
BREACH_LINE = "digest_line"  # the breach's section: block_id is BREACH_LINE:<ticket id>
SNOOZE_CHOICES = ("1h", "4h", "tomorrow")
