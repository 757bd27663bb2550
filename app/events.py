"""The effects that cross domains, as signals (blinker).

A domain that changes something sends one of these signals; the domains that must follow
connect a receiver when their module is imported (`create_app` imports them all). The sender
does not import its receivers, so a lower domain (the records' rules: ingest, disputes,
repairs, publicity) never reaches up into a higher one (profiles, notifications) to make it
follow. Receivers run at once, in the sender's transaction: a change and what it implies are
committed together or not at all, and a receiver's error undoes the change.

blinker promises no order among the receivers of one signal. Where one effect reads what
another writes, they are two signals sent in turn: `batch_written` (facts derived from the
records themselves) before `batch_settled` (what rests on those facts).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# An import batch wrote its rows, before its commit; sent with the batch's summary
# (`ingest.services.BatchSummary`) as the sender. Receivers derive what the records
# themselves imply: the registry's sizes by the standard, the public-credit records'
# publicity windows.
batch_written = _signals.signal("batch-written")

# After `batch_written`: the batch's records and their derived facts are complete (same
# sender). Receivers: the incremental profile rebuild, the enterprises' notices.
batch_settled = _signals.signal("batch-settled")

# Which of an enterprise's records count, or how, changed outside an import (an objection
# upheld or corrected, a credit repair approved, publicity windows that ended); sent with
# the domain's name as the sender and `enterprise_ids`, `trigger` (the rebuild's trigger
# word) and `as_of` (None: today). Receiver: the profile rebuild.
records_changed = _signals.signal("records-changed")

# What an enterprise's profile shows changed while its records count as before (an
# objection filed marks a record as disputed; a repair withdrawn or revoked); sent with the
# domain's name and `enterprise_ids`. Receiver: the profile cache, whose kept material of
# these enterprises is no longer used.
profile_shown_changed = _signals.signal("profile-shown-changed")
