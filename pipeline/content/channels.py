"""Loading and checking content/channels.yml."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import yaml
from pydantic import ValidationError

from pipeline.cadence import policy
from pipeline.content.model import Channel, Config
from pipeline.content.placing import KeyPlacer
from pipeline.content.schema import ChannelConfig, ChannelsFile, Utm
from pipeline.content.schema_errors import schema_findings
from pipeline.content.utm import utm_problem
from pipeline.content.yamlload import describe_yaml_error, load_yaml
from pipeline.errors import ERROR, Finding
from pipeline.files import RegularFiles, UnsafeFile
from pipeline.networks import network_class, network_names
from pipeline.networks.base import Capability
from pipeline.times import TimeError, load_zone, parse_duration

CONFIG_FILE = "content/channels.yml"
MAX_CONFIG_BYTES = 1_000_000
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
CHANNEL_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
MAX_CHANNEL_ID = 50
COMMON_CHANNEL_KEYS = frozenset(ChannelConfig.model_fields)


def load_config(root: Path) -> tuple[Config | None, list[Finding]]:
    """Read channels.yml; on any error return None and every finding."""
    path = root / CONFIG_FILE
    if not path.exists() and not path.is_symlink():
        return None, [Finding(CONFIG_FILE, 1, 1, ERROR, "config-missing",
                              f"content/channels.yml is missing in {root.resolve()}, nor is it in a folder "
                              "above (up to the top of a git repository): run the command inside the "
                              "repository or give --root. It names the time zone and the channels; "
                              "for a new repository, copy the one from the example content")]
    try:
        raw = RegularFiles(root).read(CONFIG_FILE, MAX_CONFIG_BYTES, "channels.yml")
    except UnsafeFile as problem:
        return None, [Finding(CONFIG_FILE, 1, 1, ERROR, problem.code, problem.message)]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [Finding(CONFIG_FILE, line, column, ERROR, "encoding",
                              f"the file is not UTF-8 (byte 0x{raw[exc.start]:02x} cannot be "
                              "read); save it as UTF-8")]
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        # never str(exc): it may quote the line, and a pasted secret with it
        line, column, code, problem = describe_yaml_error(exc, text)
        return None, [Finding(CONFIG_FILE, line, column, ERROR, code,
                              f"YAML syntax error: {problem}")]
    place = KeyPlacer(text, 1)
    if not isinstance(data, dict):
        return None, [Finding(CONFIG_FILE, 1, 1, ERROR, "config-invalid",
                              "channels.yml must be a mapping of keys to values, starting "
                              "with timezone: (e.g. Europe/Berlin) and channels:, not "
                              + ("nothing" if data is None else f"a {type(data).__name__}"))]
    try:
        parsed = ChannelsFile.model_validate(data)
    except ValidationError as exc:
        return None, schema_findings(exc, ChannelsFile, CONFIG_FILE, place)

    findings: list[Finding] = []
    try:
        zone = load_zone(parsed.timezone)
    except TimeError as exc:
        line, column = place(("timezone", "<value>"))
        findings.append(Finding(CONFIG_FILE, line, column, ERROR, exc.code, exc.message))
    default_lateness = _duration(parsed.defaults.max_lateness, ("defaults", "max_lateness"),
                                 place, findings)
    default_profile_age = _duration(parsed.defaults.profile_max_age, ("defaults", "profile_max_age"),
                                    place, findings)
    default_cadence = _default_cadence(parsed.defaults.cadence, place, findings)

    channels: dict[str, Channel] = {}
    for channel_id, settings in parsed.channels.items():
        channel = _channel(channel_id, settings, default_cadence, default_lateness, place, findings,
                           default_profile_age)
        if channel:
            channels[channel_id] = channel
    if findings:
        return None, findings
    config = Config(zone=zone, week_start=parsed.week_start, channels=channels)
    return config, capability_findings(config, place)


def capability_findings(config: Config, place) -> list[Finding]:
    """Channels whose network cannot publish: errors at their `network:`, but the file still loads.

    Counting and rendering for such a network work (`social render`, `social count`), so
    the rest of the content can still be checked against the channel.
    """
    findings = []
    for channel in config.channels.values():
        network = network_class(channel.network)
        if not network.can(Capability.PUBLISH):
            line, column = place(("channels", channel.id, "network", "<value>"))
            findings.append(Finding(CONFIG_FILE, line, column, ERROR, "network-cannot-publish",
                                    f"channel {channel.id!r}: this version cannot publish to "
                                    f"{network.title or network.name}: its texts are counted, but no "
                                    "post would ever go out; remove the channel or choose another "
                                    "network"))
    return findings


def _duration(value, path, place, findings):
    try:
        return parse_duration(value)
    except ValueError as exc:
        line, column = place((*path, "<value>"))
        findings.append(Finding(CONFIG_FILE, line, column, ERROR, "duration-invalid",
                                f"{path[-1]}: {exc}"))
        return None


def _problems(problems: list[policy.Problem], place, findings: list[Finding]) -> None:
    for problem in problems:
        line, column = place(problem.path)
        findings.append(Finding(CONFIG_FILE, line, column, ERROR, problem.code, problem.message))


def _default_cadence(raw, place, findings):
    """The rules of defaults.cadence, checked once here rather than in every channel."""
    layers, problems = policy.parse_layer(raw, ("defaults", "cadence"))
    rules, merge_problems = policy.merge(layers, {}, "defaults")
    _problems(problems + merge_problems, place, findings)
    _problems(policy.contradictions(rules, [], ("defaults",), "defaults"), place, findings)
    return layers


def _cadence(channel_id, settings: ChannelConfig, default_cadence, place, findings):
    """The channel's rules merged over the defaults, with its slots checked against them."""
    here = ("channels", channel_id)
    layers, problems = policy.parse_layer(settings.cadence, (*here, "cadence"))
    where = f"channel {channel_id!r}"
    rules, merge_problems = policy.merge(default_cadence, layers, where)
    slots, slot_problems = policy.parse_slots(settings.slots, (*here, "slots"))
    mine = [p for p in merge_problems if p.path[:2] == here]
    _problems(problems + mine + slot_problems, place, findings)
    _problems(policy.contradictions(rules, slots, here, where), place, findings)
    return rules


def _channel(channel_id, settings: ChannelConfig, default_cadence, default_lateness, place, findings,
             default_profile_age=None):
    here = ("channels", channel_id)
    before = len(findings)

    def report(path: tuple, code: str, message: str) -> None:
        line, column = place(here + path)
        findings.append(Finding(CONFIG_FILE, line, column, ERROR, code, message))

    if not CHANNEL_ID.match(channel_id):
        report((), "channel-id-invalid", f"channel id {channel_id!r} may only hold lowercase "
               "letters, digits, '-' and '_'")
    elif len(channel_id) > MAX_CHANNEL_ID:
        report((), "channel-id-invalid", f"channel id is {len(channel_id)} characters long; at "
               f"most {MAX_CHANNEL_ID} (it names folders, pages and feeds): shorten it")
    names = network_names()
    if settings.network not in names:
        guess = difflib.get_close_matches(settings.network, names, n=1)
        hint = f"did you mean {guess[0]!r}?" if guess else f"known networks: {', '.join(names)}"
        report(("network", "<value>"), "network-unknown",
               f"channel {channel_id!r}: unknown network {settings.network!r}; {hint}")
        return None
    network = network_class(settings.network)

    for name, variable in settings.credentials.items():
        if not ENV_NAME.match(variable):
            # Never echo the value: someone may have pasted the secret itself here.
            report(("credentials", name, "<value>"), "credential-not-env-name",
                   f"channel {channel_id!r}: credentials.{name} must be the NAME of an "
                   f"environment variable (like {channel_id.upper().replace('-', '_')}_"
                   f"{name.upper()}), not the secret itself; keep secrets in the environment")
    extras = dict(settings.model_extra or {})
    options = None
    try:
        options = network.Options.model_validate(extras)
    except ValidationError as exc:
        for finding in schema_findings(exc, network.Options, CONFIG_FILE, place, prefix=here,
                                       also_known=COMMON_CHANNEL_KEYS):
            findings.append(finding)
    # Which credentials a channel needs may depend on its settings (Slack: a bot token or an
    # incoming webhook's URL; X: one set for each way of signing in).
    needed = (network.credential_names(options, settings.credentials) if options is not None
              else network.required_credentials)
    for name in needed:
        if name not in settings.credentials:
            report(("credentials",) if settings.credentials else ("network",), "credential-missing",
                   f"channel {channel_id!r}: {network.name} needs credentials.{name}: the name "
                   f"of the environment variable holding it")

    if settings.utm:
        for key, value in settings.utm.model_dump().items():
            problem = utm_problem(value) if value is not None else None
            if problem:
                report(("utm", key, "<value>"), "utm-invalid", f"channel {channel_id!r}: utm.{key}: {problem}")

    lateness = default_lateness
    if settings.max_lateness is not None:
        lateness = _duration(settings.max_lateness, (*here, "max_lateness"), place, findings)
    profile_age = default_profile_age
    if settings.profile_max_age is not None:
        profile_age = _duration(settings.profile_max_age, (*here, "profile_max_age"), place, findings)
    cadence = _cadence(channel_id, settings, default_cadence, place, findings)
    if len(findings) > before:
        return None
    return Channel(
        id=channel_id,
        network=settings.network,
        credentials=dict(settings.credentials),
        options=options,
        cadence=cadence,
        slots=tuple(settings.slots),
        template=settings.template,
        max_lateness=lateness,
        line=place(here)[0],
        hashtags=settings.hashtags,
        thread_numbering=settings.thread_numbering,
        threads=settings.threads,
        utm=None if settings.utm is False else (settings.utm or Utm()).model_dump(),
        profile_max_age=profile_age,
    )
