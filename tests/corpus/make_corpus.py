# ruff: noqa: E501
"""Generate ``issues.json``: a synthetic evaluation corpus of pypi/support issues.

Every issue here is invented for this project: the people, projects, e-mail addresses and
texts are made up and written from templates and phrase pools in this file. Nothing is copied
or paraphrased from real issues. The output is deterministic (fixed seed), so running

    python tests/corpus/make_corpus.py

rewrites the same ``issues.json`` byte for byte. ``--check`` only verifies that the file on disk
is what the generator would write.

Each issue is a GitHub REST issue object (as ``GET /repos/pypi/support/issues`` returns it, trimmed
to the fields the bot reads) whose ``labels`` are the labels staff would have left after handling
it, plus one extra key ``_expected`` (category, sub_labels, misfiling, form, note).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

SEED = 541
OUT = Path(__file__).with_name("issues.json")
NOW = dt.datetime(2026, 1, 12, 9, 0, 0, tzinfo=dt.UTC)
CHECKBOX_LOWER_FROM = dt.datetime(2024, 11, 1, tzinfo=dt.UTC)  # `- [X]` before, `- [x]` after

rng = random.Random(SEED)

RECOVERY = "account-recovery"
PEP541 = "PEP 541"
LIMIT = "limit request"
SQUAT = "mass name squat"
NETWORK = "network"
ORG = "org support/request"
UNVERIFIED = "unverified email"
TESTPYPI = "test pypi issue"
SIMILAR = "similar project name"
PROHIBITED = "prohibited project name"
NAME_SQUAT = "name squat"

MISFILINGS = {
    "username-change",
    "deletion",
    "name-not-allowed",
    "organization",
    "someone-elses-account",
    "security",
    "spam",
    "testpypi",
}

# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------

FIRST = [
    "alice",
    "bruno",
    "chen",
    "dmitri",
    "emeka",
    "fatima",
    "gustavo",
    "hana",
    "ivan",
    "jun",
    "kwame",
    "lena",
    "mateo",
    "noor",
    "olu",
    "priya",
    "quinn",
    "rafael",
    "sven",
    "tomasz",
    "umar",
    "vera",
    "wei",
    "ximena",
    "yuki",
    "zoe",
    "aiko",
    "bjorn",
    "carla",
    "deniz",
    "elif",
    "farid",
    "greta",
    "hugo",
    "ines",
    "jakub",
    "kai",
    "lucia",
    "mina",
    "nikolai",
    "oskar",
    "paula",
    "rohan",
    "sana",
    "theo",
    "ugo",
    "valentina",
    "wanjiru",
    "xiao",
    "yasmin",
    "zeynep",
    "arjun",
    "beatriz",
    "cyril",
    "dana",
    "eitan",
    "freya",
    "goran",
    "haruto",
    "ilse",
    "joao",
    "kemal",
    "leilani",
    "marek",
    "nadia",
    "otto",
    "pilar",
    "radu",
    "signe",
    "tariq",
    "ulla",
    "vikram",
    "wren",
    "yara",
    "zhen",
]
SUFFIX = [
    "-dev",
    "42",
    "-py",
    "code",
    "_ml",
    "-labs",
    "hq",
    "",
    "-k",
    "99",
    "-io",
    "-oss",
    "1987",
    "-data",
    "x",
    "-ai",
    "_dev",
    "-sci",
    "-hacks",
    "2001",
    "-builds",
    "dev",
]
SURNAMES = [
    "Moreau",
    "Okafor",
    "Lindqvist",
    "Tanaka",
    "Petrov",
    "Haddad",
    "Novak",
    "Costa",
    "Brennan",
    "Iyer",
    "Kowalski",
    "Sato",
    "Mendes",
    "Varga",
    "Holm",
    "Adeyemi",
    "Reyes",
    "Ozturk",
    "Fischer",
    "Nakamura",
    "Duarte",
    "Kaur",
    "Ivanova",
    "Quispe",
]

_used_logins: set[str] = set()


def new_login() -> str:
    while True:
        login = rng.choice(FIRST) + rng.choice(SUFFIX)
        if rng.random() < 0.15:
            login += str(rng.randint(2, 89))
        if login not in _used_logins:
            _used_logins.add(login)
            return login


def pypi_name_for(login: str) -> str:
    """The PyPI username is often, but not always, the GitHub login."""
    r = rng.random()
    if r < 0.55:
        return login
    if r < 0.75:
        return login.replace("-", "_").lower()
    if r < 0.9:
        return re.sub(r"[-_]", "", login).lower()
    return rng.choice(FIRST) + rng.choice(["", "_", "-"]) + rng.choice(SURNAMES).lower()


def person_name() -> str:
    return rng.choice(FIRST).capitalize() + " " + rng.choice(SURNAMES)


PREFIX = [
    "py",
    "fast",
    "tiny",
    "easy",
    "micro",
    "open",
    "smart",
    "deep",
    "geo",
    "bio",
    "quant",
    "aio",
    "async",
    "data",
    "json",
    "cli",
    "web",
    "img",
    "hyper",
    "neo",
    "auto",
    "lite",
]
CORE = [
    "widgets",
    "quokka",
    "grid",
    "loom",
    "parrot",
    "sprocket",
    "lantern",
    "otter",
    "pebble",
    "kiln",
    "harbor",
    "tundra",
    "marmot",
    "cobalt",
    "fjord",
    "nimbus",
    "juniper",
    "saffron",
    "walrus",
    "zephyr",
    "falcon-ish",
    "teapot",
    "abacus",
    "meadow",
    "compass",
    "beacon",
    "quill",
    "ember",
    "glacier",
    "pylon",
    "orchard",
    "bramble",
    "lynx",
    "heron",
    "cairn",
]
PSUFFIX = [
    "",
    "",
    "",
    "-utils",
    "-tools",
    "-lite",
    "-client",
    "-sdk",
    "kit",
    "-core",
    "-plus",
    "2",
    "_helpers",
    "-cli",
    "-ext",
]

_used_projects: set[str] = set()


def new_project() -> str:
    while True:
        r = rng.random()
        if r < 0.12:
            name = "example-" + rng.choice(CORE)
        elif r < 0.55:
            name = rng.choice(PREFIX) + rng.choice(["", "-", "_"]) + rng.choice(CORE)
        else:
            name = rng.choice(CORE) + rng.choice(PSUFFIX)
        name = name.replace("falcon-ish", "falconish")
        if name not in _used_projects:
            _used_projects.add(name)
            return name


def ultranormalize(name: str) -> str:
    n = re.sub(r"[._-]", "", name)
    return n.translate(str.maketrans("lLiIoO", "111100")).lower()


DOMAINS = [
    "example.com",
    "example.org",
    "example.net",
    "mail.example",
    "corp.example",
    "uni.example.edu",
    "startup.example",
]


def email_for(login: str, domain: str | None = None) -> str:
    local = re.sub(r"[^a-z0-9]", "", login.lower()) or "dev"
    return f"{local}@{domain or rng.choice(DOMAINS)}"


def masked(email: str) -> str:
    local, _, dom = email.partition("@")
    return f"{local[0]}{'*' * max(3, len(local) - 2)}{local[-1]}@{dom}"


def repo_url(owner: str, project: str) -> str:
    host = rng.choices(["github.com", "gitlab.com", "codeberg.org"], [8, 2, 1])[0]
    return f"https://{host}/{owner}/{project}"


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------

ERAS = {
    "bold": ("2019-01-10", "2020-12-20"),
    "early": ("2019-07-01", "2021-02-28"),  # PyPI 2FA arrived mid-2019
    "recovery_any": ("2019-07-01", "2025-12-30"),
    "form_X": ("2021-04-01", "2024-10-31"),
    "form_X_late": ("2023-09-01", "2024-10-31"),  # 2FA mandate rush: most recoveries are here
    "form_x": ("2024-11-01", "2025-12-30"),
    "form_any": ("2021-04-01", "2025-12-30"),
    "recent": ("2023-01-01", "2025-12-30"),
    "combined_limit": ("2021-01-15", "2021-12-20"),
    "split_limit": ("2022-01-10", "2025-12-30"),
    "any": ("2019-01-10", "2025-12-30"),
}


def pick_date(era: str) -> dt.datetime:
    a, b = (dt.datetime.fromisoformat(x).replace(tzinfo=dt.UTC) for x in ERAS[era])
    span = int((b - a).total_seconds())
    return a + dt.timedelta(seconds=rng.randrange(span))


def box(when: dt.datetime) -> str:
    return "x" if when >= CHECKBOX_LOWER_FROM else "X"


def day(when: dt.datetime, days_before: int) -> str:
    return (when - dt.timedelta(days=days_before)).strftime("%Y-%m-%d")


# --------------------------------------------------------------------------------------------
# Rendering helpers
# --------------------------------------------------------------------------------------------

COC = "I agree to follow this project's Code of Conduct"
RECOVERY_CODES = (
    "I never generated or have lost access to the recovery codes associated with my PyPI account"
)
ACK = (
    "I understand that PyPI can only restore access when the account can be verified as mine, "
    "and that this may take time or not be possible"
)


def render(sections, *, level="###", on_empty="no_response", sep="\n\n", when=None) -> str:
    """Render (heading, value) pairs the way GitHub renders an issue form.

    value None or "" is an empty optional field: `_No response_`, or (on_empty="drop") the line
    dropped as some exports do. A value that is a list is rendered as checked checkboxes.
    """
    parts = []
    for heading, value in sections:
        if isinstance(value, list):
            value = "\n".join(f"- [{box(when)}] {v}" for v in value)
        if value is None or value == "":
            value = "_No response_" if on_empty == "no_response" else ""
        parts.append(f"{level} {heading}\n\n{value}".rstrip())
    return sep.join(parts)


def jitter_heading(h: str) -> str:
    """Users sometimes retype or edit a heading."""
    r = rng.random()
    if r < 0.4:
        return h.lower()
    if r < 0.7:
        return h.title()
    return h.upper()


def maybe(p: float) -> bool:
    return rng.random() < p


class Cycle:
    """Draw from a pool without repeating until it is exhausted."""

    def __init__(self, pool):
        self.pool = list(pool)
        self.left: list = []

    def next(self):
        if not self.left:
            self.left = self.pool[:]
            rng.shuffle(self.left)
        return self.left.pop()


# --------------------------------------------------------------------------------------------
# Collection
# --------------------------------------------------------------------------------------------

ISSUES: list[dict] = []


# Text that cannot predate a date: a Python release, the 2FA mandate, organizations, ...
NOT_BEFORE = {
    "mandatory": "2023-08-01",
    "python 3.12": "2023-10-02",
    "3.8-3.12": "2023-10-02",
    "trusted publishing": "2023-04-21",
    "invalid-publisher": "2023-04-21",
    "macos 14": "2023-09-26",
    "organization": "2023-04-23",
    "pip 24": "2024-02-03",
    "pip 23.3": "2023-10-15",
    "debian 12": "2023-06-10",
    "ubuntu 22.04": "2022-04-21",
    "windows 11": "2021-10-05",
    "centos stream 9": "2021-12-03",
    "cuda 11.8 and 12.x": "2022-12-08",
}


def avoid_anachronism(when, title, body):
    """Move an issue later if its text mentions something newer, shifting dates in the body."""
    text = f"{title}\n{body or ''}".lower()
    floors = [
        dt.datetime.fromisoformat(d).replace(tzinfo=dt.UTC)
        for marker, d in NOT_BEFORE.items()
        if marker in text
    ]
    if not floors or when >= max(floors):
        return when, body
    lo = max(floors)
    hi = NOW - dt.timedelta(days=10)
    if body and "- [X]" in body:  # stay in the era of upper-case checkboxes
        hi = CHECKBOX_LOWER_FROM - dt.timedelta(days=1)
    new_when = lo + (hi - lo) * rng.random()
    delta = new_when - when

    def shift(m: re.Match) -> str:
        d = dt.date.fromisoformat(m.group(0)) + dt.timedelta(days=delta.days)
        return d.isoformat()

    if body:
        body = re.sub(r"\b20\d\d-\d\d-\d\d\b", shift, body)
    return new_when, body


def add(title, body, *, when, category, form, note, sub=(), misfiling=None, login=None, crlf=None):
    assert misfiling is None or misfiling in MISFILINGS, misfiling
    when, body = avoid_anachronism(when, title, body)
    if crlf is None:
        crlf = maybe(0.1)
    if body is not None and crlf:
        body = body.replace("\r\n", "\n").replace("\n", "\r\n")
    labels = ([category] if category else []) + list(sub)
    ISSUES.append(
        {
            "title": title,
            "body": body,
            "login": login or new_login(),
            "labels": labels,
            "created": when,
            "_expected": {
                "category": category,
                "sub_labels": list(sub),
                "misfiling": misfiling,
                "form": form,
                "note": note,
            },
        }
    )


# --------------------------------------------------------------------------------------------
# Account recovery
# --------------------------------------------------------------------------------------------

RECOVERY_REASONS = Cycle(
    [
        "I lost my phone which had the authenticator app (Google Authenticator) with the PyPI TOTP entry. I never saved the recovery codes.",
        "My phone was stolen last week while I was travelling. The 2FA app was on it and I don't have the recovery codes.",
        "hi, i changed my phone and the authenticator app did not transfer the codes. now i can't login anymore",
        "I used a YubiKey as my only second factor and lost it when moving house. No backup key was registered.",
        "The e-mail on my account was on my personal domain ({old_domain}). The domain expired and I could not get it back, so I can't receive the password reset mail. I also lost the TOTP device in the meantime.",
        "I left my previous employer and the address on my PyPI account ({old_email}) no longer exists. I still know my password, but the 2FA device was a company phone that I had to hand back.",
        "Phone got factory-reset after a failed OS update, and all my Authy / Google Authenticator entries are gone.",
        "I turned on 2FA when it became mandatory, but I think I scanned the QR code with an app I uninstalled later. Now every code I try is wrong.",
        'The 2FA codes are always rejected ("Invalid TOTP code"). I checked that the clock on my phone is synced. I can\'t find my recovery codes anywhere.',
        "My security key broke (it went through the washing machine 🙃). It was the only WebAuthn device on the account.",
        "Me robaron el teléfono y no tengo los códigos de recuperación. Necesito acceso a mi cuenta para publicar una nueva versión de {proj}.",
        "我的手机丢了，身份验证器里有 PyPI 的两步验证。我没有保存恢复码。请帮我恢复账户，谢谢！",
        "Perdi o celular com o autenticador. Não tenho os códigos de recuperação. Preciso publicar uma correção para {proj}.",
        "I have lost the access to my 2FA because my mobile was broken. Please can you help me to recover the account, I need to make a release for {proj}.",
        "Потерял доступ к приложению двухфакторной аутентификации после смены телефона. Кодов восстановления нет. Аккаунт нужен для пакета {proj}.",
        "スマートフォンを紛失し、二要素認証のコードが取得できません。リカバリーコードも保存していませんでした。よろしくお願いします。",
        "Long story, sorry. I maintain {proj} mostly alone since 2019. Last spring I moved countries and got a new phone number and a new phone; I was sure I had exported the authenticator accounts but the PyPI one is missing from the new device. Since then I have been doing releases through a colleague's token, but that token is now revoked and we have a bug fix waiting. I have the password and access to the e-mail address, and the source lives at {repo}, so I can prove I control it in whatever way you need.",
        "2FA reset please",
        "lost 2fa",
        "I can't log in.",
        "I am the maintainer of {proj} ({proj_url}). I lost the device that held my TOTP secret. I can prove ownership through the repository {repo}.",
        "My password manager (which also stored the TOTP seed) got corrupted, and the newest backup is older than the day I enabled 2FA on PyPI.",
        "My university e-mail ({old_email}) was deactivated after I graduated. I never set up recovery codes either. I'm the only maintainer of {proj}.",
        "I did generate recovery codes but stored them in a file on a laptop that died. So they're effectively lost.",
        "The authenticator was on my work phone and IT wiped it when I changed teams.",
        "I used Microsoft Authenticator; after moving to a new phone the cloud backup didn't include PyPI.",
        "Our company domain changed from {old_domain} to {new_domain} and the old mailboxes were shut down. I know the password but 2FA was tied to a device I no longer have.",
        "Not sure what happened. When I try to log in it asks me for a code I don't have. Please reset it.",
        "I got locked out right after enabling 2FA yesterday - I think I closed the page before finishing the recovery code step, and the app shows no PyPI entry.",
        "Phone fell into the sea on holiday 🌊📱 All 2FA gone. Password I still have.",
        "휴대폰을 분실하여 2단계 인증 코드를 받을 수 없습니다. 복구 코드도 없습니다. 계정 복구를 요청합니다.",
        "J'ai perdu mon téléphone avec l'application d'authentification et je n'ai pas les codes de récupération. Merci de votre aide.",
        "hello sir i am not able to login my pypi account because authenticator app is deleted, kindly reset 2FA so i can upload new version. thank you",
        "I have my password and my e-mail, but lost the TOTP. The recovery codes were printed and disappeared in an office move.",
        "i lost my phoen and cant acces the 2fa , pls help reset . i own the packge {proj}",
        "Lost my Titan security key. I don't think I ever added a second method, so I'm stuck.",
        "The account was created years ago with a Hotmail address that Microsoft deactivated for inactivity. I'd like to recover it to keep maintaining {proj}.",
        "I forgot the vault password of my 2FA app (Aegis), so the TOTP secrets inside are unrecoverable.",
        "Moved from Android to iPhone and the codes didn't migrate.",
        "Need access back. Lost authenticator.",
        "Ich habe mein Handy verloren und damit den Zugang zur Zwei-Faktor-Authentifizierung. Wiederherstellungscodes habe ich leider keine.",
        "Hi team 👋 my phone died completely (won't turn on) and the TOTP for PyPI was only on it. I've got a release of {proj} blocked on this.",
        "Forgot my password and when I reset it, the login still wants the 2FA code from a phone I sold last year.",
        "I had two security keys registered, one is lost and the other one is at my old office in another country which I can't access anymore.",
        "2FA device lost. Username above. Thanks.",
        "After a phone upgrade, the authenticator shows a code for PyPI but it is never accepted. I suspect it's an old entry from a previous account setup.",
        "My Android phone was encrypted and the screen broke; the repair shop had to wipe it. Google Authenticator wasn't backed up.",
        "I'm a maintainer of {proj}. My only 2FA method was a YubiKey that stopped being recognised (USB-A key, new laptop only has USB-C, and the adapter doesn't help - the key is dead).",
        "Bonjour, mon compte est bloqué : j'ai changé de téléphone et l'application Authenticator n'a pas été restaurée.",
        "i reset my iphone to factory settings and forgot that pypi 2fa was there. no backup of codes",
        "I have access to my e-mail but the TOTP app was on a tablet that was stolen from my car. I'd be grateful for a reset so I can set up a new device.",
        "Hello, I cannot login because 2 factor authentication app is uninstalled by mistake by my son 😅 Please help me to reset.",
        "The account is registered to {old_email}, a mailbox of a non-profit I volunteered for. It was closed when the organisation dissolved. I still have the TOTP, but I'm being asked to re-verify the e-mail and can't.",
        "Lost both: the e-mail ({old_email}, former job) and the phone with the authenticator. I know this is the hard case, sorry. The project {proj} links to {repo}, which I control.",
        "Sono stato bloccato fuori dal mio account: il telefono con l'app di autenticazione si è rotto e non ho i codici di recupero.",
        "My TOTP seed was in 1Password under an old employer's business account, which I lost access to when I left.",
    ]
)

RECOVERY_EXTRAS = Cycle(
    [
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "Thanks in advance!",
        "Sorry for my English.",
        "This is a bit urgent, we have a release blocked 🙏",
        "I can verify ownership through the GitHub repository.",
        "Best regards,\n{name}",
        "Thank you so much for all the work you do on PyPI.",
        "Please let me know if you need anything else from me.",
        "Projects: {proj}",
        "(I already tried the 'forgot password' flow, it doesn't help with 2FA.)",
    ]
)

CUSTOM_RECOVERY_TITLES = Cycle(
    [
        "Account recovery request - {user}",
        "Account Recovery: lost 2FA device",
        "Recover account {user}",
        "account recovery",
        "Lost 2FA - please help",
        "Account recovery request for {user}",
        "Account recovery request (lost phone)",
        "Account recovery request: {user}",
        "Recovery request",
        "2FA recovery for PyPI user {user}",
    ]
)


def recovery_username_value(user: str) -> str:
    r = rng.random()
    if r < 0.62:
        return user
    if r < 0.72:
        return f"`{user}`"
    if r < 0.8:
        return f"https://pypi.org/user/{user}/"
    if r < 0.86:
        return f"{user} ({masked(email_for(user))})"
    if r < 0.92:
        return f"Username: {user}"
    return f"@{user}"


def fill(text: str, **kw) -> str:
    return text.format(**kw)


def recovery_context(user: str) -> dict:
    proj = new_project()
    return {
        "user": user,
        "proj": proj,
        "proj_url": f"https://pypi.org/project/{proj}/",
        "repo": repo_url(user, proj),
        "old_email": email_for(
            user, rng.choice(["oldjob.example", "uni.example.edu", "former-employer.example"])
        ),
        "old_domain": rng.choice(
            ["quokka-labs.example", "myname.example", "oldcorp.example", "studio-nine.example"]
        ),
        "new_domain": rng.choice(["newcorp.example", "quokka.example", "nine.example"]),
        "name": person_name(),
    }


def recovery_form(
    user_value, reason, when, *, edit_headings=False, on_empty="no_response", sep="\n\n", drop=()
):
    sections = [
        ("PyPI Username", user_value),
        ("Reason for request", reason),
        ("Recovery Codes", [RECOVERY_CODES]),
        ("Code of Conduct", [COC]),
        ("Acknowledgement", [ACK]),
    ]
    sections = [s for s in sections if s[0] not in drop]
    if edit_headings:
        i = rng.randrange(len(sections))
        sections[i] = (jitter_heading(sections[i][0]), sections[i][1])
    return render(sections, on_empty=on_empty, sep=sep, when=when)


def gen_recovery_form(n: int, era: str):
    for _ in range(n):
        when = pick_date(era)
        login = new_login()
        user = pypi_name_for(login)
        ctx = recovery_context(user)
        reason = fill(RECOVERY_REASONS.next(), **ctx)
        extra = fill(RECOVERY_EXTRAS.next(), **ctx)
        if extra:
            reason += ("\n\n" if maybe(0.7) else " ") + extra
        body = recovery_form(
            recovery_username_value(user),
            reason,
            when,
            edit_headings=maybe(0.1),
            on_empty="drop" if maybe(0.1) else "no_response",
            sep="\n\n\n" if maybe(0.12) else "\n\n",
        )
        title = "Account recovery request"
        if maybe(0.25):
            title = fill(CUSTOM_RECOVERY_TITLES.next(), user=user)
        add(
            title,
            body,
            when=when,
            category=RECOVERY,
            form=RECOVERY,
            login=login,
            note="Own account, lost second factor or e-mail: a plain recovery request on the current form.",
        )


def gen_recovery_special_forms():
    # Username left empty (required field, but exports and edits lose it).
    for variant in range(5):
        when = pick_date(rng.choice(["form_X_late", "form_x"]))
        login = new_login()
        ctx = recovery_context(login)
        reason = fill(RECOVERY_REASONS.next(), **ctx)
        if variant == 0:
            user_value = ""
            note = "Username field is `_No response_`; the GitHub login may or may not be the PyPI username."
        elif variant == 1:
            user_value = " "
            note = "Username section is blank; only the reason identifies the request."
        elif variant == 2:
            user_value = f"I don't remember exactly, maybe {login} or {login}_pypi"
            note = "Requester is unsure of their PyPI username; staff ask for projects to identify the account."
        elif variant == 3:
            user_value = "same as github"
            note = "Username given only as 'same as github'."
        else:
            user_value = "USERNAME"
            note = "Username left as a placeholder-like value."
        body = recovery_form(
            user_value, reason, when, on_empty="drop" if variant == 1 else "no_response"
        )
        add(
            "Account recovery request",
            body,
            when=when,
            category=RECOVERY,
            form=RECOVERY,
            login=login,
            note=note,
        )

    # Reason left empty.
    for _ in range(2):
        when = pick_date("form_any")
        login = new_login()
        body = recovery_form(pypi_name_for(login), "", when)
        add(
            "Account recovery request",
            body,
            when=when,
            category=RECOVERY,
            form=RECOVERY,
            login=login,
            note="Reason is `_No response_`: only the form headings and title say it is recovery.",
        )

    # Sections deleted by the requester.
    when = pick_date("form_x")
    login = new_login()
    ctx = recovery_context(login)
    body = recovery_form(
        login,
        fill(RECOVERY_REASONS.next(), **ctx),
        when,
        drop=("Code of Conduct", "Acknowledgement"),
    )
    add(
        "Account recovery request",
        body,
        when=when,
        category=RECOVERY,
        form=RECOVERY,
        login=login,
        note="Requester deleted the Code of Conduct and Acknowledgement sections.",
    )


def gen_recovery_old():
    # Pre-form bodies: `## PyPI Username` and bold pseudo-headings.
    for i in range(6):
        when = pick_date("early")
        login = new_login()
        user = pypi_name_for(login)
        ctx = recovery_context(user)
        reason = fill(RECOVERY_REASONS.next(), **ctx)
        if i % 3 == 0:
            body = f"## PyPI Username\n{user}\n\n## Reason for request\n{reason}\n"
        elif i % 3 == 1:
            body = (
                f"**PyPI Username**: {user}\n\n**Reason for request**: {reason}\n\n"
                f"**Projects I maintain**: {ctx['proj']}\n"
            )
        else:
            body = (
                f"**PyPI username**\n\n{user}\n\n**What happened**\n\n{reason}\n\n"
                "**Do you have recovery codes?**\n\nNo\n"
            )
        title = rng.choice(
            [
                "Account recovery request",
                f"Lost 2FA for {user}",
                "Account recovery",
                f"Please reset 2FA on {user}",
            ]
        )
        add(
            title,
            body,
            when=when,
            category=RECOVERY,
            form=None,
            login=login,
            note="Pre-2021 body with `##` or bold pseudo-headings instead of the current form.",
        )


FREE_RECOVERY = [
    (
        "I can't log in",
        "I can't log in to my PyPI account {user}. It asks for a 2FA code and I don't have the phone anymore.",
    ),
    (
        "I lost my 2FA",
        "Hello,\n\nI lost my 2FA. My username is {user}. How do I get back in?\n\nThanks",
    ),
    (
        "Lost access to my account",
        "Lost access to pypi account `{user}` after my authenticator app got reset. No recovery codes. The project is {proj_url}",
    ),
    ("2FA reset", "please reset 2fa for {user}"),
    (
        "Account locked out",
        "Hi,\r\nI'm locked out of {user}. My YubiKey was stolen together with my bag.\r\nI still own the repo {repo}.\r\n",
    ),
    (
        "Can't login - authenticator app deleted",
        "As the title says. Account name is {user}. I'm the sole maintainer of {proj}.",
    ),
    (
        "无法登录PyPI账户",
        "你好，我的账号是 {user}，手机换了以后两步验证的验证码没有了，也没有恢复码。请问怎么找回账户？",
    ),
    (
        "Perdí acceso a mi cuenta",
        "Hola, mi usuario en PyPI es {user}. Perdí el teléfono con el autenticador. ¿Cómo puedo recuperar la cuenta?",
    ),
    (
        "Help recovering account",
        "I'm the maintainer of {proj} and I cannot access my account anymore because the email I used ({old_email}) is gone. Username: {user}",
    ),
    (
        "urgent: locked out of pypi",
        "Locked out!! 😩 new phone, no codes. user = {user}. we need to ship a security fix for {proj} today",
    ),
    (
        "Recovery codes not working",
        "I do have recovery codes saved but every one of them says invalid. Username {user}. Did they expire?",
    ),
    ("Account {user}", "Lost phone. No recovery codes. Please help me regain access to {user}."),
]


def gen_recovery_free():
    for title, text in FREE_RECOVERY:
        when = pick_date(rng.choice(["recovery_any", "recent", "recent"]))
        login = new_login()
        user = pypi_name_for(login)
        ctx = recovery_context(user)
        title = title.format(**ctx)
        body = text.format(**ctx)
        note = "Free-text recovery request, no form headings."
        if "Recovery codes not working" in title:
            note = "Has recovery codes that fail; still a recovery request (staff check the 2FA state)."
        add(
            title, body, when=when, category=RECOVERY, form=None, login=login, note=note, crlf=False
        )


def gen_recovery_short():
    cases = [
        (
            "Account recovery request",
            "help",
            "form",
            "Body is just 'help'; the title is the only clue.",
        ),
        (
            "Account recovery request",
            None,
            "form",
            "Empty body (null) with the form's default title.",
        ),
        (
            "Account recovery request",
            "",
            "form",
            "Empty body string with the form's default title.",
        ),
        ("lost 2fa", "lost 2fa, username {user}", None, "Two-line free text."),
        (
            "Account recovery request",
            "Username: {user}\nLost my 2FA phone.",
            "form",
            "Requester replaced the whole form with two lines.",
        ),
        ("cannot login", "", None, "Only the title; recovery is the likeliest reading."),
    ]
    for title, body, form, note in cases:
        when = pick_date("recent")
        login = new_login()
        if body:
            body = body.format(user=pypi_name_for(login))
        add(
            title,
            body,
            when=when,
            category=RECOVERY,
            form=RECOVERY if form else None,
            login=login,
            note=note,
            crlf=False,
        )


UNVERIFIED_REASONS = [
    "I registered the account but never received the verification e-mail. I pressed 'resend' several times and checked the spam folder. The account shows my e-mail as unverified and I can't upload.",
    "The verification link expired, and resending now says too many e-mails have been sent without verification. Can you verify it manually or reset it?",
    "I made a typo in my address when signing up ({typo}) so the verification mail went nowhere, and I forgot the password too, so the reset can't reach me.",
    "Our corporate mail server seems to reject PyPI's verification e-mails. My primary address was never verified and now I'm asked to verify it before I can set up 2FA.",
    "Me registré pero nunca recibí el correo de verificación y ahora no puedo restablecer la contraseña.",
    "I forgot my password. The reset mail never arrives - I think because my address was never verified back when I created the account in 2018.",
    "Can't verify my email. The link in the mail says 'invalid or expired token'. I tried 5 times over two days.",
]


def gen_unverified():
    for i, reason in enumerate(UNVERIFIED_REASONS):
        when = pick_date(rng.choice(["form_X", "form_x"]))
        login = new_login()
        user = pypi_name_for(login)
        reason = reason.format(typo=email_for(user, "example.con"))
        if i in (2, 5):
            body = f"Hi,\n\n{reason}\n\nUsername: {user}\n"
            form = None
            title = rng.choice(["Email verification never arrives", "Can't verify my e-mail"])
        else:
            body = recovery_form(user, reason, when)
            form = RECOVERY
            title = "Account recovery request"
        add(
            title,
            body,
            when=when,
            category=RECOVERY,
            sub=[UNVERIFIED],
            form=form,
            login=login,
            note="Cannot verify or receive the verification e-mail: recovery with `unverified email`.",
        )


TESTPYPI_REASONS = [
    (
        "Account recovery request",
        "This is for my **test.pypi.org** account, not pypi.org. Lost the 2FA app.",
        "https://test.pypi.org/user/{user}/",
    ),
    (
        "TestPyPI account recovery",
        "Can't log in to TestPyPI, my account there is {user}. The password reset mail never comes. (My pypi.org account is fine.)",
        "{user} (TestPyPI)",
    ),
    (
        "Account recovery request",
        "I only use TestPyPI for CI dry runs. Lost the authenticator, and the TestPyPI account is locked.",
        "{user}",
    ),
    (
        "Account recovery request",
        "Trying to recover my account on test.pypi.org - the TOTP isn't accepted after I moved phones.",
        "{user}",
    ),
]


def gen_testpypi_recovery():
    for title, reason, uv in TESTPYPI_REASONS:
        when = pick_date("recent")
        login = new_login()
        user = pypi_name_for(login)
        body = recovery_form(uv.format(user=user), reason.format(user=user), when)
        add(
            title,
            body,
            when=when,
            category=RECOVERY,
            sub=[TESTPYPI],
            misfiling="testpypi",
            form=RECOVERY,
            login=login,
            note="TestPyPI account problem on the recovery form; staff keep `account-recovery` and add `test pypi issue`.",
        )


USERNAME_CHANGE = [
    (
        "Account recovery request",
        "Not actually locked out - I'd like to change my username from {user} to {new}. I rebranded and the old name is confusing.",
        True,
    ),
    (
        "Change my username",
        "Hi, can you rename my PyPI account {user} to {new}? It contains my old last name.\n\nThank you!",
        False,
    ),
    (
        "Account recovery request",
        "I want my username to match my GitHub handle ({new}). Current PyPI username is {user}. Can I change it without losing my projects?",
        True,
    ),
]

DELETION = [
    (
        "Account recovery request",
        "Please delete my account. I don't use PyPI anymore and I can't log in because I lost the 2FA, so I can't do it myself.",
        True,
        "Wants the account deleted but is locked out: staff point to recovery first (PyPI deletes nothing on a user's behalf).",
    ),
    (
        "Delete project {proj}",
        "I uploaded {proj} by mistake (it was meant to be a private internal package). Please remove it and all its files. My username is {user}.",
        False,
        "Asks staff to delete a project the user can delete themselves after logging in.",
    ),
    (
        "Account recovery request",
        "I'd like all my data removed from PyPI (GDPR). Account {user}. I also lost my authenticator so I cannot log in.",
        True,
        "Deletion (GDPR) request on the recovery form; user must recover and delete the account themselves.",
    ),
]


def gen_username_change_and_deletion():
    for title, text, on_form in USERNAME_CHANGE:
        when = pick_date("recent")
        login = new_login()
        user = pypi_name_for(login)
        new = login if user != login else login + "-new"
        reason = text.format(user=user, new=new)
        body = recovery_form(user, reason, when) if on_form else reason
        add(
            title,
            body,
            when=when,
            category=RECOVERY,
            misfiling="username-change",
            form=RECOVERY if on_form else None,
            login=login,
            note="Username change request. PyPI changes no usernames; staff answer with the policy and close, leaving `account-recovery` (the queue these go through).",
        )
    for title, text, on_form, note in DELETION:
        when = pick_date("recent")
        login = new_login()
        user = pypi_name_for(login)
        proj = new_project()
        reason = text.format(user=user, proj=proj)
        body = recovery_form(user, reason, when) if on_form else reason
        add(
            title.format(proj=proj),
            body,
            when=when,
            category=RECOVERY,
            misfiling="deletion",
            form=RECOVERY if on_form else None,
            login=login,
            note=note + " Staff leave `account-recovery`.",
        )


def gen_recovery_on_wrong_form():
    # Own-account recovery filed on the PEP 541 form.
    when = pick_date("form_X")
    login = new_login()
    user = pypi_name_for(login)
    proj = new_project()
    body = pep541_form(
        when,
        proj=proj,
        user=user,
        reasons=f"I am the owner of {proj}, but I can't log in anymore because I lost my 2FA device. I need to get my account back to keep releasing it.",
        mr="Maintenance",
        repos=repo_url(user, proj),
        contact="I am the owner.",
    )
    add(
        f"PEP 541 Request: {proj}",
        body,
        when=when,
        category=RECOVERY,
        form=PEP541,
        login=login,
        note="Filed on the PEP 541 form, but the requester owns the project and lost 2FA: it is recovery of their own account.",
    )


# --------------------------------------------------------------------------------------------
# PEP 541
# --------------------------------------------------------------------------------------------


def pep541_form(
    when,
    *,
    proj,
    user,
    reasons,
    mr,
    repos,
    contact,
    placeholder_proj=False,
    placeholder_user=False,
    edit_headings=False,
    on_empty="no_response",
):
    proj_value = (
        "`PROJECT_NAME`: https://pypi.org/project/PROJECT_NAME"
        if placeholder_proj
        else f"`{proj}`: https://pypi.org/project/{proj}"
    )
    user_value = (
        "`USER_NAME`: https://pypi.org/user/USER_NAME"
        if placeholder_user
        else f"`{user}`: https://pypi.org/user/{user}"
    )
    sections = [
        ("Project to be claimed", proj_value),
        ("Your PyPI username", user_value),
        ("Reasons for the request", reasons),
        ("Maintenance or replacement?", mr),
        ("Source code repositories URLs", repos),
        ("Contact and additional research", contact),
        ("Code of Conduct", [COC]),
    ]
    if edit_headings:
        i = rng.randrange(len(sections))
        sections[i] = (jitter_heading(sections[i][0]), sections[i][1])
    return render(sections, on_empty=on_empty, when=when)


MAINT_REASONS = Cycle(
    [
        "{proj} was last released in {year} and no longer installs on Python 3.12 (it imports `imp`, which was removed). The repository {orig} has had no commits for {n} years and issues go unanswered. I maintain a fork with the fixes at {mine}, and about {k} projects on PyPI depend on {proj}.",
        "The package is abandoned. Last upload {year}. Author doesn't respond. I want to continue maintaining it.",
        "We use {proj} at work and several pull requests with fixes have waited for years. I'd like to become a maintainer so fixes can be released; happy to keep the original author as owner if they come back.",
        "Every install of {proj} is broken because it depends on a library that was yanked, and the homepage link returns 404. Nobody has touched it since {year}.",
        "This package is not maintained since long time, last version is from {year}. I use it in my thesis and I made a fork with corrections. I wish to publish new versions with the same name so users get the update easily.",
        "Hi! I wrote the fork most people already use ({mine}, ~{k}00 stars). The original {proj} hasn't had a release since {year}, and distributions are packaging our fork under the original name anyway. It would help users if releases continued under {proj}.",
        "The original author passed the project on to our organisation informally years ago, but never added anyone on PyPI. The author's e-mail now bounces. We maintain {mine}.",
        "{proj} has open CVE-style bug reports (unsafe YAML loading) and no one can publish a fix. I have a patched version ready at {mine}.",
        "Abandoned since {year}. Repo archived. I'd like to adopt it 🙂",
        "El proyecto {proj} está abandonado desde {year}. Mantengo un fork activo en {mine} y me gustaría continuar publicando versiones con el mismo nombre.",
    ]
)

REPLACE_REASONS = Cycle(
    [
        "The current {proj} is a {year} hobby project with one release and barely any downloads. Our project, {desc}, has been developed under this name for {n} years ({mine}) and the import package is already called `{imp}`.",
        "I'd like to publish my project under {proj}. The existing project is abandoned and unrelated.",
        "The name {proj} is taken by a project that was last updated in {year} and does something completely different. Our library ({desc}) is known by this name in the community, docs and papers.",
        "We are a research group that released {desc} under the name {proj} in a paper. Users keep installing the unrelated PyPI package by mistake, which is confusing and a bit risky.",
    ]
)

CONTACTS = Cycle(
    [
        "I e-mailed the author at the address in the package metadata on {d1}, {d2} and {d3}; no reply. I also opened an issue: {issue}",
        "Opened {issue} {w} weeks ago, no answer. The e-mail on the PyPI page bounces.",
        "none, I couldn't find any contact info",
        "",
        "Tried reaching them on Mastodon and LinkedIn, no reply. Sent two e-mails ({d1}, {d2}).",
        "The author answered my e-mail on {d1} and is happy to hand it over, but says they cannot log in to PyPI anymore. I can forward the thread.",
        "E-mailed {d1}. Will update here.",
        "Issue on GitHub: {issue}\nE-mail: sent on {d1} and {d2}, bounced the second time.\nThe author's GitHub profile shows no activity since {year}.",
    ]
)

DESCS = [
    "a small plotting helper for lab notebooks",
    "a CLI for syncing dotfiles",
    "an async MQTT client",
    "a geospatial tiling library",
    "a tokenizer for legal documents",
    "a Home Assistant integration",
    "a scheduler for HPC batch jobs",
    "bindings to a C image codec",
]


def pep541_ctx(when, owner, user, proj):
    return {
        "proj": proj,
        "year": rng.randint(2012, when.year - 2),
        "n": rng.randint(2, 8),
        "k": rng.randint(3, 60),
        "orig": repo_url(owner, proj),
        "mine": repo_url(user, proj),
        "desc": rng.choice(DESCS),
        "imp": proj.replace("-", "_"),
        "d1": day(when, 70),
        "d2": day(when, 50),
        "d3": day(when, 30),
        "w": rng.randint(3, 12),
        "issue": repo_url(owner, proj) + f"/issues/{rng.randint(4, 180)}",
    }


def gen_pep541_form(n: int):
    titles_unedited = 0
    for i in range(n):
        when = pick_date("form_any")
        login = new_login()
        user = pypi_name_for(login)
        owner = new_login()
        proj = new_project()
        ctx = pep541_ctx(when, owner, user, proj)
        replacement = maybe(0.3)
        reasons = fill((REPLACE_REASONS if replacement else MAINT_REASONS).next(), **ctx)
        mr = "Replacement" if replacement else "Maintenance"
        if maybe(0.1):
            mr = ""
        contact = fill(CONTACTS.next(), **ctx)
        placeholder_proj = i % 7 == 3
        placeholder_user = i % 6 == 4
        title = f"PEP 541 Request: {proj}"
        note = (
            "PEP 541 "
            + ("replacement" if replacement else "maintenance")
            + " request on the current form."
        )
        if placeholder_proj:
            reasons = f"Requesting the name `{proj}`. " + reasons
            note += " `Project to be claimed` left as the PROJECT_NAME placeholder; the name is only in the text."
        if placeholder_user:
            note += " `Your PyPI username` left as the USER_NAME placeholder."
        if i % 5 == 2 and titles_unedited < 4:
            titles_unedited += 1
            title = "PEP 541 Request: PROJECT_NAME"
            note += " Title left unedited."
        elif maybe(0.15):
            title = rng.choice(
                [
                    f"PEP 541: {proj}",
                    f"PEP541 request for {proj}",
                    f"PEP 541 Request: {proj} (abandoned)",
                    f"Request ownership of {proj}",
                ]
            )
        body = pep541_form(
            when,
            proj=proj,
            user=user,
            reasons=reasons,
            mr=mr,
            repos=ctx["mine"] if maybe(0.9) else "",
            contact=contact,
            placeholder_proj=placeholder_proj,
            placeholder_user=placeholder_user,
            edit_headings=maybe(0.12),
            on_empty="drop" if maybe(0.1) else "no_response",
        )
        add(title, body, when=when, category=PEP541, form=PEP541, login=login, note=note)


def gen_pep541_bold(n: int):
    for _ in range(n):
        when = pick_date("bold")
        login = new_login()
        user = pypi_name_for(login)
        proj = new_project()
        ctx = pep541_ctx(when, new_login(), user, proj)
        reasons = fill(MAINT_REASONS.next(), **ctx)
        contact = fill(CONTACTS.next(), **ctx) or "None yet."
        body = (
            f"**Project to be claimed**\n\n{proj}: https://pypi.org/project/{proj}\n\n"
            f"**Your PyPI username**\n\n{user}: https://pypi.org/user/{user}\n\n"
            f"**Reasons for the request**\n\n{reasons}\n\n"
            f"**Maintenance or replacement?**\n\n{rng.choice(['Maintenance', 'maintenance', 'Maintenance of the existing project'])}\n\n"
            f"**Source code repositories URLs**\n\n{ctx['mine']}\n\n"
            f"**Contact and additional research**\n\n{contact}\n"
        )
        title = rng.choice(
            [f"PEP 541 Request: {proj}", f"PEP 541 request: {proj}", f"Claim {proj} (PEP 541)"]
        )
        add(
            title,
            body,
            when=when,
            category=PEP541,
            form=None,
            login=login,
            note="Pre-2021 PEP 541 request with bold pseudo-headings.",
        )


FREE_PEP541 = [
    (
        "Take over abandoned package {proj}",
        "I'd like to take over the abandoned package {proj}. The last release was in {year} and the GitHub repo is archived. My PyPI username is {user}. My fork: {mine}",
    ),
    (
        "Request to transfer ownership of {proj}",
        "Hello PyPI team,\n\nThe maintainer of {proj} hasn't responded to issues or e-mails for over a year ({issue}). I'd like to become a co-maintainer or owner to keep it working.\n\nThanks,\n{user}",
    ),
    (
        "Is the name {proj} available?",
        "The current {proj} looks dead (one release in {year}, no repo link). Could it be given to me? I have a project called the same thing: {mine}",
    ),
    (
        "{proj} - abandoned project",
        "Claiming {proj} under PEP 541.\n\n- last release: {year}\n- author unreachable (mails on {d1}, {d2}, {d3})\n- my account: https://pypi.org/user/{user}/\n- code: {mine}",
    ),
    (
        "Ownership of {proj}",
        "Hi, I'm the new maintainer of the {proj} GitHub repo (the original author gave me admin there: {orig}), but I don't have rights on PyPI and the author no longer answers. Can I be added?",
    ),
    ("PEP541", "{proj}\n\nabandoned. i want it."),
]


def gen_pep541_free():
    for title, text in FREE_PEP541:
        when = pick_date("any")
        login = new_login()
        user = pypi_name_for(login)
        proj = new_project()
        ctx = pep541_ctx(when, new_login(), user, proj) | {"user": user}
        add(
            title.format(**ctx),
            text.format(**ctx),
            when=when,
            category=PEP541,
            form=None,
            login=login,
            note="Free-text request to take over an abandoned project (PEP 541).",
        )


SQUAT_REASONS = [
    "`{proj}` was registered in {year} with a single 0.0.1 release that contains only an empty `__init__.py`. The owner has about thirty other projects that look the same. I'd like to use the name for {desc}: {mine}",
    "The project has no files at all, just a name registered in {year}. No description, no homepage. It looks like it was reserved and never used.",
    "{proj} 0.0.0 just prints 'hello world'. Nothing else was ever released. I have a real project with this name ({mine}).",
    "The existing package is a placeholder (description literally says 'coming soon', {year}).",
]


def gen_name_squat():
    for _i, text in enumerate(SQUAT_REASONS):
        when = pick_date("form_any")
        login = new_login()
        user = pypi_name_for(login)
        proj = new_project()
        ctx = pep541_ctx(when, new_login(), user, proj)
        reasons = text.format(**ctx)
        body = pep541_form(
            when,
            proj=proj,
            user=user,
            reasons=reasons,
            mr="Replacement",
            repos=ctx["mine"],
            contact=fill(CONTACTS.next(), **ctx),
        )
        add(
            f"PEP 541 Request: {proj}",
            body,
            when=when,
            category=PEP541,
            sub=[NAME_SQUAT],
            form=PEP541,
            login=login,
            note="Target project is empty or has no function: PEP 541 with `name squat`.",
        )
    for text in [
        "Hi, the name {proj} on PyPI is squatted: version 0.0.1, no code, uploaded {year}. Can I have it? PyPI user: {user}",
        "Reporting {proj} as a name squat and requesting the name. The wheel is 1 KB and contains only metadata.",
    ]:
        when = pick_date("any")
        login = new_login()
        user = pypi_name_for(login)
        proj = new_project()
        ctx = pep541_ctx(when, new_login(), user, proj) | {"user": user}
        add(
            rng.choice([f"Name squatting: {proj}", f"{proj} is squatted"]),
            text.format(**ctx),
            when=when,
            category=PEP541,
            sub=[NAME_SQUAT],
            form=None,
            login=login,
            note="Free-text request for a squatted (empty) name: PEP 541 with `name squat`.",
        )


SIMILAR_PAIRS = [  # (requested, existing) with equal ultranormalised names
    ("cool-io", "coolio"),
    ("data-loom", "DataLoom"),
    ("py-lint-tools", "pylinttools"),
    ("tiny_iot", "tiny-i0t"),
    ("olive.tree", "o1ivetree"),
    ("geo-llama", "ge0-1lama"),
    ("Meadow-Kit", "meadowkit"),
]
SIMILAR_TEXTS = [
    "When I try to upload `{req}` I get:\n\n```\nHTTPError: 400 Bad Request from https://upload.pypi.org/legacy/\nThe name '{req}' is too similar to an existing project. See https://pypi.org/help/#project-name for more information.\n```\n\nThere is no project called {req} on PyPI (the page is a 404), so I'd like to claim it.",
    "twine says the name is too similar to an existing project but I searched and cannot find any project with that name. Can you release it for me?",
    "I can't create the project `{req}`: 'too similar to an existing project'. Which project is it similar to? If it's abandoned I'd like it.",
    "Upload rejected: name too similar. https://pypi.org/project/{req}/ doesn't exist.",
]


def gen_similar():
    texts = Cycle(SIMILAR_TEXTS)
    for i, (req, existing) in enumerate(SIMILAR_PAIRS):
        assert ultranormalize(req) == ultranormalize(existing), (req, existing)
        when = pick_date("form_any")
        login = new_login()
        user = pypi_name_for(login)
        reasons = texts.next().format(req=req)
        note = (
            f"Upload refused as too similar; `{req}` collides with existing `{existing}` after "
            "ultranormalisation. Staff keep `PEP 541` and add `similar project name`."
        )
        if i < 5:
            body = pep541_form(
                when,
                proj=req,
                user=user,
                reasons=reasons,
                mr=rng.choice(["Replacement", ""]),
                repos=repo_url(user, req.lower()),
                contact="",
            )
            add(
                f"PEP 541 Request: {req}",
                body,
                when=when,
                category=PEP541,
                sub=[SIMILAR],
                misfiling="name-not-allowed",
                form=PEP541,
                login=login,
                note=note,
            )
        else:
            add(
                rng.choice(
                    [f"Cannot upload {req}: name too similar", f"{req} name not available?"]
                ),
                reasons + f"\n\nMy username is {user}.",
                when=when,
                category=PEP541,
                sub=[SIMILAR],
                misfiling="name-not-allowed",
                form=None,
                login=login,
                note=note,
            )


def gen_prohibited():
    for name, form in [("sqlite3", True), ("tkinter-ui", False)]:
        when = pick_date("recent")
        login = new_login()
        user = pypi_name_for(login)
        err = (
            f"```\n400 The name '{name}' isn't allowed. See https://pypi.org/help/#project-name "
            "for more information.\n```"
        )
        text = (
            f"I want to publish my package `{name}` but the upload fails with\n\n{err}\n\n"
            "Nobody owns this name on PyPI, so why is it blocked? Can it be unblocked?"
        )
        note = (
            f"'{name}' is refused by the prohibited-names list (stdlib module name); staff keep "
            "`PEP 541` and add `prohibited project name`."
        )
        if form:
            body = pep541_form(
                when,
                proj=name,
                user=user,
                reasons=text,
                mr="Replacement",
                repos=repo_url(user, name),
                contact="N/A",
            )
            add(
                f"PEP 541 Request: {name}",
                body,
                when=when,
                category=PEP541,
                sub=[PROHIBITED],
                misfiling="name-not-allowed",
                form=PEP541,
                login=login,
                note=note,
            )
        else:
            add(
                f"The name '{name}' isn't allowed",
                text,
                when=when,
                category=PEP541,
                sub=[PROHIBITED],
                misfiling="name-not-allowed",
                form=None,
                login=login,
                note=note,
            )


SOMEONE_ELSE = [
    (
        "recovery",
        "Account recovery request",
        "This account belongs to our former lead developer, who left {company} in {year}. We can't reach him. We need to release security fixes for {proj}, which our team maintains on GitHub ({mine}). Could the account or the project be handed over to us?",
    ),
    (
        "recovery",
        "Account recovery request",
        "The PyPI account was created by my co-founder. He doesn't answer e-mails or calls anymore since we split up. I'm the CTO and own the repository. Please give me access to the account so I can keep publishing {proj}.",
    ),
    (
        "recovery",
        "Recover lab account",
        "Our package {proj} was published by a PhD student in our lab who graduated and is no longer reachable; the account is registered to their university address. I am the PI. We need to transfer the project to the lab's account {user}.",
    ),
    (
        "pep541",
        None,
        "The original maintainer left our company in {year}. Their PyPI account is tied to their old company e-mail, which we shut down. We (the company) own the code ({mine}) and want {proj} transferred to our organisation account {user}.",
    ),
    (
        "pep541",
        None,
        "I'm asking to recover the account of my former colleague, the only owner of {proj}. He has changed careers and his address bounces. I have maintained the repository for 3 years.",
    ),
    (
        "free",
        "Access to a former employee's PyPI account",
        "Hi, an ex-employee owns the PyPI project {proj} through their personal account. We have tried to contact them (e-mails on {d1} and {d2}). How can we get access to the account so we can manage the project?",
    ),
]


def gen_someone_else():
    for kind, title, text in SOMEONE_ELSE:
        when = pick_date("recent" if kind != "pep541" else "form_any")
        login = new_login()
        user = pypi_name_for(login)
        proj = new_project()
        other = new_login()
        ctx = pep541_ctx(when, other, login, proj) | {
            "company": rng.choice(
                ["Quokka Analytics", "Northwind Robotics", "Bluefjord GmbH", "Tundra Labs"]
            ),
            "user": user,
        }
        text = text.format(**ctx)
        note = (
            "Not the account holder asking for the account or project: staff treat it as PEP 541 "
            "(the owner must be contacted first)."
        )
        if kind == "recovery":
            body = recovery_form(other, text, when)
            add(
                title,
                body,
                when=when,
                category=PEP541,
                misfiling="someone-elses-account",
                form=RECOVERY,
                login=login,
                note=note
                + f" Filed on the recovery form naming someone else's username ({other}); staff relabel from `account-recovery`.",
            )
        elif kind == "pep541":
            body = pep541_form(
                when,
                proj=proj,
                user=user,
                reasons=text,
                mr="Maintenance",
                repos=ctx["mine"],
                contact=fill(CONTACTS.next(), **ctx),
            )
            add(
                f"PEP 541 Request: {proj}",
                body,
                when=when,
                category=PEP541,
                misfiling="someone-elses-account",
                form=PEP541,
                login=login,
                note=note,
            )
        else:
            add(
                title,
                text,
                when=when,
                category=PEP541,
                misfiling="someone-elses-account",
                form=None,
                login=login,
                note=note,
            )


# --------------------------------------------------------------------------------------------
# Limit requests
# --------------------------------------------------------------------------------------------

ABOUT = Cycle(
    [
        "{proj} provides GPU kernels for sparse attention. We ship CUDA 11.8 and 12.x builds for CPython 3.8-3.12 on Linux x86_64 and aarch64.",
        "Python bindings for our C++ geometry engine. The wheels bundle a statically linked LLVM, which makes them large.",
        "A scientific simulation toolkit used by several university groups. Wheels include compiled Fortran libraries (OpenBLAS, LAPACK).",
        "Bindings to a video codec SDK; we bundle FFmpeg shared libraries so users don't need system packages.",
        "An open-source quantum chemistry package with optional GPU acceleration.",
        "Desktop app framework; wheels contain a Chromium-based runtime.",
        "A database engine embedded in Python; debug symbols are kept in the wheels for crash reports.",
        "Speech recognition library, wheels include the ONNX runtime and a small default model.",
        "我们的项目是一个深度学习推理框架，包含 CUDA 算子。",
        "Nightly builds of a compiler toolchain for Python (we publish dev releases every night).",
    ]
)

LIMIT_REASONS = Cycle(
    [
        "The CUDA wheels are {cur} MiB each after stripping, above the default 100 MiB limit. We can't split the kernels into a separate package without breaking the import structure.",
        "Our linux aarch64 wheel grew to {cur} MB after we added support for newer GPUs. Upload fails with `400 File too large. Limit for project '{proj}' is 100 MB`.",
        "We tried stripping symbols and compressing with `-Os`, the wheel is still {cur} MB. Splitting the native library out is on our roadmap but not feasible for this release.",
        "pls increase, our wheel is too big",
        "The sdist includes test data needed by downstream distributions for verification; it's {cur} MiB.",
        "We bundle the runtime so that `pip install` works out of the box on Windows without extra downloads.",
        "We hit the limit on upload of 3.2.0 and our users are waiting for the release.",
    ]
)

RELEASE_SIZES = Cycle(
    [
        "~{rel} MB across {nw} wheels (Linux, macOS, Windows x CPython 3.8-3.12)",
        "about {rel} MiB per release",
        "{rel} MB",
        "Each release is {nw} wheels of ~{per} MB each, so roughly {rel} MB.",
    ]
)
FREQUENCIES = Cycle(
    [
        "Monthly",
        "Every 2-3 weeks",
        "Roughly every quarter",
        "Nightly dev builds plus a stable release every 6 weeks",
        "We release weekly",
        "2-4 times a year",
        "about 10 times per year",
    ]
)


def size_note(kind, size, unit):
    return f"{kind} limit request for {size} {unit}."


def gen_file_limit(n: int, testpypi_idx=(), placeholder_idx=()):
    for i in range(n):
        when = pick_date("split_limit")
        login = new_login()
        proj = new_project()
        size = rng.choice([150, 200, 250, 300, 400, 500, 700, 1000])
        cur = size - rng.randint(5, 40)
        testpypi = i in testpypi_idx
        placeholder = i in placeholder_idx
        indexes = "TestPyPI" if testpypi else rng.choice(["PyPI", "PyPI", "PyPI, TestPyPI"])
        about = fill(ABOUT.next(), proj=proj)
        reasons = fill(LIMIT_REASONS.next(), proj=proj, cur=cur)
        new_limit = f"{size} MiB" if not placeholder else rng.choice(["0 MiB", "000 MiB", ""])
        url = (
            f"https://{'test.' if testpypi else ''}pypi.org/project/{proj}" if maybe(0.85) else proj
        )
        exists = rng.choice(["Yes", "Yes", "No, it's a new project"]) if not placeholder else ""
        sections = [
            ("Project URL", url),
            ("Does this project already exist?", exists if exists else None),
            ("New Limit", new_limit),
            (
                "Update issue title",
                ["I have updated the title to include the project name and the requested limit"],
            ),
            ("Which indexes", indexes),
            ("About the project", about),
            ("Reasons for the request", reasons),
            ("Code of Conduct", [COC]),
        ]
        if maybe(0.1):
            j = rng.randrange(len(sections))
            sections[j] = (jitter_heading(sections[j][0]), sections[j][1])
        body = render(sections, when=when, on_empty="drop" if maybe(0.1) else "no_response")
        title = f"File Limit Request: {proj} - {size} MiB"
        note = size_note("File size", size, "MiB")
        if placeholder:
            title = rng.choice(
                [
                    "File Limit Request: PROJECT_NAME - 000 MiB",
                    f"File Limit Request: {proj} - 000 MiB",
                ]
            )
            note += " Size left as a placeholder in the title and field; the size is only in the reasons, if anywhere."
            if new_limit == "":
                note = "File size limit request; New Limit empty and title left as filed."
        elif maybe(0.1):
            title = f"File limit request for {proj}"
        sub = [TESTPYPI] if testpypi else []
        if testpypi:
            note += " For TestPyPI only: staff add `test pypi issue`."
        add(title, body, when=when, category=LIMIT, sub=sub, form=LIMIT, login=login, note=note)


def gen_project_limit(n: int, testpypi_idx=()):
    for i in range(n):
        when = pick_date("split_limit")
        login = new_login()
        proj = new_project()
        size = rng.choice([15, 20, 30, 50, 80, 100])
        testpypi = i in testpypi_idx
        nw = rng.randint(8, 40)
        per = rng.randint(20, 95)
        rel = nw * per
        sections = [
            ("Project URL", f"https://{'test.' if testpypi else ''}pypi.org/project/{proj}/"),
            ("Does this project already exist?", "Yes"),
            ("New limit", f"{size} GiB" if maybe(0.85) else f"{size}"),
            (
                "Update issue title",
                ["I have updated the title to include the project name and the requested limit"],
            ),
            ("Which indexes", "TestPyPI" if testpypi else "PyPI"),
            ("About the project", fill(ABOUT.next(), proj=proj)),
            ("How large is each release?", fill(RELEASE_SIZES.next(), rel=rel, nw=nw, per=per)),
            ("How frequently do you make a release?", FREQUENCIES.next()),
            ("Code of Conduct", [COC]),
        ]
        body = render(sections, when=when)
        if maybe(0.3):
            body += (
                "\n\nWe already deleted old pre-releases to free space, but the project is at "
                f"{rng.randint(9, 10)}.{rng.randint(1, 9)} GB of the 10 GB limit."
            )
        title = f"Project Limit Request: {proj} - {size} GiB"
        if i == 1:
            title = "Project Limit Request: PROJECT_NAME - 00 GiB"
        note = size_note("Project size", size, "GiB")
        if i == 1:
            note += " Title left unedited."
        sub = [TESTPYPI] if testpypi else []
        if testpypi:
            note += " For TestPyPI only: staff add `test pypi issue`."
        add(title, body, when=when, category=LIMIT, sub=sub, form=LIMIT, login=login, note=note)


def gen_combined_limit(n: int):
    for _i in range(n):
        when = pick_date("combined_limit")
        login = new_login()
        proj = new_project()
        which = rng.choice(["File size", "Project size", "Both"])
        size = (
            rng.choice(["200 MB", "300 MiB", "20 GB", "500MB", "50 GiB"])
            if which != "Both"
            else "File 250 MB / project 20 GB"
        )
        sections = [
            ("Project", f"https://pypi.org/project/{proj}/" if maybe(0.7) else proj),
            (
                "Size of release/project",
                rng.choice(
                    [
                        "~180 MB per wheel",
                        "each release ~2 GB total",
                        "wheels are 120-160 MB",
                        "9.8 GB total",
                    ]
                ),
            ),
            ("Which limit do you want increased?", which),
            ("New limit", size),
            (
                "Reasons for the request",
                fill(LIMIT_REASONS.next(), proj=proj, cur=rng.randint(110, 190)),
            ),
            ("Code of Conduct", [COC]),
        ]
        body = render(sections, when=when)
        title = rng.choice(
            [
                f"Limit request: {proj}",
                f"Upload limit increase for {proj}",
                f"Request for file size limit increase: {proj}",
                f"{proj} size limit",
            ]
        )
        add(
            title,
            body,
            when=when,
            category=LIMIT,
            form=LIMIT,
            login=login,
            note=f"2021 combined limit form ({which.lower()} limit).",
        )


FREE_LIMIT = [
    (
        "Please raise the upload limit for my CUDA wheels",
        "Hi! please raise the upload limit for my CUDA wheels, project {proj}. Each wheel is ~240 MB. Would 300 MB be possible?",
        False,
    ),
    (
        "Upload failed: File too large",
        "```\nHTTPError: 400 Bad Request from https://upload.pypi.org/legacy/\nFile too large. Limit for project '{proj}' is 100 MB. See https://pypi.org/help/#file-size-limit for more information.\n```\nCan you increase it to 200 MB?",
        False,
    ),
    (
        "Project size limit reached",
        "Our project {proj} has reached the 10 GB total size. We publish nightly builds. Could you increase the project limit to 20 GB? We'll also clean up old nightlies.",
        False,
    ),
    (
        "Increase file size limit for {proj}",
        "{proj} 需要上传大约 450MB 的 wheel 文件（包含 CUDA 库），请把文件大小限制提高到 500MB。谢谢！",
        False,
    ),
    ("limit", "{proj} 150mb pls", False),
    (
        "TestPyPI upload limit",
        "I'm testing the release pipeline of {proj} on test.pypi.org and the wheel is 130 MB; TestPyPI refuses it. Can the limit be raised on TestPyPI to 200 MB?",
        True,
    ),
]


def gen_free_limit():
    for title, text, testpypi in FREE_LIMIT:
        when = pick_date("any")
        proj = new_project()
        note = "Free-text limit request."
        if testpypi:
            note += " TestPyPI: staff add `test pypi issue`."
        add(
            title.format(proj=proj),
            text.format(proj=proj),
            when=when,
            category=LIMIT,
            sub=[TESTPYPI] if testpypi else [],
            form=None,
            note=note,
        )


def gen_limit_on_wrong_form():
    when = pick_date("form_X")
    login = new_login()
    proj = new_project()
    body = recovery_form(
        login,
        f"Not a recovery, sorry, I couldn't find the right template. I need the file size limit for {proj} raised to 250 MB because of the bundled CUDA runtime.",
        when,
    )
    add(
        "Account recovery request",
        body,
        when=when,
        category=LIMIT,
        form=RECOVERY,
        login=login,
        note="Limit request on the recovery form with the recovery title; staff relabel to `limit request`.",
    )
    when = pick_date("form_X")
    login = new_login()
    proj = new_project()
    body = pep541_form(
        when,
        proj=proj,
        user=login,
        reasons="Our project is ours, no claim needed - we only need the total project size limit increased to 30 GB because of many platform wheels.",
        mr="",
        repos=repo_url(login, proj),
        contact="",
    )
    add(
        f"PEP 541 Request: {proj}",
        body,
        when=when,
        category=LIMIT,
        form=PEP541,
        login=login,
        note="Project size limit request filed on the PEP 541 form.",
    )


# --------------------------------------------------------------------------------------------
# Mass name squat, spam, security
# --------------------------------------------------------------------------------------------


def squat_form(when, user_value, info):
    return render(
        [
            ("PyPI user performing the mass project name squatting", user_value),
            ("Additional information", info),
            ("Code of Conduct", [COC]),
        ],
        when=when,
    )


def gen_mass_squat():
    cases = [
        (
            "https://pypi.org/user/{s}/",
            "This user registered {n} projects in two days, all version 0.0.1 with no code, names copied from popular GitHub repos.",
            True,
        ),
        ("{s}", "", False),
        (
            "{s} and {s2} (same pattern)",
            "Both accounts upload empty packages named after common words: {a}, {b}, ... Over 200 projects so far.",
            True,
        ),
        (
            "`{s}`",
            "Looks like someone reserving every `<company>-sdk` name. Examples: {a}, {b}.",
            True,
        ),
        (
            "{s}",
            "Hi 👋 Found these while searching for a name for my project. All empty:\n\n- {a}\n- {b}\n- {c}\n\nThanks for looking!",
            True,
        ),
    ]
    for i, (uv, info, edited) in enumerate(cases):
        when = pick_date("recent")
        s, s2 = new_login(), new_login()
        fmt = {
            "s": s,
            "s2": s2,
            "n": rng.randint(40, 300),
            "a": new_project(),
            "b": new_project(),
            "c": new_project(),
        }
        body = squat_form(when, uv.format(**fmt), info.format(**fmt))
        title = f"Mass name squat by user: {s}" if edited else "Mass name squat by user: USERNAME"
        note = "Mass name squatting report on its own form."
        if not edited:
            note += " Title left as USERNAME; no additional information."
        add(title, body, when=when, category=SQUAT, form=SQUAT, note=note, crlf=i == 4)


def gen_spam():
    for info in [
        "This user is uploading spam packages: casino and 'free followers' links in the README, new ones every hour. e.g. {a}, {b}",
        "Lots of SEO spam projects (descriptions full of pharmacy links) from this account.",
    ]:
        when = pick_date("recent")
        s = new_login()
        body = squat_form(
            when, f"https://pypi.org/user/{s}/", info.format(a=new_project(), b=new_project())
        )
        add(
            f"Mass name squat by user: {s}",
            body,
            when=when,
            category=SQUAT,
            misfiling="spam",
            form=SQUAT,
            note="Spam report on the mass-squat form. Same admin action (remove the user's projects); staff keep `mass name squat`.",
        )
    when = pick_date("recent")
    s = new_login()
    add(
        "Spam packages",
        f"Hey, the user {s} is publishing hundreds of packages whose descriptions are ads for a crypto exchange. Please take them down.",
        when=when,
        category=None,
        misfiling="spam",
        form=None,
        note="Free-text spam report, not on the mass-squat form: on the real tracker staff leave these without a category (the reply points to 'Report project as malware').",
    )


def gen_security():
    when = pick_date("recent")
    s = new_login()
    body = squat_form(
        when,
        f"https://pypi.org/user/{s}/",
        "This user uploads typo-named copies of popular packages that run code on install and send data to a remote host. Examples: "
        + ", ".join(new_project() for _ in range(3)),
    )
    add(
        f"Mass name squat by user: {s}",
        body,
        when=when,
        category=None,
        misfiling="security",
        form=SQUAT,
        note="Malware report on the mass-squat form: belongs in the private malware report. The bot should flag it to maintainers at once and not repeat the details; staff remove the form label.",
    )
    when = pick_date("recent")
    body = squat_form(
        when,
        "not a squat, a malicious package",
        f"The project {new_project()} contains an obfuscated payload in setup.py. I can share the analysis.",
    )
    add(
        "Malicious package",
        body,
        when=when,
        category=None,
        misfiling="security",
        form=SQUAT,
        note="Malware report on the mass-squat form; should go through the project page's report action.",
    )
    when = pick_date("recent")
    add(
        "Security issue on pypi.org",
        "I found a way to see other users' e-mail addresses via an API endpoint. Steps to reproduce below. (Reporting here because I couldn't find where else.)\n\n[details redacted in this synthetic corpus]",
        when=when,
        category=None,
        misfiling="security",
        form=None,
        note="Vulnerability report filed publicly; security policy asks for private reports. Urgent flag, no details in reply.",
    )
    when = pick_date("recent")
    login = new_login()
    body = recovery_form(
        login,
        f"Not a recovery: the latest release of {new_project()} on PyPI is not what is in the git repository, it looks like someone uploaded a compromised version with a credential stealer. Please pull it.",
        when,
    )
    add(
        "URGENT compromised package",
        body,
        when=when,
        category=None,
        misfiling="security",
        form=RECOVERY,
        login=login,
        note="Report of a compromised release filed on the recovery form; security issue, not recovery.",
    )


# --------------------------------------------------------------------------------------------
# Network
# --------------------------------------------------------------------------------------------

FASTLY_DEFAULT = "```console\n$ curl -s https://www.fastly-debug.com/api/... (paste output)\n```"
DNS_DEFAULT = "```console\n$ dig pypi.org\n```"
TRACE_DEFAULT = "```console\n$ traceroute pypi.org\n```"


def gen_network():
    cases = [
        (
            "pip install extremely slow from Vietnam",
            "Ubuntu 22.04, pip 24.0, home ISP",
            True,
            "Downloads from files.pythonhosted.org run at ~20 KB/s since last week; other sites are fine.",
        ),
        (
            "Cannot reach pypi.org over IPv6",
            "Debian 12, dual-stack network",
            True,
            "IPv4 works, IPv6 connections to pypi.org time out.",
        ),
        (
            "Timeouts connecting to files.pythonhosted.org",
            "Windows 11, Python 3.12, corporate network",
            False,
            "",
        ),
        (
            "SSL handshake failures",
            "macOS 14, pip 23.3",
            True,
            "`SSLError(SSLEOFError(8, 'EOF occurred in violation of protocol'))` roughly every third request.",
        ),
        (
            "pypi.org unreachable from our datacenter",
            "CentOS Stream 9 build servers",
            True,
            "All 40 build agents fail since this morning.",
        ),
    ]
    for i, (title, platform, filled, extra) in enumerate(cases):
        when = pick_date("recent")
        ip = f"203.0.113.{rng.randint(2, 250)}"
        if filled:
            fastly = (
                "```console\n$ curl -s https://pypi.org/ -o /dev/null -w '%{http_code} %{time_total}\\n'\n200 "
                f"{rng.uniform(8, 40):.2f}\n```"
            )
            dns = (
                "```console\n$ dig +short pypi.org\n151.101.0.223\n151.101.64.223\n151.101.128.223\n151.101.192.223\n```"
                if i != 1
                else "```console\n$ dig +short AAAA pypi.org\n2a04:4e42::223\n2a04:4e42:200::223\n```"
            )
            trace = (
                "```console\n$ traceroute pypi.org\n 1  192.168.1.1  1.2 ms\n 2  "
                + ip
                + "  8.9 ms\n 3  * * *\n 4  * * *\n 5  151.101.0.223  180.4 ms\n```"
            )
        else:
            fastly, dns, trace = FASTLY_DEFAULT, DNS_DEFAULT, TRACE_DEFAULT
        sections = [
            ("My Platform", platform),
            ("Fastly Debug", fastly if i != 4 else ""),
            ("DNS Resolution", dns),
            ("Traceroutes / IPv4", trace),
            (
                "Traceroutes / IPv6",
                ""
                if i != 1
                else "```console\n$ traceroute6 pypi.org\n 1  fe80::1  1.0 ms\n 2  * * *\n 3  * * *\n```",
            ),
            ("Additional information", extra),
            ("Code of Conduct", [COC]),
        ]
        body = render(sections, when=when)
        note = "Network access problem on the network form."
        if not filled:
            note += " Console blocks left as pre-filled; no data."
        add(title, body, when=when, category=NETWORK, form=NETWORK, note=note, crlf=i == 2)


# --------------------------------------------------------------------------------------------
# Organizations
# --------------------------------------------------------------------------------------------


def gen_org():
    when = pick_date("recent")
    login = new_login()
    body = recovery_form(
        login,
        "Not really account recovery: our organization request 'quokka-analytics' has been pending for 3 months. Can someone approve it?",
        when,
    )
    add(
        "Account recovery request",
        body,
        when=when,
        category=ORG,
        misfiling="organization",
        form=RECOVERY,
        login=login,
        note="Organization approval question on the recovery form; goes to the org support e-mail. Staff relabel to `org support/request`.",
    )
    when = pick_date("recent")
    login = new_login()
    body = pep541_form(
        when,
        proj="northwind",
        user=login,
        reasons="We'd like the organization name `northwind` on PyPI, but it's taken by an inactive organization. We are Northwind Robotics.",
        mr="",
        repos="https://github.com/northwind-robotics",
        contact="",
    )
    add(
        "PEP 541 Request: northwind (organization)",
        body,
        when=when,
        category=ORG,
        misfiling="organization",
        form=PEP541,
        login=login,
        note="Wants an organization name, not a project: org support, not PEP 541.",
    )
    when = pick_date("recent")
    proj = new_project()
    body = render(
        [
            ("Project URL", f"https://pypi.org/project/{proj}"),
            ("Does this project already exist?", "Yes"),
            ("New Limit", "0 MiB"),
            (
                "Update issue title",
                ["I have updated the title to include the project name and the requested limit"],
            ),
            ("Which indexes", "PyPI"),
            ("About the project", "Company SDK"),
            (
                "Reasons for the request",
                "Sorry, wrong template - we need our organization account upgraded to a company organization and billing sorted out. Who do we talk to?",
            ),
            ("Code of Conduct", [COC]),
        ],
        when=when,
    )
    add(
        f"File Limit Request: {proj} - 000 MiB",
        body,
        when=when,
        category=ORG,
        misfiling="organization",
        form=LIMIT,
        note="Organization billing/upgrade question on the file-limit form with placeholders; org support.",
    )
    when = pick_date("recent")
    add(
        "Organization request pending",
        "Hello, we submitted an organization request for 'Bluefjord' on PyPI about 6 weeks ago and it's still pending. Is there anything we need to do? Thanks 🙂",
        when=when,
        category=ORG,
        misfiling="organization",
        form=None,
        note="Free-text organization approval question.",
    )


# --------------------------------------------------------------------------------------------
# No category
# --------------------------------------------------------------------------------------------


def gen_none():
    cases = [
        (
            "How do I publish my package?",
            "I made a python package and want to put it on PyPI so people can pip install it. What are the steps? Do I need to ask here first?",
            "General how-to question.",
        ),
        (
            "Feature request: dark mode for pypi.org",
            "Would be great to have a dark theme 🌙",
            "Feature request for the website; belongs on the warehouse tracker.",
        ),
        (
            "Download statistics show zero",
            "My project has downloads according to pip logs of our users, but the stats page says 0. Is something wrong?",
            "Download stats question, no support category.",
        ),
        (
            "README not rendering",
            "My project description shows raw markdown on the project page. I uploaded with setuptools.",
            "Packaging question (long_description_content_type); no category.",
        ),
        (
            "Can I reserve a name for an upcoming project?",
            "We plan to release a library next year; can PyPI reserve the name for us without uploading anything?",
            "Name reservation question; PyPI does not reserve names. Not a PEP 541 claim.",
        ),
        (
            "Trusted publishing fails with invalid-publisher",
            "GitHub Actions upload fails with `invalid-publisher: valid token, but no corresponding publisher`. Workflow name is release.yml.",
            "Trusted publishing configuration question.",
        ),
        (
            "Where do I report a pip bug?",
            "pip 24 crashes when resolving my requirements. Is this the right place?",
            "Wrong tracker (pip); no category.",
        ),
        (
            "Re-upload the same version?",
            "I uploaded 1.0.0 with a broken wheel and deleted it. Now I can't upload 1.0.0 again ('File already exists'). Can you allow it?",
            "Filename reuse question; policy forbids, no category.",
        ),
        ("Help", "help", "Just 'help' with no form title; nothing to classify."),
        ("test", None, "Empty test issue."),
        (
            "Suggestion: show maintainers' other projects",
            "It would be useful if project pages linked to the other projects by the same maintainers.",
            "Feature request; no category.",
        ),
    ]
    for title, body, note in cases:
        when = pick_date("any")
        add(title, body, when=when, category=None, form=None, note=note, crlf=False)


# --------------------------------------------------------------------------------------------
# Assemble
# --------------------------------------------------------------------------------------------


def number_for(when: dt.datetime) -> int:
    anchors = [
        (2019, 1, 40),
        (2020, 1, 260),
        (2021, 1, 780),
        (2022, 1, 1560),
        (2023, 1, 2480),
        (2024, 1, 3390),
        (2025, 1, 5230),
        (2026, 1, 7610),
    ]
    pts = [(dt.datetime(y, m, 1, tzinfo=dt.UTC), n) for y, m, n in anchors]
    for (t0, n0), (t1, n1) in itertools.pairwise(pts):
        if t0 <= when < t1:
            frac = (when - t0) / (t1 - t0)
            return int(n0 + frac * (n1 - n0))
    return pts[-1][1]


def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build() -> list[dict]:
    gen_recovery_form(26, "form_X_late")
    gen_recovery_form(8, "form_X")
    gen_recovery_form(8, "form_x")
    gen_recovery_special_forms()
    gen_recovery_old()
    gen_recovery_free()
    gen_recovery_short()
    gen_unverified()
    gen_testpypi_recovery()
    gen_username_change_and_deletion()
    gen_recovery_on_wrong_form()

    gen_pep541_form(24)
    gen_pep541_bold(6)
    gen_pep541_free()
    gen_name_squat()
    gen_similar()
    gen_prohibited()
    gen_someone_else()

    gen_file_limit(16, testpypi_idx=(3, 11), placeholder_idx=(5, 9, 14))
    gen_project_limit(10, testpypi_idx=(6,))
    gen_combined_limit(6)
    gen_free_limit()
    gen_limit_on_wrong_form()

    gen_mass_squat()
    gen_spam()
    gen_security()
    gen_network()
    gen_org()
    gen_none()

    ISSUES.sort(key=lambda i: i["created"])
    contributors = set(rng.sample(range(len(ISSUES)), 6))
    out = []
    last = 0
    for idx, item in enumerate(ISSUES):
        created = item["created"]
        number = max(last + 1, number_for(created) + rng.randint(-3, 3))
        last = number
        age_days = (NOW - created).days
        if age_days < 45:
            closed = maybe(0.35)
        elif age_days < 120:
            closed = maybe(0.75)
        else:
            closed = maybe(0.96)
        updated = created + dt.timedelta(
            minutes=rng.randint(30, 60 * 24 * min(120, max(1, age_days)))
        )
        updated = min(updated, NOW - dt.timedelta(hours=1))
        out.append(
            {
                "number": number,
                "html_url": f"https://github.com/pypi/support/issues/{number}",
                "title": item["title"],
                "body": item["body"],
                "user": {"login": item["login"], "type": "User"},
                "author_association": "CONTRIBUTOR" if idx in contributors else "NONE",
                "labels": [{"name": name} for name in item["labels"]],
                "state": "closed" if closed else "open",
                "created_at": iso(created),
                "updated_at": iso(updated),
                "closed_at": iso(updated) if closed else None,
                "comments": 0,
                "_expected": item["_expected"],
            }
        )
    return out


def summary(issues: list[dict]) -> str:
    cats = Counter(i["_expected"]["category"] for i in issues)
    mis = Counter(i["_expected"]["misfiling"] for i in issues if i["_expected"]["misfiling"])
    subs = Counter(s for i in issues for s in i["_expected"]["sub_labels"])
    lines = [f"total: {len(issues)}", "by category:"]
    lines += [f"  {k!s:22} {v}" for k, v in sorted(cats.items(), key=lambda kv: -kv[1])]
    lines.append("by sub-label:")
    lines += [f"  {k:22} {v}" for k, v in sorted(subs.items(), key=lambda kv: -kv[1])]
    lines.append(f"misfilings: {sum(mis.values())}")
    lines += [f"  {k:22} {v}" for k, v in sorted(mis.items(), key=lambda kv: -kv[1])]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    issues = build()
    text = json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
    if "--check" in argv:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is out of date; run {Path(__file__).name}", file=sys.stderr)
            return 1
    else:
        OUT.write_text(text, encoding="utf-8", newline="\n")
    print(summary(issues))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
