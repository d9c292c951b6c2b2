"""Live data: accounts from the CRM (HubSpot, Salesforce), tickets from the helpdesk (Zendesk), and tiers
pushed back for routing. `service.py` is the front door; the clients speak each vendor's API."""
