"""Notification subscriptions and the mail they cause."""
