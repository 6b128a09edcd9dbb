from __future__ import annotations

import pytest

from aibom.redact import redact_text, redact_url


@pytest.mark.parametrize(
    ("url", "expected", "had"),
    [
        ("https://user:tok3n@pypi.example.com/simple", "https://***@pypi.example.com/simple", True),
        ("https://ghp_abcdef@github.com/org/repo.git", "https://***@github.com/org/repo.git", True),
        (
            "git+https://user:p%40ss@github.com/org/repo.git@v1#egg=x",
            "git+https://***@github.com/org/repo.git@v1#egg=x",
            True,
        ),
        # a password holding a raw "@": everything up to the last "@" of the authority goes
        ("https://u:p@ss@host/simple", "https://***@host/simple", True),
        # placeholders pip expands at install time are not secrets
        (
            "https://${PIP_USER}:${PIP_TOKEN}@host/simple",
            "https://${PIP_USER}:${PIP_TOKEN}@host/simple",
            False,
        ),
        ("https://${TOKEN}@host/simple", "https://${TOKEN}@host/simple", False),
        # the account name of an SSH URL is not a credential; a password is
        (
            "git+ssh://git@github.com/org/repo.git@v1",
            "git+ssh://git@github.com/org/repo.git@v1",
            False,
        ),
        ("ssh://git:hunter2@host/repo", "ssh://***@host/repo", True),
        ("https://pypi.org/simple", "https://pypi.org/simple", False),
        ("https://host/pkg.whl?token=abc123&x=1", "https://host/pkg.whl?token=***&x=1", True),
        (
            "https://host/pkg.whl?X-Amz-Signature=ff&v=2",
            "https://host/pkg.whl?X-Amz-Signature=***&v=2",
            True,
        ),
        ("https://host/pkg.whl#sha256=abc", "https://host/pkg.whl#sha256=abc", False),
        # an "@" after the host is part of the path (a VCS ref), not userinfo
        (
            "git+https://github.com/org/repo.git@main",
            "git+https://github.com/org/repo.git@main",
            False,
        ),
        ("./local/path", "./local/path", False),
        ("pypi.example.com", "pypi.example.com", False),
    ],
)
def test_redact_url(url: str, expected: str, had: bool) -> None:
    assert redact_url(url) == (expected, had)


def test_redact_text_redacts_every_url_in_a_line() -> None:
    text = "-i https://a:b@one.example/simple --extra-index-url https://c:d@two.example/simple"
    assert redact_text(text) == (
        "-i https://***@one.example/simple --extra-index-url https://***@two.example/simple",
        True,
    )
    assert redact_text("numpy==1.26.4") == ("numpy==1.26.4", False)


def test_literal_user_with_placeholder_password_is_not_a_secret() -> None:
    assert redact_url("https://ci:${TOKEN}@host/simple") == (
        "https://ci:${TOKEN}@host/simple",
        False,
    )
    assert redact_url("https://${USER}:hunter2@host/simple") == ("https://***@host/simple", True)
