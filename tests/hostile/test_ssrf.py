"""Class 8: without a host map naming it, the census never connects to loopback, private,
link-local (cloud metadata), shared, multicast or unspecified addresses — not for a URL it is
given, not for a redirect, not for a link found on a page — unless a setting allows the range."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import select

from scanner.db.models import LinkCheck, LinkVerdict, Scan
from scanner.http.addresses import AddressPolicy
from scanner.settings import parse_networks
from tests.hostile.conftest import (
    CODE,
    Census,
    HostileSite,
    assert_clean,
    fresh_db,
    html_page,
    import_registry,
    registry_yaml,
)

REFUSED = "拒绝连接非公网地址"

# Hosts that all land inside the office (or the cloud's metadata service).
INSIDE = [
    pytest.param("127.0.0.1:{port}", id="loopback"),
    pytest.param("localhost:{port}", id="localhost-name"),
    pytest.param("127.1:{port}", id="short-loopback"),
    pytest.param("2130706433:{port}", id="decimal-loopback"),
    pytest.param("0x7f000001:{port}", id="hex-loopback"),
    pytest.param("[::1]:{port}", id="ipv6-loopback"),
    pytest.param("[::ffff:127.0.0.1]:{port}", id="ipv4-mapped"),
    pytest.param("0.0.0.0:{port}", id="unspecified"),
    pytest.param("169.254.169.254", id="cloud-metadata"),
    pytest.param("100.100.100.200", id="aliyun-metadata-shared-range"),
    pytest.param("10.1.2.3", id="private-10"),
    pytest.param("172.16.5.4", id="private-172"),
    pytest.param("192.168.1.1", id="private-192"),
    pytest.param("224.0.0.1", id="multicast"),
    pytest.param("[fe80::1]", id="ipv6-link-local"),
    pytest.param("[fd00::1]", id="ipv6-unique-local"),
]


@pytest.mark.parametrize("host", INSIDE)
def test_a_url_inside_the_office_is_refused_without_a_request(
    site: HostileSite, census: Census, host: str
) -> None:
    site.page("/", html_page("内网管理系统", "机密"))
    ran = census("inspect", f"http://{host.format(port=site.port)}/", CENSUS_PAGE_TIMEOUT="5")
    assert_clean(ran)
    assert ran.code == 2, ran.text
    assert REFUSED in ran.err and "CENSUS_ALLOWED_NETWORKS" in ran.err, ran.err
    assert site.hits == []  # not one byte reached the inside


@pytest.mark.parametrize("allowed", ["127.0.0.0/8", "127.0.0.1/32", "::/0, 0.0.0.0/0"])
def test_an_allowed_range_is_reachable(site: HostileSite, census: Census, allowed: str) -> None:
    site.page("/", html_page("内网门户", "欢迎"))
    ran = census(
        "inspect", f"http://127.0.0.1:{site.port}/", "--json", CENSUS_ALLOWED_NETWORKS=allowed
    )
    assert_clean(ran)
    assert ran.code == 0, ran.text
    assert site.hits == ["/"]


@pytest.mark.parametrize(
    "location",
    [
        pytest.param("http://169.254.169.254/latest/meta-data/", id="metadata"),
        pytest.param("http://127.0.0.2:{port}/admin", id="other-loopback"),
        pytest.param("http://10.0.0.1/", id="private"),
        pytest.param("http://[::1]:{port}/", id="ipv6-loopback"),
    ],
)
def test_a_redirect_into_the_office_is_refused(
    site: HostileSite, census: Census, location: str
) -> None:
    async def redirect(request: web.Request) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": location.format(port=site.port)})

    site.routes["/"] = redirect  # type: ignore[assignment]
    site.page("/admin", html_page("后台", "机密"))
    ran = census(
        "inspect", f"http://127.0.0.1:{site.port}/", CENSUS_ALLOWED_NETWORKS="127.0.0.1/32"
    )
    assert_clean(ran)
    assert ran.code == 2 and REFUSED in ran.err, ran.text
    assert site.hits == ["/"]  # the allowed site was asked; where it pointed was not


def test_links_into_the_office_are_never_requested_nor_charged(
    site: HostileSite, census: Census, tmp_path: Path
) -> None:
    """The registered site itself is on loopback: operator input, so it is crawled without
    CENSUS_ALLOWED_NETWORKS; the private addresses its page links to are not requested, and
    as nothing was tried they are undetermined (never charged), not broken."""
    url = f"sqlite:///{tmp_path / 'census.db'}"
    db = fresh_db(url)
    home = f"http://127.0.0.1:{site.port}/"
    import_registry(db, tmp_path, registry_yaml(home))
    inside = [
        f"http://127.0.0.2:{site.port}/secret",
        "http://169.254.169.254/latest/",
        "http://192.168.0.1/",
        f"http://[::1]:{site.port}/admin",
    ]
    site.page(
        "/",
        html_page(
            "首页", "".join(f'<a href="{u}">x</a>' for u in inside) + '<a href="/ok.html">ok</a>'
        ),
    )
    site.page("/ok.html", html_page("正常", "正文"))
    site.page("/admin", html_page("后台", "机密"))
    env = {
        "CENSUS_DATABASE_URL": url,
        "CENSUS_PER_HOST_RATE": "500",
        "CENSUS_LINK_RECHECK_DELAY": "0.2",
        "CENSUS_LINK_RECHECK_WAIT": "5",
    }
    ran = census("scan", CODE, **env)
    assert_clean(ran)
    assert ran.code == 0, ran.text
    with db.session() as s:
        scan = s.scalars(select(Scan)).one()
        assert scan.status == "done", scan.error
        checks = {c.target: c for c in s.scalars(select(LinkCheck))}
    for target in inside:
        assert checks[target].verdict is LinkVerdict.UNDETERMINED, target
        assert checks[target].kind == "address_refused" and checks[target].confirmed_at is None
    assert checks[home + "ok.html"].verdict is LinkVerdict.OK
    assert "/admin" not in site.hits and "/secret" not in site.hits
    assert "/ok.html" in site.hits
    db.dispose()


@pytest.mark.parametrize(
    ("address", "allowed", "refused"),
    [
        ("8.8.8.8", "", False),
        ("2400:3200::1", "", False),
        ("10.0.0.5", "10.0.0.0/8", False),
        ("10.0.0.5", "10.1.0.0/16", True),
        ("::ffff:10.0.0.5", "10.0.0.0/8", False),
        ("255.255.255.255", "", True),
        ("fe80::1%eth0", "", True),
        ("not-an-ip", "", True),
    ],
)
def test_the_policy_itself(address: str, allowed: str, refused: bool) -> None:
    policy = AddressPolicy(parse_networks(allowed))
    assert (policy.refusal(address) is not None) is refused


def test_only_registered_addresses_are_trusted_not_registered_names() -> None:
    from scanner.http.addresses import AddressRefused

    policy = AddressPolicy(trusted=["127.0.0.1", "www.county.example.gov.cn", "[::1]"])
    policy.check("127.0.0.1", "127.0.0.1")  # the operator wrote this address: reachable
    policy.check("[::1]", "::1")
    with pytest.raises(AddressRefused):
        policy.check("127.0.0.2", "127.0.0.2")  # another loopback address, named by a page
    with pytest.raises(AddressRefused):  # a registered name whose DNS now points inside
        policy.check("www.county.example.gov.cn", "169.254.169.254")
