"""An oracle for the portfolio reports: a plain Python fold over the stored events.

The read model answers reports with SQL over projected tables (``tracker.readmodel``). This
module answers the same questions the slow, obvious way, without any of that code: it reads
every event of the application in log order, keeps those recorded by ``known_at``, folds each
aggregate with the domain's own classes (``event.mutate``), folds each rate set's rates by
hand, and adds the figures up in Python.

The reporting rules, written out once more:

- A project counts from its announcement's effective date on; its status is the one whose
  change was effective last by ``as_of`` (ties: the later event).
- Pledged: the planned investment, valued at the announcement's effective date, of every
  project announced by ``as_of`` that is not cancelled as of that day.
- Committed, disbursed, jobs: facts effective by ``as_of`` and not retracted, with every
  correction known by ``known_at`` folded in. The portfolio's totals count the facts of all
  its projects; a slice of a breakdown counts the facts of the projects in it, and facts
  effective before their project was announced go to a slice of their own,
  ``(not yet announced)``, so the slices add up to the portfolio.
- A project in two regions (or countries) counts fully in each; once per slice.
- Conversion: ``amount × target rate / source rate``, each rate the latest on or before the
  amount's value date (or on or before the fixed date); USD is 1; an amount already in the
  report currency is taken as it is; without a rate the amount stays unconverted, summed per
  currency with the number of amounts.
- Rates: only those of the rate sets the portfolio had chosen by ``known_at``, in its order of
  preference: for a currency, the first set with a rate on or before the day gives it. A
  set's rates are those published by ``known_at``, with the corrections known then folded in
  and the withdrawn ones left out. Another portfolio's choice changes nothing here.
- Targets: the restatement in force on ``as_of`` (latest effective date, then version),
  converted at its effective date. Ratios: converted committed and disbursed over the target
  investment, jobs (permanent + temporary) and projects (any status) over their targets,
  to four places; none when there is no target or it is zero.
- Flags (``tests.oracle_projects.flags_then``): disbursed above committed, each summed in
  US dollars as above (not judged while an amount has no rate); the planned end (the plan as
  recorded by ``known_at``) before ``as_of`` or today while announced, agreed, in
  preparation, under implementation or suspended as of ``as_of``; no news as the stale rule.
- Filters: a layer keeps only its projects (reported or illustrative), all their facts
  included. A sector, region, country or status keeps only the projects announced by
  ``as_of`` whose plan (as corrected by ``known_at``) and status as of ``as_of`` match, with
  their facts; facts effective before their project's announcement then count nowhere.
  Targets do not change with filters.
- Shares of plan: committed and disbursed over pledged, jobs (permanent + temporary) over the
  planned jobs of the projects not cancelled; none when nothing is planned.
- Timeline: one point per month or quarter from the first day anything happened (a project's
  announcement, a target, a ledger fact) to ``as_of`` (or today), each the cumulative figures
  at the period's last day (capped at the end).

The package: ``tests.oracle.reports`` (``Oracle``: the fold and its reports),
``tests.oracle.known`` (what the events recorded by ``known_at`` leave, and the filters of a
read), ``tests.oracle.figures`` (converting and adding up) and ``tests.oracle.views`` (the
comparable shape of a report, and the read model's reports read into it).
"""
