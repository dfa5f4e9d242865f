"""Every shell and Python snippet of README.md and docs/*.md runs as written, in page order,
against a live server: a newcomer pastes a page's blocks into a terminal against `make run`
and each call works.

How a page runs: its ```sh blocks and ```python blocks become one bash script, run in a
scratch directory that holds `.venv`, `sdk` and `examples` of this checkout, with
`set -euo pipefail` and every variable exported (`set -a`), so a Python block reads what
the shell blocks set from its environment. Each Python block runs as a script of its own
with `.venv/bin/python`. `http://127.0.0.1:8000` is the live test server, and
`.venv/bin/shushang` talks to the test database.

The markers a page may use:
- ```sh no-run / ```python no-run: a block that must not run here (`make run`, a server
  that never ends, a machine of its own). Every other sh and python block runs.
- `# expect 409` at the end of a command: a call that demonstrates a refusal. Every `curl`
  of that command must answer exactly that status; every other `curl` must answer 2xx or
  3xx (a 4xx or 5xx fails the page, as `curl --fail` would).
- Other blocks (json, js, text, go) are shapes and synopses: never run. A fence without a
  language, or in a language this test does not know, fails `test_every_block_is_known`.

Pages run one at a time on one live server, each on a freshly reset database, so each
sets up its own prerequisites (an operator key, a merchant, a product, …). A page that runs
`shushang demo` starts instead from a copy of the session's demo world (the `demo_world`
fixture: one load shared, each page still on a database of its own, reset after it), so
its `shushang demo` finds the world there, as a second run does; the load from empty is
what tests/demo checks.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.core.config import Settings

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUN = {"sh", "python"}
SHAPES = {"json", "js", "text", "go", "ini", "yaml", "csv", "html"}
NO_RUN = "no-run"
SERVED = "http://127.0.0.1:8000"
_FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>.*)$")
_EXPECT = re.compile(r"#\s*expect\s+(\d{3})\b")
DEMO = re.compile(r"^[^#\n]*\bshushang demo\b", re.MULTILINE)


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    language: str
    flags: frozenset[str]
    text: str

    @property
    def where(self) -> str:
        page = self.page.relative_to(ROOT) if self.page.is_relative_to(ROOT) else self.page.name
        return f"{page}:{self.line}"

    @property
    def runs(self) -> bool:
        return self.language in RUN and NO_RUN not in self.flags


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of a page, in order (indented fences of list items included)."""
    found: list[Block] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent = len(opening["indent"])
        language, *flags = opening["info"].split() or [""]
        body: list[str] = []
        j = i + 1
        while j < len(lines) and lines[j].strip() != "```":
            body.append(lines[j][indent:] if lines[j][:indent].strip() == "" else lines[j])
            j += 1
        assert j < len(lines), f"{page.name}:{i + 1}: a fence that never closes"
        found.append(Block(page, i + 1, language, frozenset(flags), "\n".join(body) + "\n"))
        i = j + 1
    return found


def _open_quote(line: str, quote: str | None) -> str | None:
    """The quote still open at the end of `line` (None: none), given the one open at its
    start; a comment ends the line's code."""
    i = 0
    while i < len(line):
        c = line[i]
        if quote == "'":
            quote = None if c == "'" else quote
        elif quote == '"':
            if c == "\\":
                i += 1
            elif c == '"':
                quote = None
        elif c == "\\":
            i += 1
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1] in " \t;"):
            break
        i += 1
    return quote


def _commands(text: str) -> list[str]:
    """The shell text cut into logical lines: a line ending in a backslash, or inside a
    quoted string, goes on."""
    logical: list[str] = []
    current = ""
    quote: str | None = None
    for line in text.splitlines():
        current += line + "\n"
        quote = _open_quote(line, quote)
        if quote is None and not line.endswith("\\"):
            logical.append(current)
            current = ""
    if current:
        logical.append(current)
    return logical


def shell(block: Block) -> str:
    """A sh block as the script runs it: each `curl` of a command marked `# expect NNN`
    carries its expected status to the wrapper."""
    out = []
    for command in _commands(block.text):
        expected = _EXPECT.search(command)
        if expected:
            command = re.sub(
                r"(^|[\s;|&($`])curl\s", rf"\1SNIPPET_EXPECT={expected[1]} curl ", command
            )
        out.append(command)
    return "".join(out)


# A curl that fails as `curl --fail` does unless the status is the one expected; the body
# still goes where the snippet sends it.
PREAMBLE = r"""
set -euo pipefail
set -a
curl() {
  local status_file rc=0 status
  status_file=$(mktemp)
  command curl "$@" --write-out '%{stderr}SNIPPET_STATUS %{http_code}\n' 2>"$status_file" || rc=$?
  status=$(sed -n 's/^SNIPPET_STATUS //p' "$status_file" | tail -1)
  sed '/^SNIPPET_STATUS /d' "$status_file" >&2
  rm -f "$status_file"
  if [ "$rc" -ne 0 ]; then
    echo "snippet: curl exited $rc at $SNIPPET_AT: curl $*" >&2
    return "$rc"
  fi
  if [ -n "${SNIPPET_EXPECT:-}" ]; then
    if [ "$status" != "$SNIPPET_EXPECT" ]; then
      echo "snippet: HTTP $status where $SNIPPET_EXPECT was expected at $SNIPPET_AT: curl $*" >&2
      return 22
    fi
  elif [ "${status:-000}" -ge 400 ] || [ "${status:-000}" = 000 ]; then
    echo "snippet: HTTP $status at $SNIPPET_AT: curl $*" >&2
    return 22
  fi
}
trap 'echo "snippet: failed at $SNIPPET_AT (script line $LINENO)" >&2' ERR
"""


def script(page: Path, scratch: Path, served: str) -> str:
    parts = [PREAMBLE]
    for n, block in enumerate(b for b in blocks(page) if b.runs):
        text = block.text.replace(SERVED, served)
        parts.append(f"\nSNIPPET_AT={shlex.quote(block.where)}\n")
        if block.language == "sh":
            parts.append(shell(Block(block.page, block.line, "sh", block.flags, text)))
        else:
            program = scratch / f"block_{n:02d}.py"
            program.write_text(text, encoding="utf-8")
            parts.append(f".venv/bin/python {shlex.quote(str(program))}\n")
    return "".join(parts)


def _scratch(tmp_path: Path) -> Path:
    """A directory to run a page in: this checkout's `.venv`, `sdk` and `examples` are
    there, as in the checkout a reader runs `make run` in; the files a page writes are
    not."""
    for name in (".venv", "sdk", "examples"):
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path


def _environment(database_url: str, settings: Settings) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SHUSHANG_", "PYTEST_")) and k not in {"DATABASE_URL", "VIRTUAL_ENV"}
    }
    env.update(
        DATABASE_URL=database_url,
        SHUSHANG_DATA_DIR=str(settings.data_dir),
        SHUSHANG_EMBEDDED_DATABASE="false",
        SHUSHANG_LOG_FORMAT="console",
        SHUSHANG_LOG_LEVEL="WARNING",
        LC_ALL="C.UTF-8",
        PYTHONIOENCODING="utf-8",
    )
    return env


def test_every_block_is_known() -> None:
    """Every fence names its language; the ones that run are sh and python, and a block
    that must not run says so: nothing is skipped unseen."""
    unknown = [
        f"{b.where}: ```{b.language} {' '.join(sorted(b.flags))}"
        for page in PAGES
        for b in blocks(page)
        if b.language not in RUN | SHAPES or (b.flags - {NO_RUN})
    ]
    assert not unknown, "fences this test cannot place (give a language, or `no-run`):\n" + (
        "\n".join(unknown)
    )


def test_no_run_blocks_are_few() -> None:
    """`no-run` is for what cannot run against a test server, not a way out."""
    for page in PAGES:
        for block in blocks(page):
            if NO_RUN in block.flags:
                assert block.language in RUN, f"{block.where}: no-run on a {block.language} block"


def run_page(
    page: Path, served: str, database_url: str, settings: Settings, scratch: Path
) -> subprocess.CompletedProcess[str]:
    code = script(page, scratch, served)
    (scratch / "page.sh").write_text(code, encoding="utf-8")
    return subprocess.run(
        ["bash", str(scratch / "page.sh")],
        cwd=scratch,
        env=_environment(database_url, settings),
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_refused_call_fails_the_page(
    live_url: str, database_url: str, settings: Settings, tmp_path: Path
) -> None:
    """The harness is strict: an unexpected 4xx fails a page, an expected one passes, and
    a status other than the one expected fails too."""
    scratch = _scratch(tmp_path)
    page = tmp_path / "page.md"
    cases = {
        "curl -s http://127.0.0.1:8000/v1/venues/NOPE\n": False,
        "curl -s http://127.0.0.1:8000/v1/venues/NOPE   # expect 404\n": True,
        "curl -s http://127.0.0.1:8000/v1/venues/NOPE   # expect 409\n": False,
        "X=$(curl -s http://127.0.0.1:8000/v1/venues/NOPE)\necho ran on\n": False,
        "curl -s http://127.0.0.1:8000/v1/venues/HZDEX > /dev/null\n": True,
    }
    for body, passes in cases.items():
        page.write_text(f"```sh\n{body}```\n", encoding="utf-8")
        done = run_page(page, live_url, database_url, settings, scratch)
        assert (done.returncode == 0) == passes, (body, done.stderr)
        assert "ran on" not in done.stdout


def loads_the_demo(page: Path) -> bool:
    return any(b.runs and DEMO.search(b.text) for b in blocks(page))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_the_page_runs_as_written(
    page: Path,
    live_url: str,
    database_url: str,
    settings: Settings,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    if not any(b.runs for b in blocks(page)):
        pytest.skip(f"{page.name} has no snippet to run")
    if loads_the_demo(page):
        request.getfixturevalue("demo_world")
    done = run_page(page, live_url, database_url, settings, _scratch(tmp_path))
    assert done.returncode == 0, (
        f"{page.name} does not run as written (exit {done.returncode}):\n"
        f"--- stderr (last 6000 characters)\n{done.stderr[-6000:]}\n"
        f"--- stdout (last 3000 characters)\n{done.stdout[-3000:]}"
    )
