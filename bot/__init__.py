"""The aiogram edge: the admin control plane and the alert sender."""
