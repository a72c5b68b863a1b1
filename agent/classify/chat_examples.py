"""Chat-style training examples, generated from templates (training only; never used to evaluate).

SMS spam alone transfers badly to chat spam, which is mostly self-promotion, giveaway bait,
get-rich offers and scam links; chat ham is work talk that also mentions links, channels, money and
"check out". Both sides are built from the same vocabulary so the model learns the intent, not words.
"""

from __future__ import annotations

import random

SPAM = [
    "check out my {medium} {link}", "hey guys pls subscribe to my {medium}, {link}", "follow me on {platform} {link}",
    "new video on my {medium}!! {link} like and subscribe", "sub4sub anyone? {link}",
    "I make {thing}, listen here {link} and share", "visit my shop for cheap {goods} {link}",
    "{giveaway} for the first {n} people who click {link}", "free {goods} giveaway!!! claim now {link}",
    "claim your free {goods} before it expires {link}",
    "I made ${amount} in one week with {scheme}, DM me to learn how",
    "earn ${amount} a day from home, no experience needed {link}", "best {scheme} signals, join {invite}",
    "investment opportunity: double your {coin} in 24h, message me", "join my server for free {goods} {invite}",
    "hey, i accidentally reported your account, please contact the admin here {link}",
    "your account will be disabled, verify it now {link}", "steam is giving {goods} to everyone {link}",
    "{giveaway}! just log in with your account at {link}", "who wants {goods}? dm me",
    "cheap followers and likes {link}",
    "promote your {medium} with us, 1000 subscribers for ${amount} {link}", "hot singles in your area {link}",
    "get {goods} for free using this generator {link}", "{n} free {goods} left, grab yours {link}",
    # selling and fake engagement
    "selling cheap {account} accounts, lifetime access, dm for prices", "buy {engagement} fast and cheap at {link}",
    "get {n}00 real {engagement} in 24 hours, visit {link}",
    "selling {account} accounts and reviews, telegram {handle}",
    "best prices on {account} premium, message me now",
    # income, jobs and investment
    "part-time job, earn ${amount} per day just liking videos, contact me on whatsapp",
    "want to make money online? I made {amount} last month, ask me how",
    "looking for investors, double your {coin} in 48 hours, dm me", "{coin} airdrop live, connect your wallet to claim",
    "join my {scheme} group, {n}% win rate, free trial {invite}",
    # health, dating, adult, essays
    "lose {n} kg in 2 weeks with this {supplement}, order now {link}", "meet singles near you tonight {link}",
    "check out my onlyfans, link in bio", "cheap essay writing service, plagiarism free, order at {link}",
    # self-promotion
    "my new {thing} is out, stream it everywhere and share {link}", "follow my {platform} {handle} for daily {thing}",
    "go watch my latest video, would mean a lot if you subscribed {link}",
]
HAM = [
    "can you review my PR? {link}", "the build on main is failing again, looking into it",
    "I pushed the fix for the login bug", "let's sync at {time} about the {project} release",
    "here are the notes from today's meeting {link}", "lunch at {time}?", "thanks, that worked!",
    "check out this article about {topic}, it's a good read {link}",
    "the subscribe button on the settings page is broken",
    "I'll follow up with the customer about the invoice of ${amount}", "giving the {project} demo at {time}",
    "who owns the {project} dashboard?", "the {medium} channel for the conference is up, slides are here {link}",
    "we spent ${amount} on {goods} for the team last quarter", "does anyone know why {topic} is slow today?",
    "I'm out tomorrow, {person} covers on-call", "merged, thanks {person}", "can someone restart the staging server?",
    "the docs for {topic} are at {link}", "great job on the launch everyone!", "the first {n} tickets are triaged",
    "please update your status in the tracker before {time}", "I think we should drop the {project} feature for now",
    "the free tier of {topic} limits us to {n} requests", "join the retro call here {invite} at {time}",
]
FILL = {
    "medium": ["channel", "youtube channel", "twitch stream", "podcast", "blog", "tiktok", "soundcloud"],
    "platform": ["instagram", "twitch", "tiktok", "twitter", "youtube"],
    "thing": ["beats", "music", "mixes", "art", "memes"],
    "goods": ["nitro", "skins", "gift cards", "robux", "vbucks", "airpods", "iphones", "crypto", "coins"],
    "giveaway": ["giveaway", "free nitro drop", "huge airdrop", "promo", "special event"],
    "scheme": ["crypto", "forex", "trading", "bitcoin", "nft flipping", "binary options"],
    "coin": ["bitcoin", "eth", "usdt", "money"],
    "amount": ["500", "5000", "1,200", "300", "10k", "2500", "80"],
    "n": ["10", "50", "100", "500", "3"],
    "time": ["3pm", "10:30", "noon", "4", "9am"],
    "project": ["billing", "search", "mobile", "onboarding", "q3"],
    "topic": ["postgres", "the CI", "kubernetes", "the API", "caching", "rate limits", "the VPN"],
    "person": ["alice", "bob", "sam", "priya", "li"],
    "account": ["netflix", "spotify", "steam", "github", "figma", "zoom"],
    "engagement": ["followers", "likes", "views", "reviews", "subscribers"],
    "handle": ["@promo_king", "@fitwithjess", "@beatsbyno", "@dealhub"],
    "supplement": ["supplement", "tea", "pill", "one weird trick"],
}
SPAM_LINKS = ["https://bit.ly/{code}", "https://{word}-gift.com/{code}", "https://www.{word}free.xyz",
              "http://{word}.ru/{code}", "youtube.com/c/{word}{code}", "https://{word}.shop/sale"]
HAM_LINKS = ["https://github.com/acme/{word}/pull/{code}", "https://docs.google.com/document/d/{code}",
             "https://en.wikipedia.org/wiki/{word}", "https://acme.atlassian.net/browse/OPS-{code}",
             "https://www.{word}.org/blog/{code}"]
WORDS = ["nitro", "steam", "promo", "deals", "winner", "api", "infra", "cache", "planner", "web"]
INVITES = ["discord.gg/{code}", "t.me/{word}{code}"]


def _fill(template: str, rng: random.Random, links: list[str]) -> str:
    def one(options: list[str]) -> str:
        return rng.choice(options).format(word=rng.choice(WORDS), code=rng.randint(10, 99999))

    values = {k: rng.choice(v) for k, v in FILL.items()}
    return template.format(link=one(links), invite=one(INVITES), **values)


def chat_examples(seed: int, per_template: int = 12) -> tuple[list[str], list[str]]:
    """(spam, ham) examples, deterministic for a seed."""
    rng = random.Random(seed)
    spam = sorted({_fill(t, rng, SPAM_LINKS) for t in SPAM for _ in range(per_template)})
    ham = sorted({_fill(t, rng, HAM_LINKS) for t in HAM for _ in range(per_template)})
    return spam, ham
