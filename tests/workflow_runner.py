"""A dry run of a GitHub Actions job on this machine: its `run:` steps, for real, in a fake runner.

What is real: each `run:` script, run by `bash -e` as Actions does, with the step's and
the job's `env:` (expressions filled from a context the test gives), the `if:` of every
step and job (a small evaluator of the expressions the workflows use), and the files
Actions provides: GITHUB_STEP_SUMMARY, GITHUB_OUTPUT (read back into step outputs),
GITHUB_EVENT_PATH, GITHUB_ENV, GITHUB_BASE_REF, GITHUB_WORKSPACE, RUNNER_TEMP.

A matrix job (`strategy.matrix.include: ${{ fromJSON(needs.<job>.outputs.<name>) }}`) runs
once per entry the test asks for: `matrix_entries` reads the entries from the context (the
listing job's `job_outputs`, as Actions passes them on), `run(job, matrix=entry)` puts one
entry's values into `matrix.*`.

What is stubbed:
- `uses:` steps: actions/checkout calls a function of the test (which has prepared the
  workspace from a local bare repository); setup-python does nothing (the venv's bin is
  first on PATH); upload-artifact / download-artifact copy to and from a local folder;
  (with `pattern`, every artifact whose name matches, merged as with `merge-multiple`);
  upload-pages-artifact checks the folder exists; deploy-pages only sets page_url;
  cache/restore and cache/save copy to and from a local folder of caches by key (the
  newest whose key starts with a restore key, as Actions restores).
- steps that need the network: `pip install` (the package is already installed in the venv).
- `gh`: a script on PATH that records its arguments (and the files given with
  --input / --body-file) and prints canned answers the test chose: printed as they are
  (`stdout`), or an API response (`json`) that the call's own `--jq` filter turns into
  what gh would print (through the system's jq, which the workflows use too).
  An answer with `issues` (a list of {"number", "body"}) is what GitHub holds: the call's own
  `--jq` program runs over it, with jq, as gh does.
- environments: a job's `environment:` (filled with its matrix entry) picks the test's
  secrets of that name, `environments={"publish-cafe": {"MASTODON_TOKEN": ...}}`; as on
  GitHub, they take the place of the repository's (`secrets.*` in the context) of the same
  name. `JobRun.env` keeps the env each step was given, so a test can see who got what.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

VENV_BIN = Path(sys.executable).parent
GH_STUB = r'''#!PYTHON
"""gh, stubbed: record the call, answer from responses.json (first matching argument prefix)."""
import json, os, subprocess, sys
from pathlib import Path
folder = Path(os.environ["GH_STUB_DIR"])
args = sys.argv[1:]
files = {}
for flag in ("--input", "--body-file"):
    if flag in args:
        files[flag] = Path(args[args.index(flag) + 1]).read_text(encoding="utf-8")
with (folder / "calls.jsonl").open("a", encoding="utf-8") as log:
    log.write(json.dumps({"args": args, "files": files}) + "\n")
for prefix, answer in json.loads((folder / "responses.json").read_text()):
    if args[:len(prefix)] == prefix:
        if "json" in answer:
            data = json.dumps(answer["json"])
            if "--jq" in args:  # gh prints the filter's strings raw, as jq -r does
                data = subprocess.run(["jq", "-r", args[args.index("--jq") + 1]], input=data, text=True,
                                      capture_output=True, check=True).stdout
            sys.stdout.write(data)
        elif "issues" in answer and "--jq" in args:
            program = args[args.index("--jq") + 1]
            sys.stdout.write(subprocess.run(["jq", "-r", program], input=json.dumps(answer["issues"]),
                                            capture_output=True, text=True, check=True).stdout)
        else:
            sys.stdout.write(answer.get("stdout", ""))
        sys.exit(answer.get("exit", 0))
'''


def load_workflow(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as true
        data["on"] = data.pop(True)
    return data


_TOKEN = re.compile(r"\s*('(?:[^']|'')*'|&&|\|\||==|!=|!|\(|\)|[A-Za-z_][\w.-]*(?:\(\))?|\d+)")


class Expressions:
    """`${{ ... }}` over a flat context ({"github.base_ref": "main", "steps.x.outcome": ...})."""

    def __init__(self, context: dict):
        self.context = context

    def value(self, name: str):
        literals = {"true": True, "false": False, "null": None}
        if name in literals:
            return literals[name]
        if name.isdigit():
            return int(name)
        if name not in self.context and re.match(r"(steps|needs)\.[\w-]+\.outputs\.", name):
            return None  # as in Actions: an output a step did not set is empty
        if name not in self.context:
            raise KeyError(f"the dry run has no value for {name!r}")
        return self.context[name]

    def evaluate(self, text: str, status: dict):
        """An `if:` or `${{ }}` expression: names, literals, == != ! && || ( ) and status functions."""
        text = text.strip()
        if text.startswith("${{") and text.endswith("}}"):
            text = text[3:-2]
        python, pos = [], 0
        while pos < len(text.rstrip()):
            match = _TOKEN.match(text, pos)
            if not match:
                raise ValueError(f"cannot read {text!r} at {pos}")
            token, pos = match.group(1), match.end()
            if token.startswith("'"):
                python.append(repr(token[1:-1].replace("''", "'")))
            elif token in ("&&", "||"):
                python.append(" and " if token == "&&" else " or ")
            elif token in ("==", "!=", "(", ")"):
                python.append(f" {token} ")
            elif token == "!":
                python.append(" not ")
            elif token.endswith("()"):
                python.append(repr(status[token[:-2]]))
            else:
                python.append(f"_v({token!r})")
        return eval("".join(python), {"_v": self.value})  # our own workflow files, never input

    def fill(self, text: str, status: dict) -> str:
        def one(match: re.Match) -> str:
            found = self.evaluate(match.group(1), status)
            return "" if found is None else str(found).lower() if isinstance(found, bool) else str(found)

        return re.sub(r"\$\{\{(.*?)\}\}", one, str(text))


@dataclass
class JobRun:
    outcomes: dict[str, str] = field(default_factory=dict)  # step id (or name) -> success|failure|skipped
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    logs: dict[str, str] = field(default_factory=dict)
    stubbed: list[str] = field(default_factory=list)
    conclusion: str = "success"
    #: the job's `outputs:`, filled from its steps' (what `needs.<job>.outputs` gives later jobs)
    job_outputs: dict[str, str] = field(default_factory=dict)
    #: the env each step that ran was given (its own, the job's and the workflow's), by step key
    env: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class FakeRunner:
    """One job of one workflow, run in `workspace` with a fake GITHUB_* environment."""

    workflow: Path
    workspace: Path
    home: Path  # where the fake runner keeps summaries, outputs, artifacts and the gh stub
    context: dict
    checkout: Callable[[dict], None] = lambda with_: None
    gh_responses: list = field(default_factory=list)
    #: each environment's secrets, by the environment's name (see the module's docstring)
    environments: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self):
        self.home.mkdir(parents=True, exist_ok=True)
        self.artifacts = self.home / "artifacts"
        self.caches = self.home / "caches"  # Actions' cache of this repository, by key
        self.context = {"github.run_id": 1, "github.run_attempt": 1, **self.context}
        self.summary = self.home / "step_summary.md"
        self.bin = self.home / "bin"
        self.bin.mkdir(exist_ok=True)
        gh = self.bin / "gh"
        gh.write_text(GH_STUB.replace("PYTHON", sys.executable, 1), encoding="utf-8")
        gh.chmod(0o755)
        event = self.home / "event.json"
        event.write_text(json.dumps(self.context.get("github.event", {})), encoding="utf-8")
        self.event_path = event

    def gh_calls(self) -> list[dict]:
        log = self.home / "gh" / "calls.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def matrix_entries(self, job_id: str) -> list[dict]:
        """The entries of a job's `strategy.matrix.include: ${{ fromJSON(...) }}`, from the context."""
        include = load_workflow(self.workflow)["jobs"][job_id]["strategy"]["matrix"]["include"]
        found = re.fullmatch(r"\$\{\{\s*fromJSON\(([\w.-]+)\)\s*\}\}", str(include).strip())
        if not found:
            raise AssertionError(f"the dry run reads only include: ${{{{ fromJSON(...) }}}}, not {include!r}")
        return json.loads(Expressions(self.context).value(found.group(1)))

    def run(self, job_id: str, matrix: dict | None = None) -> JobRun:
        data = load_workflow(self.workflow)
        job = data["jobs"][job_id]
        if ("strategy" in job) != (matrix is not None):
            raise AssertionError(f"{job_id}: give matrix= exactly when the job has a strategy.matrix")
        (self.home / "gh").mkdir(exist_ok=True)
        (self.home / "gh" / "responses.json").write_text(json.dumps(self.gh_responses))
        result = JobRun()
        context = {"runner.temp": str(self.home), **self.context}
        context.update({f"matrix.{key}": value for key, value in (matrix or {}).items()})
        expressions = Expressions(context)
        status = {"success": True, "failure": False, "cancelled": False, "always": True}
        if "if" in job and not expressions.evaluate(str(job["if"]), status):
            result.conclusion = "skipped"
            return result
        environment = job.get("environment")
        if isinstance(environment, dict):
            environment = environment.get("name")
        if environment:
            secrets = self.environments.get(expressions.fill(environment, status), {})
            context.update({f"secrets.{name}": value for name, value in secrets.items()})
        for number, step in enumerate(job["steps"]):
            key = step.get("id") or step.get("name") or f"step{number}"
            failed = result.conclusion == "failure"
            status.update(success=not failed, failure=failed)
            condition = step.get("if", "success()")
            if not expressions.evaluate(str(condition), status):
                result.outcomes[key] = "skipped"
                context[f"steps.{key}.outcome"] = "skipped"
                continue
            env = {**{k: expressions.fill(v, status) for k, v in (data.get("env") or {}).items()},
                   **{k: expressions.fill(v, status) for k, v in (job.get("env") or {}).items()},
                   **{k: expressions.fill(v, status) for k, v in (step.get("env") or {}).items()}}
            result.env[key] = env
            try:
                outputs, log = self._step(step, env, expressions, status)
                outcome = "success"
            except StepFailed as failure:
                outputs, log, outcome = failure.outputs, failure.log, "failure"
            result.outcomes[key], result.outputs[key], result.logs[key] = outcome, outputs, log
            context[f"steps.{key}.outcome"] = outcome
            for name, value in outputs.items():
                context[f"steps.{key}.outputs.{name}"] = value
            if outcome == "failure" and not step.get("continue-on-error"):
                result.conclusion = "failure"
        result.job_outputs = {name: expressions.fill(value, status)
                              for name, value in (job.get("outputs") or {}).items()}
        return result

    def _step(self, step: dict, env: dict, expressions: Expressions, status: dict) -> tuple[dict, str]:
        if "uses" in step:
            with_ = {k: expressions.fill(v, status) for k, v in (step.get("with") or {}).items()}
            return self._action(step["uses"].split("@")[0], with_), ""
        script = step["run"]
        if "pip install" in script:
            return {}, "stubbed: pip install (the package is installed in the test's venv)"
        output = self.home / "github_output"
        output.write_text("")
        full_env = {
            "PATH": f"{self.bin}{os.pathsep}{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": str(self.home), "LANG": "C.UTF-8", "CI": "true", "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.workspace), "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_OUTPUT": str(output), "GITHUB_ENV": str(self.home / "github_env"),
            "GITHUB_EVENT_PATH": str(self.event_path), "RUNNER_TEMP": str(self.home),
            "GITHUB_BASE_REF": str(self.context.get("github.base_ref") or ""),
            "GITHUB_RUN_ID": str(self.context.get("github.run_id", "1")),
            "GH_STUB_DIR": str(self.home / "gh"),
            "GIT_CONFIG_GLOBAL": str(self.home / "gitconfig"), "GIT_CONFIG_NOSYSTEM": "1",
            **env,
        }
        done = subprocess.run(["bash", "-e", "-c", script], cwd=self.workspace, env=full_env,
                              capture_output=True, text=True)
        outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        log = done.stdout + done.stderr
        if done.returncode:
            raise StepFailed(outputs, log)
        return outputs, log

    def _action(self, name: str, with_: dict) -> dict:
        if name == "actions/checkout":
            try:
                self.checkout(with_)
            except Exception as error:  # the test's way to make a checkout fail
                raise StepFailed({}, str(error)) from None
        elif name == "actions/upload-artifact":
            target = self.artifacts / with_["name"]
            target.mkdir(parents=True, exist_ok=True)
            matched = glob.glob(str(self.workspace / with_["path"]))
            if not matched:
                raise StepFailed({}, f"no files at {with_['path']}")
            for found in map(Path, matched):
                if found.is_dir():
                    shutil.copytree(found, target, dirs_exist_ok=True)
                else:
                    shutil.copy2(found, target / found.name)
        elif name == "actions/download-artifact":
            if "pattern" in with_:
                assert with_.get("merge-multiple") == "True", "the dry run merges what a pattern matches"
                sources = sorted(self.artifacts.glob(with_["pattern"]))
            else:
                sources = [self.artifacts / with_["name"]]
            if not sources or not all(source.is_dir() for source in sources):
                raise StepFailed({}, f"no artifact {with_.get('name') or with_['pattern']}")
            for source in sources:
                shutil.copytree(source, self.workspace / with_["path"], dirs_exist_ok=True)
        elif name == "actions/upload-pages-artifact":
            if not (self.workspace / with_["path"]).is_dir():
                raise StepFailed({}, f"no site at {with_['path']}")
        elif name == "actions/deploy-pages":
            return {"page_url": "https://example.github.io/site/"}
        elif name == "actions/cache/restore":
            return self._restore_cache(with_)
        elif name == "actions/cache/save":
            target = self.caches / with_["key"]
            # a key, once saved, is never written again; paths that match nothing are only a warning
            found = [Path(match) for line in with_["path"].splitlines() if line.strip()
                     for match in glob.glob(str(self.workspace / line.strip()))]
            if not target.exists() and found:
                for match in found:
                    shutil.copytree(match, target / match.relative_to(self.workspace))
        elif name != "actions/setup-python":
            raise AssertionError(f"the dry run does not know the action {name}")
        return {}


    def _restore_cache(self, with_: dict) -> dict:
        key = with_["key"]
        found = self.caches / key if (self.caches / key).is_dir() else None
        prefixes = [line.strip() for line in with_.get("restore-keys", "").splitlines() if line.strip()]
        if found is None and self.caches.is_dir():
            for prefix in prefixes:
                matches = sorted((p for p in self.caches.iterdir() if p.name.startswith(prefix)),
                                 key=lambda p: p.stat().st_mtime_ns)
                if matches:
                    found = matches[-1]
                    break
        if found is not None:
            shutil.copytree(found, self.workspace, dirs_exist_ok=True)
        return {"cache-hit": str(found is not None and found.name == key).lower(), "cache-primary-key": key,
                "cache-matched-key": found.name if found is not None else ""}


class StepFailed(Exception):
    def __init__(self, outputs: dict, log: str):
        super().__init__(log)
        self.outputs, self.log = outputs, log
