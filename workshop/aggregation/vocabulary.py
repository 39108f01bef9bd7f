"""A small, general platform-engineering vocabulary: synonyms and abbreviations to one concept word.

Why: engineers write the same pain in different words ("firewall change" / "opening a port",
"CAB" / "change approval board", "env" / "environment"). Lexical similarity cannot see that these
are the same thing; mapping both sides to one concept word lets TF-IDF see it. The lists are
general terms of the trade (not phrases from any one board or from the labelled fixture); extend
them with words, never with whole sticky texts.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

#: concept word -> words and phrases people write for it (lower case; phrases are matched first).
CONCEPTS: dict[str, tuple[str, ...]] = {
    "environment": ("env", "envs", "environment", "environments", "enviroment", "enviroments",
                    "enviornment", "staging", "uat", "preprod", "pre-prod", "sandbox", "sandboxes",
                    "namespace", "namespaces", "vm", "vms", "virtual machine", "virtual machines",
                    "cluster", "clusters", "test system", "dev box"),
    "provision": ("provision", "provisioning", "provisioned", "spin up", "spinning up", "spun up",
                  "set up", "setup", "setting up", "stand up", "standing up"),
    "network": ("network", "networks", "networking", "firewall", "firewalls", "fw", "port", "ports",
                "allowlist", "allowlisting", "allow list", "whitelist", "whitelisting", "whitelisted",
                "acl", "acls", "egress", "ingress", "netsec", "connectivity", "proxy", "vpn", "dns",
                "load balancer", "routing"),
    "cab": ("cab", "rfc", "rfcs", "itil", "change approval board", "change advisory board",
            "change request", "change requests", "change ticket", "change tickets",
            "change management", "change mgmt", "change process", "change control"),
    "approval": ("approval", "approvals", "approve", "approved", "approves", "approver", "approvers",
                 "sign-off", "signoff", "sign off", "signed off", "sign offs"),
    "flaky": ("flaky", "flakey", "flakiness", "flake", "flakes", "intermittent", "intermittently",
              "random", "randomly", "unreliable", "nondeterministic", "non deterministic",
              "non-deterministic", "unstable", "instability"),
    "test": ("test", "tests", "testing", "tested", "e2e", "end to end", "end-to-end", "selenium",
             "cypress", "playwright", "unit test", "unit tests", "integration test",
             "integration tests", "ui test", "ui tests", "regression", "suite"),
    "ci": ("ci", "pipeline", "pipelines", "jenkins", "build", "builds", "runner", "runners",
           "build agent", "build agents", "agents", "github actions", "gitlab ci", "teamcity",
           "bamboo", "pr check", "pr checks"),
    "slow": ("slow", "slowly", "slower", "ages", "forever", "lengthy", "too long", "takes long",
             "long time", "sluggish"),
    "wait": ("wait", "waiting", "waits", "waited", "queue", "queued", "queues", "backlog of tickets",
             "blocked", "blocking", "delay", "delays", "delayed", "lead time"),
    "week": ("week", "weeks", "wk", "wks", "weekly", "fortnight"),
    "day": ("day", "days", "daily"),
    "month": ("month", "months", "monthly", "quarter", "quarterly"),
    "hour": ("hour", "hours", "hr", "hrs", "min", "mins", "minute", "minutes"),
    "access": ("access", "permission", "permissions", "perms", "perm", "iam", "rbac", "role",
               "roles", "ad group", "ad groups", "admin rights", "privilege", "privileges",
               "entitlement", "entitlements", "sudo"),
    "onboarding": ("onboarding", "onboard", "joiner", "joiners", "new joiner", "new joiners",
                   "new starter", "new starters", "newcomer", "newcomers", "new hire", "new hires"),
    "secret": ("secret", "secrets", "password", "passwords", "passwd", "pwd", "creds", "credential",
               "credentials", "api key", "api keys", "key", "keys", "token", "tokens", "vault",
               "keystore", "secrets manager"),
    "observability": ("observability", "monitoring", "monitor", "monitored", "log", "logs",
                      "logging", "metric", "metrics", "tracing", "traces", "trace", "alert",
                      "alerts", "alerting", "dashboard", "dashboards", "grafana", "kibana",
                      "splunk", "datadog", "prometheus", "new relic", "elk", "apm"),
    "outage": ("outage", "outages", "incident", "incidents", "downtime", "sev1", "p1"),
    "deploy": ("deploy", "deploys", "deployed", "deploying", "deployment", "deployments",
               "release", "releases", "released", "releasing", "rollout", "rollouts", "roll out",
               "go-live", "go live", "golive", "ship", "shipping", "shipped", "cd"),
    "manual": ("manual", "manually", "by hand", "hand-crafted", "runbook", "runbooks", "ssh",
               "copy paste", "copy-paste", "toil"),
    "rollback": ("rollback", "rollbacks", "roll back", "rolling back", "revert", "reverting"),
    "docs": ("doc", "docs", "documentation", "documented", "undocumented", "wiki", "wikis",
             "confluence", "readme", "readmes", "how-to", "howto", "guide", "guides",
             "knowledge base", "sharepoint"),
    "testdata": ("test data", "seed data", "synthetic data", "fixtures data", "dummy data",
                 "mock data", "sample data"),
    "anonymise": ("anonymise", "anonymised", "anonymize", "anonymized", "anonymisation",
                  "anonymization", "masking", "masked", "mask", "pseudonymised", "pseudonymized",
                  "gdpr", "pii", "personal data"),
    "database": ("db", "dbs", "database", "databases", "schema", "schemas", "migration",
                 "migrations", "ddl", "sql", "column", "columns", "dba", "dbas", "flyway",
                 "liquibase", "postgres", "postgresql", "oracle", "mysql", "mssql"),
    "certificate": ("cert", "certs", "certificate", "certificates", "tls", "ssl", "pki", "x509",
                    "mtls"),
    "expire": ("expire", "expired", "expires", "expiry", "expiring", "expiration"),
    "rotate": ("rotate", "rotating", "rotation", "rotated", "renew", "renewal", "renewing",
               "renewed"),
    "vulnerability": ("cve", "cves", "vulnerability", "vulnerabilities", "vulnerable", "vuln",
                      "vulns", "security scan", "security scans", "security scanning", "sast",
                      "dast", "snyk", "dependabot", "pen test", "pentest", "pen tests",
                      "penetration test", "sonarqube"),
    "dependency": ("dependency", "dependencies", "deps", "library", "libraries", "lib", "libs",
                   "package", "packages", "base image", "base images", "upgrade", "upgrades",
                   "upgrading", "patching", "patch", "patches"),
    "kubernetes": ("k8s", "kubernetes", "kube", "openshift", "eks", "aks", "gke", "helm"),
    "production": ("prod", "production", "prd"),
    "ticket": ("ticket", "tickets", "request", "requests", "requested", "requesting", "form",
               "forms", "jira", "servicenow", "service now", "snow", "raise a ticket"),
    "ops": ("ops", "operations", "sre", "infra", "infrastructure", "platform team",
            "infra team", "ops team"),
    "manager": ("manager", "managers", "vp", "director", "directors", "head of"),
    "cloud": ("aws", "azure", "gcp", "cloud"),
    "container": ("docker", "container", "containers", "image", "images", "dockerfile"),
}

#: words that carry no meaning on a sticky (beyond English stop words).
FILLER_WORDS = frozenset({
    "need", "needs", "needed", "take", "takes", "taking", "took", "get", "gets", "getting", "got",
    "just", "really", "still", "lot", "lots", "thing", "things", "stuff", "etc", "new", "want",
    "make", "makes", "one", "two", "three", "use", "using", "used", "cant", "dont", "doesnt",
    "isnt", "wont", "s", "t", "re", "ve", "ll", "d", "m", "via", "us", "we", "our",
})

_STOP = frozenset(ENGLISH_STOP_WORDS) | FILLER_WORDS
_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_WORD_MAP: dict[str, str] = {}
_PHRASES: list[tuple[str, str]] = []
for _concept, _words in CONCEPTS.items():
    for _w in _words:
        if " " in _w:
            _PHRASES.append((_w, _concept))
        else:
            _WORD_MAP[_w] = _concept
# Longest phrases first so "change approval board" wins over "approval".
_PHRASES.sort(key=lambda p: -len(p[0]))
_PHRASE_RE = re.compile(r"\b(" + "|".join(re.escape(p) for p, _ in _PHRASES) + r")\b")
_PHRASE_MAP = dict(_PHRASES)
_CONCEPT_WORDS = frozenset(CONCEPTS)


def _stem(token: str) -> str:
    """A deliberately light suffix stripper (plural, -ing, -ed) so 'rules' meets 'rule'."""
    if len(token) > 5 and token.endswith("ing"):
        return token[:-3]
    if len(token) > 4 and token.endswith("ed"):
        return token[:-2]
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def _map_token(token: str) -> str | None:
    if token.isdigit():
        return None  # "3 wks", "443": numbers vary between paraphrases and mean little here
    if re.fullmatch(r"slo+w+", token):
        token = "slow"
    hit = _WORD_MAP.get(token)
    if hit is not None:
        return hit
    if "-" in token or "'" in token:
        return None  # handled by splitting below
    stem = _stem(token)
    hit = _WORD_MAP.get(stem)
    if hit is not None:
        return hit
    if token in _STOP or stem in _STOP or len(stem) < 2:
        return None
    return stem


@lru_cache(maxsize=200_000)
def normalise_text(text: str) -> str:
    """Lower-case, fold accents, map synonyms and abbreviations to concept words, drop filler.

    The result is for comparison only (never shown): "Opening a port needs a network ticket"
    becomes "open network network ticket".
    """
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii").lower()
    folded = folded.replace("&", " and ").replace("/", " ").replace("_", " ")
    folded = _PHRASE_RE.sub(lambda m: f" {_PHRASE_MAP[m.group(1)]} ", folded)
    out: list[str] = []
    for token in _TOKEN.findall(folded):
        mapped = _map_token(token)
        if mapped is None and ("-" in token or "'" in token):
            for part in re.split(r"[-']", token):
                sub = _map_token(part)
                if sub:
                    out.append(sub)
            continue
        if mapped:
            out.append(mapped)
    return " ".join(out)
