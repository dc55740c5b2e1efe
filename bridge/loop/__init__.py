"""The forum loop: activity pulled back, drift detected, webhooks received, periodic runs."""
