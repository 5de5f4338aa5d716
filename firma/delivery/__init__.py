"""Reaching people and ERPs: deliveries, messages, e-mail, WhatsApp, reminders, webhooks."""
