"""Chinese working days: chinese-calendar's State Council schedule, plus the operator's
corrections and additions (`flask calendar`), for years the package does not know yet."""
