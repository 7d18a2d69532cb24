"""Notifications: the outbox every change that concerns people writes to, its delivery by
SMTP (``mptf mail``), each user's list on the site and their choice of messages by e-mail."""
