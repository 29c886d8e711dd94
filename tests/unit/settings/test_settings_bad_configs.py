"""Each bad config gets exactly the message an admin needs: file, line, key path, what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.settings import ConfigError, load_settings

ENV = {"CONFLUENCE_TOKEN": "pat-0123456789", "DS_JWT_SECRET": "s" * 32}

# Line numbers below refer to this file (line 1 = "listen:").
BASE = """\
listen:
  host: 127.0.0.1
  port: 8080
public_url: https://wiki.example.com/confluence
confluence:
  url: http://confluence:8090/confluence
  auth:
    token: ${CONFLUENCE_TOKEN}
documentserver:
  public_url: https://docs.example.com/
  jwt:
    secret: ${DS_JWT_SECRET}
    header: Authorization
rules:
  - extensions: [docx]
    actions: [edit, view]
"""

PORT = "  port: 8080"
URL = "  url: http://confluence:8090/confluence"
TOKEN = "    token: ${CONFLUENCE_TOKEN}"
PUBLIC = "public_url: https://wiki.example.com/confluence"
SECRET = "    secret: ${DS_JWT_SECRET}"
DS_PUBLIC = "  public_url: https://docs.example.com/"
EXTENSIONS = "  - extensions: [docx]"
URLS = BASE[BASE.index(PUBLIC) : BASE.index(DS_PUBLIC) + len(DS_PUBLIC)]  # lines 4-10

CASES: list[tuple[str, str, str, list[str]]] = [
    (
        "a previous link secret without its end",
        PORT,
        PORT + "\nlinks:\n  secret: new-secret\n  previous_secret: old-secret",
        ["gateway.yaml:4: links: previous_secret and previous_until go together"],
    ),
    (
        "a previous link secret's end without a time zone",
        PORT,
        PORT + "\nlinks:\n  previous_secret: old-secret\n  previous_until: 2027-01-15T00:00:00",
        ["gateway.yaml:6: links.previous_until: input should have timezone info, got '2027-01-15T00:00:00'"],
    ),
    (
        "port too high",
        PORT,
        "  port: 70000",
        ["gateway.yaml:3: listen.port: must be at most 65535, got 70000"],
    ),
    (
        "port not a number",
        PORT,
        "  port: abc",
        ["gateway.yaml:3: listen.port: must be a whole number, got 'abc'"],
    ),
    (
        "unknown key and the missing key it replaced",
        URL,
        "  urll: http://confluence:8090/confluence",
        [
            "gateway.yaml:5: confluence.url: required key is missing",
            "gateway.yaml:6: confluence.urll: unknown key (did you mean 'url'?)",
        ],
    ),
    (
        "relative URL",
        URL,
        "  url: confluence:8090",
        ["gateway.yaml:6: confluence.url: must be an absolute http(s) URL, got 'confluence:8090'"],
    ),
    (
        "URL with a query",
        URL,
        "  url: http://x:8090/confluence?a=b",
        [
            "gateway.yaml:6: confluence.url: must not have a query or fragment, got 'http://x:8090/confluence?a=b'"
        ],
    ),
    (
        "URL with credentials is not echoed",
        URL,
        "  url: http://admin:hunter22@x:8090/confluence",
        [
            "gateway.yaml:6: confluence.url: must not contain a user name or password; "
            "give credentials in their own keys"
        ],
    ),
    (
        "missing environment variable",
        TOKEN,
        "    token: ${NOPE}",
        ["gateway.yaml:8: confluence.auth.token: environment variable NOPE is not set"],
    ),
    (
        "unterminated reference",
        TOKEN,
        "    token: ${CONFLUENCE_TOKEN",
        [
            "gateway.yaml:8: confluence.auth.token: unterminated '${': close it with '}' "
            "(write '$${' for a literal '${')"
        ],
    ),
    (
        "unreadable secret file",
        TOKEN,
        "    token: ${file:/nonexistent/confluence-token}",
        [
            "gateway.yaml:8: confluence.auth.token: cannot read secret file '/nonexistent/confluence-token': "
            "No such file or directory"
        ],
    ),
    (
        "token and username together",
        TOKEN,
        TOKEN + "\n    username: svc",
        ["gateway.yaml:7: confluence.auth: give either token or username and password, not both"],
    ),
    (
        "username without password",
        TOKEN,
        "    username: svc",
        ["gateway.yaml:7: confluence.auth: username and password go together: password is missing"],
    ),
    (
        "no credentials at all",
        "  auth:\n" + TOKEN,
        "  auth: {}",
        ["gateway.yaml:7: confluence.auth: needs token (a Personal Access Token), or username and password"],
    ),
    (
        "public_url path differs from the context path",
        PUBLIC,
        "public_url: https://wiki.example.com/wiki",
        [
            "gateway.yaml:4: public_url: its path '/wiki' must equal the context path of confluence.url "
            "('/confluence'): Confluence builds links from its base URL, which must be public_url"
        ],
    ),
    (
        "gateway internal_url with another path",
        PUBLIC,
        PUBLIC + "\ninternal_url: http://gateway:8080/",
        [
            "gateway.yaml:5: internal_url: its path '/' must equal the path of public_url ('/confluence'): "
            "the gateway serves one context path"
        ],
    ),
    (
        "empty JWT secret",
        SECRET,
        '    secret: ""',
        ["gateway.yaml:12: documentserver.jwt.secret: must not be empty"],
    ),
    (
        "JWT secret that YAML reads as a number",
        SECRET,
        "    secret: 12345",
        ["gateway.yaml:12: documentserver.jwt.secret: must be text; put it in quotes"],
    ),
    (
        "JWT section missing",
        "  jwt:\n" + SECRET + "\n    header: Authorization\n",
        "",
        ["gateway.yaml:9: documentserver.jwt: required key is missing"],
    ),
    (
        "header name with a space",
        "    header: Authorization",
        '    header: "Bad Header"',
        [
            "gateway.yaml:13: documentserver.jwt.header: must be an HTTP header name "
            "(letters, digits and !#$%&'*+-.^_`|~), got 'Bad Header'"
        ],
    ),
    (
        "Document Server under the gateway's origin without internal_url",
        DS_PUBLIC,
        "  public_url: https://wiki.example.com/onlyoffice",
        [
            "gateway.yaml:9: documentserver.internal_url: required when documentserver.public_url is a "
            "path under the gateway: the address where the gateway reaches the Document Server "
            "(e.g. http://documentserver)"
        ],
    ),
    (
        "Document Server as a bare path without internal_url",
        DS_PUBLIC,
        "  public_url: /ds/",
        [
            "gateway.yaml:9: documentserver.internal_url: required when documentserver.public_url is a "
            "path under the gateway: the address where the gateway reaches the Document Server "
            "(e.g. http://documentserver)"
        ],
    ),
    (
        "Document Server at the root of the gateway's origin",
        DS_PUBLIC,
        "  public_url: /\n  internal_url: http://documentserver",
        [
            "gateway.yaml:10: documentserver.public_url: on the gateway's own origin it needs a path of "
            "its own, like 'https://wiki.example.com/onlyoffice': '/' is Confluence's"
        ],
    ),
    (
        "Document Server at the gateway's origin given absolute, no path",
        DS_PUBLIC,
        "  public_url: https://WIKI.example.com:443/\n  internal_url: http://documentserver",
        [
            "gateway.yaml:10: documentserver.public_url: on the gateway's own origin it needs a path of "
            "its own, like 'https://wiki.example.com/onlyoffice': '/' is Confluence's"
        ],
    ),
    (
        "Document Server path inside Confluence's context path",
        DS_PUBLIC,
        "  public_url: /confluence/onlyoffice\n  internal_url: http://documentserver",
        [
            "gateway.yaml:10: documentserver.public_url: its path '/confluence/onlyoffice' overlaps "
            "Confluence's context path '/confluence': give the Document Server a path beside it, like "
            "'/onlyoffice'"
        ],
    ),
    (
        "Document Server path holding Confluence's context path",
        URLS,
        URLS.replace("m/confluence", "m/wiki/confluence")
        .replace("0/confluence", "0/wiki/confluence")
        .replace(DS_PUBLIC, "  public_url: /wiki\n  internal_url: http://documentserver"),
        [
            "gateway.yaml:10: documentserver.public_url: its path '/wiki' overlaps Confluence's context "
            "path '/wiki/confluence': give the Document Server a path beside it, like '/onlyoffice'"
        ],
    ),
    (
        "Document Server path on a health route",
        DS_PUBLIC,
        "  public_url: /metrics\n  internal_url: http://documentserver",
        [
            "gateway.yaml:10: documentserver.public_url: its path '/metrics' overlaps a path the gateway "
            "answers itself or sends to Confluence (/livez, /readyz, /metrics, /synchrony)"
        ],
    ),
    (
        "Document Server internal_url is the gateway itself",
        DS_PUBLIC,
        "  public_url: /onlyoffice\n  internal_url: https://wiki.example.com/onlyoffice",
        [
            "gateway.yaml:11: documentserver.internal_url: 'https://wiki.example.com/onlyoffice' is the "
            "gateway itself: give the address where the Document Server listens (e.g. http://documentserver)"
        ],
    ),
    (
        "Document Server internal_url is the gateway's listen address",
        DS_PUBLIC,
        "  public_url: /onlyoffice\n  internal_url: http://127.0.0.1:8080",
        [
            "gateway.yaml:11: documentserver.internal_url: 'http://127.0.0.1:8080' is the gateway itself: "
            "give the address where the Document Server listens (e.g. http://documentserver)"
        ],
    ),
    (
        "extension with a dot and capitals",
        EXTENSIONS,
        "  - extensions: [.DOCX]",
        [
            "gateway.yaml:15: rules[0].extensions[0]: must be a lower-case file extension without the dot, "
            "like 'docx', got '.DOCX'"
        ],
    ),
    (
        "unknown action",
        "    actions: [edit, view]",
        "    actions: [edit, delete]",
        [
            "gateway.yaml:16: rules[0].actions[1]: must be one of 'edit', 'view', 'convert', 'create' or 'download', "
            "got 'delete'"
        ],
    ),
    (
        "page id that is not a number",
        EXTENSIONS,
        "  - pages: [Welcome]",
        ["gateway.yaml:15: rules[0].pages[0]: must be a page id (digits only), got 'Welcome'"],
    ),
    (
        "rules not a list",
        "rules:\n" + EXTENSIONS + "\n    actions: [edit, view]",
        "rules: docx",
        ["gateway.yaml:14: rules: must be a list, got 'docx'"],
    ),
    (
        "a section given as a scalar",
        "listen:\n  host: 127.0.0.1\n" + PORT,
        "listen: 8080",
        ["gateway.yaml:1: listen: must be a mapping of keys, got 8080"],
    ),
    (
        "duplicate key",
        PORT,
        PORT + "\n  port: 9090",
        ["gateway.yaml:4: listen.port: duplicate key (first given on line 3)"],
    ),
    (
        "YAML syntax error",
        URL,
        "  url: [http://x",
        [
            "gateway.yaml:7: invalid YAML: expected ',' or ']', but got ':' (column 7), "
            "while parsing a flow sequence that starts on line 6"
        ],
    ),
    (
        "several problems at once, in line order",
        PORT,
        "  port: 0\n  colour: blue",
        [
            "gateway.yaml:3: listen.port: must be at least 1, got 0",
            "gateway.yaml:4: listen.colour: unknown key (expected one of: host, port, workers, idle_timeout, body_timeout, max_connections)",
        ],
    ),
]


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # messages then name the file as the admin gave it: gateway.yaml
    return tmp_path


def test_base_config_is_valid(in_tmp: Path) -> None:
    Path("gateway.yaml").write_text(BASE)
    settings = load_settings(Path("gateway.yaml"), environ=ENV)
    assert settings.documentserver.public_url == "https://docs.example.com"


@pytest.mark.parametrize(("old", "new", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_config_message(in_tmp: Path, old: str, new: str, expected: list[str]) -> None:
    assert old in BASE
    Path("gateway.yaml").write_text(BASE.replace(old, new, 1))
    with pytest.raises(ConfigError) as caught:
        load_settings(Path("gateway.yaml"), environ=ENV)
    assert caught.value.problems == expected
    assert str(caught.value) == "\n".join(expected)


EMPTY = "gateway.yaml: the file is empty; it must be a mapping of settings (see rules/gateway.example.yaml)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", EMPTY),
        ("# nothing but a comment\n", EMPTY),
        ("- listen\n- public_url\n", "gateway.yaml:1: the top level must be a mapping of keys, got a list"),
        ("just text\n", "gateway.yaml:1: the top level must be a mapping of keys, got 'just text'"),
        (
            BASE + "---\nlisten: {}\n",
            "gateway.yaml:17: invalid YAML: expected a single document in the "
            "stream, but found another document (column 1)",
        ),
        (
            "listen: {port: 1}\n\tpublic_url: x\n",
            "gateway.yaml:2: invalid YAML: found character '\\t' that cannot start any token (column 1)",
        ),
    ],
    ids=["empty", "only-comment", "list", "scalar", "two-documents", "tab"],
)
def test_file_level_problems(in_tmp: Path, text: str, expected: str) -> None:
    Path("gateway.yaml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(Path("gateway.yaml"), environ=ENV)
    assert caught.value.problems == [expected]


def test_missing_top_level_keys_point_at_the_top(in_tmp: Path) -> None:
    Path("gateway.yaml").write_text("listen: {port: 8080}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(Path("gateway.yaml"), environ=ENV)
    assert caught.value.problems == [
        "gateway.yaml:1: public_url: required key is missing",
        "gateway.yaml:1: confluence: required key is missing",
        "gateway.yaml:1: documentserver: required key is missing",
    ]


def test_unreadable_file(in_tmp: Path) -> None:
    with pytest.raises(ConfigError, match=r"^nowhere\.yaml: cannot read: No such file or directory$"):
        load_settings(Path("nowhere.yaml"), environ=ENV)
    Path("latin1.yaml").write_bytes(b"public_url: caf\xe9\n")
    with pytest.raises(ConfigError, match=r"^latin1\.yaml: not UTF-8 text \(byte 15\)$"):
        load_settings(Path("latin1.yaml"), environ=ENV)
