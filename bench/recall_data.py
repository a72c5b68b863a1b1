"""A generated team history for bench/recall.py: 50 channels of everyday chat (deterministic, seeded), with 149
decisions each discussed before and after it is made, and the questions asking what was decided: 50 used while
tuning the ranking (TOPICS, the development set) and 28 held out (HELD_OUT), 30 more held out (HELD_OUT_2,
written later by another session), and 41 for tuning once the first development set was saturated
(DEVELOPMENT_2, bench/recall_closing.py: threads closed without decision words).

Each topic has the words people use while discussing it, the options they weigh and the decision. The question
was written for each topic in other words than its decision (as people ask it weeks later); distractors name
the same topic and options (proposals, doubts, follow-ups) without deciding.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bench.recall_closing import DEVELOPMENT_2

# (topic as people say it, options weighed, the decision as written, the question asked later)
TOPICS: list[tuple[str, tuple[str, ...], str, str]] = [
    ("the export cap", ("5,000 rows", "10,000 rows", "50,000 rows"),
     "Decision: exports are capped at 10,000 rows per file, bigger ones are emailed as a zip",
     "what did we decide about the export cap?"),
    ("SSO for the admin console", ("Okta only", "SAML generic", "Google Workspace"),
     "We agreed to ship generic SAML for the admin console first; Okta-specific setup comes later",
     "which single sign-on did we pick for admins?"),
    ("the on-call rotation", ("weekly", "daily", "follow the sun"),
     "Final call: on-call rotates weekly on Mondays, with a secondary from the platform team",
     "how often does on-call rotate, did we settle that?"),
    ("the staging database size", ("db.m5.large", "db.r6g.xlarge", "serverless"),
     "Decided: staging moves to db.r6g.xlarge, serverless was too slow to warm up",
     "what instance type did we choose for staging postgres?"),
    ("the pricing page redesign", ("three tiers", "usage based", "two tiers plus enterprise"),
     "Let's go with two tiers plus enterprise on the pricing page; usage-based pricing is parked",
     "what did we land on for the pricing tiers?"),
    ("the mobile release cadence", ("every two weeks", "monthly", "continuous"),
     "Decision: the mobile apps release every two weeks on Thursday, hotfixes any day",
     "how often are we shipping the mobile app now?"),
    ("log retention", ("30 days", "90 days", "1 year"),
     "We decided to keep application logs for 90 days and audit logs for a year",
     "how long do we keep logs, what was agreed?"),
    ("the API rate limit", ("100 requests per minute", "600 per minute", "1,000 per minute"),
     "Agreed: the public API allows 600 requests per minute per token, 1,000 for enterprise",
     "what rate limit did we set for the public API?"),
    ("the design system font", ("Inter", "Roboto", "IBM Plex Sans"),
     "Settled on Inter for the design system, with IBM Plex Mono for code",
     "which typeface did design choose?"),
    ("the offsite location", ("Lisbon", "Berlin", "Barcelona"),
     "Decision made: the team offsite is in Lisbon, the week of May 12",
     "where is the offsite going to be?"),
    ("the CI provider", ("GitHub Actions", "CircleCI", "Buildkite"),
     "We're going with Buildkite for CI; GitHub Actions stays for the open-source repos",
     "what did we pick to replace our CI?"),
    ("the password policy", ("12 characters", "passphrases", "SSO only"),
     "Decision: minimum 12 characters plus breached-password checks, no forced rotation",
     "what are the new password rules?"),
    ("the trial length", ("7 days", "14 days", "30 days"),
     "Agreed to make the free trial 14 days, extendable once by sales",
     "how long is the free trial going to be?"),
    ("the support hours", ("9 to 5 CET", "24/5", "24/7"),
     "Final decision: support is 24/5 from Monday 00:00 UTC, weekends for P1 only",
     "when is support staffed, did we decide?"),
    ("the data warehouse", ("Snowflake", "BigQuery", "ClickHouse"),
     "We chose BigQuery for the warehouse because the events already land in GCS",
     "which warehouse did analytics go with?"),
    ("the feature flag tool", ("LaunchDarkly", "Unleash", "homegrown"),
     "Decided to self-host Unleash for feature flags; LaunchDarkly was over budget",
     "what are we using for feature toggles?"),
    ("the invoice numbering", ("per year", "global sequence", "per customer"),
     "Decision: invoice numbers restart every year with the year as a prefix, like 2026-00042",
     "how did we agree to number invoices?"),
    ("the refund window", ("14 days", "30 days", "60 days"),
     "We agreed on a 30-day refund window, no questions asked, prorated after that",
     "what's our refund policy, how many days?"),
    ("the hiring plan for Q3", ("two backend", "one designer", "a data engineer"),
     "Final call on Q3 hiring: two backend engineers and one data engineer, design waits until Q4",
     "who are we hiring next quarter?"),
    ("the onboarding email sequence", ("3 emails", "5 emails", "in-app only"),
     "Let's go with 5 onboarding emails over two weeks, then in-app tips",
     "how many onboarding emails did we settle on?"),
    ("the backup schedule", ("hourly", "every 6 hours", "nightly"),
     "Decision: database backups every 6 hours, kept 35 days, restore tested monthly",
     "how often do we back up the databases now?"),
    ("the dark mode launch", ("this sprint", "next release", "behind a flag"),
     "Agreed: dark mode ships behind a flag in the next release and goes default in June",
     "when does dark mode come out?"),
    ("the Kubernetes upgrade", ("1.29", "1.30", "skip to 1.31"),
     "We decided to upgrade the clusters to 1.30 first and skip 1.29 entirely",
     "which kubernetes version are we moving to?"),
    ("the error budget", ("99.9%", "99.95%", "99.99%"),
     "Settled: the SLO is 99.9% monthly availability for the API, 99.5% for the dashboard",
     "what availability target did we commit to?"),
    ("the localisation vendor", ("Lokalise", "Crowdin", "Phrase"),
     "Decision: we're moving translations to Crowdin, Lokalise contract ends in March",
     "which translation platform did we go with?"),
    ("the webhook retries", ("3 retries", "exponential for 24h", "no retries"),
     "Agreed: webhooks retry with exponential backoff for 24 hours, then land in a dead-letter queue",
     "how do failed webhooks get retried?"),
    ("the code review rule", ("one approval", "two approvals", "owners only"),
     "Final: one approval is enough, two for anything touching billing or auth",
     "how many approvals does a PR need now?"),
    ("the customer newsletter", ("monthly", "quarterly", "no newsletter"),
     "We decided on a quarterly customer newsletter, product updates stay in the changelog",
     "how often will we send the newsletter?"),
    ("the laptop refresh", ("every 3 years", "every 4 years", "on request"),
     "Decision: laptops are refreshed every 3 years, or earlier if they block work",
     "when do people get new laptops?"),
    ("the parental leave policy", ("12 weeks", "16 weeks", "20 weeks"),
     "Agreed with the founders: 20 weeks fully paid parental leave for every parent",
     "what parental leave did we agree on?"),
    ("the search backend", ("Elasticsearch", "OpenSearch", "Postgres full text"),
     "Let's go with Postgres full text search for now; OpenSearch only if we pass 10M documents",
     "what did we choose for product search?"),
    ("the conference budget", ("1,000 euros", "2,000 euros", "case by case"),
     "Decided: everyone gets 2,000 euros a year for conferences and courses",
     "how much learning budget does each person have?"),
    ("the incident review format", ("blameless doc", "live meeting", "both"),
     "We agreed on a blameless written review within 5 days, and a 30-minute meeting for SEV1s",
     "how do we run postmortems now?"),
    ("the minimum iOS version", ("iOS 15", "iOS 16", "iOS 17"),
     "Final decision: the app drops iOS 15 and requires iOS 16 from version 4.0",
     "which iOS versions will we still support?"),
    ("the domain for docs", ("docs.example.com", "example.com/docs", "developer portal"),
     "Decision: docs move to example.com/docs for SEO; docs.example.com redirects",
     "where will the documentation live?"),
    ("the sales commission", ("8%", "10%", "tiered"),
     "Agreed: tiered commission, 8% up to quota and 12% above it",
     "how is sales commission calculated now?"),
    ("the office move", ("stay", "move to Kreuzberg", "go fully remote"),
     "We're moving the office to Kreuzberg in September; the lease is signed",
     "are we moving offices?"),
    ("the analytics events naming", ("snake_case", "camelCase", "Object Action"),
     "Decided: analytics events are named Object Action in title case, like Report Exported",
     "what naming convention did we pick for tracking events?"),
    ("the password manager", ("1Password", "Bitwarden", "LastPass"),
     "Decision: the company moves to 1Password Business; LastPass is removed by end of month",
     "which password manager are we standardising on?"),
    ("the status page", ("Statuspage", "Instatus", "self-hosted"),
     "We chose Instatus for the status page, it was a tenth of the price",
     "what tool did we pick for status updates?"),
    ("the release freeze", ("none", "last week of December", "two weeks in December"),
     "Agreed: a release freeze from December 20 to January 3, fixes only",
     "when is the holiday code freeze?"),
    ("the GDPR deletion SLA", ("72 hours", "7 days", "30 days"),
     "Final call: account deletion requests are completed within 7 days, confirmed by email",
     "how fast do we have to delete user data on request?"),
    ("the default timezone", ("UTC", "the user's browser", "the workspace setting"),
     "Decision: reports use the workspace timezone, falling back to UTC",
     "which timezone do the reports use?"),
    ("the support chatbot", ("Intercom Fin", "build our own", "no bot"),
     "We decided to pilot Intercom Fin on billing questions only for a month",
     "are we putting a bot in front of support?"),
    ("the monorepo question", ("monorepo", "polyrepo", "monorepo for web only"),
     "Settled: frontend and backend move into one monorepo with Nx; infra stays separate",
     "did we agree on merging the repositories?"),
    ("the design review day", ("Tuesday", "Wednesday", "Friday"),
     "Decision: design reviews are on Wednesdays at 14:00, async comments by Tuesday",
     "what day are design critiques now?"),
    ("the enterprise contract minimum", ("20 seats", "50 seats", "10,000 euros"),
     "Agreed: enterprise plans start at 50 seats, annual billing only",
     "what's the minimum size for an enterprise deal?"),
    ("the bug bounty", ("HackerOne", "Intigriti", "private program"),
     "We're launching a private bug bounty on Intigriti, payouts up to 5,000 euros",
     "which bug bounty platform did security choose?"),
    ("the video tool", ("Zoom", "Google Meet", "Around"),
     "Decision: we standardise on Google Meet and cancel the Zoom licenses",
     "which video call tool are we keeping?"),
    ("the image CDN", ("Cloudinary", "imgix", "Cloudflare Images"),
     "Let's go with Cloudflare Images for the CDN, migration starts next sprint",
     "what did we pick to serve images?"),
]

# A held-out set, written after the ranking was tuned on TOPICS and before any score on it was seen: other
# topics, decisions worded the way people close a thread ("ok, …", "from now on …", "signed off", "consensus"),
# and questions in other forms. Its recall is reported apart from the 50 above (the development set).
HELD_OUT: list[tuple[str, tuple[str, ...], str, str]] = [
    ("the standup time", ("9:30", "10:00", "async in Slack"),
     "Ok, from next week standup is at 10:00 and Fridays are async in the thread",
     "what time is standup these days?"),
    ("the expense tool", ("Pleo", "Expensify", "spreadsheets"),
     "Signed off by finance: we're switching expenses to Pleo on the 1st",
     "which expenses app did finance pick?"),
    ("the session timeout", ("15 minutes", "1 hour", "12 hours"),
     "Conclusion from the security review: idle sessions expire after 1 hour, admins after 15 minutes",
     "how long until an idle session logs out?"),
    ("the API versioning scheme", ("URL path", "header", "date-based"),
     "Consensus is date-based API versions in a header, like Stripe does",
     "remind me how we version the API"),
    ("the tax calculation provider", ("Avalara", "TaxJar", "Stripe Tax"),
     "Going forward we use Stripe Tax for all invoices, Avalara is cancelled",
     "who calculates sales tax for us now?"),
    ("the team lunch budget", ("15 euros", "20 euros", "25 euros"),
     "It's official: team lunches are covered up to 20 euros per person",
     "how much can we spend on team lunch?"),
    ("the staging reset", ("nightly", "weekly", "on demand"),
     "We'll reset staging every Sunday night from the anonymised snapshot; on-demand resets need a ticket",
     "when does staging get wiped?"),
    ("the interview loop", ("3 rounds", "4 rounds", "take-home plus 2"),
     "Agreed in the hiring sync: a take-home plus two interviews, no whiteboard round",
     "what does the engineering interview process look like now?"),
    ("the error tracker", ("Sentry", "Rollbar", "Bugsnag"),
     "Sentry it is, Rollbar gets turned off after the migration",
     "did we ever choose an error monitoring tool?"),
    ("the mobile analytics SDK", ("Amplitude", "Mixpanel", "PostHog"),
     "PostHog won the bake-off, we're adding it to both apps this sprint",
     "which product analytics did the mobile team end up with?"),
    ("the public roadmap", ("publish it", "customers only", "keep it internal"),
     "Leadership approved a public roadmap page, updated once a quarter",
     "are we making the roadmap public?"),
    ("the file upload limit", ("25 MB", "100 MB", "2 GB"),
     "Final answer on uploads: 100 MB per file on all plans, 2 GB for enterprise",
     "what's the max attachment size?"),
    ("the secrets manager", ("Vault", "AWS Secrets Manager", "Doppler"),
     "After the spike we settled on AWS Secrets Manager, Vault is too much to run ourselves",
     "where do we keep secrets now, what was the verdict?"),
    ("the company holiday", ("Christmas week", "first week of January", "flexible"),
     "The office closes from December 24 to January 1; everyone gets those days off",
     "are we off between christmas and new year?"),
    ("the SDK languages", ("Python and Node", "Go and Java", "all four"),
     "We're shipping official SDKs for Python and Node first, Go in Q2, Java only on request",
     "which client libraries are we building?"),
    ("the on-call pay", ("flat fee", "hourly", "time off"),
     "Approved: on-call gets a flat 300 euros per week plus a day off after a night page",
     "how is on-call compensated?"),
    ("the database migration tool", ("Alembic", "Flyway", "Atlas"),
     "We'll stick with Alembic and add a CI check for irreversible migrations",
     "are we replacing alembic?"),
    ("the churn survey", ("on cancel", "30 days after", "none"),
     "Going with a two-question survey shown right when someone cancels",
     "when do churned customers get surveyed?"),
    ("the accessibility target", ("WCAG 2.1 AA", "WCAG 2.2 AA", "AAA"),
     "The target is WCAG 2.2 AA for every new screen, audits twice a year",
     "what accessibility standard are we aiming for?"),
    ("the team offsite budget", ("500 euros", "1,000 euros", "1,500 euros"),
     "Budget for the autumn offsite is locked at 1,000 euros per person, travel included",
     "how much per head for the autumn offsite?"),
    ("the support ticket priority levels", ("P1-P3", "P0-P4", "severity only"),
     "We're moving to four levels, P1 to P4, and P1 pages the on-call engineer",
     "how many ticket priorities do we have?"),
    ("the email provider", ("SendGrid", "Postmark", "Amazon SES"),
     "Postmark for transactional mail, SES for the newsletter; SendGrid goes at renewal",
     "what are we sending emails with?"),
    ("the beta program", ("open beta", "invite only", "paid early access"),
     "Invite-only beta for 50 customers, picked by customer success, starting in April",
     "who gets into the beta?"),
    ("the branch naming", ("feature/x", "ticket number", "free form"),
     "From now on branches start with the ticket number, like OPS-123-short-name",
     "is there a rule for branch names?"),
    ("the cookie banner", ("opt-in", "opt-out", "no banner"),
     "Legal signed off on opt-in consent for analytics cookies in the EU, nothing else changes",
     "what did legal say about cookie consent?"),
    ("the dashboard refresh rate", ("real time", "every minute", "every 5 minutes"),
     "Dashboards refresh every minute; real time only for the incident view",
     "how often do the dashboards update?"),
    ("the laptop OS", ("macOS only", "macOS or Linux", "any"),
     "Engineers can pick macOS or Linux; Windows only with an exception from IT",
     "can I get a linux laptop?"),
    ("the quarterly planning format", ("OKRs", "bets", "roadmap only"),
     "We're dropping OKRs: each team writes three bets per quarter, reviewed in week one",
     "are we still doing OKRs?"),
]

# A second held-out set, written by hand on 2026-11-30 at 13:50 UTC by a helper session (branch recall2), before
# any change of that session and before anything was run on it: 30 other topics, decisions worded as people
# close threads in team chat (explicit or not: "Linear it is", "fine, 20 euros a head then", "signed with
# Vitally", "👍 … then", a plan stated as fact, a "no change" decision), questions asked weeks later mostly in
# other words than the decision ("daily sync" / "standup", "SSL certs" / "ACM"). Written without looking at
# HELD_OUT's rows; scored only to report (before and after that session's changes, six runs: bench/recall.py),
# never to choose anything, its misses never printed.
# (One topic, schema migrations, was replaced by the office days before any run: a development miss printed by
# ``--misses`` showed that HELD_OUT decides the same one, and two decisions on one topic would compete.)
HELD_OUT_2: list[tuple[str, tuple[str, ...], str, str]] = [
    ("the standup time", ("9:30", "10:00", "async in Slack"),
     "ok standup moves to 10:00 starting Monday, 15 minutes max",
     "what time is the daily sync now?"),
    ("the team lunch budget", ("15 euros", "20 euros", "25 euros"),
     "fine, 20 euros a head for team lunches then",
     "how much can we spend per person on team meals?"),
    ("the ticket tracker", ("Jira", "Linear", "GitHub Issues"),
     "Linear it is. I'll migrate the open tickets this weekend",
     "which issue tracker are we switching to?"),
    ("the TLS certificate renewal", ("Let's Encrypt", "DigiCert", "AWS ACM"),
     "moving all certs to ACM with auto-renewal, the DigiCert ones expire in June",
     "how are we handling SSL certs from now on?"),
    ("the hackathon date", ("first week of March", "mid April", "after the launch"),
     "hackathon is the week of April 14, put it in your calendars",
     "when's the hack week happening?"),
    ("the python version", ("3.11", "3.12", "3.13"),
     "services go to python 3.12 this quarter, 3.13 once the numpy wheels are out",
     "what python are we upgrading to?"),
    ("the free plan limits", ("3 projects", "5 projects", "unlimited projects with 1 seat"),
     "ok free tier = 3 projects and 2 members, shipping that with the new billing page",
     "how many projects do free users get?"),
    ("the customer success tool", ("Gainsight", "Vitally", "a spreadsheet"),
     "signed with Vitally yesterday, Gainsight was 4x the price",
     "what did CS end up buying for account health?"),
    ("the secrets storage", ("Vault", "AWS Secrets Manager", "Doppler"),
     "we'll go with Doppler for secrets, Vault is too much ops for three people",
     "where are we keeping API keys and passwords now?"),
    ("the meeting-free day", ("Wednesday", "Friday", "none"),
     "no meetings on Wednesdays from next week, block your calendars",
     "is there a day without calls?"),
    ("the beta program size", ("50 customers", "200 customers", "open beta"),
     "closed beta with 200 accounts, invites go out Monday",
     "how many customers are in the early access group?"),
    ("the mobile framework", ("React Native", "Flutter", "native"),
     "after the spike: Flutter. the RN prototype was too janky on android",
     "what are we building the new app with?"),
    ("the office dog rule", ("allowed", "Fridays only", "not allowed"),
     "dogs are fine in the office on Fridays, keep them out of the kitchen",
     "can I bring my pet to work?"),
    ("the office days", ("Tuesday and Thursday", "any two days", "fully remote"),
     "from March we're in the office Tuesdays and Thursdays, the rest of the week is up to you",
     "which days do we have to come in?"),
    ("the holiday party venue", ("the brewery", "a boat", "the office"),
     "booked the brewery for Dec 12, 7pm",
     "where's the end-of-year party?"),
    ("the travel policy", ("economy always", "business over 6 hours", "manager decides"),
     "flights over 6 hours can be business class, everything else economy. effective now",
     "can we fly business on long trips?"),
    ("the API versioning", ("URL path", "header", "date-based"),
     "versioning goes in the URL path, /v2/..., headers were too confusing for customers",
     "how do we version the public endpoints?"),
    ("the email provider", ("SendGrid", "Postmark", "SES"),
     "switching transactional mail to Postmark next sprint, SendGrid deliverability is killing us",
     "which service sends our receipts and password resets?"),
    ("the retro cadence", ("every sprint", "monthly", "ad hoc"),
     "👍 retros once a month then, last Friday of the month",
     "how often do we do retrospectives?"),
    ("the test coverage gate", ("70%", "80%", "no gate"),
     "CI fails under 80% coverage on new code, not the whole repo",
     "is there a minimum coverage for PRs?"),
    ("the salary review cycle", ("yearly in January", "twice a year", "on promotion"),
     "comp reviews happen twice a year, March and September",
     "when do raises get looked at?"),
    ("the logo refresh", ("keep the old logo", "new wordmark", "full rebrand"),
     "new wordmark only, no full rebrand this year",
     "are we changing the brand?"),
    ("the dependency updates", ("Dependabot", "Renovate", "manual"),
     "Renovate wins, grouped weekly PRs, dependabot gets switched off",
     "what bot keeps our packages up to date?"),
    ("the interview process", ("take-home", "live coding", "pair programming"),
     "we're dropping the take-home, candidates do a 90 min pairing session instead",
     "do candidates still get a homework assignment?"),
    ("the Slack retention", ("90 days", "1 year", "forever"),
     "slack messages get deleted after 1 year, legal signed off",
     "how long do chat messages stick around?"),
    ("the cloud region", ("eu-west-1", "eu-central-1", "both"),
     "new workloads go to eu-central-1 (Frankfurt) for the German customers",
     "which AWS region are we deploying to?"),
    ("the customer onboarding calls", ("for everyone", "paid plans only", "enterprise only"),
     "onboarding calls only for paid plans, free users get the video",
     "who gets a kickoff call?"),
    ("the PTO policy", ("25 days", "30 days", "unlimited"),
     "30 days off for everyone plus public holidays, unlimited PTO is off the table",
     "how many vacation days do we get?"),
    ("the design tool", ("Figma", "Sketch", "Penpot"),
     "staying on Figma, renewing the org plan for another year",
     "are designers moving off Figma?"),
    ("the uptime monitoring", ("Pingdom", "Better Stack", "Grafana synthetic"),
     "Better Stack for uptime checks, cancel Pingdom when the month ends",
     "what pings the site to check it's up?"),
]

PEOPLE = ["alice", "bob", "carol", "dan", "erin", "femi", "gus", "hana", "ivan", "jo", "kai", "lena", "mo",
          "nina", "omar", "pia"]
CHATTER = ["ok", "thanks!", "lgtm", "+1", "sounds good", "on it", "brb, lunch", "nice work everyone",
           "can someone review my PR?", "standup in 5", "who has the release notes?", "merging now",
           "the build is green again", "coffee anyone?", "I'm out tomorrow afternoon", "good morning!",
           "that flaky test again…", "deploy finished", "pushed a fix", "heads up: CI is slow today"]
DISCUSS = ["should we go with {o} for {t}?", "I'd rather not do {o} for {t}, it worries me",
           "any update on {t}?", "{o} for {t} sounds risky to me", "what do other teams do about {t}?",
           "let's discuss {t} on Thursday", "I wrote up the options for {t}: {o} or {p}",
           "customers keep asking about {t}", "my vote on {t} is {o}", "{t}: {o} vs {p}, thoughts?",
           "still no decision on {t}, can we close it this week?", "does {o} even work for {t}?"]
WORK = ["fixed the {x} bug in the {y} service", "the {y} dashboard shows {x} errors since the deploy",
        "who owns the {y} alerts?", "reviewing the {x} migration for {y}", "{y} latency is up after the {x} change",
        "writing tests for the {x} endpoint in {y}", "the {x} job in {y} failed overnight, rerunning"]
THINGS = ["billing", "auth", "search", "export", "import", "notifications", "reports", "webhooks", "invoices",
          "profiles", "sync", "upload", "checkout", "audit", "scheduler"]


ALL_TOPICS = TOPICS + HELD_OUT + HELD_OUT_2 + DEVELOPMENT_2


@dataclass(frozen=True, slots=True)
class Line:
    channel: int
    author: str
    text: str
    at: float
    topic: int | None = None  # the topic whose decision this is (an index into ALL_TOPICS)


def history(total: int = 200_000, channels: int = 50, seed: int = 25, start: float = 1_760_000_000.0
            ) -> list[Line]:
    """``total`` messages over ``channels`` channels and a year; every topic is discussed in one channel
    (and mentioned in others) and decided there once."""
    rng = random.Random(seed)
    home = [rng.randrange(channels) for _ in ALL_TOPICS]
    lines: list[Line] = []
    span = 365 * 86400.0
    for i in range(total):
        at = start + span * i / total
        roll = rng.random()
        channel = rng.randrange(channels)
        if roll < 0.45:
            text = rng.choice(CHATTER)
        elif roll < 0.75:
            text = rng.choice(WORK).format(x=rng.choice(THINGS), y=rng.choice(THINGS))
        else:
            t = rng.randrange(len(ALL_TOPICS))
            topic, options, _, _ = ALL_TOPICS[t]
            o, p = rng.sample(options, 2)
            channel = home[t] if rng.random() < 0.7 else channel
            text = rng.choice(DISCUSS).format(t=topic, o=o, p=p)
        lines.append(Line(channel, rng.choice(PEOPLE), text, at))
    for t, position in enumerate(rng.sample(range(total), len(ALL_TOPICS))):
        lines[position] = Line(home[t], rng.choice(PEOPLE), ALL_TOPICS[t][2], lines[position].at, topic=t)
    return lines


def unique_messages(count: int) -> list[str]:
    """``count`` messages whose texts are all different and unlike the history's (no cache can help):
    ticket notes of about 25 tokens each."""
    return [f"ticket OPS-{4000 + i}: the {i * 7919 % 1000}th retry of job {i * 104729 % 100000} in the reports "
            f"queue took {i % 97 + 3} seconds" for i in range(count)]
