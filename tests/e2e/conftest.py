"""conftest.py - pytest fixtures for the e2e tests (see harness.py, README.md).

Fixtures:
  harness_options   module scope, {} by default; override it in a test
                    module to configure that module's `harness`, e.g.
                        @pytest.fixture(scope="module")
                        def harness_options():
                            return {"policy": "inet:127.0.0.1:10050"}
  harness           module scope: a started Harness(**harness_options),
                    stopped (namespace and scratch dir removed) after the
                    module's last test, also when tests fail
  harness_factory   function scope: harness_factory(**options) starts one
                    more Harness; all are stopped after the test
  mailsentry_bin    path of the mailsentry binary (env MS_BIN, set by
                    tests/cli/e2e.sh; else build/mailsentry); skips if absent

Not root, no `ip netns`, or Postfix/Dovecot not installed: the harness
fixtures skip with the reason. When a test fails, the tails of the Postfix
and Dovecot logs are added to its report.
"""
import os
import signal
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Harness, cleanup_stale, prerequisites_missing  # noqa: E402

_TIMINGS = []


def _terminate(signum, frame):
    raise KeyboardInterrupt("signal %d" % signum)


def pytest_sessionstart(session):
    # SIGTERM (kill, timeout(1)) ends the run like Ctrl-C: the fixtures'
    # teardown still stops the servers and removes the namespace.
    signal.signal(signal.SIGTERM, _terminate)
    # A run killed before its teardown (SIGKILL, ctest timeout) leaves a
    # namespace and a scratch dir named after its pid; remove those.
    if prerequisites_missing() is None:
        for what in cleanup_stale():
            print("e2e: removed leftover %s" % what)


def _start(options):
    why = prerequisites_missing()
    if why:
        pytest.skip(why)
    return Harness(**options).start()


def _stop(h, label):
    try:
        h.stop()
    finally:
        _TIMINGS.append((label, dict(h.timings)))


@pytest.fixture(scope="module")
def harness_options():
    return {}


@pytest.fixture(scope="module")
def harness(harness_options, request):
    h = _start(harness_options)
    try:
        yield h
    finally:
        _stop(h, request.module.__name__)


@pytest.fixture
def harness_factory(request):
    made = []

    def make(**options):
        h = _start(options)
        made.append(h)
        return h

    try:
        yield make
    finally:
        errors = []
        for h in made:
            try:
                _stop(h, request.node.name)
            except Exception as e:  # stop the others too
                errors.append(e)
        if errors:
            raise errors[0]


@pytest.fixture(scope="session")
def mailsentry_bin():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.environ.get("MS_BIN") or os.path.join(here, "..", "..", "build", "mailsentry")
    path = os.path.abspath(path)
    if not os.access(path, os.X_OK):
        pytest.skip("mailsentry binary not built: %s" % path)
    return path


def _tail(path, n=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError as e:
        return "(%s)" % e


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when != "call" or not rep.failed:
        return
    for name in ("harness",):
        h = item.funcargs.get(name) if hasattr(item, "funcargs") else None
        if isinstance(h, Harness) and h.scratch:
            rep.sections.append(("postfix log (last 40 lines) %s" % h.log_path, _tail(h.log_path)))
            rep.sections.append(("dovecot log (last 40 lines) %s" % h.dovecot_log_path,
                                 _tail(h.dovecot_log_path)))


def pytest_terminal_summary(terminalreporter):
    if not _TIMINGS:
        return
    terminalreporter.section("e2e harness timings")
    for label, t in _TIMINGS:
        terminalreporter.write_line(
            "%-28s start %.2f s (postfix %.2f s), stop %.2f s"
            % (label, t.get("start", 0), t.get("postfix_start", 0), t.get("stop", 0)))
