"""Demo content: one platform discovery and the Event Storming workshops run with ten product teams.

Plain data for seeding a demo (and for tests of the aggregation and the export). The same underlying
pains recur across teams in different words (slow environments, firewall lead time, CAB, flaky CI,
secrets by hand, no self-service databases, unclear ownership, blind spots in production, manual
releases, slow access, stale templates) so that grouping them into themes has something to show.

Each workshop is written as a list of short helper calls, one sticky per line; ``_workshop`` turns them
into plain dicts. Positions are computed, not random: a sticky's ``x`` is spread inside its stage's
column (the timeline is split into six equal columns), its ``y`` sits in its kind's lane, and a pain
point or note linked to a sticky is placed next to it. Links are written by name (``ref=`` on the
target, ``about=`` on the pain point or note) and resolved to list indexes.
"""
from typing import Any, Optional

DEMO_DISCOVERY: dict[str, Any] = {
    "name": "Platform discovery 2026",
    "problem": (
        "Product teams wait weeks on tickets, approvals and hand-offs to get a new service into "
        "production. Every team has built its own path to live, and the platform team cannot see "
        "where it hurts most or what to build first."
    ),
    "goal": "Cut the time from a new service idea to live in production from 9 weeks to 2 by Q3 2027",
    "stages": ["Idea", "Plan", "Build", "Test", "Release", "Operate"],
    "start_label": "Project starts",
    "end_label": "Live in production with users",
}

STAGES: list[str] = DEMO_DISCOVERY["stages"]
KIND_KEYS: tuple[str, ...] = ("event", "pain", "system", "time", "team", "opportunity", "note")
VOTABLE_KINDS: tuple[str, ...] = ("pain", "opportunity")
LINKING_KINDS: tuple[str, ...] = ("pain", "note")

# Elapsed time, in minutes.
MIN = 1
HOUR = 60
DAY = 24 * HOUR
WEEK = 7 * DAY


# --- helpers: one sticky per call ------------------------------------------------------------------

def S(kind: str, stage: Optional[str], text: str, votes: Optional[int] = None,
      minutes: Optional[float] = None, ref: Optional[str] = None, about: Optional[str] = None) -> dict[str, Any]:
    """A sticky before layout. ``stage`` None (notes only) means: the stage of the sticky it is about."""
    return {"kind": kind, "stage": stage, "text": text, "votes": votes, "minutes": minutes,
            "ref": ref, "about": about}


def E(stage: str, text: str, ref: Optional[str] = None) -> dict[str, Any]:
    return S("event", stage, text, ref=ref)


def P(stage: str, text: str, votes: int = 0, about: Optional[str] = None, ref: Optional[str] = None) -> dict[str, Any]:
    return S("pain", stage, text, votes=votes, about=about, ref=ref)


def SY(stage: str, text: str) -> dict[str, Any]:
    return S("system", stage, text)


def T(stage: str, text: str, minutes: float) -> dict[str, Any]:
    return S("time", stage, text, minutes=minutes)


def TM(stage: str, text: str) -> dict[str, Any]:
    return S("team", stage, text)


def OP(stage: str, text: str, votes: int = 0) -> dict[str, Any]:
    return S("opportunity", stage, text, votes=votes)


def N(text: str, about: str) -> dict[str, Any]:
    return S("note", None, text, about=about)


# Lanes (two rows each, so neighbouring stickies do not sit on top of each other).
_LANES: dict[str, tuple[float, float]] = {
    "opportunity": (0.10, 0.16),
    "event": (0.22, 0.31),
    "pain": (0.47, 0.56),
    "system": (0.69, 0.73),
    "time": (0.78, 0.82),
    "team": (0.87, 0.91),
}
_COL = 1.0 / len(STAGES)


def _column(stage: str) -> tuple[float, float]:
    i = STAGES.index(stage)
    return i * _COL, (i + 1) * _COL


def _free(s: dict[str, Any]) -> bool:
    return s["about"] is None


def _workshop(team: str, day: str, facilitator: str, participants: list[str], closed: bool,
              stickies: list[dict[str, Any]]) -> dict[str, Any]:
    refs = {s["ref"]: i for i, s in enumerate(stickies) if s["ref"]}
    for s in stickies:  # notes take the stage of what they are about
        if s["stage"] is None:
            s["stage"] = stickies[refs[s["about"]]]["stage"]

    # Spread each kind evenly across its stage's column, in the order written.
    groups: dict[tuple[str, str], list[int]] = {}
    for i, s in enumerate(stickies):
        groups.setdefault((s["stage"], s["kind"]), []).append(i)
    xs: dict[int, float] = {}
    ys: dict[int, float] = {}
    for (stage, kind), members in groups.items():
        lo, hi = _column(stage)
        n = len(members)
        shift = 0.0 if kind == "event" else 0.06  # offset other lanes a little from the events
        for j, i in enumerate(members):
            frac = 0.08 + 0.84 * ((j + 0.5) / n)
            frac = min(0.92, max(0.08, frac + (shift if j % 2 else -shift / 2)))
            xs[i] = lo + (hi - lo) * frac
            if kind in _LANES:
                a, b = _LANES[kind]
                ys[i] = a if j % 2 == 0 else b
                if kind == "pain" and _free(stickies[i]):
                    ys[i] = 0.6  # free-standing pain points get a row of their own

    # Linked pain points and notes sit next to what they are about (when it is in the same column).
    nudges: dict[int, int] = {}
    for i, s in enumerate(stickies):
        if s["about"] is None:
            continue
        t = refs[s["about"]]
        k = nudges.get(t, 0)
        nudges[t] = k + 1
        if s["kind"] == "note":  # between the event and pain lanes, or just below the pain lane
            ys[i] = (0.39 if stickies[t]["kind"] == "event" else 0.62) + 0.03 * k
        if stickies[t]["stage"] == s["stage"]:
            lo, hi = _column(s["stage"])
            x = xs[t] + (hi - lo) * (0.05 + 0.07 * k)
            xs[i] = min(hi - (hi - lo) * 0.04, max(lo + (hi - lo) * 0.04, x))

    out: list[dict[str, Any]] = []
    for i, s in enumerate(stickies):
        author = participants[(i + sum(map(ord, s["text"]))) % len(participants)]
        d: dict[str, Any] = {"kind": s["kind"], "text": s["text"], "stage": s["stage"],
                             "x": round(xs[i], 4), "y": round(ys[i], 4), "author": author}
        if s["kind"] in VOTABLE_KINDS:
            d["votes"] = int(s["votes"] or 0)
        if s["kind"] == "time":
            d["duration_minutes"] = s["minutes"]
        if s["about"] is not None:
            d["link"] = refs[s["about"]]
        out.append(d)
    return {"team": team, "date": day, "template": "discovery", "facilitator": facilitator,
            "participants": participants, "closed": closed, "stickies": out}


# --- the workshops ---------------------------------------------------------------------------------

DEMO_WORKSHOPS: list[dict[str, Any]] = [
    _workshop("Payments", "2026-09-08", "Priya Raman",
              ["Aisha Khan", "Marek Nowak", "Sofia Lindqvist", "Daniel Osei", "Hannah Becker", "Ravi Menon"], True, [
        E("Idea", "Epic created in Jira"),
        E("Idea", "Refund API pitched at quarterly planning"),
        E("Idea", "Risk & compliance consulted"),
        E("Plan", "Architecture review booked"),
        E("Plan", "PCI scope assessment done"),
        E("Plan", "Ticket raised for test env", ref="envreq"),
        E("Plan", "DB request sent to DBA team", ref="dbreq"),
        E("Build", "Repo created from copy of old service"),
        E("Build", "Vault path requested from Security", ref="vault"),
        E("Build", "Jenkins job cloned and edited"),
        E("Build", "Firewall change requested for card vault", ref="fw"),
        E("Test", "Deployed to SIT", ref="sit"),
        E("Test", "Integration tests run vs acquirer sandbox", ref="e2e"),
        E("Test", "Pen test scheduled"),
        E("Test", "Load test run"),
        E("Release", "Change request raised in ServiceNow", ref="cr"),
        E("Release", "CAB approval granted"),
        E("Release", "Release runbook followed step by step", ref="runbook"),
        E("Release", "Deployed to prod in Sunday window"),
        E("Operate", "Smoke tests checked manually"),
        E("Operate", "Dashboards built in Datadog"),
        E("Operate", "First refund processed live"),
        P("Plan", "waiting 3 wks for a test env", 6, about="envreq"),
        P("Plan", "DBA queue is ~2 weeks for a new schema", 4, about="dbreq"),
        P("Build", "Firewall rules take 10 days, nobody knows the status", 5, about="fw", ref="fwpain"),
        P("Build", "Secrets pasted into prod config by hand", 4, about="vault"),
        P("Test", "SIT shared w/ 4 teams, constantly broken", 3, about="sit"),
        P("Test", "e2e suite flaky, rerun 3x before green", 3, about="e2e"),
        P("Release", "CAB only meets on thursdays!!", 5, about="cr", ref="cabpain"),
        P("Release", "Runbook is 40 manual steps", 4, about="runbook"),
        P("Operate", "PCI evidence collected via screenshots", 2),
        SY("Idea", "Jira"),
        SY("Plan", "Confluence"),
        SY("Build", "Jenkins"),
        SY("Build", "Vault"),
        SY("Release", "ServiceNow"),
        SY("Operate", "Datadog"),
        T("Plan", "3 weeks wait for env", 3 * WEEK),
        T("Build", "10 days for firewall", 10 * DAY),
        T("Test", "Pen test 2 days", 2 * DAY),
        T("Release", "CAB cycle up to 1 wk", 1 * WEEK),
        T("Release", "Release window 4h", 4 * HOUR),
        TM("Plan", "DBA team"),
        TM("Build", "Network team"),
        TM("Test", "Security"),
        TM("Release", "Release manager"),
        TM("Operate", "SRE on-call"),
        OP("Plan", "Self-service test env from a template", 6),
        OP("Build", "Secrets injected from Vault at deploy", 3),
        OP("Release", "Pre-approved standard changes for low-risk deploys", 5),
        OP("Release", "Automated release pipeline, no runbook", 4),
        N("Q: is the 10 days for every rule or only new subnets?", about="fwpain"),
        N("Only major releases need CAB? team unsure", about="cabpain"),
    ]),

    _workshop("Checkout", "2026-09-15", "Priya Raman",
              ["Lena Fischer", "Kwame Mensah", "Julia Santos", "Oliver Grant", "Mei Chen"], True, [
        E("Idea", "A/B test idea agreed with PM"),
        E("Idea", "Experiment brief written"),
        E("Plan", "Story mapping session held"),
        E("Plan", "Test env requested via ServiceNow", ref="env"),
        E("Plan", "Feature flag created in LaunchDarkly"),
        E("Build", "Branch cut from main"),
        E("Build", "PR opened"),
        E("Build", "CI pipeline run", ref="ci"),
        E("Build", "Firewall opening requested for PSP", ref="fw"),
        E("Build", "Code review done"),
        E("Test", "Deployed to staging"),
        E("Test", "Cypress e2e run", ref="e2e"),
        E("Test", "QA sign-off given"),
        E("Test", "Perf test run against staging"),
        E("Release", "Change ticket raised"),
        E("Release", "CAB approved", ref="cab"),
        E("Release", "Deployed to prod via Argo CD"),
        E("Release", "Feature flag flipped to 5%"),
        E("Operate", "Conversion dashboard checked"),
        E("Operate", "Incident ticket routed to wrong team", ref="inc"),
        E("Operate", "On-call paged at 2am", ref="page"),
        P("Plan", "Staging takes 2-3 weeks to get, so we all share one", 5, about="env"),
        P("Build", "CI 50 min, mostly waiting for runners", 4, about="ci"),
        P("Build", "PSP IPs change -> new firewall ticket every time", 3, about="fw"),
        P("Test", "flaky cypress tests block merges", 6, about="e2e"),
        P("Release", "CAB wants a slide deck for a 5% flag rollout??", 4, about="cab", ref="cabpain"),
        P("Release", "Black Friday code freeze starts mid-Oct", 2),
        P("Operate", "Alerts go to a shared inbox nobody watches", 3, about="page"),
        P("Operate", "Nobody knows who owns cart svc after the reorg", 4, about="inc", ref="ownpain"),
        P("Operate", "Logs kept 24h only, can't debug weekend issues", 3),
        SY("Plan", "ServiceNow"),
        SY("Plan", "LaunchDarkly"),
        SY("Build", "GitHub"),
        SY("Build", "GitHub Actions"),
        SY("Test", "Cypress"),
        SY("Release", "Argo CD"),
        SY("Operate", "Datadog"),
        T("Plan", "2-3 wks env wait", 2.5 * WEEK),
        T("Build", "50 min pipeline", 50 * MIN),
        T("Build", "Firewall change ~1 wk", 1 * WEEK),
        T("Release", "CAB lead time 5 days", 5 * DAY),
        TM("Build", "Network team"),
        TM("Test", "QA guild"),
        TM("Release", "Change manager"),
        TM("Operate", "SRE on-call"),
        OP("Plan", "Ephemeral preview env per PR", 5),
        OP("Test", "Auto-quarantine flaky tests", 3),
        OP("Release", "Standard change for flag rollouts", 4),
        OP("Operate", "Service ownership catalogue", 3),
        N("Q: is this every release or only major ones?", about="cabpain"),
        N("Happened 3x last quarter per Julia", about="ownpain"),
    ]),

    _workshop("Search", "2026-09-22", "Tom Okafor",
              ["Nikhil Rao", "Emma Walsh", "Jonas Berg", "Carla Mendes", "Yusuf Demir"], True, [
        E("Idea", "Relevance drop spotted in analytics"),
        E("Idea", "Spike ticket created"),
        E("Plan", "Design doc written in Confluence"),
        E("Plan", "Elasticsearch cluster requested", ref="es"),
        E("Plan", "Staging env requested from infra", ref="env"),
        E("Plan", "Capacity estimate sent to infra"),
        E("Build", "Repo created from service template", ref="tpl"),
        E("Build", "Ranking model trained"),
        E("Build", "Index mapping changed"),
        E("Build", "Unit tests added"),
        E("Build", "Jenkins pipeline run", ref="ci"),
        E("Test", "Reindex run on staging", ref="reindex"),
        E("Test", "Offline relevance eval run"),
        E("Test", "Integration tests run"),
        E("Release", "Change request approved", ref="cr"),
        E("Release", "Deployed to prod behind flag"),
        E("Operate", "Query latency alert fired", ref="alert"),
        E("Operate", "Handed over to ops team", ref="handover"),
        E("Operate", "Zero-result queries reviewed"),
        P("Plan", "No self-service for ES clusters, ticket + 4 wk wait", 4, about="es"),
        P("Plan", "waiting on infra for a staging env. again.", 4, about="env"),
        P("Build", "Service template is 2 yrs old, deps deprecated", 3, about="tpl"),
        P("Build", "Jenkins builds randomly fail on shared agents", 4, about="ci"),
        P("Test", "Reindex takes 14h, blocks everything else", 3, about="reindex"),
        P("Release", "CAB form asks the same q's every time", 3, about="cr"),
        P("Operate", "Latency alert has no trace, just a number", 4, about="alert"),
        P("Operate", "Ops bounce tickets back to us", 4, about="handover", ref="opspain"),
        SY("Plan", "Confluence"),
        SY("Plan", "Elasticsearch"),
        SY("Build", "GitHub"),
        SY("Build", "Jenkins"),
        SY("Release", "Kubernetes"),
        SY("Operate", "Grafana"),
        T("Plan", "4 weeks for ES cluster", 4 * WEEK),
        T("Build", "35 min Jenkins build", 35 * MIN),
        T("Test", "14h reindex", 14 * HOUR),
        T("Release", "CAB 3 days", 3 * DAY),
        TM("Plan", "Infra team"),
        TM("Build", "Data science"),
        TM("Release", "Change board"),
        TM("Operate", "Ops team"),
        OP("Plan", "Self-service search clusters (Terraform module)", 4),
        OP("Build", "Golden path repo template, kept up to date", 3),
        OP("Operate", "Tracing on by default in the template", 3),
        N("Handover doc is a Confluence page nobody reads", about="opspain"),
    ]),

    _workshop("Mobile App", "2026-09-29", "Tom Okafor",
              ["Chloe Martin", "Arjun Patel", "Sven Larsen", "Grace Adeyemi", "Pablo Ruiz", "Ines Moreau"], True, [
        E("Idea", "Feature request from app reviews"),
        E("Idea", "Designs shared in Figma"),
        E("Plan", "Sprint planned in Jira"),
        E("Plan", "Backend env requested for new API", ref="env"),
        E("Build", "Feature branch created"),
        E("Build", "API keys copied from 1Password into build config", ref="keys"),
        E("Build", "PR reviewed"),
        E("Build", "CI build run on Bitrise", ref="ci"),
        E("Test", "TestFlight build distributed"),
        E("Test", "Device lab tests run", ref="dev"),
        E("Test", "Backend deployed to staging"),
        E("Release", "Release notes written"),
        E("Release", "Version bumped by hand", ref="bump"),
        E("Release", "Submitted to App Store review", ref="store"),
        E("Release", "Phased rollout started"),
        E("Operate", "Crash spike seen in Crashlytics", ref="crash"),
        E("Operate", "Backend team pinged in Slack"),
        E("Operate", "Hotfix shipped"),
        P("Plan", "Need a backend env just to demo - 2 wk wait", 4, about="env"),
        P("Build", "API keys live in a shared doc, never rotated", 4, about="keys"),
        P("Build", "iOS CI 40 min + queue on top", 5, about="ci"),
        P("Test", "device lab tests flaky on older androids", 3, about="dev"),
        P("Release", "Release = 12 manual steps, only Sven knows them", 5, about="bump", ref="relpain"),
        P("Release", "App store review adds 2-5 days, unpredictable", 2, about="store"),
        P("Operate", "Crash in prod, backend says not theirs, nobody owns it", 4, about="crash"),
        SY("Idea", "Figma"),
        SY("Plan", "Jira"),
        SY("Build", "Bitrise"),
        SY("Build", "1Password"),
        SY("Test", "TestFlight"),
        SY("Release", "App Store Connect"),
        SY("Operate", "Crashlytics"),
        SY("Operate", "Slack"),
        T("Plan", "2 wks for backend env", 2 * WEEK),
        T("Build", "40 min CI + queue", 55 * MIN),
        T("Release", "App review 2-5 days", 3.5 * DAY),
        T("Release", "Manual release ~half a day", 4 * HOUR),
        TM("Plan", "Backend team"),
        TM("Test", "QA"),
        TM("Release", "Release captain"),
        TM("Operate", "Backend on-call"),
        OP("Plan", "On-demand backend env per branch", 4),
        OP("Build", "Secrets from Vault in CI", 3),
        OP("Release", "Fastlane to automate the release", 4),
        N("Sven on holiday = no release (happened in Aug)", about="relpain"),
    ]),

    _workshop("Data Platform", "2026-10-06", "Priya Raman",
              ["Fatima Zahra", "Lukas Horvat", "Ben Carter", "Anna Kowalski", "Tariq Hussain"], True, [
        E("Idea", "New dataset requested by analytics"),
        E("Idea", "Access requested to source DB", ref="access"),
        E("Idea", "Data contract drafted"),
        E("Plan", "Warehouse schema requested", ref="schema"),
        E("Plan", "Cost estimate approved"),
        E("Plan", "Dev environment set up", ref="dev"),
        E("Build", "Airflow DAG written"),
        E("Build", "dbt models added"),
        E("Build", "Service account created"),
        E("Build", "Network route to on-prem DB requested", ref="fw"),
        E("Build", "Credentials stored in Airflow variables", ref="creds"),
        E("Test", "dbt tests run in CI", ref="ci"),
        E("Test", "Backfill run on dev"),
        E("Test", "Data quality checks reviewed"),
        E("Release", "DAG merged and deployed"),
        E("Release", "Backfill run in prod"),
        E("Operate", "Dashboard published in Looker"),
        E("Operate", "Pipeline failed overnight", ref="fail"),
        E("Operate", "Upstream schema change broke the load", ref="upstream"),
        P("Idea", "Access to source DB: 3 approvals + 2 wks", 4, about="access"),
        P("Plan", "Can't create a schema myself, DBA ticket every time", 5, about="schema"),
        P("Plan", "No proper dev env, we test backfills on laptops", 3, about="dev"),
        P("Build", "Route to on-prem DB = 3 weeks & 2 tickets", 4, about="fw", ref="fwpain"),
        P("Build", "DB passwords in Airflow vars in plain text", 3, about="creds"),
        P("Test", "dbt CI takes 1h+ on full refresh", 2, about="ci"),
        P("Operate", "Failures only noticed when a dashboard looks wrong", 4, about="fail"),
        P("Operate", "Upstream teams change schemas w/o telling us", 3, about="upstream", ref="uppain"),
        SY("Plan", "Snowflake"),
        SY("Build", "Airflow"),
        SY("Build", "dbt"),
        SY("Build", "AWS console"),
        SY("Test", "GitHub Actions"),
        SY("Operate", "Looker"),
        T("Idea", "2 wks access approvals", 2 * WEEK),
        T("Build", "3 weeks for network route", 3 * WEEK),
        T("Test", "dbt CI 1h+", 70 * MIN),
        T("Release", "Prod backfill 6h", 6 * HOUR),
        TM("Idea", "Source system owners"),
        TM("Plan", "DBA team"),
        TM("Build", "Network team"),
        TM("Operate", "Analytics"),
        OP("Idea", "One access form, read access auto-approved", 3),
        OP("Plan", "Self-service schemas with guardrails", 5),
        OP("Operate", "Pipeline alerting out of the box", 4),
        N("Q: why does a route need both a ServiceNow and a Jira ticket?", about="fwpain"),
        N("Data contracts exist but nobody enforces them", about="uppain"),
    ]),

    _workshop("Identity", "2026-10-13", "Tom Okafor",
              ["Olga Petrova", "Samuel Ncube", "Keiko Tanaka", "Mateo Rossi"], True, [
        E("Idea", "SSO for partner portal requested"),
        E("Idea", "Threat model drafted"),
        E("Plan", "Security review booked"),
        E("Plan", "New starter got laptop, no GitHub access", ref="onb"),
        E("Plan", "Keycloak realm design agreed"),
        E("Build", "Repo created"),
        E("Build", "Client secrets generated and emailed", ref="sec"),
        E("Build", "Firewall change for partner IdP requested", ref="fw"),
        E("Build", "PR merged after 2 reviews"),
        E("Test", "Deployed to test realm"),
        E("Test", "Pen test run by external vendor", ref="pen"),
        E("Test", "Partner test login succeeded"),
        E("Release", "Change request raised"),
        E("Release", "CAB approval granted", ref="cab"),
        E("Release", "Realm config exported/imported by hand", ref="manual"),
        E("Release", "DNS record updated"),
        E("Operate", "Login errors reported by partner", ref="err"),
        E("Operate", "Ticket passed between SRE and us"),
        P("Plan", "New joiner waited 9 days for GitHub + VPN", 3, about="onb"),
        P("Build", "Client secrets sent over email, no rotation", 5, about="sec"),
        P("Build", "Firewall req to partner IdP 2+ wks, no tracking", 5, about="fw"),
        P("Test", "Pen test vendor booked 6 weeks ahead", 3, about="pen"),
        P("Release", "CAB needs 5 working days notice, even for config", 4, about="cab", ref="cabpain"),
        P("Release", "Realm config promoted by hand, easy to miss a setting", 4, about="manual"),
        P("Operate", "SRE vs Identity: who owns login incidents??", 3, about="err"),
        SY("Idea", "Jira"),
        SY("Plan", "Keycloak"),
        SY("Build", "GitHub"),
        SY("Build", "Vault"),
        SY("Release", "ServiceNow"),
        SY("Operate", "Splunk"),
        T("Plan", "9 days for access", 9 * DAY),
        T("Build", "2+ wks firewall", 2 * WEEK),
        T("Test", "6 wks to book pen test", 6 * WEEK),
        T("Release", "5 days CAB notice", 5 * DAY),
        TM("Plan", "Security"),
        TM("Build", "Network team"),
        TM("Test", "External pen testers"),
        TM("Operate", "SRE on-call"),
        OP("Build", "Secrets issued straight into Vault", 4),
        OP("Release", "Keycloak realms as code", 4),
        OP("Release", "Pre-approved standard change for config", 3),
        N("Is the 5 day rule written down anywhere?", about="cabpain"),
    ]),

    _workshop("Logistics", "2026-10-20", "Priya Raman",
              ["Hugo Lefebvre", "Amara Obi", "Piotr Zielinski", "Rachel Stein", "Dev Sharma", "Lucía Fernández"], True, [
        E("Idea", "New carrier integration agreed with ops"),
        E("Idea", "Carrier API docs received"),
        E("Plan", "Infra ticket raised for new namespace", ref="ns"),
        E("Plan", "Postgres DB requested", ref="db"),
        E("Plan", "Estimate given to logistics ops"),
        E("Build", "Service scaffolded"),
        E("Build", "Outbound firewall rule requested for carrier API", ref="fw"),
        E("Build", "Webhook handler written"),
        E("Build", "Pipeline run in GitHub Actions", ref="ci"),
        E("Test", "Deployed to staging"),
        E("Test", "Carrier sandbox tested", ref="sandbox"),
        E("Test", "Label printing tested in warehouse"),
        E("Release", "CAB approval granted", ref="cab"),
        E("Release", "Deployed to prod at night"),
        E("Release", "Carrier switched on for 1 depot"),
        E("Operate", "Shipment stuck, no logs found", ref="nologs"),
        E("Operate", "Escalated to ops, then back to us", ref="esc"),
        E("Operate", "Second depot enabled"),
        P("Plan", "Namespace ticket sat in infra queue 12 days", 5, about="ns"),
        P("Plan", "postgres only via DBA ticket, 2 wks", 4, about="db"),
        P("Build", "Outbound firewall = 3 forms + a meeting", 4, about="fw"),
        P("Build", "GH Actions runners maxed out every afternoon", 3, about="ci"),
        P("Test", "Carrier sandbox down half the time", 2, about="sandbox", ref="sbxpain"),
        P("Release", "Miss the CAB slot = wait another week", 4, about="cab"),
        P("Operate", "Logs not shipped from that cluster, flying blind", 5, about="nologs"),
        P("Operate", "Ops runbooks point to the wrong team", 3, about="esc"),
        SY("Plan", "Jira"),
        SY("Plan", "Terraform"),
        SY("Build", "ServiceNow"),
        SY("Build", "GitHub Actions"),
        SY("Build", "Kubernetes"),
        SY("Operate", "Kibana"),
        SY("Operate", "PagerDuty"),
        T("Plan", "12 days for namespace", 12 * DAY),
        T("Plan", "2 wks for DB", 2 * WEEK),
        T("Build", "Firewall ~3 wks", 3 * WEEK),
        T("Build", "Pipeline 25 min", 25 * MIN),
        T("Release", "Next CAB up to 7 days", 7 * DAY),
        TM("Plan", "Infra team"),
        TM("Plan", "DBA team"),
        TM("Build", "Network team"),
        TM("Test", "Warehouse ops"),
        TM("Operate", "SRE on-call"),
        OP("Plan", "Self-service namespace + DB from a template", 6),
        OP("Build", "Pre-approved allowlist for known carrier IPs", 3),
        OP("Operate", "Logs & metrics on by default on every cluster", 4),
        N("Carrier says fix due Q1, not holding our breath", about="sbxpain"),
    ]),

    _workshop("Customer Support Tools", "2026-10-27", "Tom Okafor",
              ["Zoe Nguyen", "Ibrahim Sy", "Kate Murphy", "Felix Wagner", "Nadia Haddad"], True, [
        E("Idea", "Agents asked for order lookup in Zendesk"),
        E("Idea", "Idea prioritised by support leads"),
        E("Plan", "Zendesk sandbox requested", ref="sbx"),
        E("Plan", "Test env requested for order API", ref="env"),
        E("Build", "Zendesk app scaffolded"),
        E("Build", "API token put in app settings by hand", ref="tok"),
        E("Build", "PR opened"),
        E("Build", "Jenkins build run", ref="ci"),
        E("Test", "Tested in shared Zendesk sandbox"),
        E("Test", "UAT with 3 agents"),
        E("Release", "Change raised in ServiceNow", ref="cr"),
        E("Release", "Release manager scheduled window"),
        E("Release", "App uploaded to Zendesk manually", ref="upl"),
        E("Operate", "Agents reported timeouts", ref="to"),
        E("Operate", "Issue handed to platform team", ref="hand"),
        E("Operate", "Timeout fixed after 2 days"),
        P("Plan", "test env for order API took 3 weeks", 5, about="env"),
        P("Plan", "Zendesk sandbox shared w/ 3 teams, config clashes", 2, about="sbx"),
        P("Build", "API token copied by hand, expired in prod", 4, about="tok"),
        P("Build", "jenkins build flaky, re-run till green", 3, about="ci"),
        P("Release", "A CR for a Zendesk app upload? really?", 3, about="cr"),
        P("Release", "Manual upload, no rollback", 4, about="upl"),
        P("Operate", "no metrics on API calls from the app", 4, about="to", ref="metpain"),
        P("Operate", "Platform team said not theirs, ticket ping-pong", 3, about="hand"),
        SY("Plan", "Zendesk"),
        SY("Build", "GitHub"),
        SY("Build", "Jenkins"),
        SY("Release", "ServiceNow"),
        SY("Operate", "Datadog"),
        SY("Operate", "Slack"),
        T("Plan", "3 weeks for test env", 3 * WEEK),
        T("Release", "CR lead time 4 days", 4 * DAY),
        T("Operate", "2 days to fix timeout", 2 * DAY),
        TM("Idea", "Support leads"),
        TM("Release", "Release manager"),
        TM("Operate", "Platform team"),
        OP("Plan", "Self-service test env with seeded order data", 4),
        OP("Build", "Automated secret rotation", 2),
        OP("Release", "Standard change for low-risk app updates", 3),
        N("Q: timeouts from order API or the Zendesk proxy?", about="metpain"),
    ]),

    _workshop("Marketing Site", "2026-11-03", "Priya Raman",
              ["Ella Thompson", "Raj Kapoor", "Marta Silva", "Leon Braun"], True, [
        E("Idea", "Campaign brief received"),
        E("Idea", "Landing page designed"),
        E("Plan", "New dev onboarded"),
        E("Plan", "Contractor account requested", ref="contr"),
        E("Plan", "Starter template found in Confluence", ref="tpl"),
        E("Build", "Pages built in Next.js"),
        E("Build", "Content added in CMS", ref="cms"),
        E("Build", "Preview deploy created"),
        E("Build", "Lighthouse run in CI", ref="ci"),
        E("Test", "Copy reviewed by legal"),
        E("Test", "Checked on real phones"),
        E("Release", "Change request submitted", ref="cr"),
        E("Release", "CDN cache purged by hand", ref="purge"),
        E("Release", "Go-live announced in Slack"),
        E("Operate", "Analytics tag checked"),
        E("Operate", "Broken form reported by sales", ref="form"),
        P("Plan", "Contractors wait 2 wks for repo access", 3, about="contr"),
        P("Plan", "Template in Confluence is from 2022, doesn't build", 3, about="tpl"),
        P("Build", "CMS preview broken so we check in prod", 2, about="cms"),
        P("Build", "lighthouse step fails randomly, blocks deploy", 3, about="ci"),
        P("Release", "Need a CR for a text change on a landing page", 5, about="cr", ref="crpain"),
        P("Release", "CDN purge is manual, forgot it twice", 3, about="purge"),
        P("Operate", "No uptime checks on forms, sales found it first", 2, about="form"),
        SY("Plan", "Confluence"),
        SY("Build", "Next.js"),
        SY("Build", "Contentful"),
        SY("Build", "Vercel"),
        SY("Release", "ServiceNow"),
        SY("Release", "Cloudflare"),
        SY("Release", "Slack"),
        T("Plan", "2 wks for repo access", 2 * WEEK),
        T("Release", "CR 3 days for a copy change", 3 * DAY),
        T("Release", "Cache purge 15 min", 15 * MIN),
        TM("Plan", "Contractor agency"),
        TM("Test", "Legal"),
        TM("Release", "Change manager"),
        OP("Plan", "Access granted from HR system on day 1", 3),
        OP("Plan", "Maintained starter template", 2),
        OP("Release", "Auto-approve content-only changes", 5),
        N("Q: does a content-only exemption exist? Raj thinks yes", about="crpain"),
    ]),

    # Still running: context added, deep-dive and voting not done yet (no votes, no notes).
    _workshop("Pricing", "2026-11-10", "Tom Okafor",
              ["Victor Hughes", "Sana Mirza", "Erik Johansson", "Tomás Alvarez", "Laura Bianchi"], True, [
        E("Idea", "Price change requested by finance"),
        E("Idea", "Rules drafted in a spreadsheet", ref="sheet"),
        E("Plan", "Spreadsheet signed off by finance"),
        E("Plan", "Env requested for pricing engine", ref="env"),
        E("Plan", "Read replica requested", ref="db"),
        E("Build", "Rules translated to code"),
        E("Build", "Firewall opened for ERP feed", ref="fw"),
        E("Build", "PR reviewed"),
        E("Build", "Pipeline run"),
        E("Test", "Regression suite run", ref="reg"),
        E("Test", "Price diff checked vs spreadsheet"),
        E("Test", "Finance UAT done"),
        E("Release", "CAB approval granted", ref="cab"),
        E("Release", "Prices loaded by script at midnight", ref="script"),
        E("Release", "Cache warmed manually"),
        E("Operate", "Wrong price shown for 2h", ref="wrong"),
        E("Operate", "Rollback done by hand"),
        P("Idea", "Price rules live in a spreadsheet, no history", about="sheet"),
        P("Plan", "env for pricing engine: 3 wk wait", about="env"),
        P("Plan", "Read replica needs DBA ticket + approval", about="db"),
        P("Build", "ERP feed firewall change took 4 wks", about="fw"),
        P("Test", "Regression suite 90 min, flaky around dates", about="reg"),
        P("Release", "CAB only on Thursdays so price changes wait", about="cab"),
        P("Release", "Midnight load script run by hand, by one person", about="script"),
        P("Operate", "No alert when prices look wrong", about="wrong"),
        SY("Idea", "Excel"),
        SY("Plan", "Jira"),
        SY("Build", "GitHub"),
        SY("Build", "Jenkins"),
        SY("Release", "ServiceNow"),
        SY("Operate", "Datadog"),
        T("Plan", "3 wks env wait", 3 * WEEK),
        T("Build", "4 wks firewall", 4 * WEEK),
        T("Test", "90 min regression", 90 * MIN),
        T("Operate", "Wrong price live 2h", 2 * HOUR),
        TM("Idea", "Finance"),
        TM("Plan", "DBA team"),
        TM("Build", "Network team"),
        TM("Release", "Release manager"),
        OP("Idea", "Price rules as versioned config"),
        OP("Release", "Scheduled, automated price loads"),
        OP("Release", "Pre-approved change for routine price updates"),
    ]),
]


# --- round 2 ---------------------------------------------------------------------------------------
# Five months later three teams run the discovery again, after the platform team shipped self-service
# test environments and logs on by default. Their boards say what changed: the environment wait and
# the blind spots are gone, CAB is still there, the firewall tickets hurt fewer teams, and the new
# template pipeline brought a pain of its own.

DEMO_ROUND_TWO: list[dict[str, Any]] = [
    _workshop("Payments", "2027-02-09", "Priya Raman",
              ["Aisha Khan", "Marek Nowak", "Daniel Osei", "Ravi Menon"], True, [
        E("Idea", "Epic created in Jira"),
        E("Plan", "Service created from the platform template"),
        E("Plan", "Test env ready in 20 minutes"),
        E("Build", "Secrets injected from Vault at deploy"),
        E("Build", "Firewall change requested for card vault", ref="fw"),
        E("Test", "Deployed to own preview env"),
        E("Test", "Pen test scheduled"),
        E("Release", "Change request raised in ServiceNow", ref="cr"),
        E("Release", "CAB approval granted"),
        E("Operate", "Dashboards there from day one"),
        P("Build", "Firewall rules still take 10 days", 4, about="fw"),
        P("Release", "CAB only meets on thursdays", 5, about="cr"),
        P("Build", "Template pipeline takes 25 min on first build", 2),
        SY("Plan", "Platform template"),
        SY("Release", "ServiceNow"),
        T("Plan", "Test env 20 min", 20 * MIN),
        T("Build", "10 days for firewall", 10 * DAY),
        T("Release", "CAB cycle up to 1 wk", 1 * WEEK),
        TM("Build", "Network team"),
        OP("Release", "Pre-approved standard changes for low-risk deploys", 4),
    ]),

    _workshop("Checkout", "2027-02-16", "Priya Raman",
              ["Lena Fischer", "Kwame Mensah", "Julia Santos", "Mei Chen"], True, [
        E("Idea", "A/B test idea agreed with PM"),
        E("Plan", "Preview env created per PR"),
        E("Build", "PR opened"),
        E("Build", "CI pipeline run", ref="ci"),
        E("Test", "Cypress e2e run", ref="e2e"),
        E("Release", "CAB approved", ref="cab"),
        E("Release", "Feature flag flipped to 5%"),
        E("Operate", "Conversion dashboard checked"),
        P("Test", "flaky cypress tests still block merges", 4, about="e2e"),
        P("Release", "CAB wants a slide deck for a flag rollout", 3, about="cab"),
        SY("Build", "GitHub Actions"),
        SY("Release", "Argo CD"),
        T("Build", "50 min pipeline", 50 * MIN),
        T("Release", "CAB lead time 5 days", 5 * DAY),
        TM("Release", "Release manager"),
        OP("Test", "Auto-quarantine flaky tests", 3),
    ]),

    _workshop("Logistics", "2027-02-23", "Priya Raman",
              ["Hugo Lefebvre", "Amara Obi", "Rachel Stein", "Dev Sharma"], False, [
        E("Plan", "Namespace and DB from the platform template"),
        E("Build", "Outbound firewall requested for carrier API", ref="fw"),
        E("Build", "Pipeline run on shared runners", ref="ci"),
        E("Test", "Carrier sandbox tests run", ref="sandbox"),
        E("Release", "CAB slot booked", ref="cab"),
        E("Operate", "Logs and metrics checked in Grafana"),
        P("Test", "Carrier sandbox down half the time", 3, about="sandbox"),
        P("Release", "Miss the CAB slot = wait another week", 4, about="cab"),
        P("Build", "Template pipeline slow on first build, 25 min", 2, about="ci"),
        P("Operate", "Cloud bill shows up 6 weeks later, cost surprises", 3),
        SY("Operate", "Grafana"),
        SY("Build", "GitHub Actions"),
        T("Build", "Firewall ~1 wk", 1 * WEEK),
        T("Release", "Next CAB up to 7 days", 7 * DAY),
        TM("Build", "Network team"),
        OP("Test", "Carrier sandbox stub we own", 3),
    ]),
]
