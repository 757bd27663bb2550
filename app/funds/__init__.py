"""The 信易贷 risk-mitigation fund (风险缓释基金): it shares a bank's principal losses on
registered eligible loans, within a leverage cap.

    models.py    funds, registered loans (备案), claims (代偿申请), recoveries (追偿) and the
                 double-entry ledger
    ledger.py    posting balanced entries and deriving every balance from them
    rules.py     eligibility of a loan for a fund, each rule named
    services.py  creating funds, registering loans, filing, deciding and paying claims,
                 recoveries; figures
    cli.py       `flask funds create|show`
    routes.py    the bank's and the financial office's pages

See docs/funds.md.
"""
