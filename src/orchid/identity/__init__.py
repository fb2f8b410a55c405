"""Orchid users <-> Unix accounts (decision 10): the only code that looks accounts up or creates them.

`names` holds the pure rule that names the account Orchid creates for a user; `accounts` looks
accounts up (refusing uid 0) and creates them with useradd.
"""
