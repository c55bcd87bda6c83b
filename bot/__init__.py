"""The aiogram edge: the admin control plane and the alert sender."""

from bot.deferred_models import install

install()  # before any aiogram import: see bot/deferred_models.py
