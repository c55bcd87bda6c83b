"""The composition root and command line: settings, logging, storage and services per process."""

from bot.deferred_models import install

install()  # before any aiogram import (bot_role imports aiogram first): see bot/deferred_models.py
