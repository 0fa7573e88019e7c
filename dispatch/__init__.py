"""The district's dispatch machinery around the whistle, not the dispatching itself (that is one step of
the lifecycle: ``issues.services.issue_dispatch``). It holds:

- the configuration the services ask through hooks: routing rules (which tier takes a new issue, who
  handles it by default) and the deadline matrix with the working-day calendar (``models/rules.py`` –
  rules as configuration; who may do what is ``issues.rules``), read through ``rulebook``;
- the timers that act on deadlines (``timers``: reminders, overdue marks, automatic escalation);
- the supervision list (督办清单, ``supervision``) and the accountability list (问效清单, ``accountability``).
"""
