"""Stand-ins for the outside world (Telegram's MTProto side) that real client libraries run on."""
