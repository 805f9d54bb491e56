"""Runs a composite action's steps the way the GitHub Actions runner does,
enough to test mimeo's action here: inputs with their defaults, `${{ }}` in
step `env` and output values (inputs.*, steps.*.outputs.*; anything else is
refused, so the action stays within what this tests), each `run` through
`bash --noprofile --norc -eo pipefail FILE` with GITHUB_ACTION_PATH,
GITHUB_OUTPUT, GITHUB_ENV and RUNNER_TEMP, and a step that does not end in
time fails (as a background process holding the step's output would make
it hang on a runner)."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class Result:
    ok: bool
    outputs: dict
    env: dict
    log: str = ""
    failed_step: str | None = None


def read_output_file(path: Path) -> dict:
    """`name=value` lines and `name<<DELIMITER` blocks, as the runner reads them."""
    out, lines = {}, path.read_text().splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            out[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
            continue
        name, value = line.split("=", 1)
        out[name] = value
        i += 1
    return out


@dataclass
class Runner:
    temp: Path
    env: dict = field(default_factory=dict)  # what GITHUB_ENV carried so far

    def run(self, action_dir: Path, inputs: dict | None = None, timeout: float = 120) -> Result:
        action = yaml.safe_load((action_dir / "action.yml").read_text())
        assert action["runs"]["using"] == "composite"
        declared = action.get("inputs", {})
        given = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in (inputs or {}).items()}
        unknown = set(given) - set(declared)
        assert not unknown, f"inputs the action does not declare: {unknown}"
        values = {name: given.get(name, str(spec.get("default", ""))) for name, spec in declared.items()}
        steps: dict = {}

        def evaluate(text: str) -> str:
            def one(m: re.Match) -> str:
                expr = m.group(1)
                if expr.startswith("inputs."):
                    return values[expr[len("inputs."):]]
                parts = expr.split(".")
                if len(parts) == 4 and parts[0] == "steps" and parts[2] == "outputs":
                    return steps.get(parts[1], {}).get(parts[3], "")
                raise AssertionError(f"expression this runner does not evaluate: {expr}")

            return EXPRESSION.sub(one, str(text))

        log = []
        for index, step in enumerate(action["runs"]["steps"]):
            name = step.get("id", f"step {index}")
            assert step.get("shell") == "bash", f"{name}: only `shell: bash` steps are run here"
            assert "if" not in step, f"{name}: `if` is not evaluated here"
            script = self.temp / f"step-{name}.sh"
            script.write_text(evaluate(step["run"]))
            output_file = self.temp / f"output-{name}"
            env_file = self.temp / f"env-{name}"
            output_file.write_text("")
            env_file.write_text("")
            env = dict(os.environ)
            env.update(self.env)
            env.update(
                GITHUB_ACTION_PATH=str(action_dir),
                GITHUB_OUTPUT=str(output_file),
                GITHUB_ENV=str(env_file),
                RUNNER_TEMP=str(self.temp),
            )
            env.update({k: evaluate(v) for k, v in (step.get("env") or {}).items()})
            try:
                done = subprocess.run(
                    ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                    env=env,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    timeout=timeout,
                )
            except subprocess.TimeoutExpired as e:
                raise AssertionError(f"{name}: the step did not end within {timeout}s") from e
            log.append(done.stdout + done.stderr)
            steps[name] = read_output_file(output_file)
            self.env.update(read_output_file(env_file))
            if done.returncode != 0:
                return Result(False, {}, dict(self.env), "".join(log), name)
        outputs = {k: evaluate(v["value"]) for k, v in action.get("outputs", {}).items()}
        return Result(True, outputs, dict(self.env), "".join(log))
