"""Property: for any request or response header list, the hop-by-hop headers and every header a
`Connection` value names (any case, comma lists with odd whitespace, several Connection headers)
are gone, everything else is passed in order, and X-Forwarded-For/Proto/Host are the gateway's own:
replaced for an untrusted peer, extended (For) or kept (Proto, Host) for a trusted proxy, fixed
from the public URL for a mounted upstream; a Connection token never removes what the gateway adds
or the request's framing and credentials.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from gateway.proxy.headers import HOP_BY_HOP, TrustedProxies, downstream_headers, upstream_headers
from gateway.proxy.upstream import UpstreamMap

FUZZ = settings(max_examples=200, deadline=None)

CONFLUENCE = UpstreamMap.for_mount("https://wiki.example.com/confluence", "http://confluence:8090/confluence")
DOCSERVER = UpstreamMap.for_mount("https://wiki.example.com/onlyoffice", "http://documentserver:8000/")
TRUSTED = TrustedProxies(["10.0.0.0/8", "fd00::/8"])

# What the module's docstring and RFC 9110 7.6.1 list, spelled out again here (not imported).
HOP = {"connection", "proxy-connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"}
FORWARDING = {"forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port",
              "x-forwarded-server", "x-real-ip"}  # fmt: skip
CREDENTIALS = {"authorization", "cookie"}
PROTECTED = FORWARDING | CREDENTIALS | {"host", "content-length", "content-type"}
WEBSOCKET = {"sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions",
             "sec-websocket-protocol", "sec-websocket-accept"}  # fmt: skip

KNOWN = sorted(
    HOP | set(HOP_BY_HOP) | FORWARDING | CREDENTIALS | WEBSOCKET
    | {"host", "content-length", "content-type", "expect", "x-forwarded-prefix", "set-cookie",
       "set-cookie2", "accept", "x-custom", "x-other", "etag", "cache-control", "location"}
)  # fmt: skip
TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _random_case(draw: st.DrawFn, name: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    return "".join(c.upper() if flip else c for c, flip in zip(name, flips, strict=True))


@st.composite
def names(draw: st.DrawFn) -> str:
    return _random_case(draw, draw(st.sampled_from(KNOWN) | st.text(TCHAR, min_size=1, max_size=12)))


# Optional whitespace as senders really put it (and a bit more): spaces, tabs, none.
ows = st.text(" \t", max_size=3)


@st.composite
def connection_values(draw: st.DrawFn) -> str:
    tokens = draw(st.lists(names(), max_size=5))
    parts = [draw(ows) + token + draw(ows) for token in tokens] + draw(
        st.lists(ows, max_size=2)
    )  # empty items
    return ",".join(draw(st.permutations(parts)))


values = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x2FF, exclude_characters="\x7f"), max_size=30
)


@st.composite
def header_lists(draw: st.DrawFn) -> CIMultiDictProxy[str]:
    items = draw(st.lists(st.tuples(names(), values), max_size=12))
    items += [
        (_random_case(draw, "connection"), draw(connection_values())) for _ in range(draw(st.integers(0, 2)))
    ]
    return CIMultiDictProxy(CIMultiDict(draw(st.permutations(items))))


def _tokens(headers: CIMultiDictProxy[str]) -> set[str]:
    """The Connection tokens, as RFC 9110 5.6.1 reads a list (OWS is space and tab)."""
    return {
        part.strip(" \t").lower()
        for value in headers.getall("Connection", ())
        for part in value.split(",")
        if part.strip(" \t")
    }


def _kept(incoming: CIMultiDictProxy[str], out: CIMultiDict[str], dropped: set[str], ours: set[str]) -> None:
    """Every header not dropped and not set by the gateway is passed, same values, same order."""
    expected = [(k.lower(), v) for k, v in incoming.items() if k.lower() not in dropped | ours]
    assert [(k.lower(), v) for k, v in out.items() if k.lower() not in ours] == expected


peers = (
    st.sampled_from(["203.0.113.7", "10.1.2.3", "fd00::1", "2001:db8::1", "not-an-ip", "fe80::1%eth0"])
    | st.none()
)


@FUZZ
@given(header_lists(), peers, st.sampled_from(["http", "https"]), st.booleans(), st.booleans())
def test_upstream_headers(
    incoming: CIMultiDictProxy[str], peer: str | None, scheme: str, websocket: bool, mounted: bool
) -> None:
    upstream = DOCSERVER if mounted else CONFLUENCE
    out = upstream_headers(
        incoming,
        peer=peer,
        scheme=scheme,
        trusted=TRUSTED,
        upstream=upstream,
        websocket=websocket,
        mounted=mounted,
    )
    trusted = peer in TRUSTED
    names_out = {name.lower() for name in out}
    ours = {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "host"}
    if mounted:
        ours.add("x-forwarded-prefix")  # added after the strip: no client token removes it
    named = _tokens(incoming) - PROTECTED
    assert not names_out & (HOP | (named - ours)), (names_out & (HOP | named), incoming)
    assert "expect" not in names_out and "content-length" not in names_out
    if websocket:
        assert not names_out & WEBSOCKET
    if mounted:
        assert not names_out & CREDENTIALS

    # X-Forwarded-*: exactly one of each, the gateway's.
    for name in ("X-Forwarded-For", "Host"):
        assert len(out.getall(name)) == 1, name
    # Extended for a trusted proxy, also towards a mounted upstream (its Proto/Host/Prefix are fixed).
    prior = ", ".join(incoming.getall("X-Forwarded-For", ())) if trusted else ""
    hop = peer or "unknown"
    assert out["X-Forwarded-For"] == (f"{prior}, {hop}" if prior else hop)
    if mounted:
        assert out.getall("X-Forwarded-Proto") == ["https"]
        assert out.getall("X-Forwarded-Host") == ["wiki.example.com"]
        assert out.getall("X-Forwarded-Prefix") == ["/onlyoffice"]
        assert out["Host"] == "documentserver:8000"
    elif trusted:
        assert out.getall("X-Forwarded-Proto") == (incoming.getall("X-Forwarded-Proto", ()) or [scheme])
        assert out.getall("X-Forwarded-Host") == (
            incoming.getall("X-Forwarded-Host", ()) or [incoming.get("Host", "wiki.example.com")]
        )
        assert out["Host"] == "wiki.example.com"
    else:
        assert out.getall("X-Forwarded-Proto") == [scheme]
        assert out.getall("X-Forwarded-Host") == [incoming.get("Host", "wiki.example.com")]
        assert out["Host"] == "wiki.example.com"
        assert not names_out & (FORWARDING - {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"})
        assert "x-forwarded-prefix" not in names_out

    dropped = HOP | set(HOP_BY_HOP) | named | {"expect", "host", "content-length"}
    if not trusted or mounted:
        dropped |= FORWARDING | {"x-forwarded-prefix"}
    if mounted:
        dropped |= CREDENTIALS
    if websocket:
        dropped |= WEBSOCKET
    _kept(incoming, out, dropped, ours)


@FUZZ
@given(header_lists(), st.booleans())
def test_downstream_headers(incoming: CIMultiDictProxy[str], mounted: bool) -> None:
    upstream = DOCSERVER if mounted else CONFLUENCE
    out = downstream_headers(incoming, upstream, mounted=mounted)
    names_out = {name.lower() for name in out}
    named = _tokens(incoming)  # a response's Connection may name anything: all of it goes
    assert not names_out & (HOP | named), (names_out & (HOP | named), incoming)
    dropped = HOP | set(HOP_BY_HOP) | named
    if mounted:
        assert not names_out & {"set-cookie", "set-cookie2"}
        dropped |= {"set-cookie", "set-cookie2"}
    # Location, Content-Location and Refresh are rewritten to public URLs: compare the others.
    rewritten = {"location", "content-location", "refresh"}
    _kept(incoming, out, dropped, rewritten)
    for name in rewritten:
        assert len(out.getall(name, ())) == (0 if name in dropped else len(incoming.getall(name, ())))
