"""Notification channels (WhatsApp providers) used to deliver signing links."""
