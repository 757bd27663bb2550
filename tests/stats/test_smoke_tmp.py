from tests.stats.conftest import NOW
from app.stats import services
U=type("U",(),{"role":"regulator","is_authenticated":True,"bank_id":None})()
def test_smoke(lending, one_enterprise_enough):
    print(services.roll_up(now=NOW))
    for g in ["month","city","county","section","division","bank","product"]:
      for extra in [{}, {"place":"610100"}, {"industry":"C"}, {"bank":"STBA"}, {"product_type":"credit"}]:
        a = services.summary_for(U, {"group_by": g, "from":"2025-01","to":"2025-03", **extra}, now=NOW)
        b = services.summarize(a.query, now=NOW, live_only=True)
        assert a.rows == b.rows and a.totals == b.totals, (g, extra)
        print(g, extra, a.rollup_months, [(r["key"], r["demand_count"], r["disbursed_amount"], r["median_days_to_disburse"]) for r in a.rows])
