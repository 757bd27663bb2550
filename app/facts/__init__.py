"""Enterprise facts: one definition of what is true of an enterprise on a day.

    records.py   which source records count (disputes, decided in the future) and what
                 "in force" (lists, licences) and "current" (tax grade) mean, as SQL
    registry.py  registry-only facts: years in business, industry section and division
    services.py  `facts_for()`: every fact of many enterprises in one statement; 首贷;
                 what a bank is shown

Scoring, matching, the bank's inbox, the bank's view and the statistics all ask here; see
docs/decisions.md ("Enterprise facts") for how to add a rule or a fact.
"""
