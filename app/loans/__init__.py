"""Loans after disbursement (贷后): a disbursed application is a loan with a schedule and a
status the bank reports monthly.

    models.py    loans (one per disbursed application) and the bank's status reports
    queries.py   who may see which loan (reads only; the fund uses them too)
    services.py  opening a loan at disbursement, its schedule, reporting a status
    routes.py    the bank's /bank/loans and the enterprise's /loans

A registered loan is covered by a risk-mitigation fund (`app/funds`); see docs/funds.md.
"""
