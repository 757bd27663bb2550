"""The bank's view of an enterprise: a composition above what it composes (the registry,
the guard and its log, the records under the dispute and repair rules, the key facts, the
profile and its cache). Nothing below imports it; pages, the API and reports do."""
